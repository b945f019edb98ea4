/** Config history pages: tracked files, one file's timeline, a diff, a restore preview, the service map. */
import type { Child } from "hono/jsx"
import { ago } from "../kit/format.ts"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"
import {
  type Analysis,
  diffPath,
  type DiffSide,
  filePath,
  type FileRow,
  languageOf,
  restorePath,
  type RestorePreview,
  type ServiceEntry,
  type ServiceMapView,
  type VersionRow,
} from "./views.ts"

export type View = "side" | "unified" | "auto"

export interface Frame {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly device: string
  readonly now: number
  /** highlight.js languages the diff2html bundle lacks, as ES module URLs (nginx). */
  readonly languageUrls?: Readonly<Record<string, string>> | undefined
}

const base = (device: string) => `/devices/${encodeURIComponent(device)}`

/** Where the page sits: device → config history → file. */
const Crumbs = ({ device, path }: { device: string; path?: string | undefined }) => (
  <nav class="crumbs" aria-label="Breadcrumb">
    <a href={base(device)}>{device}</a>
    <span aria-hidden="true">›</span>
    <a href={`${base(device)}/configs`}>Config history</a>
    {path === undefined ? null : (
      <>
        <span aria-hidden="true">›</span>
        <a href={filePath(device, path)}>{path}</a>
      </>
    )}
  </nav>
)

const Page = (props: Frame & { title: string; path?: string | undefined; children?: Child }) => (
  <Layout title={props.title} session={props.session} styles={props.styles} scripts={props.scripts}>
    <Crumbs device={props.device} path={props.path} />
    {props.children}
  </Layout>
)

const When = ({ iso, now }: { iso: string | null; now: number }) =>
  iso === null ? <span>–</span> : <time datetime={iso} title={iso}>{ago(iso, now)}</time>

export const RiskBadge = ({ risk, rule }: { risk: string | null; rule?: string | null | undefined }) =>
  risk === null ? <span class="muted">–</span> : (
    <span class="risk-wrap">
      <span class={`risk risk-${risk.toLowerCase()}`} data-risk={risk}>{risk}</span>
      {rule === undefined || rule === null || rule === "" ? null : <code class="rule">{rule}</code>}
    </span>
  )

// --- tracked files ---------------------------------------------------------------------------

export const FilesPage = (props: Frame & { files: ReadonlyArray<FileRow>; watch: string }) => (
  <Page {...props} title={`Config history · ${props.device}`}>
    <div class="title-row">
      <h1>Config history</h1>
      <a href={`${base(props.device)}/services`}>Service map</a>
    </div>
    <p class="muted">{props.watch}</p>
    {props.files.length === 0
      ? (
        <Notice
          kind="empty"
          title="No tracked config files on this device"
          detail="No watched path has matched a file yet: check the device's watch globs (proxy confs, compose files, systemd units, env files), or run a scan."
        />
      )
      : (
        <div class="table-wrap">
          <table class="config-files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Type</th>
                <th scope="col" class="num">Versions</th>
                <th scope="col">Last change</th>
                <th scope="col">Diff</th>
              </tr>
            </thead>
            <tbody>
              {props.files.map((f) => (
                <tr key={f.path} data-path={f.path} data-versions={String(f.versions)}>
                  <th scope="row" data-label="File">
                    <a href={filePath(props.device, f.path)}>{f.path}</a>
                    {f.deleted ? <span class="pill pill-bad">deleted</span> : null}
                  </th>
                  <td data-label="Type">{f.configType}</td>
                  <td data-label="Versions" class="num">{f.versions}</td>
                  <td data-label="Last change">
                    {f.changeType} <When iso={f.lastChange} now={props.now} />
                  </td>
                  <td data-label="Diff">
                    {f.versions > 1 ? <a href={diffPath(props.device, f.path)}>latest change</a> : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
  </Page>
)

// --- one file's timeline --------------------------------------------------------------------

export const TimelinePage = (
  props: Frame & { path: string; versions: ReadonlyArray<VersionRow> },
) => (
  <Page {...props} title={`${props.path} · ${props.device}`} path={props.path}>
    <h1 class="path-title">{props.path}</h1>
    {props.versions.length === 0
      ? <Notice kind="empty" title="No versions of this file" detail="This path is not tracked on this device." />
      : (
        <form method="get" action={`${base(props.device)}/configs/diff`} class="timeline-form">
          <input type="hidden" name="path" value={props.path} />
          <p class="muted">
            {props.versions.length} version{props.versions.length === 1 ? "" : "s"}, newest first. Pick two to compare.
          </p>
          <div class="table-wrap">
            <table class="timeline">
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Version</th>
                  <th scope="col">Change</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Summary</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {props.versions.map((v, i) => (
                  <tr key={v.id} data-version={v.id}>
                    <td data-label="From">
                      <input
                        type="radio"
                        name="from"
                        value={v.id}
                        checked={i === 1}
                        aria-label={`compare from version ${v.id}`}
                      />
                    </td>
                    <td data-label="To">
                      <input
                        type="radio"
                        name="to"
                        value={v.id}
                        checked={i === 0}
                        aria-label={`compare to version ${v.id}`}
                      />
                    </td>
                    <th scope="row" data-label="Version">
                      #{v.id} <When iso={v.time} now={props.now} />
                    </th>
                    <td data-label="Change">{v.changeType}</td>
                    <td data-label="Risk">
                      <RiskBadge risk={v.risk} rule={v.rule} />
                    </td>
                    <td data-label="Summary">{v.summary}</td>
                    <td data-label="Actions">
                      <div class="actions">
                        {v.previous === null
                          ? null
                          : <a href={diffPath(props.device, props.path, v.previous, v.id)}>diff</a>}
                        {!v.restorable ? null : <a href={restorePath(props.device, props.path, v.id)}>restore…</a>}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {props.versions.length > 1 ? <button type="submit">Compare selected versions</button> : null}
        </form>
      )}
  </Page>
)

// --- diffs -------------------------------------------------------------------------------------

/** The unified diff as text (readable without scripts); configs.js draws it with diff2html. */
export const DiffBlock = (
  { diff, lang, view, urls }: {
    diff: string
    lang: string
    view: View
    urls: Readonly<Record<string, string>> | undefined
  },
) => (
  <div class="diff" data-lang={lang} data-lang-url={urls?.[lang]} data-view={view}>
    <pre class="diff-source" tabindex={0}>{diff}</pre>
    <div class="diff-rendered" role="region" aria-label="Rendered diff" tabindex={0}></div>
  </div>
)

const Version = ({ label, side, now }: { label: string; side: DiffSide; now: number }) => (
  <div class="stat">
    <dt>{label}</dt>
    <dd>
      #{side.id} <When iso={side.time} now={now} />
    </dd>
  </div>
)

export const AnalysisPanel = ({ analysis }: { analysis: Analysis }) => (
  <section class="analysis" aria-labelledby="analysis-title">
    <h2 id="analysis-title">What changed</h2>
    <p>
      Risk <RiskBadge risk={analysis.risk} rule={analysis.rule} />
      <span class="muted small">
        {analysis.source === "recorded" ? " (as recorded for this change)" : " (computed for these two versions)"}
      </span>
    </p>
    <p>
      Affected services: {analysis.affectedServices.length === 0
        ? <span class="muted">none found</span>
        : analysis.affectedServices.map((s) => <span key={s} class="tag service">{s}</span>)}
      {analysis.requiresRestart
        ? (
          <span class="pill pill-warn">
            restart needed{analysis.restartServices.length > 0 ? `: ${analysis.restartServices.join(", ")}` : ""}
          </span>
        )
        : null}
    </p>
    {analysis.semantic.length === 0
      ? <p class="muted">No semantic change (only comments, whitespace or unparsed lines).</p>
      : (
        <ul class="semantic">
          {analysis.semantic.map((s, i) => (
            <li key={String(i)}>
              <code>{s.kind}</code> <span class="muted">{s.path}</span> {s.description}
            </li>
          ))}
        </ul>
      )}
  </section>
)

const ViewSwitch = ({ href, view }: { href: (v: "side" | "unified") => string; view: View }) => (
  <nav class="ranges" aria-label="Diff layout">
    <a href={href("side")} aria-current={view === "side" ? "page" : undefined}>Side by side</a>
    <a href={href("unified")} aria-current={view === "unified" ? "page" : undefined}>Unified</a>
  </nav>
)

export const DiffPage = (
  props: Frame & {
    path: string
    from: DiffSide
    to: DiffSide
    identical: boolean
    diff: string
    analysis: Analysis
    view: View
    canRestore: boolean
  },
) => (
  <Page {...props} title={`Diff · ${props.path}`} path={props.path}>
    <div class="title-row">
      <h1 class="path-title">Diff of {props.path}</h1>
      <ViewSwitch view={props.view} href={(v) => diffPath(props.device, props.path, props.from.id, props.to.id, v)} />
    </div>
    <dl class="stats">
      <Version label="From" side={props.from} now={props.now} />
      <Version label="To" side={props.to} now={props.now} />
    </dl>
    <AnalysisPanel analysis={props.analysis} />
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">Lines</h2>
      {props.identical ? <Notice kind="empty" title="These two versions are identical" /> : (
        <DiffBlock
          diff={props.diff}
          lang={languageOf(props.analysis.configType)}
          view={props.view}
          urls={props.languageUrls}
        />
      )}
    </section>
    {props.canRestore
      ? (
        <p>
          <a href={restorePath(props.device, props.path, props.from.id)}>Restore version #{props.from.id}…</a>
        </p>
      )
      : null}
  </Page>
)

// --- restore -----------------------------------------------------------------------------------

export const RestorePage = (
  props: Frame & {
    path: string
    version: string
    preview: RestorePreview
    view: View
    canWrite: boolean
  },
) => {
  const p = props.preview
  return (
    <Page {...props} title={`Restore · ${props.path}`} path={props.path}>
      <h1 class="path-title">Restore {props.path} to version #{props.version}</h1>
      {p.kind === "error"
        ? <Notice kind="error" title={`This version cannot be restored (${p.code})`} detail={p.message} />
        : (
          <>
            <p>
              Dry run, nothing written yet: removed lines are in the file on the host now{" "}
              <span class="muted">({p.currentStatus})</span>, added lines are what version #{props.version} would write.
            </p>
            {p.warnings.map((w) => <p key={w} class="notice notice-empty">{w}</p>)}
            {p.identical
              ? (
                <Notice
                  kind="empty"
                  title="The file on the host already has this content"
                  detail="Nothing to restore."
                />
              )
              : <DiffBlock diff={p.diff} lang={languageOf(p.configType)} view={props.view} urls={props.languageUrls} />}
            {p.identical ? null : props.canWrite
              ? (
                <div class="restore-confirm">
                  <button
                    type="button"
                    id="restore-confirm"
                    data-device={props.device}
                    data-snapshot={props.version}
                    data-timeline={filePath(props.device, props.path)}
                  >
                    Confirm: write version #{props.version} to the host
                  </button>
                  <p id="restore-result" aria-live="polite"></p>
                </div>
              )
              : <p class="muted" id="restore-readonly">Restoring needs a session with write access.</p>}
          </>
        )}
    </Page>
  )
}

// --- service map ----------------------------------------------------------------------------

const upstreamText = (e: ServiceEntry) =>
  e.upstreamApp === null
    ? "–"
    : `${e.upstreamProto === null ? "" : `${e.upstreamProto}://`}${e.upstreamApp}${
      e.upstreamPort === null ? "" : `:${e.upstreamPort}`
    }`

export const ServicesPage = (props: Frame & { map: ServiceMapView }) => (
  <Page {...props} title={`Service map · ${props.device}`}>
    <h1>Service map</h1>
    <p class="muted">
      Subdomain → upstream → container, from the latest proxy configs ({props.map.proxyConfigs}) and the containers
      ({props.map.containers}).
    </p>
    {props.map.containersError === null
      ? null
      : <Notice kind="empty" title="Containers could not be read" detail={props.map.containersError} />}
    {props.map.entries.length === 0
      ? (
        <Notice
          kind="empty"
          title="No proxied services found"
          detail="No tracked nginx proxy config with a server block and an upstream was found on this device."
        />
      )
      : (
        <div class="table-wrap">
          <table class="service-map">
            <thead>
              <tr>
                <th scope="col">Subdomain</th>
                <th scope="col">Location</th>
                <th scope="col">Upstream</th>
                <th scope="col">Container</th>
                <th scope="col">Auth</th>
                <th scope="col">Config</th>
              </tr>
            </thead>
            <tbody>
              {props.map.entries.map((e, i) => (
                <tr key={String(i)} data-subdomain={e.subdomain ?? ""}>
                  <th scope="row" data-label="Subdomain">
                    {e.subdomain ?? (e.serverNames.join(", ") || "–")}
                    {e.active ? null : <span class="pill pill-warn">not loaded</span>}
                  </th>
                  <td data-label="Location">{e.location}</td>
                  <td data-label="Upstream">{upstreamText(e)}</td>
                  <td data-label="Container">
                    {e.container === null ? <span class="muted">no match</span> : (
                      <>
                        {e.container.name}{" "}
                        {e.container.state === null ? null : <span class="muted small">{e.container.state}</span>}
                      </>
                    )}
                  </td>
                  <td data-label="Auth">{e.auth.length === 0 ? "none" : e.auth.join(", ")}</td>
                  <td data-label="Config">
                    <a href={filePath(props.device, e.configPath)}>{e.configPath}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
  </Page>
)
