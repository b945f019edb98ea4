/**
 * The OpenAPI 3.1 document, built from the route catalog, the data types' own Schemas (params and
 * `output`) and the operations' declared scopes. Built once: nothing in it depends on a request.
 */
import { Schema } from "effect"
import { allOperations } from "../../app/operations.ts"
import { seriesTypes } from "../../app/data.ts"
import type { OperationSpec } from "../../app/operation.ts"
import type { AnyDataTypeSpec } from "../../pipeline/DataType.ts"
import { AnyObject, collectedOf, ErrorBody } from "./answers.ts"
import { type QueryParam, type RouteDoc, routeDocs } from "./catalog.ts"

type Json = { [key: string]: unknown }

const tagDescriptions: Readonly<Record<string, string>> = {
  service: "The service itself",
  devices: "The hosts it reaches over SSH",
  data: "Reads through the pipeline (cache, SSH, parser, store) and stored history",
  containers: "Docker containers: inspect, logs, actions",
  configs: "Config file history, diffs, change events, restore",
  admin: "Audit, cache, performance, retention, scheduler, metrics, tokens",
  events: "Live events",
  alerts: "Alert rules, alerts (pending, firing, resolved), acknowledgements and silences",
}

/** Effect's JSON form of a number allows "NaN"/"Infinity" strings; answers are JSON.stringify'd numbers. */
const tidy = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(tidy)
  if (typeof node !== "object" || node === null) return node
  const out: Json = {}
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/$defs/", "#/components/schemas/") : tidy(v)
  }
  if (Array.isArray(out["anyOf"])) {
    const branches = (out["anyOf"] as Array<Json>).filter((b) =>
      !(b["type"] === "string" && JSON.stringify(b["enum"]) === '["Infinity","-Infinity","NaN"]')
    )
    if (branches.some((b) => Object.keys(b).length === 0)) {
      delete out["anyOf"]
      return out // one branch accepts anything: so does the whole
    }
    const unique = branches.filter((b, i) => branches.findIndex((o) => JSON.stringify(o) === JSON.stringify(b)) === i)
    delete out["anyOf"]
    if (unique.length === 1) return { ...unique[0], ...out }
    out["anyOf"] = unique
  }
  return out
}

/** JSON Schemas with shared, named definitions in components.schemas. */
const schemaRegistry = () => {
  const components: Record<string, unknown> = {}
  const add = (schema: Schema.Top): unknown => {
    const doc = Schema.toJsonSchemaDocument(schema)
    for (const [name, definition] of Object.entries(doc.definitions)) {
      const tidied = tidy(definition)
      const known = components[name]
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(tidied)) {
        throw new Error(`two different schemas are both named ${name}`)
      }
      components[name] = tidied
    }
    return tidy(doc.schema)
  }
  return { add, components }
}

const operationsByName = new Map<string, OperationSpec>(allOperations.map((o) => [o.name, o]))

const scopeOf = (route: RouteDoc): string => {
  const specs = route.operations.map((name) => {
    const spec = operationsByName.get(name)
    if (spec === undefined) throw new Error(`${route.method} ${route.path}: no operation named ${name}`)
    return spec
  })
  const scopes = [...new Set(specs.map((s) => s.scope))]
  const effects = specs.flatMap((s) => [
    ...(s.changesHost ? [`${s.name} changes the host`] : []),
    ...(s.destroysData ? [`${s.name} deletes stored history`] : []),
  ])
  const scopeText = scopes.length === 1
    ? `Needs a \`${scopes[0]}\` token.`
    : `Needs ${specs.map((s) => `\`${s.scope}\` for ${s.name}`).join(", ")}.`
  return [scopeText, ...effects.map((e) => `${e}.`)].join(" ")
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, "{$1}")

const operationId = (method: string, path: string) =>
  method.toLowerCase() +
  path.split("/").filter((s) => s !== "" && s !== "api").map((s) =>
    s.replace(/^[:{]/, "by_").replace(/[}]/g, "").split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join("")
  ).join("")

const queryParameter = (p: QueryParam): Json => ({
  name: p.name,
  in: "query",
  required: p.required ?? false,
  description: p.description,
  schema: p.enum !== undefined ? { type: "string", enum: p.enum } : { type: p.type ?? "string" },
})

const errorResponses = (route: RouteDoc): Json => {
  const ref = { $ref: "#/components/responses/Error" }
  const common: Json = { "400": ref, "500": ref }
  if (route.public === true) return common
  return {
    ...common,
    "401": ref,
    "403": ref,
    "404": ref,
    "429": ref,
    ...(route.perDataType === "read" || route.tag === "containers" || route.tag === "configs"
      ? { "422": ref, "502": ref, "504": ref }
      : {}),
    "503": ref,
  }
}

interface Built {
  readonly path: string
  readonly method: string
  readonly operation: Json
}

const buildRoute = (
  route: RouteDoc,
  add: (s: Schema.Top) => unknown,
  overrides: { path?: string; summary?: string; query?: ReadonlyArray<Json>; answer?: Schema.Top } = {},
): Built => {
  const path = overrides.path ?? openApiPath(route.path)
  const pathParams = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1] as string)
  const parameters: Array<Json> = [
    ...pathParams.map((name) => ({
      name,
      in: "path",
      required: true,
      description: route.pathParams?.[name] ?? name,
      schema: { type: "string" },
    })),
    ...(route.query ?? []).map(queryParameter),
    ...(overrides.query ?? []),
  ]
  const answer = route.answer
  const status = "json" in answer ? String(answer.status ?? 200) : "200"
  const content = "json" in answer
    ? { "application/json": { schema: add(overrides.answer ?? answer.json) } }
    : { [answer.mediaType]: { schema: { type: "string", description: answer.text } } }
  const operation: Json = {
    operationId: operationId(route.method, path),
    tags: [route.tag],
    summary: overrides.summary ?? route.summary,
    description: route.public === true ? "No token needed." : scopeOf(route),
    ...(route.public === true ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined
      ? {
        requestBody: {
          required: route.body.required,
          content: { "application/json": { schema: add(route.body.schema) } },
        },
      }
      : {}),
    responses: { [status]: { description: route.summary, content }, ...errorResponses(route) },
  }
  return { path, method: route.method.toLowerCase(), operation }
}

const paramsOf = (spec: AnyDataTypeSpec): Array<Json> =>
  Object.entries(spec.params.fields).map(([name, field]) => ({
    name,
    in: "query",
    required: false,
    description: String(field.ast.annotations?.["description"] ?? name),
    schema: { type: "string" },
  }))

/** A generic data route as one path per public data type (see RouteDoc.perDataType). */
const perDataType = (route: RouteDoc, dataTypes: ReadonlyArray<AnyDataTypeSpec>, add: (s: Schema.Top) => unknown) =>
  dataTypes.filter((s) => s.internal !== true).flatMap((spec) => {
    const path = openApiPath(route.path.replace(":dataType", spec.name))
    if (route.perDataType === "read") {
      return [buildRoute(route, add, {
        path,
        summary: spec.description,
        query: paramsOf(spec),
        answer: collectedOf(spec.name, spec.output ?? AnyObject),
      })]
    }
    if (route.perDataType === "series") {
      return seriesTypes.includes(spec.name)
        ? [buildRoute(route, add, { path, summary: `${route.summary}: ${spec.name}` })]
        : []
    }
    if (spec.table === "") return []
    const tables = [spec.table, ...(spec.extraTables ?? [])]
    return [buildRoute(route, add, {
      path,
      summary: `Stored rows of ${spec.name}`,
      query: tables.length === 1 ? [] : [{
        name: "table",
        in: "query",
        required: false,
        description: `which of its tables (default ${spec.table})`,
        schema: { type: "string", enum: tables },
      }],
    })]
  })

export interface DocumentInfo {
  readonly version: string
  readonly dataTypes: ReadonlyArray<AnyDataTypeSpec>
}

export const openApiDocument = (info: DocumentInfo): Json => {
  const registry = schemaRegistry()
  const built = routeDocs.flatMap((route) =>
    route.perDataType !== undefined
      ? perDataType(route, info.dataTypes, registry.add)
      : [buildRoute(route, registry.add)]
  )
  const paths: Record<string, Json> = {}
  for (const b of built) paths[b.path] = { ...paths[b.path], [b.method]: b.operation }
  const error = registry.add(ErrorBody)
  return {
    openapi: "3.1.0",
    info: {
      title: "infrastructor",
      version: info.version,
      summary:
        "Agentless infrastructure manager: metrics, containers, drives, ZFS, systemd, logs and config history over SSH",
      description: "Every read goes through one pipeline (cache, SSH, parser, store, audit). " +
        "Send `Authorization: Bearer <token>`; a `read` token may read, a `write` token may also change things. " +
        "A server on loopback with no tokens is open; one bound to another address never is.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "this server" }],
    security: [{ bearer: [] }],
    tags: Object.entries(tagDescriptions).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "an API token (infrastructor token create)" },
      },
      responses: {
        Error: {
          description: "A typed error: its code names the cause",
          content: { "application/json": { schema: error } },
        },
      },
      schemas: registry.components,
    },
  }
}
