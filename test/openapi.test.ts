/**
 * /openapi.json: the route catalog and the mounted routes are one set; the document passes a real
 * linter (Redocly CLI, recommended-strict); real answers from a recorded host decode with the
 * Schemas the document shows (unknown fields refused, so a field missing from the document fails);
 * bodies are checked by the same Schemas; the reference page is served from here, with no token.
 */
import { Schema } from "effect"
import assert from "node:assert/strict"
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { after, before, describe, test } from "node:test"
import { allDataTypes } from "../src/collectors/index.ts"
import { PublicDevice } from "../src/domain/device.ts"
import { allOperations } from "../src/app/operations.ts"
import {
  AddedDevice,
  collectedOf,
  DataTypeList,
  DeletedDevice,
  DeviceList,
  ErrorBody,
  Health,
  HistoryRows,
  MetricSeries,
  TokenCreated,
  TokenList,
  TokenView,
} from "../src/http/openapi/answers.ts"
import { routeDocs } from "../src/http/openapi/catalog.ts"
import { REFERENCE_PATHS } from "../src/http/openapi/reference.ts"
import { withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { dockerShims } from "./harness/shims/docker.ts"
import { driveHealthShims } from "./harness/shims/drives.ts"
import { systemLogsShims } from "./harness/shims/logs.ts"
import { networkShims } from "./harness/shims/network.ts"
import { systemdShims } from "./harness/shims/systemd.ts"
import { vmStatusShims } from "./harness/shims/vms.ts"
import { zfsShims } from "./harness/shims/zfs.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

/** The repository (redocly.yaml, node_modules): up from here, compiled (dist/test) or not. */
const repoRoot = (dir: string): string =>
  existsSync(path.join(dir, "redocly.yaml"))
    ? dir
    : dir === path.dirname(dir)
    ? process.cwd()
    : repoRoot(path.dirname(dir))
const root = repoRoot(path.dirname(new URL(import.meta.url).pathname))

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({
    address: "127.0.0.91",
    shims: {
      ...dockerShims,
      ...driveHealthShims,
      ...zfsShims,
      ...networkShims,
      ...systemdShims,
      ...vmStatusShims,
      ...systemLogsShims,
    },
  })
})
after(() => stopAllSshd())

/** Decodes like the strictest client: every field must be in the document. */
const conforms = (schema: Schema.Top, value: unknown, what: string) => {
  const result = Schema.decodeUnknownResult(schema as Schema.Codec<unknown, unknown, never, never>)(value, {
    onExcessProperty: "error",
  })
  if (result._tag === "Failure") {
    assert.fail(
      `${what} does not match its documented Schema: ${result.failure.message}\n${JSON.stringify(value).slice(0, 600)}`,
    )
  }
}

const lint = (file: string): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    execFile(
      "node",
      [
        path.join(root, "node_modules", "@redocly", "cli", "bin", "cli.js"),
        "lint",
        file,
        "--config",
        path.join(root, "redocly.yaml"),
      ],
      { cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          output: stdout + stderr,
        }),
    )
  })

const backend = testBackends()[0]!
const ssh = { connectTimeoutMs: 5000, commandTimeoutMs: 20_000 }

describe("OpenAPI document", () => {
  test("the catalog and the mounted routes are the same set; every operation named exists", async () => {
    await withTestApp(backend, { ssh }, async (t) => {
      // The API: /api/*, and the service's own routes; the dashboard's pages and files are not API.
      const assets = new Set(REFERENCE_PATHS.filter((p) => p.startsWith("/api/docs/")))
      const isApi = (p: string) =>
        p.startsWith("/api/") || ["/health", "/metrics", "/metrics/fleet", "/openapi.json"].includes(p)
      const mounted = new Set(
        (await Promise.resolve(t.app.routes)).filter((r) => r.method !== "ALL" && isApi(r.path) && !assets.has(r.path))
          .map((r) => `${r.method} ${r.path}`),
      )
      const documented = new Set(routeDocs.map((r) => `${r.method} ${r.path}`))
      assert.deepEqual([...mounted].filter((r) => !documented.has(r)), [], "mounted routes missing from the catalog")
      assert.deepEqual([...documented].filter((r) => !mounted.has(r)), [], "catalog entries with no route")
      const known = new Set(allOperations.map((o) => o.name))
      for (const r of routeDocs) {
        for (const op of r.operations) assert.ok(known.has(op), `${r.method} ${r.path}: unknown operation ${op}`)
        assert.equal(r.public === true, r.operations.length === 0, `${r.method} ${r.path}: public iff no operation`)
      }
    })
  })

  test("the document passes Redocly's recommended-strict rules and says each route's scope", async () => {
    await withTestApp(backend, { ssh }, async (t) => {
      const res = await t.request("GET", "/openapi.json")
      assert.equal(res.status, 200)
      const doc = res.body
      assert.equal(doc.openapi, "3.1.0")
      const dir = mkdtempSync(path.join(os.tmpdir(), "openapi-"))
      try {
        const file = path.join(dir, "openapi.json")
        writeFileSync(file, JSON.stringify(doc))
        const linted = await lint(file)
        assert.equal(linted.code, 0, linted.output)
        assert.match(linted.output, /valid/)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
      // Scopes come from the operations' declarations, not from text typed into the catalog.
      assert.match(doc.paths["/api/devices"].post.description, /`write`/)
      assert.match(doc.paths["/api/devices"].get.description, /`read`/)
      assert.match(doc.paths["/api/devices/{device}/containers/{name}/{action}"].post.description, /changes the host/)
      assert.deepEqual(doc.paths["/health"].get.security, [])
      // One path per public data type, with its own params; internal types are not in it.
      for (const spec of allDataTypes) {
        const p = doc.paths[`/api/devices/{device}/${spec.name}`]
        if (spec.internal === true) assert.equal(p, undefined, spec.name)
        else {
          assert.ok(p?.get, `${spec.name} is documented`)
          const names = (p.get.parameters as Array<{ name: string; in: string }>).filter((x) => x.in === "query")
            .map((x) => x.name).sort()
          assert.deepEqual(names, [...Object.keys(spec.params.fields), "force_refresh"].sort(), spec.name)
        }
      }
      const body = doc.paths["/api/devices"].post.requestBody.content["application/json"].schema
      assert.equal(body.$ref, "#/components/schemas/DeviceBody")
      assert.ok(doc.components.schemas.DeviceBody.properties.proxy_jump, "the body Schema the route validates with")
    })
  })

  test("real answers from a recorded host decode with the documented Schemas", { timeout: 120_000 }, async () => {
    await withTestApp(backend, { ssh }, async (t) => {
      conforms(Health, (await t.request("GET", "/health")).body, "GET /health")
      const created = await t.request("POST", "/api/devices", {
        name: "doc1",
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        private_key_path: sshd.privateKeyPath,
        tags: ["lab"],
      })
      assert.equal(created.status, 201, JSON.stringify(created.body))
      conforms(AddedDevice, created.body, "POST /api/devices")
      conforms(DeviceList, (await t.request("GET", "/api/devices")).body, "GET /api/devices")
      conforms(PublicDevice, (await t.request("GET", "/api/devices/doc1")).body, "GET /api/devices/doc1")
      conforms(PublicDevice, (await t.request("PATCH", "/api/devices/doc1", { tags: ["x"] })).body, "PATCH")
      conforms(DataTypeList, (await t.request("GET", "/api/data-types")).body, "GET /api/data-types")

      const read = async (type: string, query = "") => {
        const res = await t.request("GET", `/api/devices/doc1/${type}${query}`)
        assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body).slice(0, 400)}`)
        const spec = allDataTypes.find((s) => s.name === type)!
        assert.ok(spec.output !== undefined, `${type} declares its output Schema`)
        conforms(collectedOf(type, spec.output), res.body, `GET ${type}`)
        return res.body
      }
      const publicTypes = allDataTypes.filter((s) => s.internal !== true).map((s) => s.name)
      const containers = await read("containers")
      // One the recorded inspect outputs know (restart_count comes from inspect).
      const name = containers.data.containers.find((c: any) => c.restart_count !== null).name as string
      for (const type of publicTypes.filter((n) => n !== "containers" && !n.startsWith("container_"))) await read(type)
      await read("container_inspect", `?name=${encodeURIComponent(name)}`)
      await read("container_logs", `?name=${encodeURIComponent(name)}&tail=5`)
      conforms(HistoryRows, (await t.request("GET", "/api/devices/doc1/system_metrics/history")).body, "history")
      const series = await t.request("GET", "/api/devices/doc1/system_metrics/series?from=1h")
      assert.equal(series.status, 200, JSON.stringify(series.body))
      assert.ok(series.body.points >= 1, "the reads above stored system_metrics rows")
      conforms(MetricSeries, series.body, "series")

      const missing = await t.request("GET", "/api/devices/nope")
      assert.equal(missing.status, 404)
      conforms(ErrorBody, missing.body, "a 404")
      conforms(DeletedDevice, (await t.request("DELETE", "/api/devices/doc1")).body, "DELETE /api/devices/doc1")
      // Once a token exists, loopback is no longer open: the token calls go with it.
      const token = await t.request("POST", "/api/tokens", { name: "ci", scope: "write" })
      assert.equal(token.status, 201)
      conforms(TokenCreated, token.body, "POST /api/tokens")
      const authed = async (method: string, route: string) => {
        const res = await t.app.request(route, { method, headers: { authorization: `Bearer ${token.body.token}` } })
        assert.equal(res.status, 200, route)
        return await res.json()
      }
      conforms(TokenList, await authed("GET", "/api/tokens"), "GET /api/tokens")
      conforms(TokenView, await authed("DELETE", `/api/tokens/${token.body.id}`), "DELETE /api/tokens/:id")
    })
  })

  test("bodies are checked by the documented Schemas: wrong types and unknown fields are a 400", async () => {
    await withTestApp(backend, { ssh }, async (t) => {
      for (
        const [route, body] of [
          ["/api/tokens", { name: 7 }],
          ["/api/tokens", { name: "x", scope: "admin" }],
          ["/api/tokens", { name: "x", scopes: "read" }],
          ["/api/devices/h1/configs/restore", { snapshot_id: 1, dry_run: "no" }],
          ["/api/devices/h1/configs/restore", { snapshot_id: 1, force: true }],
          ["/api/devices/h1/configs/restore", {}],
        ] as const
      ) {
        const res = await t.request("POST", route, body)
        assert.equal(res.status, 400, `${route} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
        conforms(ErrorBody, res.body, "a 400")
        assert.match(res.body.error.message, /^invalid body: /)
      }
      const device = await t.request("POST", "/api/devices", { name: "b1", host: "h", port: "22" })
      assert.equal(device.status, 400)
      assert.equal(device.body.error.message, "field 'port' has the wrong type")
    })
  })

  test("the reference page and its assets are served from here, with no token on an exposed server", async () => {
    await withTestApp(backend, { ssh }, async (t) => {
      // Make the server exposed with an active token: every route but the public ones needs it now.
      await t.request("POST", "/api/tokens", { name: "admin", scope: "write" })
      const page = await t.app.request("/api/docs")
      assert.equal(page.status, 200)
      const html = await page.text()
      assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/)
      const scripts = [...html.matchAll(/<(?:script src|link rel="stylesheet" href)="([^"]+)"/g)].map((m) => m[1]!)
      assert.deepEqual(scripts.sort(), [
        "/api/docs/init.js",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
      ])
      assert.doesNotMatch(html, /https?:\/\//, "nothing from another origin")
      for (const asset of scripts) {
        const res = await t.app.request(asset)
        assert.equal(res.status, 200, asset)
        assert.ok((await res.text()).length > 100, asset)
      }
      const bundle = await (await t.app.request("/api/docs/swagger-ui-bundle.js")).text()
      assert.match(bundle, /SwaggerUIBundle/)
      assert.equal((await t.app.request("/openapi.json")).status, 200)
      assert.equal((await t.app.request("/api/devices")).status, 401, "the API itself still needs the token")
    })
  })
})
