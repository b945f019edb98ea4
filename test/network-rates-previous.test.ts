/**
 * network_interfaces takes its rates from the previous stored read's counters (prepare), so a read
 * does not sleep on the host; a first read, an old previous read, or an explicit `interval` samples
 * for itself. The script runs for real on this machine under /bin/sh, on both stores.
 */
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { describe, it } from "node:test"
import { Effect } from "effect"
import { networkInterfaces } from "../src/collectors/network-interfaces/network-interfaces.ts"
import { PREVIOUS_COUNTERS, previousCountersOf } from "../src/collectors/network-interfaces/parse-network-interfaces.ts"
import type { Params } from "../src/pipeline/DataType.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { ok } from "./harness/results.ts"
import { localDevice } from "./harness/ssh-device.ts"

/** The script as the pipeline would send it, run here, parsed by the real parser. */
const readHere = (params: Params) => {
  const stdout = execFileSync("/bin/sh", ["-c", networkInterfaces.script(params)], {
    encoding: "utf8",
    timeout: 20_000,
  })
  return ok(
    networkInterfaces.parse(
      { stdout, stderr: "", exitCode: 0, durationMs: 0, bytes: stdout.length, truncated: false },
      params,
    ),
  )
}

describe("network_interfaces from the previous read's counters", () => {
  it("the script neither samples twice nor sleeps when given them; an interval still samples", () => {
    const previous = JSON.stringify({ uptime: 100, counters: {} })
    assert.doesNotMatch(networkInterfaces.script({ [PREVIOUS_COUNTERS]: previous }), /sleep|sample1/)
    assert.match(networkInterfaces.script({}), /sleep 0\.5/)
    assert.match(networkInterfaces.script({ interval: "1" }), /sleep 1/)
  })

  it("what prepare did not write is no first sample", () => {
    assert.equal(previousCountersOf({}), null)
    assert.equal(previousCountersOf({ [PREVIOUS_COUNTERS]: "{not json" }), null)
    assert.equal(previousCountersOf({ [PREVIOUS_COUNTERS]: JSON.stringify({ counters: {} }) }), null)
    const partial = previousCountersOf({
      [PREVIOUS_COUNTERS]: JSON.stringify({ uptime: 5, counters: { eth0: { rx_bytes: "x" }, lo: counters(1) } }),
    })
    assert.deepEqual(partial?.entries.map((e) => e.name), ["lo"], "a malformed interface is left out")
  })
})

const counters = (n: number) => ({
  rx_bytes: n,
  rx_packets: n,
  rx_errors: 0,
  rx_dropped: 0,
  tx_bytes: n,
  tx_packets: n,
  tx_errors: 0,
  tx_dropped: 0,
})

for (const backend of testBackends()) {
  describe(`network_interfaces prepare on ${backend.name}`, () => {
    it("a stored read 1 minute old is the next read's first sample; none, one 1 hour old, or an interval is not", async () => {
      const first = readHere({})
      assert.ok(first.sample_uptime !== null && first.sample_uptime > 0, "the read says when its counters were read")
      const program = Effect.gen(function* () {
        const store = yield* Store
        const row = yield* store.createDevice({ name: "net-host", host: "localhost" })
        const device = { ...localDevice("net-host"), id: row.id }
        const prepare = networkInterfaces.prepare!
        const none = yield* prepare(store, device, {})
        const stored = (time: Date) =>
          store.insertRows(
            networkInterfaces.table,
            networkInterfaces.toRows(first).map((r) => ({ ...r, time, device_id: row.id })),
          )
        yield* stored(new Date(Date.now() - 3_600_000))
        const old = yield* prepare(store, device, {})
        yield* stored(new Date(Date.now() - 60_000))
        const recent = yield* prepare(store, device, {})
        const explicit = yield* prepare(store, device, { interval: "0.2" })
        return { none, old, recent, explicit }
      })
      const r = await Effect.runPromise(Effect.provide(program, backend.layer(uniqueSchema("netprep"))))
      assert.deepEqual(r.none, {})
      assert.deepEqual(r.old, {})
      assert.deepEqual(r.explicit, { interval: "0.2" })
      const previous = previousCountersOf(r.recent)
      assert.ok(previous !== null)
      assert.equal(previous.uptime, first.sample_uptime)
      assert.deepEqual(
        previous.entries.map((e) => e.name).sort(),
        first.interfaces.filter((i) => i.counters !== null).map((i) => i.name).sort(),
      )
      // A real read from those counters: rates over the time since, without a sleep of its own.
      const next = readHere(r.recent)
      assert.ok(next.sample_seconds !== null && next.sample_seconds > 0)
      const lo = next.interfaces.find((i) => i.name === "lo")
      assert.ok(lo?.rates !== null && lo?.rates !== undefined, "lo's rates come from the stored counters")
      assert.ok(lo.rates.rx_bytes_per_sec >= 0)
    })
  })
}
