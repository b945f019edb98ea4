/**
 * A database that goes away while a new connection runs its first query, and then refuses
 * connections. postgres.js's own first query on a connection (the array-type lookup) had no one
 * to hand its failure to: an unhandled rejection, which ends a Node process. The client must fail
 * the caller's query instead and leave nothing unhandled (the outage-leases test met this at random).
 */
import assert from "node:assert/strict"
import net from "node:net"
import { describe, test } from "node:test"
import { openPostgres } from "../src/store/postgres.ts"
import { testBackends } from "./harness/db.ts"

const postgres = testBackends().find((b) => b.name === "postgres")

/**
 * Passes the startup through, then at the first query message ('Q' simple, 'P' parse) destroys
 * the connection and stops listening: the reconnect is refused.
 */
const cutAtFirstQuery = async (target: { host: string; port: number }) => {
  const sockets = new Set<net.Socket>()
  let cut = false
  const server = net.createServer((client) => {
    const upstream = net.connect(target)
    sockets.add(client).add(upstream)
    client.on("error", () => undefined)
    upstream.on("error", () => undefined)
    upstream.pipe(client)
    let startup = true
    client.on("data", (chunk: Buffer) => {
      if (!startup && (chunk[0] === 0x51 || chunk[0] === 0x50)) {
        cut = true
        server.close()
        for (const s of sockets) s.destroy()
        return
      }
      startup = false
      upstream.write(chunk)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    wasCut: () => cut,
    close: () => {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

describe("PostgreSQL: a connection cut at its first query, then refused", {
  skip: postgres === undefined ? "TEST_DATABASE_URL not set" : false,
}, () => {
  test("the caller's query fails; nothing is left unhandled", async () => {
    const direct = new URL(postgres!.options("x").databaseUrl!)
    const proxy = await cutAtFirstQuery({ host: direct.hostname, port: Number(direct.port || 5432) })
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const url = new URL(direct.toString())
      url.hostname = "127.0.0.1"
      url.port = String(proxy.port)
      const client = await openPostgres({ databaseUrl: url.toString() })
      try {
        await assert.rejects(client.query("SELECT 1"), (e: unknown) => {
          assert.match(String((e as { code?: unknown }).code ?? e), /ECONNREFUSED|CONNECTION_/)
          return true
        })
        assert.ok(proxy.wasCut(), "the connection was cut at its first query")
      } finally {
        await client.close()
      }
      // A stray rejection surfaces within a turn or two of the reconnect; give it time.
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.deepEqual(unhandled.map(String), [], "unhandled rejections")
    } finally {
      process.off("unhandledRejection", onUnhandled)
      proxy.close()
    }
  })
})
