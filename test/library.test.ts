import assert from "node:assert/strict"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { test } from "node:test"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const isDeno = "Deno" in globalThis
/** The module the package entry points at, for the runtime running this test. */
const modUrl = pathToFileURL(path.resolve(here, isDeno ? "../src/mod.ts" : "../src/mod.js")).href

test("the README's library example runs as written", async () => {
  const readme = readFileSync(path.resolve(process.cwd(), "README.md"), "utf8")
  const m = /<!-- example:library -->\s*```ts\n([\s\S]*?)```/.exec(readme)
  assert.ok(m?.[1], "README has the library example")
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-lib-"))
  const code = m[1]
    .replace(`from "infrastructor"`, `from ${JSON.stringify(modUrl)}`)
    .replace(`"./data"`, JSON.stringify(path.join(dir, "data")))
  assert.notEqual(code, m[1])
  const file = path.join(dir, "example.mjs")
  writeFileSync(file, code)
  const lines: Array<string> = []
  const original = console.log
  console.log = (...args: Array<unknown>) => void lines.push(args.map(String).join(" "))
  try {
    await import(pathToFileURL(file).href)
  } finally {
    console.log = original
    rmSync(dir, { recursive: true, force: true })
  }
  assert.deepEqual(lines, ["miss true"])
})

test("the library API: devices, collect, history, events", async () => {
  const { createInfrastructor } = await import(modUrl)
  const dir = mkdtempSync(path.join(os.tmpdir(), "infra-lib-"))
  const infra = await createInfrastructor({ data_dir: path.join(dir, "data"), log_level: "error" })
  try {
    const seen: Array<string> = []
    const stop = infra.onEvent((e: { _tag: string }) => seen.push(e._tag))
    assert.deepEqual((await infra.devices.list()).map((d: { name: string }) => d.name), ["localhost"])
    const first = await infra.collect("localhost", "system_metrics")
    const second = await infra.collect("localhost", "system_metrics")
    assert.equal(first.cache, "miss")
    assert.equal(second.cache, "hit")
    const rows = await infra.history("localhost", "system_metrics", { limit: 5 })
    assert.equal(rows.length, 1)
    stop()
    assert.ok(seen.includes("DataCollected"))
    await assert.rejects(infra.collect("nope", "system_metrics"), (e: { _tag: string }) => e._tag === "DeviceNotFound")
  } finally {
    await infra.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
