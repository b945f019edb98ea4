/**
 * GET /openapi.json and the API reference page (/api/docs): Swagger UI served from this server,
 * no CDN. Both are public: they describe the API, the same for everyone, and carry no data.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { Hono } from "hono"
import { allDataTypes } from "../../collectors/index.ts"
import { textAsset } from "../../domain/embedded.ts"
import { packageVersion } from "../../domain/version.ts"
import { openApiDocument } from "./document.ts"

export const REFERENCE_PATHS: ReadonlyArray<string> = [
  "/openapi.json",
  "/api/docs",
  "/api/docs/init.js",
  "/api/docs/swagger-ui-bundle.js",
  "/api/docs/swagger-ui.css",
]

/** Swagger UI's file: in the binary a SEA asset of the same name, else from node_modules. */
const assetFile = (name: string): string =>
  textAsset(name, () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"))
    return readFileSync(path.join(dist, name), "utf8")
  })

// Everything from this origin: no inline script (the page's own script is /api/docs/init.js);
// Swagger UI sets inline styles and data: images.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>infrastructor API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`

// The token typed into "Authorize" stays in the page (persistAuthorization off).
const init = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
  validatorUrl: null,
})
`

const lazily = <A>(make: () => A): () => A => {
  let value: { readonly v: A } | undefined
  return () => (value ??= { v: make() }).v
}

export const referenceRoutes = (): Hono => {
  const app = new Hono()
  // Built on first request: serve's start-up and memory stay as they were for clients that never ask.
  const documentJson = lazily(() =>
    JSON.stringify(openApiDocument({ version: packageVersion(), dataTypes: allDataTypes }))
  )
  const bundle = lazily(() => assetFile("swagger-ui-bundle.js"))
  const css = lazily(() => assetFile("swagger-ui.css"))
  const headers = (type: string) => ({
    "content-type": type,
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
  })

  app.get("/openapi.json", (c) => c.body(documentJson(), 200, { "content-type": "application/json" }))
  app.get("/api/docs", (c) => c.body(page, 200, headers("text/html; charset=utf-8")))
  app.get("/api/docs/init.js", (c) => c.body(init, 200, headers("text/javascript; charset=utf-8")))
  app.get("/api/docs/swagger-ui-bundle.js", (c) => c.body(bundle(), 200, headers("text/javascript; charset=utf-8")))
  app.get("/api/docs/swagger-ui.css", (c) => c.body(css(), 200, headers("text/css; charset=utf-8")))
  return app
}
