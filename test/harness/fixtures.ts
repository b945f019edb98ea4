import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"

/** ../shared/fixtures beside the checkout (CI lays shared/ next to the clone). */
export const fixturesDir = process.env["INFRA_FIXTURES"] ?? path.resolve(process.cwd(), "../shared/fixtures")

export const fixturePath = (category: string, file: string): string => path.join(fixturesDir, category, file)

export const readFixture = (category: string, file: string): string => readFileSync(fixturePath(category, file), "utf8")

/** Every data file of a category (SOURCES.md excluded). */
export const listFixtures = (category: string): Array<string> =>
  readdirSync(path.join(fixturesDir, category)).filter((f) => f !== "SOURCES.md").sort()
