/**
 * `proxy_jump` on a device from the YAML config's `devices:` list and from the MCP tools
 * add_device / update_device: stored as given, and a bad value refused with a typed error naming it.
 */
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, describe, test } from "node:test"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import { Effect } from "effect"
import { ValidationError } from "../src/domain/errors.ts"
import { makeMcpServer } from "../src/mcp/server.ts"
import { seedDevices } from "../src/runtime.ts"
import { loadConfig, resolveConfig } from "../src/settings/load.ts"
import { Store } from "../src/store/Store.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends, uniqueSchema } from "./harness/db.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "infra-proxy-jump-cfg-"))
after(() => rmSync(dir, { recursive: true, force: true }))

describe("YAML devices: proxy_jump", () => {
  test("is read from the file and refused with its path when it is not ProxyJump syntax", () => {
    const file = path.join(dir, "infrastructor.yaml")
    writeFileSync(
      file,
      "devices:\n  - { name: app, host: 10.0.0.5, proxy_jump: 'ops@bastion:2222,jump2' }\n  - { name: direct, host: d, proxy_jump: none }\n",
    )
    const config = loadConfig(file, {})
    assert.deepEqual(config.devices.map((d) => d.proxyJump), ["ops@bastion:2222,jump2", "none"])
    for (const [value, message] of [["ops@bastion:99999", /bad port/], [5, /expected string/i]] as const) {
      assert.throws(
        () => resolveConfig({ devices: [{ name: "app", host: "h", proxy_jump: value }] }, {}),
        (e: unknown) =>
          e instanceof ValidationError && /devices\[0\]\.proxy_jump/.test(e.message) && message.test(e.message),
      )
    }
  })

  for (const backend of testBackends()) {
    test(`a YAML device with proxy_jump is stored with it (${backend.name})`, async () => {
      const config = resolveConfig({ devices: [{ name: "app", host: "10.0.0.5", proxy_jump: "ops@bastion:2222" }] }, {})
      const stored = await Effect.runPromise(
        Effect.gen(function* () {
          yield* seedDevices({ ...config, localDevice: false })
          const store = yield* Store
          return yield* store.getDevice("app")
        }).pipe(Effect.provide(backend.layer(uniqueSchema("pj_yaml"))), Effect.scoped),
      )
      assert.equal(stored.proxyJump, "ops@bastion:2222")
    })
  }
})

describe("MCP add_device / update_device: proxy_jump", () => {
  for (const backend of testBackends()) {
    test(`stored, changed, cleared; a bad value is a validation error (${backend.name})`, async () => {
      await withTestApp(backend, {}, async (t) => {
        const factory = await t.runtime.runPromise(makeMcpServer({ allowWrites: false, local: true }))
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
        const server = factory()
        await server.connect(serverSide)
        const client = new Client({ name: "proxy-jump-test", version: "1.0.0" })
        await client.connect(clientSide)
        const call = async (name: string, args: Record<string, unknown>) => {
          const r = await client.callTool({ name, arguments: args })
          const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n")
          return { isError: r.isError === true, text, data: r.structuredContent as any }
        }
        try {
          const added = await call("add_device", {
            name: "app",
            host: "10.0.0.5",
            proxy_jump: "ops@bastion:2222",
            probe: false,
          })
          assert.equal(added.isError, false, added.text)
          assert.equal(added.data.proxy_jump, "ops@bastion:2222")
          assert.equal((await call("get_device", { device: "app" })).data.proxy_jump, "ops@bastion:2222")
          const none = await call("update_device", { device: "app", proxy_jump: "none" })
          assert.equal(none.data.proxy_jump, "none", none.text)
          const cleared = await call("update_device", { device: "app", proxy_jump: null })
          assert.equal(cleared.data.proxy_jump, null, cleared.text)

          const bad = await call("add_device", {
            name: "bad",
            host: "h",
            proxy_jump: "ops@bastion:99999",
            probe: false,
          })
          assert.equal(bad.isError, true)
          assert.match(bad.text, /^error \[bad_request\]: proxyJump: .*bad port/)
          const badUpdate = await call("update_device", { device: "app", proxy_jump: "a,,b" })
          assert.equal(badUpdate.isError, true)
          assert.match(badUpdate.text, /empty hop/)
          assert.equal((await call("get_device", { device: "app" })).data.proxy_jump, null, "unchanged")
          assert.equal((await call("get_device", { device: "bad" })).isError, true, "not added")
        } finally {
          await client.close()
          await server.close()
        }
      })
    })
  }
})
