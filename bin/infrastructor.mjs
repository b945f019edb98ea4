#!/usr/bin/env node
// Node runs the compiled tree: dist/ in an installed package (npm pack builds it), or after
// `npm run build` in a clone. Deno runs the sources directly: deno run -A src/cli/bin.ts
import { fileURLToPath } from "node:url"

const entry = new URL("../dist/src/cli/bin.js", import.meta.url)
try {
  await import(entry.href)
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes(fileURLToPath(entry))) throw e
  process.stderr.write(
    `infrastructor: ${fileURLToPath(entry)} is missing: run \`npm run build\` in ${
      fileURLToPath(new URL("..", import.meta.url))
    } first\n`,
  )
  process.exit(1)
}
