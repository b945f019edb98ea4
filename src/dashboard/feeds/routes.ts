/** The fleet's change-event feed and the audit log, filterable and live. */
import { Effect, Exit } from "effect"
import type { Context } from "hono"
import { Admin } from "../../app/admin.ts"
import type { Caller } from "../../app/caller.ts"
import { Configs } from "../../app/configs.ts"
import { Devices } from "../../app/devices.ts"
import { failureOf, fragment, html, type PageKit, type PageServices, readProblem, sessionOf } from "../kit/page-kit.ts"
import { AuditPage, auditRow, AuditRows } from "./audit-page.tsx"
import { changeRow, ChangeRows, ChangesPage } from "./changes-page.tsx"
import { type AuditQuery, auditQuery, type ChangeQuery, changeQuery, MAX_LIMIT, sinceOf } from "./filters.ts"

const orUndefined = (s: string): string | undefined => (s === "" ? undefined : s)

/** One page of change events, one more than shown to know whether there is a next page. */
const changesOf = (f: ChangeQuery) =>
  Configs.use((s) =>
    s.changes({
      device: orUndefined(f.device),
      configType: orUndefined(f.configType),
      changeType: orUndefined(f.changeType),
      risk: f.risk === "" ? undefined : f.risk.split(","),
      limit: Math.min(f.limit + 1, MAX_LIMIT),
    })
  ).pipe(
    Effect.map(({ changes }) => {
      const rows = changes.map((r) => changeRow(r as Record<string, unknown>))
      return { rows: rows.slice(0, f.limit), more: rows.length > f.limit }
    }),
  )

/** Token names for a session that may list tokens (write scope); a read session sees ids. */
const tokenNames = (scope: "read" | "write") =>
  scope === "write"
    ? Admin.use((a) => a.tokens()).pipe(
      Effect.map((list) => new Map(list.map((t) => [t.id, t.name] as const))),
      Effect.orElseSucceed(() => new Map<string, string>()),
    )
    : Effect.succeed(new Map<string, string>())

/** One page of the audit log, one more than shown to know whether there is a next page. */
const auditOf = (f: AuditQuery, now: number, scope: "read" | "write") =>
  Effect.zip(
    tokenNames(scope),
    Admin.use((a) =>
      a.audit({
        device: orUndefined(f.device),
        dataType: orUndefined(f.operation),
        method: orUndefined(f.method),
        status: orUndefined(f.outcome),
        since: sinceOf(f.range, now),
        tokenId: orUndefined(f.token),
        limit: Math.min(f.limit + 1, MAX_LIMIT),
      })
    ),
  ).pipe(
    Effect.map(([names, { entries }]) => {
      const rows = entries.map((r) => auditRow(r as Record<string, unknown>))
      return { rows: rows.slice(0, f.limit), more: rows.length > f.limit, names }
    }),
  )

/** Device names for the filter; a session that may not list devices still gets the feed. */
const deviceNames = Devices.use((d) => d.list()).pipe(
  Effect.map((devices) => devices.map((d) => d.name).sort()),
  Effect.orElseSucceed((): Array<string> => []),
)

export const registerFeedPages = (kit: PageKit): void => {
  /** A whole feed page: its rows, or its filters with a readable notice of why there are none. */
  const page = async <F, D>(
    c: Context,
    filter: F,
    read: Effect.Effect<D, unknown, PageServices | Caller>,
    render: (p: {
      filter: F
      devices: ReadonlyArray<string>
      data: D | undefined
      error: ReturnType<typeof readProblem> | undefined
    }) => unknown,
  ) => {
    const [result, devices] = await Promise.all([kit.bridge.exit(c, read), kit.bridge.exit(c, deviceNames)])
    const names = Exit.isSuccess(devices) ? devices.value : []
    if (Exit.isSuccess(result)) return html(c, render({ filter, devices: names, data: result.value, error: undefined }))
    const error = readProblem(failureOf(result))
    return html(c, render({ filter, devices: names, data: undefined, error }), error.status)
  }

  kit.app.get("/changes", (c) => {
    const filter = changeQuery((n) => c.req.query(n))
    return page(c, filter, changesOf(filter), (p) =>
      ChangesPage({
        session: sessionOf(c),
        styles: kit.styles("feeds.css"),
        scripts: [kit.assets.url("feeds.js")],
        now: Date.now(),
        filter: p.filter,
        devices: p.devices,
        rows: p.data?.rows ?? [],
        more: p.data?.more ?? false,
        error: p.error,
      }))
  })

  kit.app.get("/feeds/changes/rows", async (c) => {
    const filter = changeQuery((n) => c.req.query(n))
    const result = await kit.bridge.exit(c, changesOf(filter))
    if (Exit.isFailure(result)) return kit.errorJson(c, failureOf(result))
    return fragment(c, ChangeRows({ ...result.value, now: Date.now() }))
  })

  kit.app.get("/audit", (c) => {
    const filter = auditQuery((n) => c.req.query(n))
    const now = Date.now()
    return page(c, filter, auditOf(filter, now, sessionOf(c).scope), (p) =>
      AuditPage({
        session: sessionOf(c),
        styles: kit.styles("feeds.css"),
        scripts: [kit.assets.url("feeds.js")],
        now,
        filter: p.filter,
        devices: p.devices,
        rows: p.data?.rows ?? [],
        more: p.data?.more ?? false,
        names: p.data?.names ?? new Map(),
        error: p.error,
      }))
  })

  kit.app.get("/feeds/audit/rows", async (c) => {
    const filter = auditQuery((n) => c.req.query(n))
    const now = Date.now()
    const result = await kit.bridge.exit(c, auditOf(filter, now, sessionOf(c).scope))
    if (Exit.isFailure(result)) return kit.errorJson(c, failureOf(result))
    return fragment(c, AuditRows({ ...result.value, now }))
  })
}
