// Entry of the single binary (tools/build-binary/build.mjs bundles it): the CLI (src/cli/bin.ts).
// The container image's HEALTHCHECK runs `infrastructor health` (src/cli/health.ts: the image has
// no shell, curl or wget, so the binary asks its own server's /health). `healthcheck`, the name
// that command had in earlier images, still works: it is `health` under its old name.
if (process.argv[2] === "healthcheck") process.argv.splice(2, 1, "health")
import("../../src/cli/bin.ts")
