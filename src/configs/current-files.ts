import { Store } from "../store/Store.ts"

/** The latest (not deleted) version of every tracked file, optionally of one type: parsed form, no content. */
export const currentFiles = (configType: string | undefined) => Store.use((s) => s.currentConfigFiles(configType))
