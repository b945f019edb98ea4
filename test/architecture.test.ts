/**
 * The shape of src/, checked from the source text: imports flow one way (front ends →
 * application → features → pipeline → services → domain), no import cycles, parsers import only
 * domain types, SQL only in src/store, and the Effect runtime only at the edges.
 */
import assert from "node:assert/strict"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, test } from "node:test"

const here = path.dirname(new URL(import.meta.url).pathname)
// Under Node the tests run compiled (dist/test, or any outDir); the sources they check are always
// the .ts files: the first folder up from here that holds src/ with TypeScript in it.
const findRoot = (dir: string): string => {
  if (existsSync(path.join(dir, "src", "mod.ts"))) return dir
  const up = path.dirname(dir)
  return up === dir ? path.resolve(here, "..") : findRoot(up)
}
const root = findRoot(path.resolve(here, ".."))
const src = path.join(root, "src")

/**
 * Floors, lowest first. A module may import from its own floor or below, never above.
 * Keys are the first path segment under src/ (a folder, or a top-level file).
 */
export const floors: ReadonlyArray<ReadonlyArray<string>> = [
  ["domain"],
  ["events", "cache", "ssh"],
  ["store"],
  ["auth", "observe", "instances"],
  ["pipeline"],
  ["collectors"],
  ["configs", "scheduler", "alerts"],
  ["app"],
  ["mcp"],
  ["http", "dashboard"],
  ["settings", "layers.ts", "runtime.ts"],
  ["cli", "mod.ts"],
]

/** Where the runtime may run effects: the front ends and the composition around them. */
const edges = new Set(["http", "mcp", "cli", "mod.ts", "runtime.ts"])

const floorOf = new Map(floors.flatMap((names, i) => names.map((n) => [n, i] as const)))

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : []
  })

const files = walk(src)
const rel = (f: string) => path.relative(src, f).split(path.sep).join("/")
const group = (relPath: string) => relPath.split("/")[0] as string

/** Static imports, re-exports and dynamic imports with a literal specifier. */
const importsOf = (text: string): Array<string> =>
  [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)]
    .map((m) => (m[1] ?? m[2]) as string)

interface Edge {
  readonly from: string
  readonly to: string
}

const sources = new Map(files.map((f) => [rel(f), readFileSync(f, "utf8")]))
const edgesOf: Array<Edge> = [...sources].flatMap(([from, text]) =>
  importsOf(text)
    .filter((s) => s.startsWith("."))
    .map((s) => ({ from, to: path.posix.normalize(path.posix.join(path.posix.dirname(from), s)) }))
)
const externalsOf = (from: string) => importsOf(sources.get(from) ?? "").filter((s) => !s.startsWith("."))

/** Strongly connected components with more than one node (Tarjan). */
const cycles = (nodes: Iterable<string>, next: (n: string) => Iterable<string>): Array<Array<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const out: Array<Array<string>> = []
  let i = 0
  const visit = (v: string) => {
    index.set(v, i)
    low.set(v, i++)
    stack.push(v)
    onStack.add(v)
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: Array<string> = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) out.push(scc.sort())
    }
  }
  for (const n of nodes) if (!index.has(n)) visit(n)
  return out
}

const isParser = (f: string) =>
  f.startsWith("collectors/shared/") || /^collectors\/[^/]+\/(parse-[^/]+\.ts|parse\/)/.test(f)

/** Outside comments and string-free code would be better, but SQL lives in strings: look for its verbs there. */
const SQL =
  /["'`]\s*(?:SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|ALTER\s+TABLE|WITH\s+\w+\s+AS\s*\()/i
const RUN = /\b(?:Effect\.run(?:Promise|Fork|Sync|Callback|PromiseExit|SyncExit)|runtime\.run\w*)\s*\(/

describe("architecture", () => {
  test("every folder under src/ has a floor", () => {
    const unknown = [...new Set([...sources.keys()].map(group))].filter((g) => !floorOf.has(g))
    assert.deepEqual(unknown, [], "add the new folder to `floors` in this test and to the README")
  })

  test("no import runs from a lower floor to a higher one", () => {
    const up = edgesOf
      .filter((e) => (floorOf.get(group(e.to)) ?? -1) > (floorOf.get(group(e.from)) ?? -1))
      .map((e) => `${e.from} → ${e.to}`)
    assert.deepEqual(up, [])
  })

  test("no import cycles, between files or between folders", () => {
    const byFile = new Map<string, Set<string>>()
    for (const e of edgesOf) byFile.set(e.from, (byFile.get(e.from) ?? new Set()).add(e.to))
    assert.deepEqual(cycles(sources.keys(), (f) => byFile.get(f) ?? []), [])
    const byGroup = new Map<string, Set<string>>()
    for (const e of edgesOf) {
      if (group(e.from) !== group(e.to)) {
        byGroup.set(group(e.from), (byGroup.get(group(e.from)) ?? new Set()).add(group(e.to)))
      }
    }
    assert.deepEqual(cycles(byGroup.keys(), (g) => byGroup.get(g) ?? []), [])
  })

  test("the dashboard is a front end: it reaches hosts and history only through src/app", () => {
    const below = new Set(["store", "ssh", "pipeline", "collectors", "cache", "configs", "scheduler", "instances"])
    const bad = edgesOf
      .filter((e) => group(e.from) === "dashboard" && below.has(group(e.to)))
      .map((e) => `${e.from} → ${e.to}`)
    assert.ok(
      [...sources.keys()].some((f) => f.startsWith("dashboard/") && f.endsWith(".tsx")),
      "pages (.tsx) are read",
    )
    assert.deepEqual(bad, [])
  })

  test("parsers import only domain types, shared parse helpers, other parsers and effect/yaml", () => {
    const parsers = [...sources.keys()].filter(isParser)
    assert.ok(parsers.length > 50, `only ${parsers.length} parser files found`)
    const bad = [
      ...edgesOf.filter((e) => isParser(e.from) && !(e.to.startsWith("domain/") || isParser(e.to))),
      ...parsers.flatMap((from) =>
        externalsOf(from).filter((s) => s !== "effect" && s !== "yaml").map((to) => ({ from, to }))
      ),
    ].map((e) => `${e.from} → ${e.to}`)
    assert.deepEqual(bad, [])
  })

  test("SQL text only in src/store", () => {
    const outside = [...sources].filter(([f, text]) => !f.startsWith("store/") && SQL.test(text)).map(([f]) => f)
    assert.deepEqual(outside, [])
  })

  test("the Effect runtime runs only at the edges (HTTP, MCP, CLI, library facade)", () => {
    const inside = [...sources].filter(([f, text]) => !edges.has(group(f)) && RUN.test(text)).map(([f]) => f)
    assert.deepEqual(inside, [])
  })

  test("the checks see what they look for", () => {
    assert.ok(SQL.test('"SELECT id FROM devices"') && SQL.test("`INSERT INTO t VALUES (1)`"))
    assert.ok(!SQL.test('"select a device from the list"'.replace("select", "pick")))
    assert.ok(RUN.test("Effect.runPromise(x)") && RUN.test("Effect.runFork(x)"))
    assert.ok(importsOf('import { a } from "./b.ts"\nexport * from "../c.ts"').length === 2)
  })
})
