/** The frame every dashboard page shares: head with CSP-clean links, header with the session, main. */
import type { Child } from "hono/jsx"

export interface SessionView {
  /** What the session may do ("write" in open mode). */
  readonly scope: "read" | "write"
  /** Signed in with a token (a cookie or a header); false in open mode. */
  readonly signedIn: boolean
  /** The CSRF value of the session's token; empty when no cookie session. */
  readonly csrf: string
  /** The session came from the cookie (then sign-out is offered). */
  readonly viaCookie: boolean
}

export interface LayoutProps {
  readonly title: string
  readonly session?: SessionView | undefined
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly children?: Child
}

export const Layout = (props: LayoutProps) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      {props.session?.viaCookie ? <meta name="csrf-token" content={props.session.csrf} /> : null}
      <title>{props.title} · infrastructor</title>
      {props.styles.map((href) => <link key={href} rel="stylesheet" href={href} />)}
      {props.scripts.map((src) => <script key={src} src={src} defer></script>)}
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">infrastructor</a>
        <nav aria-label="Main">
          <a href="/">Fleet</a>
          <a href="/alerts">Alerts</a>
          <a href="/changes">Changes</a>
          <a href="/audit">Audit</a>
          <a href="/settings">Settings</a>
        </nav>
        {props.session === undefined ? null : <SessionBadge session={props.session} />}
      </header>
      <main id="main">{props.children}</main>
    </body>
  </html>
)

const SessionBadge = ({ session }: { session: SessionView }) => (
  <div class="session">
    <span class={`scope scope-${session.scope}`} data-scope={session.scope}>
      {session.signedIn ? `${session.scope} access` : "open mode (no tokens)"}
    </span>
    {session.viaCookie
      ? (
        <form method="post" action="/logout">
          <input type="hidden" name="_csrf" value={session.csrf} />
          <button type="submit">Sign out</button>
        </form>
      )
      : null}
  </div>
)

/** A readable empty or error state. */
export const Notice = (props: { kind: "empty" | "error"; title: string; detail?: string | undefined }) => (
  <div class={`notice notice-${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
    <strong>{props.title}</strong>
    {props.detail === undefined ? null : <p>{props.detail}</p>}
  </div>
)
