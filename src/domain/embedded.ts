/**
 * Set (to true) by the single-binary build (tools/build-binary/build.mjs): the executable carries
 * files as single-executable-application assets, as there are no files beside it. Unset otherwise
 * (source, dist/, an npm install), where the files are read from disk. `typeof` of an undeclared
 * global is "undefined", never a ReferenceError.
 */
declare const INFRASTRUCTOR_SEA_ASSETS: boolean | undefined

/** Running as the single binary: files come from its SEA assets. */
export const embedded = (): boolean => typeof INFRASTRUCTOR_SEA_ASSETS === "boolean"

/** A text file: the binary's SEA asset `seaKey`, else what `fromDisk` reads. */
export const textAsset = (seaKey: string, fromDisk: () => string): string =>
  embedded() ? process.getBuiltinModule("node:sea").getAsset(seaKey, "utf8") : fromDisk()
