import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { escapeLabelValue, makeHistogram, makeLabeledCounter, renderExposition } from "../src/observe/prometheus.ts"
import { makeRing } from "../src/observe/ring.ts"
import { parseExposition, sampleValue } from "./harness/prometheus.ts"

describe("Prometheus exposition writer", () => {
  test("escapes label values and help text, and reads back exactly", () => {
    const counter = makeLabeledCounter()
    const nasty = 'a "quoted" back\\slash\nnewline'
    counter.inc({ device: nasty }, 2)
    counter.inc({ device: nasty })
    counter.inc({ device: "plain" })
    const text = renderExposition([
      { name: "x_events_total", help: "Help with \\ and\nnewline.", type: "counter", samples: counter.samples() },
      {
        name: "x_gauge",
        help: "A gauge.",
        type: "gauge",
        samples: [{ value: 0.5 }, { labels: { k: "v" }, value: -Infinity }],
      },
    ])
    assert.ok(text.includes(`device="${escapeLabelValue(nasty)}"`))
    assert.ok(text.includes("# HELP x_events_total Help with \\\\ and\\nnewline."))
    assert.equal(text.split("\n").filter((l) => l.includes("\n")).length, 0)
    const parsed = parseExposition(text)
    assert.equal(sampleValue(parsed, "x_events_total", { device: nasty }), 3)
    assert.equal(sampleValue(parsed, "x_events_total", { device: "plain" }), 1)
    assert.equal(sampleValue(parsed, "x_gauge"), 0.5)
    assert.equal(sampleValue(parsed, "x_gauge", { k: "v" }), -Infinity)
    assert.equal(parsed.types.get("x_gauge"), "gauge")
  })

  test("histograms are cumulative with +Inf, _sum and _count", () => {
    const h = makeHistogram([0.1, 1, 10])
    for (const v of [0.05, 0.1, 0.5, 5, 50]) h.observe({ data_type: "t" }, v)
    const parsed = parseExposition(
      renderExposition([{ name: "d_seconds", help: "d", type: "histogram", samples: h.samples() }]),
    )
    const bucket = (le: string) => sampleValue(parsed, "d_seconds_bucket", { data_type: "t", le })
    assert.equal(bucket("0.1"), 2, "le is inclusive")
    assert.equal(bucket("1"), 3)
    assert.equal(bucket("10"), 4)
    assert.equal(bucket("+Inf"), 5)
    assert.equal(sampleValue(parsed, "d_seconds_count", { data_type: "t" }), 5)
    assert.ok(Math.abs((sampleValue(parsed, "d_seconds_sum", { data_type: "t" }) ?? 0) - 55.65) < 1e-9)
  })

  test("bad names are refused instead of producing an unreadable scrape", () => {
    assert.throws(() => renderExposition([{ name: "bad-name", help: "", type: "gauge", samples: [] }]))
    assert.throws(() =>
      renderExposition([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "le-x": "1" }, value: 1 }] }])
    )
  })

  test("the checker itself rejects broken text", () => {
    assert.throws(() => parseExposition("x_total 1\n"), /before its TYPE/)
    assert.throws(() => parseExposition('# TYPE x_total counter\nx_total{a="b} 1\n'))
    assert.throws(() => parseExposition("# TYPE x counter\nx 1\n"), /_total/)
    assert.throws(() => parseExposition("# TYPE x_total counter\nx_total 1"), /newline/)
  })
})

describe("replay ring", () => {
  test("keeps the newest items in order and reports what it drops", () => {
    const ring = makeRing<number>(3)
    assert.deepEqual([1, 2, 3].map((n) => ring.push(n)), [undefined, undefined, undefined])
    assert.equal(ring.push(4), 1)
    assert.equal(ring.push(5), 2)
    assert.deepEqual(ring.toArray(), [3, 4, 5])
    assert.equal(ring.size(), 3)
  })
})
