import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import path from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"
import { allOperations } from "../src/app/operations.ts"

/** SECURITY.md beside the package (this file runs from test/ or dist/test/). */
const securityMd = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      return readFileSync(path.join(dir, "SECURITY.md"), "utf8")
    } catch {
      const parent = path.dirname(dir)
      if (parent === dir) throw new Error("SECURITY.md not found")
      dir = parent
    }
  }
}

test("SECURITY.md's scope table says what the operations declare, row for row", () => {
  const rows = securityMd().split("\n").flatMap((line) => {
    const m = /^\| `([A-Za-z]+\.[A-Za-z]+)` \| (read|write) \| (yes|no) \| (yes|no) \| (.+) \|$/.exec(line)
    return m === null ? [] : [{ name: m[1]!, scope: m[2]!, host: m[3] === "yes", history: m[4] === "yes" }]
  })
  const declared = allOperations.map((o) => ({
    name: o.name,
    scope: o.scope,
    host: o.changesHost,
    history: o.destroysData,
  }))
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)
  assert.deepEqual([...rows].sort(byName), [...declared].sort(byName))
})
