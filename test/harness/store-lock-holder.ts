/**
 * Child process for test/store-lock.test.ts: opens the PGlite data directory given as argv[2]
 * with the project's own code, writes to it, prints `ready <pid>` and stays until killed.
 */
import process from "node:process"
import { setInterval } from "node:timers"
import { openPglite } from "../../src/store/pglite.ts"

const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error("usage: store-lock-holder DATA_DIR")
try {
  const client = await openPglite({ dataDir })
  await client.query("CREATE TABLE IF NOT EXISTS held (at timestamptz)")
  await client.query("INSERT INTO held VALUES (now())")
  process.stdout.write(`ready ${process.pid}\n`)
  setInterval(() => undefined, 60_000)
} catch (e) {
  process.stdout.write(`failed ${(e as Error).message}\n`)
  process.exit(1)
}
