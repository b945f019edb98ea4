/** Kept for the CLI entry: the version lives in the domain so the HTTP API can report it too. */
export { packageVersion } from "../domain/version.ts"
