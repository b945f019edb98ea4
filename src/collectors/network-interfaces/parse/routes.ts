import { Result, Schema } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { netFail, parseJson, toCount } from "./fail.ts"
import type { Family, Route } from "./schema.ts"

const ROUTE_TYPES = new Set([
  "unicast",
  "local",
  "broadcast",
  "multicast",
  "throw",
  "unreachable",
  "prohibit",
  "blackhole",
  "nat",
  "anycast",
])
/** Route attributes printed without a value. */
const ROUTE_FLAGS = new Set([
  "onlink",
  "linkdown",
  "pervasive",
  "dead",
  "notify",
  "offload",
  "trap",
  "rt_offload",
  "rt_trap",
])

/** `default` without a gateway says nothing about its family: the section's family decides. */
const familyOf = (dst: string, gateway: string | null, fallback: Family): Family => {
  if (dst.includes(":") || (gateway?.includes(":") ?? false)) return "inet6"
  if (dst === "default" && gateway === null) return fallback
  return "inet"
}

/**
 * Text `ip [-4|-6] route show`: `[type] dst key value ... flag ...`.
 * Indented `nexthop` lines of multipath routes belong to the previous route and are skipped.
 */
export const parseIpRouteText = (
  text: string,
  family: Family,
  at = "ip-route",
): Result.Result<Array<Route>, ParseError> => {
  const out: Array<Route> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string
    if (raw.trim() === "" || /^\s/.test(raw)) continue
    const tokens = raw.trim().split(/\s+/)
    let k = 0
    const type = ROUTE_TYPES.has(tokens[0] as string) ? (tokens[k++] as string) : null
    const dst = tokens[k++]
    if (dst === undefined) return netFail("route line without a destination", `${at}:${i + 1}`)
    const attrs: Record<string, string> = {}
    while (k < tokens.length) {
      const key = tokens[k++] as string
      if (ROUTE_FLAGS.has(key)) continue
      const value = tokens[k++]
      if (value === undefined) return netFail(`route ${dst}: attribute '${key}' has no value`, `${at}:${i + 1}`)
      attrs[key] = value
    }
    const metricTok = attrs["metric"]
    const metric = toCount(metricTok)
    if (metricTok !== undefined && metric === undefined) {
      return netFail(`route ${dst}: metric is not a number: ${metricTok}`, `${at}:${i + 1}`)
    }
    const gateway = attrs["via"] ?? null
    out.push({
      family: familyOf(dst, gateway, family),
      dst,
      gateway,
      dev: attrs["dev"] ?? null,
      protocol: attrs["proto"] ?? null,
      metric: metric ?? null,
      scope: attrs["scope"] ?? null,
      src: attrs["src"] ?? null,
      table: attrs["table"] ?? null,
      type,
    })
  }
  return Result.succeed(out)
}

const opt = Schema.optional
const RawRoute = Schema.Struct({
  family: opt(Schema.Finite),
  type: opt(Schema.String),
  dst: Schema.String,
  gateway: opt(Schema.String),
  dev: opt(Schema.String),
  table: opt(Schema.String),
  protocol: opt(Schema.String),
  scope: opt(Schema.String),
  prefsrc: opt(Schema.String),
  metric: opt(Schema.Finite),
})
const decodeRoutes = Schema.decodeUnknownResult(Schema.Array(RawRoute))

/** `ip -j [-d] [-4|-6] route show`. Family 2/10 (AF_INET/AF_INET6) when present wins. */
export const parseIpRouteJson = (
  text: string,
  family: Family,
  at = "ip-route-json",
): Result.Result<Array<Route>, ParseError> =>
  Result.flatMap(parseJson(text, at), (json) => {
    const decoded = decodeRoutes(json)
    if (Result.isFailure(decoded)) return netFail(`unexpected ip route JSON shape: ${decoded.failure.message}`, at)
    return Result.succeed(
      decoded.success.map((r): Route => {
        const gateway = r.gateway ?? null
        return {
          family: r.family === 10 ? "inet6" : r.family === 2 ? "inet" : familyOf(r.dst, gateway, family),
          dst: r.dst,
          gateway,
          dev: r.dev ?? null,
          protocol: r.protocol ?? null,
          metric: r.metric ?? null,
          scope: r.scope ?? null,
          src: r.prefsrc ?? null,
          table: r.table ?? null,
          type: r.type ?? null,
        }
      }),
    )
  })

/** JSON when the body is a JSON array (ip -j worked), text otherwise. */
export const parseIpRoute = (text: string, family: Family, at = "ip-route"): Result.Result<Array<Route>, ParseError> =>
  text.trimStart().startsWith("[") ? parseIpRouteJson(text, family, at) : parseIpRouteText(text, family, at)

const isDefault = (r: Route): boolean => r.dst === "default" || r.dst === "0.0.0.0/0" || r.dst === "::/0"

/** Default routes of the main table (or with no table shown), lowest metric first. */
export const defaultRoutes = (routes: ReadonlyArray<Route>): Array<Route> =>
  routes
    .filter((r) =>
      isDefault(r) && (r.table === null || r.table === "main") && (r.type === null || r.type === "unicast")
    )
    .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))
