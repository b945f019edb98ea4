/** /settings/devices/:device: change a device, test its connection, re-trust its host key, remove it. */
import { StatusBadge } from "../kit/device-summary.tsx"
import { Layout, Notice, type SessionView } from "../kit/layout.tsx"

export interface DeviceDetail {
  readonly name: string
  readonly host: string
  readonly port: number | null
  readonly username: string | null
  readonly private_key_path: string | null
  readonly has_password: boolean
  readonly transport: string
  readonly proxy_jump: string | null
  readonly tags: ReadonlyArray<string>
  readonly enabled: boolean
  readonly status: string
  readonly last_seen: string | null
}

export interface HostKeyView {
  readonly host_ports: ReadonlyArray<string>
  readonly trusted: ReadonlyArray<{
    readonly host_port: string
    readonly algorithm: string
    readonly fingerprint: string
    readonly first_seen: string
  }>
  readonly presented: {
    readonly algorithm: string
    readonly fingerprint: string
    readonly seen_at: string
    readonly message: string
  } | null
}

export interface DeviceSettingsProps {
  readonly session: SessionView
  readonly styles: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<string>
  readonly device: DeviceDetail
  readonly hostKey: HostKeyView
}

/** One text field; data-initial lets the client send only what changed. */
const Field = (
  { label, name, value, type, hint }: { label: string; name: string; value: string; type?: string; hint?: string },
) => (
  <label>
    {label}{" "}
    <input
      name={name}
      id={`field-${name}`}
      {...(hint === undefined ? {} : { "aria-describedby": `field-${name}-hint` })}
      type={type ?? "text"}
      value={value}
      data-initial={value}
      autocomplete="off"
      {...(type === "number" ? { min: "1", max: "65535", inputmode: "numeric" } : {})}
    />
    {hint === undefined ? null : <span class="hint" id={`field-${name}-hint`}>{hint}</span>}
  </label>
)

const EditForm = ({ d }: { d: DeviceDetail }) => (
  <form id="edit-device" class="settings-form" novalidate data-device={d.name}>
    <div class="fields">
      {d.transport === "local" ? <p class="muted">Local transport: commands run on this machine, no SSH.</p> : (
        <>
          <Field label="Host" name="host" value={d.host} />
          <Field
            label="Port"
            name="port"
            type="number"
            value={d.port === null ? "" : String(d.port)}
            hint="empty: ~/.ssh/config, else 22"
          />
          <Field
            label="User"
            name="username"
            value={d.username ?? ""}
            hint="empty: ~/.ssh/config, else the service's user"
          />
          <Field
            label="Private key path"
            name="private_key_path"
            value={d.private_key_path ?? ""}
          />
          <Field
            label="ProxyJump"
            name="proxy_jump"
            value={d.proxy_jump ?? ""}
            hint="[user@]host[:port], comma-separated; none: direct"
          />
        </>
      )}
      <Field label="Tags" name="tags" value={d.tags.join(", ")} hint="comma or space separated" />
      <label class="check">
        <input
          type="checkbox"
          name="enabled"
          checked={d.enabled}
          data-initial={d.enabled ? "yes" : "no"}
        />{" "}
        Enabled (polled)
      </label>
    </div>
    {d.has_password ? <p class="hint">A password is stored for this device (never shown).</p> : null}
    <div class="actions">
      <button type="submit">Save</button>
      <button type="button" id="test-connection">Test connection</button>
    </div>
    <div class="form-result" id="edit-result" aria-live="polite"></div>
  </form>
)

/** What a read session sees instead of the form. */
const ReadOnly = ({ d }: { d: DeviceDetail }) => (
  <dl class="keys" id="device-fields">
    {([
      ["Transport", d.transport],
      ["Host", d.host],
      ["Port", d.port === null ? "from ~/.ssh/config, else 22" : String(d.port)],
      ["User", d.username ?? "from ~/.ssh/config"],
      ["Private key path", d.private_key_path ?? "–"],
      ["ProxyJump", d.proxy_jump ?? "from ~/.ssh/config"],
      ["Tags", d.tags.length === 0 ? "–" : d.tags.join(", ")],
      ["Enabled", d.enabled ? "yes" : "no"],
    ] as const).map(([label, value]) => (
      <div key={label}>
        <dt>{label}</dt>
        <dd>{value}</dd>
      </div>
    ))}
  </dl>
)

const Fingerprint = ({ algorithm, fingerprint }: { algorithm: string; fingerprint: string }) => (
  <span class="fingerprint">
    <span class="muted">{algorithm}</span> <code>{fingerprint}</code>
  </span>
)

/** A refusal by known_hosts (not by the key recorded here): only editing that file helps. */
const fromKnownHosts = (message: string): boolean => /does not match known_hosts/.test(message)

const HostKeySection = ({ d, hk, canWrite }: { d: DeviceDetail; hk: HostKeyView; canWrite: boolean }) => {
  if (d.transport === "local") return <p class="muted">Local transport: no host key.</p>
  const mismatch = d.status === "host_key_mismatch"
  return (
    <>
      {hk.trusted.length === 0
        ? (
          <p class="muted" id="trusted-key">
            No key recorded yet for{" "}
            {hk.host_ports.join(", ")}: the first connection records the key the host presents (unless it is listed in
            known_hosts).
          </p>
        )
        : (
          <dl class="keys" id="trusted-key">
            {hk.trusted.map((k) => (
              <div key={k.host_port}>
                <dt>Trusted for {k.host_port} since {k.first_seen.slice(0, 10)}</dt>
                <dd>
                  <Fingerprint algorithm={k.algorithm} fingerprint={k.fingerprint} />
                </dd>
              </div>
            ))}
          </dl>
        )}
      {!mismatch ? null : hk.presented === null
        ? (
          <Notice
            kind="error"
            title="The host presented a different key"
            detail="Its key is not on record yet: use Test connection to see the key it presents now."
          />
        )
        : (
          <div class="notice notice-error" role="alert" id="presented-key">
            <strong>The host presented a different key: connections are refused</strong>
            <p>
              Presented on {hk.presented.seen_at.replace("T", " ").slice(0, 19)} UTC:{" "}
              <Fingerprint algorithm={hk.presented.algorithm} fingerprint={hk.presented.fingerprint} />
            </p>
            <p class="hint">
              Trust it only if the host was reinstalled or its keys were changed on purpose: compare with{" "}
              <code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code> run on the host itself.
            </p>
            <details>
              <summary>The refusal</summary>
              <p class="small">{hk.presented.message}</p>
            </details>
            {fromKnownHosts(hk.presented.message)
              ? (
                <p>
                  known_hosts on the service's machine lists another key for this host: update it there with{" "}
                  <code>ssh-keygen -R</code>. Trusting a key here would not change that.
                </p>
              )
              : canWrite
              ? (
                <button
                  type="button"
                  id="trust-key"
                  data-fingerprint={hk.presented.fingerprint}
                  data-algorithm={hk.presented.algorithm}
                >
                  Trust this key
                </button>
              )
              : null}
          </div>
        )}
      <div class="form-result" id="trust-result" aria-live="polite"></div>
    </>
  )
}

const RemoveForm = ({ d }: { d: DeviceDetail }) => (
  <form id="remove-device" class="settings-form danger" novalidate data-device={d.name}>
    <p>
      Removing <strong>{d.name}</strong> deletes its collected history (metrics, snapshots, config versions).
    </p>
    <label>
      Type the device's name to confirm <input name="confirm" autocomplete="off" spellcheck={false} />
    </label>
    <button type="submit" class="danger-button">Remove device</button>
    <div class="form-result" id="remove-result" aria-live="polite"></div>
  </form>
)

export const DeviceSettingsPage = (props: DeviceSettingsProps) => {
  const d = props.device
  const canWrite = props.session.scope === "write"
  return (
    <Layout title={`${d.name} settings`} session={props.session} styles={props.styles} scripts={props.scripts}>
      <p class="crumbs">
        <a href="/settings">Settings</a> ›
      </p>
      <div class="title-row">
        <h1>{d.name}</h1>
        <StatusBadge status={d.status} />
        <a href={`/devices/${encodeURIComponent(d.name)}`}>Device page</a>
      </div>
      <section aria-labelledby="edit-title" id="device-settings" data-device={d.name}>
        <h2 id="edit-title">Connection</h2>
        {canWrite ? <EditForm d={d} /> : <ReadOnly d={d} />}
      </section>
      <section aria-labelledby="hostkey-title">
        <h2 id="hostkey-title">Host key</h2>
        <HostKeySection d={d} hk={props.hostKey} canWrite={canWrite} />
      </section>
      {canWrite
        ? (
          <section aria-labelledby="remove-title">
            <h2 id="remove-title">Remove</h2>
            <RemoveForm d={d} />
          </section>
        )
        : null}
    </Layout>
  )
}
