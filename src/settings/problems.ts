import { type SchemaAST, SchemaIssue } from "effect"
import { ValidationError } from "../domain/errors.ts"
import { nearestKey } from "./suggest.ts"

/** One thing wrong in the configuration document, at a path like `devices[2].port`. */
export interface ConfigProblem {
  readonly path: string
  readonly problem: string
  /** For an unknown key: the nearest known key at the same place. */
  readonly suggestion?: string
}

const plainKey = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `ssh.connect_timeout_ms`, `devices[2].port`, `watch.devices["my.nas"].enabled`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`
    const name = String(key)
    if (plainKey.test(name)) return out === "" ? name : `${out}.${name}`
    return `${out}[${JSON.stringify(name)}]`
  }, "")

const formatter = SchemaIssue.makeFormatterDefault()

/** The default formatter's text for one leaf, without its "at" lines and the optional-value noise. */
const describe = (issue: SchemaIssue.Issue): string => {
  const text = formatter(issue)
    .split("\n")
    .filter((l) => !/^\s+at /.test(l))
    .join("; ")
    .replace(/ \| (null|undefined)\b/g, "")
    // YAML's words for the two containers.
    .replace(/^Expected array\b/, "Expected a list")
    .replace(/^Expected object\b/, "Expected a mapping")
  return text.charAt(0).toLowerCase() + text.slice(1)
}

/**
 * A value that may also be null (every key is): when the one real member carries an `expected`
 * annotation ("true or false"), say that rather than the member's type name.
 */
const expectedOfOptional = (issue: SchemaIssue.AnyOf): string | undefined => {
  const flat = (ast: SchemaAST.AST): Array<SchemaAST.AST> => ast._tag === "Union" ? ast.types.flatMap(flat) : [ast]
  const members = flat(issue.ast).filter((t) => t._tag !== "Null" && t._tag !== "Undefined")
  const expected = members.map((t) => t.annotations?.["expected"])
  if (expected.length === 0 || !expected.every((e) => typeof e === "string")) return undefined
  const input = "input" in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : ""
  return `expected ${expected.join(" or ")}${input}`
}

const knownKeys = (issue: SchemaIssue.UnexpectedKey): Array<string> =>
  issue.ast._tag === "Objects" ? issue.ast.propertySignatures.map((p) => String(p.name)) : []

/** What a map's keys are ("data type", "table"), from the `configKeyKind` annotation of the section; else "key". */
const keyKind = (issue: SchemaIssue.UnexpectedKey): string => {
  const kind = issue.ast.annotations?.["configKeyKind"]
  return typeof kind === "string" ? kind : "key"
}

const unknownKey = (issue: SchemaIssue.UnexpectedKey, path: ReadonlyArray<PropertyKey>): ConfigProblem => {
  const key = String(path[path.length - 1] ?? "")
  const known = knownKeys(issue)
  const suggestion = nearestKey(key, known)
  const unknown = `unknown ${keyKind(issue)}`
  if (suggestion !== undefined) {
    return { path: formatPath(path), problem: `${unknown}, did you mean \`${suggestion}\`?`, suggestion }
  }
  const list = known.length > 0 ? ` (known here: ${known.join(", ")})` : ""
  return { path: formatPath(path), problem: `${unknown}${list}` }
}

/** Flattens a Schema issue tree into one problem per wrong place, in document order. */
export const configProblems = (root: SchemaIssue.Issue): Array<ConfigProblem> => {
  const out: Array<ConfigProblem> = []
  const walk = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (issue._tag) {
      case "Pointer":
        return walk(issue.issue, [...path, ...issue.path])
      case "AnyOf":
        // Every value is `X | null | undefined`: when the input had X's shape the issues inside say why X failed.
        if (issue.issues.length > 0) { for (const i of issue.issues) walk(i, path) }
        else out.push({ path: formatPath(path), problem: expectedOfOptional(issue) ?? describe(issue) })
        return
      case "Composite":
        if (issue.ast._tag === "Objects" || issue.ast._tag === "Arrays") { for (const i of issue.issues) walk(i, path) }
        else out.push({ path: formatPath(path), problem: describe(issue) })
        return
      case "Filter":
        // A check over a whole struct that names the key it is about (schedule.health.backoff_max).
        if (issue.issue._tag === "Pointer") return walk(issue.issue, path)
        out.push({ path: formatPath(path), problem: describe(issue) })
        return
      case "UnexpectedKey":
        out.push(unknownKey(issue, path))
        return
      case "MissingKey":
        out.push({ path: formatPath(path), problem: "required key is missing" })
        return
      default:
        out.push({ path: formatPath(path), problem: describe(issue) })
    }
  }
  walk(root, [])
  return out
}

/** All problems in one ValidationError: a header, then one line per problem. */
export const configError = (problems: ReadonlyArray<ConfigProblem>, source: string | undefined): ValidationError => {
  const where = source === undefined ? "invalid configuration" : `invalid configuration in ${source}`
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`
  const lines = problems.map((p) => `  ${p.path === "" ? "(document)" : p.path}: ${p.problem}`)
  return new ValidationError({ message: [`${where}: ${count}`, ...lines].join("\n"), details: { problems } })
}
