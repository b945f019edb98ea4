import { Effect, Layer } from "effect"
import { startSshd } from "./harness/sshd.ts"
import { makeSshLayer } from "../src/ssh/SshLive.ts"
import { HostKeysMemory } from "../src/ssh/HostKeysMemory.ts"
import { Ssh } from "../src/ssh/Ssh.ts"
import type { Device } from "../src/domain/device.ts"

const sshd = await startSshd()
const device: Device = { id: 1, name: "d1", host: sshd.host, port: sshd.port, username: sshd.user, privateKeyPath: sshd.privateKeyPath, password: null, transport: "ssh", tags: [], enabled: true, status: "", lastSeen: null, createdAt: new Date(), updatedAt: new Date() }
const layer = makeSshLayer({}).pipe(Layer.provide(HostKeysMemory))
const prog = Effect.gen(function* () {
  const ssh = yield* Ssh
  const r = yield* ssh.run(device, "echo hi; echo err >&2; exit 3")
  console.log(r)
  const t0 = Date.now()
  for (let i = 0; i < 200; i++) yield* ssh.run(device, "echo $i")
  console.log("200 cmds ms", Date.now() - t0)
  console.log(ssh.stats(), sshd.acceptedLogins())
})
await Effect.runPromise(Effect.scoped(Effect.provide(prog, layer)))
sshd.stop()
