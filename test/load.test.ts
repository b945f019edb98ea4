import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import { runLoad } from "../bench/load-scenario.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { networkShims } from "./harness/shims/network.ts"
import { systemdShims } from "./harness/shims/systemd.ts"
import { vmStatusShims } from "./harness/shims/vms.ts"
import { zfsShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/**
 * The load scenario of `npm run bench:load` in short form: devices polled by the scheduler while a
 * separate client process reads the API. No timing is asserted (that is the bench's job): every
 * request must succeed and no poll may fail.
 */
let hosts: Array<SshdHandle> = []
before(async () => {
  // Devices are added without a capability probe, so every pollable type runs: give the host every tool.
  const shims = {
    ...dockerShims,
    ...driveHealthShims,
    ...zfsShims,
    ...networkShims,
    ...systemdShims,
    ...vmStatusShims,
    ...systemLogsShims,
  }
  hosts = [await startSshd({ address: "127.0.0.40", shims })]
})
after(() => stopAllSshd())

for (const backend of testBackends()) {
  test(`load, short form, on ${backend.name}: API reads under polling never fail`, async () => {
    const r = await runLoad({
      hosts,
      devices: 6,
      seconds: 4,
      concurrency: 8,
      rate: 0,
      warmupTimeoutSeconds: 0,
      store: backend.options(uniqueSchema("load")),
    })
    assert.equal(r.errors, 0, JSON.stringify(r.statuses))
    assert.ok(r.requests > 50, `${r.requests} requests`)
    // At the default schedule a 4 s window may hold no poll at all; none may fail.
    assert.equal(r.polls.failed, 0)
  })
}
