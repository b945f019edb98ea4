#!/usr/bin/env node
// Node runs the compiled tree (npm run build); Deno runs src/cli/bin.ts directly.
import "../dist/src/cli/bin.js"
