/**
 * The dashboard's static files: its own client modules and stylesheet (plain browser JavaScript in
 * src/dashboard/assets/, read at run time) and uPlot's dist files from node_modules. The single
 * binary carries them as SEA assets (tools/build-binary/build.mjs). Each is served under a URL with
 * its content hash, so it can be cached for good.
 */
import { createHash } from "node:crypto"
import { gzipSync } from "node:zlib"
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { textAsset } from "../domain/embedded.ts"

interface AssetSource {
  /** The SEA asset key (the same names as in build.mjs). */
  readonly seaKey: string
  readonly type: string
  readonly read: () => string
}

/** src/dashboard/assets, next to this module (Deno, tsx) or up from a compiled copy of it (dist/, .build/). */
const ownAssetsDir = (): string => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const beside = path.join(here, "assets")
  if (existsSync(path.join(beside, "style.css"))) return beside
  for (let dir = here;; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "src", "dashboard", "assets")
    if (existsSync(path.join(candidate, "style.css"))) return candidate
    if (path.dirname(dir) === dir) return beside
  }
}

const own = (name: string, type: string): AssetSource => ({
  seaKey: `dashboard/${name}`,
  type,
  read: () => readFileSync(path.join(ownAssetsDir(), name), "utf8"),
})

const uplot = (file: string, type: string): AssetSource => ({
  seaKey: `dashboard/${file}`,
  type,
  read: () => readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), "utf8"),
})

/** diff2html's browser bundles (the slim UI bundle carries highlight.js with yaml, ini and bash). */
const diff2html = (file: string, type: string): AssetSource => ({
  seaKey: `dashboard/${file}`,
  type,
  read: () =>
    readFileSync(
      createRequire(import.meta.url).resolve(`diff2html/bundles/${file.endsWith(".css") ? "css" : "js"}/${file}`),
      "utf8",
    ),
})

/** A highlight.js language as an ES module (self-contained), for a language the slim bundle lacks. */
const hljsLanguage = (name: string): AssetSource => ({
  seaKey: `dashboard/hljs-${name}.js`,
  type: "text/javascript; charset=utf-8",
  // The package exports its ES languages only to `import`; the CommonJS path finds the folder.
  read: () => {
    const cjs = createRequire(import.meta.url).resolve(`highlight.js/lib/languages/${name}`)
    return readFileSync(path.join(path.dirname(cjs), "..", "..", "es", "languages", `${name}.js`), "utf8")
  },
})

const JS = "text/javascript; charset=utf-8"
const CSS = "text/css; charset=utf-8"

/** The dashboard's own files in src/dashboard/assets/ (build.mjs embeds that whole folder). */
export const OWN_ASSETS: ReadonlyArray<string> = [
  "style.css",
  "fleet.js",
  "device.js",
  "panels.js",
  "panels.css",
  "configs.js",
  "configs.css",
  "feeds.js",
  "feeds.css",
  "settings.js",
  "settings.css",
  "alerts.js",
  "alerts.css",
]

const typeOf = (name: string) => (name.endsWith(".css") ? CSS : JS)

/** Every file the pages load, by the name used in their URLs. */
const SOURCES: Record<string, AssetSource> = {
  ...Object.fromEntries(OWN_ASSETS.map((name) => [name, own(name, typeOf(name))])),
  "uPlot.iife.min.js": uplot("uPlot.iife.min.js", JS),
  "uPlot.min.css": uplot("uPlot.min.css", CSS),
  "diff2html-ui-slim.min.js": diff2html("diff2html-ui-slim.min.js", JS),
  "diff2html.min.css": diff2html("diff2html.min.css", CSS),
  "hljs-nginx.js": hljsLanguage("nginx"),
}

export const ASSET_NAMES: ReadonlyArray<string> = Object.keys(SOURCES)

export interface Asset {
  readonly name: string
  readonly type: string
  readonly body: string
  /** First 12 hex digits of the SHA-256 of the body: the URL's version. */
  readonly hash: string
  /** The body gzipped once, on first use (the diff pages' bundle is 302 KB, 97 KB gzipped). */
  readonly gzipped: () => Uint8Array<ArrayBuffer>
}

const load = (source: AssetSource, name: string): Asset => {
  const body = textAsset(source.seaKey, source.read)
  let gz: Uint8Array<ArrayBuffer> | undefined
  return {
    name,
    type: source.type,
    body,
    hash: createHash("sha256").update(body).digest("hex").slice(0, 12),
    gzipped: () => (gz ??= new Uint8Array(gzipSync(body, { level: 9 }))),
  }
}

export interface AssetStore {
  readonly get: (name: string) => Asset | undefined
  /** The URL a page links: /assets/<hash>/<name>. */
  readonly url: (name: string) => string
}

/** Files are read once, on first use (a server that never serves the dashboard never reads them). */
export const makeAssetStore = (): AssetStore => {
  const loaded = new Map<string, Asset>()
  const get = (name: string): Asset | undefined => {
    const source = SOURCES[name]
    if (source === undefined) return undefined
    let asset = loaded.get(name)
    if (asset === undefined) {
      asset = load(source, name)
      loaded.set(name, asset)
    }
    return asset
  }
  return {
    get,
    url: (name) => {
      const asset = get(name)
      if (asset === undefined) throw new Error(`unknown dashboard asset ${name}`)
      return `/assets/${asset.hash}/${name}`
    },
  }
}
