/**
 * The dashboard's own asset list (src/dashboard/assets.ts) and the folder the binary embeds
 * (tools/build-binary/build.mjs takes the whole folder) must agree, or a page links a file the
 * binary lacks, or the binary carries a file no page can ask for.
 */
import assert from "node:assert/strict"
import { readdirSync } from "node:fs"
import path from "node:path"
import { describe, test } from "node:test"
import { ASSET_NAMES, makeAssetStore, OWN_ASSETS } from "../src/dashboard/assets.ts"
import { repoRoot } from "./harness/binary.ts"

describe("dashboard assets", () => {
  test("the asset list is the assets folder, and every asset loads with a content-hashed URL", () => {
    const folder = readdirSync(path.join(repoRoot, "src/dashboard/assets")).sort()
    assert.deepEqual([...OWN_ASSETS].sort(), folder)
    const store = makeAssetStore()
    for (const name of ASSET_NAMES) {
      const asset = store.get(name)
      assert.ok(asset !== undefined && asset.body.length > 0, `${name} is empty`)
      assert.match(store.url(name), new RegExp(`^/assets/[0-9a-f]{12}/${name.replace(/\./g, "\\.")}$`))
    }
    assert.equal(store.get("../package.json"), undefined, "only listed names are served")
  })
})
