import assert from "node:assert/strict"
import { describe, test } from "node:test"
import type { Collected } from "../src/pipeline/Collector.ts"
import { collectedJson } from "../src/http/collected-json.ts"

const base: Collected = {
  device: 'nas "1"',
  data_type: "containers",
  collected_at: "2026-12-04T10:00:00.000Z",
  age_seconds: 3,
  cache: "hit",
  data: { containers: [{ name: "web</script>", labels: { "a.b": "ünï\u2028" }, ports: [80, 443] }] },
}

describe("data read bodies", () => {
  test("are the same JSON as JSON.stringify, for every shape of payload and metadata", () => {
    const cases: Array<Collected> = [
      base,
      { ...base, truncated: true, store: "unavailable" },
      { ...base, data: null },
      { ...base, data: [1, "two", { three: 3 }] },
      { ...base, data: "text" },
      { ...base, data: 0 },
    ]
    for (const c of cases) assert.deepEqual(JSON.parse(collectedJson(c)), JSON.parse(JSON.stringify(c)))
  })

  test("a payload object is serialized once; the next answer for the same object reuses it", () => {
    const data = { value: 1 }
    const first = collectedJson({ ...base, data })
    // Cached payloads are never mutated; doing it here shows the second answer did not re-serialize.
    data.value = 2
    const second = collectedJson({ ...base, age_seconds: 9, cache: "stale", data })
    assert.equal(JSON.parse(second).data.value, 1)
    assert.equal(JSON.parse(second).age_seconds, 9, "metadata is fresh on every answer")
    assert.equal(JSON.parse(second).cache, "stale")
    assert.equal(JSON.parse(first).data.value, 1)
    assert.equal(JSON.parse(collectedJson({ ...base, data: { value: 2 } })).data.value, 2, "a new object: new JSON")
  })
})
