// Settings in the browser: every change is a call to the REST API with the session's CSRF header;
// what the API answers (the probe, a typed error's code and message) is shown in the form's live region.
"use strict"
;(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrf = csrfMeta === null ? "" : csrfMeta.content

  /** One API call; never throws: a network failure becomes an error body like the API's. */
  const call = async (method, url, body) => {
    const headers = { "x-csrf-token": csrf }
    if (body !== undefined) headers["content-type"] = "application/json"
    try {
      const res = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const parsed = await res.json().catch(() => ({}))
      return { status: res.status, body: parsed }
    } catch (e) {
      return { status: 0, body: { error: { code: "network", message: `the server did not answer (${e})` } } }
    }
  }

  const el = (tag, cls, text) => {
    const node = document.createElement(tag)
    if (cls) node.className = cls
    if (text !== undefined) node.textContent = text
    return node
  }

  /** Replace a result region's content: kind "ok" | "error" | "busy". */
  const show = (region, kind, title, lines) => {
    region.replaceChildren()
    const box = el("div", kind === "error" ? "notice notice-error" : kind === "ok" ? "notice notice-ok" : "muted")
    box.setAttribute("role", kind === "error" ? "alert" : "status")
    box.dataset.result = kind
    box.appendChild(el("strong", "", title))
    for (const line of lines || []) box.appendChild(typeof line === "string" ? el("p", "", line) : line)
    region.appendChild(box)
    return box
  }

  const errorOf = (res) => {
    const e = (res.body && res.body.error) || {}
    return { code: e.code || `http_${res.status}`, message: e.message || "no message" }
  }

  const showError = (region, title, res) => {
    const e = errorOf(res)
    return show(region, "error", title, [`${e.code}: ${e.message}`])
  }

  // The same words as the server's badges (src/dashboard/kit/format.ts).
  const STATUS_TEXT = {
    online: "Online",
    degraded: "Degraded",
    offline: "Offline",
    host_key_mismatch: "Host key mismatch",
    unknown: "Not polled yet",
  }

  // Tags hold no whitespace: commas or spaces separate them.
  const listOf = (text) => text.split(/[\s,]+/).filter((t) => t !== "")

  /** "Debian GNU/Linux 12, Linux 6.1; tools: docker, zfs" from a probe's capabilities. */
  const capabilitiesText = (caps) => {
    if (!caps || typeof caps !== "object") return "nothing recorded"
    const os = (caps.os && caps.os.pretty_name) || "unknown OS"
    const tools = Object.entries(caps.tools || {}).filter(([, v]) => v).map(([k]) => k)
    return `${os}${caps.kernel ? `, ${caps.kernel}` : ""}; tools: ${
      tools.length === 0 ? "none found" : tools.join(", ")
    }`
  }

  // --- /settings: add a device ---------------------------------------------------------------

  const addForm = document.getElementById("add-device")
  if (addForm !== null) {
    const region = document.getElementById("add-result")
    addForm.addEventListener("submit", async (ev) => {
      ev.preventDefault()
      const f = addForm.elements
      const body = { name: f.name.value.trim(), host: f.host.value.trim(), tags: listOf(f.tags.value) }
      if (f.port.value.trim() !== "") body.port = Number(f.port.value)
      for (const key of ["username", "private_key_path", "proxy_jump"]) {
        if (f[key].value.trim() !== "") body[key] = f[key].value.trim()
      }
      const button = addForm.querySelector("button[type=submit]")
      button.disabled = true
      show(region, "busy", `Adding ${body.name} and connecting to it…`)
      const res = await call("POST", "/api/devices", body)
      button.disabled = false
      if (res.status !== 201) {
        showError(region, "Not added", res)
        return
      }
      const d = res.body
      addForm.reset()
      const probe = d.probe || { ok: true }
      const link = el("a", "", `Open ${d.name}'s settings`)
      link.href = `/settings/devices/${encodeURIComponent(d.name)}`
      if (probe.ok) {
        show(region, "ok", `Added ${d.name}: connected`, [`Probe: ${capabilitiesText(d.capabilities)}`, link])
      } else {
        const e = probe.error || {}
        show(region, "error", `Added ${d.name}, but the probe failed`, [
          `${e.code}: ${e.message}`,
          "The device is kept (it is polled, and shows as offline until it answers): fix it below or remove it.",
          link,
        ])
      }
      addRow(d)
    })
  }

  /** The new device's row, built from the API's answer (text only). */
  const addRow = (d) => {
    const rows = document.getElementById("device-rows")
    if (rows === null) return
    const tr = el("tr")
    tr.dataset.device = d.name
    const th = el("th")
    th.scope = "row"
    th.dataset.label = "Device"
    const a = el("a", "", d.name)
    a.href = `/settings/devices/${encodeURIComponent(d.name)}`
    th.appendChild(a)
    tr.appendChild(th)
    const cell = (label, text) => {
      const td = el("td", "", text)
      td.dataset.label = label
      tr.appendChild(td)
      return td
    }
    cell("Host", d.transport === "local" ? "local" : d.host)
    cell("Port", d.port === null ? "–" : String(d.port)).className = "num"
    cell("User", d.username === null ? "–" : d.username)
    const tags = cell("Tags")
    for (const t of d.tags) tags.appendChild(el("span", "tag", t))
    if (d.tags.length === 0) tags.textContent = "–"
    cell("Enabled", d.enabled ? "yes" : "no")
    const status = cell("Status")
    const badge = el("span", `status status-${d.status}`)
    badge.dataset.status = d.status
    badge.appendChild(el("span", "dot"))
    badge.appendChild(document.createTextNode(STATUS_TEXT[d.status] || d.status.replace(/_/g, " ")))
    status.appendChild(badge)
    rows.appendChild(tr)
  }

  // --- /settings: tokens ----------------------------------------------------------------------

  const tokenForm = document.getElementById("create-token")
  if (tokenForm !== null) {
    const region = document.getElementById("token-result")
    tokenForm.addEventListener("submit", async (ev) => {
      ev.preventDefault()
      const name = tokenForm.elements.name.value.trim()
      const scope = tokenForm.elements.scope.value
      const res = await call("POST", "/api/tokens", { name, scope })
      if (res.status !== 201) {
        showError(region, "No token created", res)
        return
      }
      const t = res.body
      tokenForm.reset() // before the secret is shown: its field is inside the form
      const label = el("label", "secret")
      label.appendChild(el("span", "", "Secret (copy it now: you will not see it again)"))
      const input = el("input", "mono")
      input.id = "token-secret"
      input.readOnly = true
      input.value = t.token
      label.appendChild(input)
      const copy = el("button", "", "Copy")
      copy.type = "button"
      copy.addEventListener("click", async () => {
        input.select()
        try {
          await navigator.clipboard.writeText(input.value)
          copy.textContent = "Copied"
        } catch {
          copy.textContent = "Selected: press Ctrl+C"
        }
      })
      const box = show(region, "ok", `Created ${t.scope} token ${t.name} (${t.id})`, [label, copy])
      box.classList.add("secret-box")
      input.focus()
      input.select()
      addTokenRow(t)
    })
  }

  const addTokenRow = (t) => {
    const rows = document.getElementById("token-rows")
    if (rows === null) return
    const none = document.getElementById("no-tokens")
    if (none !== null) none.remove()
    const tr = el("tr")
    tr.dataset.token = t.id
    tr.dataset.revoked = "no"
    const cell = (tag, label, text) => {
      const c = el(tag, "", text)
      c.dataset.label = label
      tr.appendChild(c)
      return c
    }
    cell("td", "Id", t.id).className = "mono"
    cell("th", "Name", t.name).scope = "row"
    cell("td", "Scope", t.scope)
    cell("td", "Created", t.created_at.slice(0, 16).replace("T", " "))
    cell("td", "Last used", "never").className = "muted"
    const actions = cell("td", "Actions")
    const button = el("button", "", "Revoke")
    button.type = "button"
    button.dataset.revoke = t.id
    button.dataset.name = t.name
    button.dataset.own = "no"
    actions.appendChild(button)
    rows.appendChild(tr)
  }

  const tokenTable = document.getElementById("tokens")
  if (tokenTable !== null) {
    tokenTable.addEventListener("click", async (ev) => {
      const button = ev.target.closest("button[data-revoke]")
      if (button === null) return
      const id = button.dataset.revoke
      const own = button.dataset.own === "yes"
      const question =
        `Revoke token "${button.dataset.name}" (${id})? Anything using it is refused from its next request.` +
        (own ? " This is the token of this session: you will be signed out." : "")
      if (!confirm(question)) return
      const region = document.getElementById("token-result") || document.getElementById("tokens-title")
      const res = await call("DELETE", `/api/tokens/${encodeURIComponent(id)}`)
      if (res.status !== 200) {
        showError(region, `Token ${id} not revoked`, res)
        return
      }
      if (own) {
        location.assign("/login")
        return
      }
      const cell = button.parentElement
      cell.replaceChildren(el("span", "muted", "revoked"))
      cell.parentElement.dataset.revoked = "yes"
      show(region, "ok", `Revoked token ${id}`)
    })
  }

  // --- /settings/devices/:device ---------------------------------------------------------------

  const page = document.getElementById("device-settings")
  const device = page === null ? null : page.dataset.device
  const deviceUrl = device === null ? "" : `/api/devices/${encodeURIComponent(device)}`

  /** A fresh capability probe through the pipeline: the connection test. */
  const testConnection = async (region) => {
    show(region, "busy", `Connecting to ${device}…`)
    const res = await call("GET", `${deviceUrl}/capabilities?force_refresh=true`)
    if (res.status === 200) {
      show(region, "ok", `Connected to ${device}`, [`Probe: ${capabilitiesText(res.body.data)}`])
      return true
    }
    const box = showError(region, `Could not connect to ${device}`, res)
    if (errorOf(res).code === "ssh_host_key_mismatch") {
      const reload = el("a", "", "Show the key it presented")
      reload.href = location.pathname
      box.appendChild(reload)
    }
    return false
  }

  const editForm = document.getElementById("edit-device")
  if (editForm !== null) {
    const region = document.getElementById("edit-result")
    const CONNECTION = ["host", "port", "username", "private_key_path", "proxy_jump"]
    editForm.addEventListener("submit", async (ev) => {
      ev.preventDefault()
      const patch = {}
      for (const input of editForm.querySelectorAll("input[data-initial]")) {
        const now = input.type === "checkbox" ? (input.checked ? "yes" : "no") : input.value.trim()
        if (now === input.dataset.initial) continue
        if (input.name === "enabled") patch.enabled = input.checked
        else if (input.name === "tags") patch.tags = listOf(now)
        else if (input.name === "port") patch.port = now === "" ? null : Number(now)
        else if (input.name === "host") patch.host = now
        else patch[input.name] = now === "" ? null : now
      }
      if (Object.keys(patch).length === 0) {
        show(region, "ok", "Nothing changed")
        return
      }
      const res = await call("PATCH", deviceUrl, patch)
      if (res.status !== 200) {
        showError(region, "Not saved", res)
        return
      }
      for (const input of editForm.querySelectorAll("input[data-initial]")) {
        input.dataset.initial = input.type === "checkbox" ? (input.checked ? "yes" : "no") : input.value.trim()
      }
      const changed = Object.keys(patch)
      show(region, "ok", `Saved: ${changed.join(", ")}`)
      // A new address or login: check it now rather than at the next poll.
      if (changed.some((k) => CONNECTION.includes(k))) {
        const probe = el("div")
        probe.setAttribute("aria-live", "polite")
        region.appendChild(probe)
        await testConnection(probe)
      }
    })
    document.getElementById("test-connection").addEventListener("click", () => testConnection(region))
  }

  const trust = document.getElementById("trust-key")
  if (trust !== null) {
    const region = document.getElementById("trust-result")
    trust.addEventListener("click", async () => {
      const fingerprint = trust.dataset.fingerprint
      const algorithm = trust.dataset.algorithm
      if (!confirm(`Trust ${algorithm} ${fingerprint} for ${device}? Connections will accept only this key.`)) return
      // Pinned: only the key shown here is accepted, not whatever the host presents next.
      const res = await call("POST", `${deviceUrl}/trust-host-key`, { fingerprint, algorithm })
      if (res.status !== 200) {
        showError(region, "Key not trusted", res)
        return
      }
      trust.disabled = true
      show(region, "ok", `Trusted ${res.body.pinned} for ${res.body.host_ports.join(", ")}`)
      const probe = el("div")
      region.appendChild(probe)
      await testConnection(probe)
    })
  }

  const removeForm = document.getElementById("remove-device")
  if (removeForm !== null) {
    const region = document.getElementById("remove-result")
    removeForm.addEventListener("submit", async (ev) => {
      ev.preventDefault()
      if (removeForm.elements.confirm.value.trim() !== device) {
        show(region, "error", "Not removed", [`Type ${device} exactly to confirm.`])
        removeForm.elements.confirm.focus()
        return
      }
      const res = await call("DELETE", deviceUrl)
      if (res.status !== 200) {
        showError(region, "Not removed", res)
        return
      }
      location.assign(`/settings?removed=${encodeURIComponent(device)}`)
    })
  }
})()
