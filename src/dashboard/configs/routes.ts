/** Config history per device: tracked files, version timelines, diffs of any two versions, restore (dry run, then confirm), the service map. */
import { Effect, Exit } from "effect"
import type { Context } from "hono"
import { Configs } from "../../app/configs.ts"
import { Devices } from "../../app/devices.ts"
import { describeError, NotFound } from "../../domain/errors.ts"
import { failureOf, html, type PageKit, sessionOf } from "../kit/page-kit.ts"
import { DiffPage, FilesPage, type Frame, RestorePage, ServicesPage, TimelinePage, type View } from "./pages.tsx"
import { analysisView, diffSide, fileRow, type RestorePreview, serviceMapView, versionRow, watchText } from "./views.ts"

const TIMELINE_LIMIT = 500

/** The layout asked for; none: side by side, or unified on a narrow screen (decided in the browser). */
const viewOf = (c: Context): View => {
  const v = c.req.query("view")
  return v === "unified" || v === "side" ? v : "auto"
}

/** A device's name from its name or id (pages link by name; the API accepts both). */
const deviceName = (ref: string) => Effect.map(Devices.use((d) => d.get(ref)), (d) => d.name)

export const registerConfigPages = (kit: PageKit): void => {
  const frame = (c: Context, device: string): Frame => ({
    session: sessionOf(c),
    styles: kit.styles("configs.css"),
    scripts: [],
    device,
    now: Date.now(),
  })
  /** Pages that draw diffs: diff2html (with highlight.js inside), its stylesheet, our client module. */
  const diffFrame = (c: Context, device: string): Frame => ({
    ...frame(c, device),
    styles: [kit.assets.url("diff2html.min.css"), ...kit.styles("configs.css")],
    scripts: [kit.assets.url("diff2html-ui-slim.min.js"), kit.assets.url("configs.js")],
    languageUrls: { nginx: kit.assets.url("hljs-nginx.js") },
  })
  const page = (c: Context, element: unknown) => html(c, element)

  kit.app.get("/devices/:device/configs", async (c) => {
    const out = await kit.bridge.exit(c, Configs.use((s) => s.tracked(c.req.param("device"))))
    if (Exit.isFailure(out)) return kit.errorPage(c, failureOf(out))
    const watch = watchText(out.value.watch)
    return page(c, FilesPage({ ...frame(c, out.value.device), files: out.value.files.map(fileRow), watch }))
  })

  kit.app.get("/devices/:device/configs/file", async (c) => {
    const path = c.req.query("path") ?? ""
    const out = await kit.bridge.exit(c, Configs.use((s) => s.history(c.req.param("device"), path, TIMELINE_LIMIT)))
    if (Exit.isFailure(out)) return kit.errorPage(c, failureOf(out))
    return page(c, TimelinePage({ ...frame(c, out.value.device), path, versions: out.value.versions.map(versionRow) }))
  })

  kit.app.get("/devices/:device/configs/diff", async (c) => {
    const device = c.req.param("device")
    const path = c.req.query("path") ?? ""
    const from = c.req.query("from") ?? ""
    const to = c.req.query("to") ?? ""
    const out = await kit.bridge.exit(
      c,
      Effect.gen(function* () {
        const name = yield* deviceName(device)
        const d = yield* Configs.use((
          s,
        ) => (from !== "" && to !== "" ? s.diff({ from, to }) : s.diff({ device, path })))
        // Snapshot ids are global: both must be versions of this page's device.
        if (d.from.device !== name || d.to.device !== name) {
          return yield* Effect.fail(new NotFound({ message: `those versions are not of a file on ${name}` }))
        }
        return { ...d, name }
      }),
    )
    if (Exit.isFailure(out)) return kit.errorPage(c, failureOf(out))
    const d = out.value
    const fromSide = diffSide(d.from)
    const toSide = diffSide(d.to)
    return page(
      c,
      DiffPage({
        ...diffFrame(c, d.name),
        path: toSide.path,
        from: fromSide,
        to: toSide,
        identical: d.identical,
        diff: d.diff,
        analysis: analysisView(d.analysis),
        view: viewOf(c),
        canRestore: true,
      }),
    )
  })

  kit.app.get("/devices/:device/configs/restore", async (c) => {
    const device = c.req.param("device")
    const version = c.req.query("version") ?? ""
    const out = await kit.bridge.exit(
      c,
      Effect.gen(function* () {
        const name = yield* deviceName(device)
        const snap = yield* Configs.use((s) => s.snapshot({ snapshotId: version }))
        if (snap.device_name !== name) {
          return yield* Effect.fail(
            new NotFound({ message: `snapshot ${version} is not a version of a file on ${name}` }),
          )
        }
        const preview = yield* Configs.use((s) => s.restorePreview(device, version)).pipe(
          Effect.map((p): RestorePreview => ({
            kind: "ok",
            configType: snap.config_type,
            currentStatus: p.current_status,
            identical: p.identical,
            diff: p.diff,
            warnings: p.warnings.map((w) => w.message),
          })),
          // A version that cannot be restored (redacted, deleted, not watched now) is the page's answer, not a failure.
          Effect.catch((e: unknown) => {
            const info = describeError(e)
            return info.status >= 500 && info.status !== 502 && info.status !== 504
              ? Effect.fail(e)
              : Effect.succeed<RestorePreview>({ kind: "error", code: info.code, message: info.message })
          }),
        )
        return { snap, preview, name }
      }),
    )
    if (Exit.isFailure(out)) return kit.errorPage(c, failureOf(out))
    const f = diffFrame(c, out.value.name)
    return page(
      c,
      RestorePage({
        ...f,
        path: out.value.snap.path,
        version: String(out.value.snap.id),
        preview: out.value.preview,
        view: viewOf(c),
        canWrite: f.session.scope === "write",
      }),
    )
  })

  kit.app.get("/devices/:device/services", async (c) => {
    const out = await kit.bridge.exit(c, Configs.use((s) => s.serviceMap(c.req.param("device"))))
    if (Exit.isFailure(out)) return kit.errorPage(c, failureOf(out))
    return page(c, ServicesPage({ ...frame(c, out.value.device), map: serviceMapView(out.value) }))
  })
}
