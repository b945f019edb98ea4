/**
 * Issue 10, defect 12: the library entry takes the YAML file's snake_case shape through
 * resolveConfig, so an unknown key fails there exactly as in the file, before anything starts.
 */
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, test } from "node:test"
import { ValidationError } from "../src/domain/errors.ts"
import { createInfrastructor } from "../src/mod.ts"

const dir = mkdtempSync(path.join(os.tmpdir(), "infra-config-lib-"))
after(() => rmSync(dir, { recursive: true, force: true }))

test("createInfrastructor({ prot }) is refused with the path and the nearest key", async () => {
  await assert.rejects(
    createInfrastructor({ data_dir: path.join(dir, "data"), local_device: false, prot: 9000 }),
    (e: unknown) => e instanceof ValidationError && /prot/.test(e.message) && /did you mean `port`\?/.test(e.message),
  )
  await assert.rejects(
    createInfrastructor({ data_dir: path.join(dir, "data"), ssh: { conect_timeout_ms: 100 } }),
    (e: unknown) => e instanceof ValidationError && /ssh\.conect_timeout_ms/.test(e.message),
  )
})

test("createInfrastructor({ dataDir, ... }) in camelCase is checked too, before anything starts", async () => {
  await assert.rejects(
    createInfrastructor({ dataDir: path.join(dir, "data"), localDevice: false, cache: { maxEntries: 0 } as never }),
    (e: unknown) => e instanceof ValidationError && /cache\.maxEntries/.test(e.message),
  )
})
