import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"

/**
 * The recorded outputs kept in the repository (test/fixtures/recorded, see its SOURCES.md).
 * Tests run from the repository root, under Node (dist/test) and Deno (test/) alike.
 */
export const fixturesDir = path.resolve(process.cwd(), "test/fixtures/recorded")

export const fixturePath = (category: string, file: string): string => path.join(fixturesDir, category, file)

export const readFixture = (category: string, file: string): string => readFileSync(fixturePath(category, file), "utf8")

/** Every data file of a category (SOURCES.md excluded). */
export const listFixtures = (category: string): Array<string> =>
  readdirSync(path.join(fixturesDir, category)).filter((f) => f !== "SOURCES.md").sort()
