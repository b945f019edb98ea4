/** The sign-in form: a token, posted to /login (no script needed). */
import { Layout } from "../kit/layout.tsx"

export interface LoginProps {
  readonly styles: ReadonlyArray<string>
  readonly next: string
  readonly error?: string | undefined
  /** The server has no tokens and listens on loopback: nothing to sign in to. */
  readonly openMode: boolean
}

export const LoginPage = (props: LoginProps) => (
  <Layout title="Sign in" styles={props.styles} scripts={[]}>
    <section class="login">
      <h1>Sign in</h1>
      {props.openMode
        ? (
          <p class="notice notice-empty" role="status">
            This server has no API tokens and listens on loopback (open mode): <a href="/">open the dashboard</a>{" "}
            without signing in.
          </p>
        )
        : null}
      {props.error === undefined ? null : <p class="notice notice-error" role="alert">{props.error}</p>}
      <form method="post" action="/login" class="login-form">
        <input type="hidden" name="next" value={props.next} />
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          placeholder="infra_…"
        />
        <button type="submit">Sign in</button>
        <p class="hint">
          Create one with{" "}
          <code>infrastructor token create --name NAME --scope read|write</code>. The token is kept in an HttpOnly
          cookie for this browser session.
        </p>
      </form>
    </section>
  </Layout>
)
