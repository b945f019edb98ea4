// The alerts page in the browser: filters applied on change, the alerts and silences refreshed live
// from /api/events (AlertFiring, AlertResolved) without a reload, and for a write session
// Acknowledge, Silence and Unsilence as calls to the REST API with the session's CSRF header.
// What is swapped in is the server's own escaped HTML (/feeds/alerts/rows); messages use textContent.
"use strict"
;(function () {
  const filters = document.getElementById("alert-filters")
  if (filters === null) return
  const rowsUrl = filters.dataset.rows
  const status = document.getElementById("alert-status")
  const live = document.getElementById("live")
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrf = csrfMeta === null ? "" : csrfMeta.content
  const say = (text) => {
    status.textContent = text
  }

  filters.addEventListener("change", (e) => {
    if (e.target.matches("select")) filters.requestSubmit()
  })

  /** The page's filters, for the fragment. */
  const query = () => {
    const p = new URLSearchParams()
    for (const [k, v] of new FormData(filters)) if (String(v) !== "") p.set(k, String(v))
    return p.toString()
  }

  let refreshes = 0
  let pending = null
  const refresh = async () => {
    pending = null
    try {
      const res = await fetch(`${rowsUrl}?${query()}`, { credentials: "same-origin", headers: { accept: "text/html" } })
      if (res.status === 401) throw new Error("the session ended; reload the page to sign in again")
      if (!res.ok) {
        const err = await res.json().catch(() => ({}))
        throw new Error((err && err.error && err.error.message) || `HTTP ${res.status}`)
      }
      const holder = document.createElement("div")
      holder.innerHTML = await res.text()
      const fresh = holder.querySelector("#alerts-live")
      const current = document.getElementById("alerts-live")
      if (fresh === null || current === null) throw new Error("no alerts in the answer")
      current.replaceWith(fresh)
      refreshes++
      fresh.dataset.refreshes = String(refreshes)
    } catch (e) {
      say(`Could not refresh: ${e.message}`)
    }
  }
  const schedule = () => {
    if (pending === null) pending = setTimeout(refresh, 200)
  }

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
      return { ok: res.ok, status: res.status, body: await res.json().catch(() => ({})) }
    } catch (e) {
      return { ok: false, status: 0, body: { error: { code: "network", message: `the server did not answer (${e})` } } }
    }
  }
  const failed = (what, res) => {
    const e = (res.body && res.body.error) || {}
    say(`${what} failed: ${e.code || `HTTP ${res.status}`}: ${e.message || "no message"}`)
  }

  // A date and time without a zone is the browser's local time; durations and unix seconds go as typed.
  const untilValue = (raw) => {
    const v = raw.trim()
    if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?$/.test(v)) {
      const d = new Date(v.replace(" ", "T"))
      if (!Number.isNaN(d.getTime())) return d.toISOString()
    }
    return v
  }

  const silenceBox = document.getElementById("silence-box")
  const silenceForm = document.getElementById("silence-form")
  if (silenceForm !== null) {
    silenceForm.addEventListener("submit", async (e) => {
      e.preventDefault()
      const body = {}
      for (const [k, v] of new FormData(silenceForm)) {
        const value = String(v).trim()
        if (value !== "") body[k] = k === "until" ? untilValue(value) : value
      }
      const button = silenceForm.querySelector("button[type=submit]")
      button.disabled = true
      say("silencing…")
      const res = await call("POST", "/api/alert-silences", body)
      button.disabled = false
      if (!res.ok) return failed("Silence", res)
      say(`Silenced until ${res.body.until}`)
      for (const name of ["rule_id", "device", "tag", "subject", "reason"]) silenceForm.elements[name].value = ""
      await refresh()
    })
  }

  document.addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-write]")
    if (button === null) return
    const action = button.dataset.write
    if (action === "silence-like" && silenceForm !== null) {
      silenceForm.elements["rule_id"].value = button.dataset.rule || ""
      silenceForm.elements["device"].value = button.dataset.device || ""
      silenceForm.elements["subject"].value = button.dataset.subject || ""
      silenceBox.open = true
      silenceForm.elements["until"].focus()
      return
    }
    if (action !== "acknowledge" && action !== "unsilence") return
    button.disabled = true
    const res = action === "acknowledge"
      ? await call("POST", `/api/alerts/${encodeURIComponent(button.dataset.id)}/acknowledge`, {})
      : await call("DELETE", `/api/alert-silences/${encodeURIComponent(button.dataset.id)}`)
    if (!res.ok) {
      button.disabled = false
      return failed(action === "acknowledge" ? "Acknowledge" : "Unsilence", res)
    }
    say(action === "acknowledge" ? "Acknowledged" : "Silence removed")
    await refresh()
  })

  if (typeof EventSource !== "function") return
  const source = new EventSource("/api/events?kind=AlertFiring,AlertResolved")
  source.addEventListener("open", () => {
    live.dataset.live = "live"
    live.textContent = "live"
  })
  source.addEventListener("error", () => {
    live.dataset.live = "down"
    live.textContent = "reconnecting…"
  })
  source.addEventListener("AlertFiring", schedule)
  source.addEventListener("AlertResolved", schedule)
  // Pending alerts raise no event: a slow refresh shows them, and keeps the "since" times current.
  setInterval(() => {
    if (document.visibilityState === "visible") schedule()
  }, 60_000)
})()
