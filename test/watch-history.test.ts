import { testQuery } from "../src/store/raw-sql.ts"
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { Effect, Layer } from "effect"
import { recordVersion } from "../src/configs/history.ts"
import type { Device } from "../src/domain/device.ts"
import { Events } from "../src/events/Events.ts"
import { Store } from "../src/store/Store.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"

/** The content-addressed guard: identical content never makes a second version, even concurrently. */
const bytes = (s: string) => new TextEncoder().encode(s)

const run = <A>(
  layer: Layer.Layer<Store | Events, any>,
  body: (device: Device) => Effect.Effect<A, any, Store | Events>,
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* Store
      const device = yield* store.createDevice({ name: "hist", host: "h", transport: "ssh" })
      return yield* body(device)
    }).pipe(Effect.provide(layer)),
  )

const versions = (path: string) =>
  Store.use((s) =>
    testQuery<{ id: number; change_type: string; content_hash: string | null; previous_snapshot_id: number | null }>(
      s,
      "SELECT id, change_type, content_hash, previous_snapshot_id FROM configuration_snapshots WHERE path = $1 ORDER BY id",
      [path],
    )
  )

for (const backend of testBackends()) {
  describe(`config history guard on ${backend.name}`, () => {
    const layer = () => Layer.mergeAll(backend.layer(uniqueSchema("hist")), Events.layer)
    const ctx = { source: "api", storeRawSecrets: false } as const

    test("concurrent identical writes make one version; different ones form one chain", async () => {
      const out = await run(layer(), (device) =>
        Effect.gen(function* () {
          const path = "/srv/app/docker-compose.yml"
          const file = { path, configType: "docker_compose", state: "present", bytes: bytes("services: {}\n") } as const
          const same = yield* Effect.all(Array.from({ length: 6 }, () => recordVersion(device, file, ctx)), {
            concurrency: "unbounded",
          })
          const afterSame = yield* versions(path)
          const different = yield* Effect.all(
            ["a", "b", "c"].map((x) =>
              recordVersion(device, { ...file, bytes: bytes(`services:\n  ${x}:\n    image: ${x}\n`) }, ctx)
            ),
            { concurrency: "unbounded" },
          )
          const deleted = yield* recordVersion(device, { path, configType: "docker_compose", state: "deleted" }, ctx)
          const deletedAgain = yield* recordVersion(
            device,
            { path, configType: "docker_compose", state: "deleted" },
            ctx,
          )
          const empty = yield* recordVersion(device, { ...file, bytes: bytes("") }, ctx)
          return { same, afterSame, different, deleted, deletedAgain, empty, all: yield* versions(path) }
        }))
      assert.equal(out.same.filter((r) => r.recorded).length, 1)
      assert.equal(out.afterSame.length, 1)
      assert.equal(out.afterSame[0]?.change_type, "CREATE")
      assert.equal(out.different.filter((r) => r.recorded).length, 3, "each distinct content is recorded once")
      assert.equal(out.deleted.recorded && out.deleted.changeType, "DELETE")
      assert.equal(out.deletedAgain.recorded, false)
      assert.equal(
        out.empty.recorded && out.empty.changeType,
        "CREATE",
        "an empty file after a delete is a new version",
      )
      // One chain: each row names the one before it.
      const ids = out.all.map((r) => r.id)
      assert.deepEqual(out.all.map((r) => r.previous_snapshot_id), [null, ...ids.slice(0, -1)])
      assert.deepEqual(out.all.map((r) => r.change_type), ["CREATE", "MODIFY", "MODIFY", "MODIFY", "DELETE", "CREATE"])
      assert.equal(out.all[4]?.content_hash, null)
    })

    test("binary content is stored byte-exact; secrets are redacted unless kept", async () => {
      const out = await run(layer(), (device) =>
        Effect.gen(function* () {
          const bin = new Uint8Array([0, 255, 254, 10, 0x41])
          const b = yield* recordVersion(device, {
            path: "/etc/x.env",
            configType: "env_files",
            state: "present",
            bytes: bin,
          }, ctx)
          const env = bytes("DB_PASSWORD=hunter2\nMODE=prod\n")
          const red = yield* recordVersion(device, {
            path: "/etc/a.env",
            configType: "env_files",
            state: "present",
            bytes: env,
          }, ctx)
          const raw = yield* recordVersion(device, {
            path: "/etc/b.env",
            configType: "env_files",
            state: "present",
            bytes: env,
          }, {
            ...ctx,
            storeRawSecrets: true,
          })
          const rows = yield* Store.use((s) =>
            testQuery<{ path: string; content: string; content_encoding: string; content_redacted: boolean }>(
              s,
              "SELECT path, content, content_encoding, content_redacted FROM configuration_snapshots ORDER BY id",
            )
          )
          return { b, red, raw, rows }
        }))
      assert.ok(out.b.recorded && out.red.recorded && out.raw.recorded)
      const [bin, red, raw] = out.rows
      assert.equal(bin?.content_encoding, "base64")
      assert.deepEqual([...Buffer.from(bin?.content ?? "", "base64")], [0, 255, 254, 10, 0x41])
      assert.equal(red?.content_redacted, true)
      assert.ok(!red?.content.includes("hunter2"))
      assert.ok(red?.content.includes("MODE=prod"))
      assert.equal(raw?.content_redacted, false)
      assert.ok(raw?.content.includes("hunter2"))
    })
  })
}
