/** /settings: the devices (with an Add form) and the API tokens (list, create, revoke). */
import { StatusBadge } from "../kit/device-summary.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"

export interface DeviceRow {
  readonly name: string
  readonly host: string
  readonly port: number | null
  readonly username: string | null
  readonly transport: string
  readonly tags: ReadonlyArray<string>
  readonly enabled: boolean
  readonly status: string
}

export interface TokenRow {
  readonly id: string
  readonly name: string
  readonly scope: string
  readonly created_at: string
  readonly last_used_at: string | null
  readonly revoked_at: string | null
}

/** The tokens as this session may see them: listing them is a write operation. */
export type TokensView =
  | { readonly kind: "ok"; readonly tokens: ReadonlyArray<TokenRow> }
  | { readonly kind: "hidden" }
  | { readonly kind: "error"; readonly code: string; readonly message: string }

export interface SettingsProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly devices: ReadonlyArray<DeviceRow>
  readonly tokens: TokensView
  /** The session's own token id (revoking it ends this session). */
  readonly ownToken: string | null
  /** A device just removed (from the device page), to confirm it. */
  readonly removed: string | undefined
}

const dash = <span class="muted">–</span>

export const DeviceRows = ({ devices }: { devices: ReadonlyArray<DeviceRow> }) => (
  <tbody id="device-rows">
    {devices.map((d) => (
      <tr key={d.name} data-device={d.name}>
        <th scope="row" data-label="Device">
          <a href={`/settings/devices/${encodeURIComponent(d.name)}`}>{d.name}</a>
        </th>
        <td data-label="Host">{d.transport === "local" ? <span class="muted">local</span> : d.host}</td>
        <td data-label="Port" class="num">{d.port ?? dash}</td>
        <td data-label="User">{d.username ?? dash}</td>
        <td data-label="Tags">
          {d.tags.length === 0 ? dash : d.tags.map((t) => <span key={t} class="tag">{t}</span>)}
        </td>
        <td data-label="Enabled">{d.enabled ? "yes" : "no"}</td>
        <td data-label="Status">
          <StatusBadge status={d.status} />
        </td>
      </tr>
    ))}
  </tbody>
)

const AddDeviceForm = () => (
  <form id="add-device" class="settings-form" novalidate>
    <h3>Add a device</h3>
    <div class="fields">
      <label>
        Name <input name="name" required autocomplete="off" />
      </label>
      <label>
        Host <input name="host" required autocomplete="off" placeholder="host.example or 10.0.0.5" />
      </label>
      <label>
        Port <input name="port" type="number" min="1" max="65535" inputmode="numeric" placeholder="22" />
      </label>
      <label>
        User <input name="username" autocomplete="off" placeholder="from ~/.ssh/config" />
      </label>
      <label>
        Private key path <input name="private_key_path" autocomplete="off" placeholder="/home/me/.ssh/id_ed25519" />
      </label>
      <label>
        ProxyJump <input name="proxy_jump" autocomplete="off" placeholder="user@bastion:22" />
      </label>
      <label>
        Tags <input name="tags" autocomplete="off" placeholder="comma or space separated" />
      </label>
    </div>
    <p class="hint">The service connects once to check the host and read what is installed (the probe).</p>
    <button type="submit">Add and probe</button>
    <div class="form-result" id="add-result" aria-live="polite"></div>
  </form>
)

const TokenTable = ({ tokens, ownToken, canWrite }: {
  tokens: ReadonlyArray<TokenRow>
  ownToken: string | null
  canWrite: boolean
}) => (
  <div class="table-wrap">
    <table class="settings-table" id="tokens">
      <thead>
        <tr>
          <th scope="col">Id</th>
          <th scope="col">Name</th>
          <th scope="col">Scope</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          {canWrite ? <th scope="col">Actions</th> : null}
        </tr>
      </thead>
      <tbody id="token-rows">
        {tokens.map((t) => (
          <tr key={t.id} data-token={t.id} data-revoked={t.revoked_at === null ? "no" : "yes"}>
            <td data-label="Id" class="mono">{t.id}</td>
            <th scope="row" data-label="Name">
              {t.name}
              {t.id === ownToken ? <span class="muted own">(this session)</span> : null}
            </th>
            <td data-label="Scope">{t.scope}</td>
            <td data-label="Created">
              <time datetime={t.created_at}>{t.created_at.slice(0, 16).replace("T", " ")}</time>
            </td>
            <td data-label="Last used">
              {t.last_used_at === null
                ? <span class="muted">never</span>
                : <time datetime={t.last_used_at}>{t.last_used_at.slice(0, 16).replace("T", " ")}</time>}
            </td>
            {canWrite
              ? (
                <td data-label="Actions">
                  {t.revoked_at === null
                    ? (
                      <button
                        type="button"
                        data-revoke={t.id}
                        data-name={t.name}
                        data-own={t.id === ownToken ? "yes" : "no"}
                      >
                        Revoke
                      </button>
                    )
                    : <span class="muted">revoked</span>}
                </td>
              )
              : null}
          </tr>
        ))}
      </tbody>
    </table>
  </div>
)

const CreateTokenForm = () => (
  <form id="create-token" class="settings-form" novalidate>
    <h3>Create a token</h3>
    <div class="fields">
      <label>
        Name <input name="name" required maxlength={64} autocomplete="off" placeholder="grafana, ci, laptop" />
      </label>
      <label>
        Scope{" "}
        <select name="scope">
          <option value="read">read: see everything, change nothing</option>
          <option value="write">write: also add devices, act on containers, tokens</option>
        </select>
      </label>
    </div>
    <button type="submit">Create token</button>
    <div class="form-result" id="token-result" aria-live="polite"></div>
  </form>
)

const Tokens = ({ props, canWrite }: { props: SettingsProps; canWrite: boolean }) => {
  const view = props.tokens
  if (view.kind === "hidden") {
    return <Notice kind="empty" title="Tokens are listed to write-scope sessions only" />
  }
  if (view.kind === "error") {
    return <Notice kind="error" title={`Could not list tokens (${view.code})`} detail={view.message} />
  }
  return (
    <>
      {view.tokens.length === 0
        ? (
          <p class="muted" id="no-tokens">
            No tokens yet: the API is open to this machine only (loopback) until the first one exists.
          </p>
        )
        : null}
      <TokenTable tokens={view.tokens} ownToken={props.ownToken} canWrite={canWrite} />
      {canWrite ? <CreateTokenForm /> : null}
    </>
  )
}

export const SettingsPage = (props: SettingsProps) => {
  const canWrite = props.session.scope === "write"
  return (
    <Layout title="Settings" session={props.session} styles={props.styles} scripts={props.scripts}>
      <div class="title-row">
        <h1>Settings</h1>
      </div>
      {props.removed === undefined
        ? null
        : <Notice kind="empty" title={`Removed ${props.removed}`} detail="Its collected history went with it." />}
      <section aria-labelledby="devices-title" id="settings" data-can-write={canWrite ? "yes" : "no"}>
        <h2 id="devices-title">Devices</h2>
        {props.devices.length === 0 ? <Notice kind="empty" title="No devices yet" /> : null}
        <div class="table-wrap">
          <table class="settings-table" id="devices">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Host</th>
                <th scope="col">Port</th>
                <th scope="col">User</th>
                <th scope="col">Tags</th>
                <th scope="col">Enabled</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <DeviceRows devices={props.devices} />
          </table>
        </div>
        {canWrite ? <AddDeviceForm /> : <p class="muted">Adding and changing devices needs a write-scope token.</p>}
      </section>
      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <Tokens props={props} canWrite={canWrite} />
      </section>
    </Layout>
  )
}
