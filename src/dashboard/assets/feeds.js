// The change feed and the audit log in the browser: filters applied without a reload (the URL keeps
// them, so a filtered view is a link), "load more", and on /changes new events from /api/events
// merged in at the top. Rows are the server's own escaped HTML fragments (/feeds/changes/rows, /feeds/audit/rows).
"use strict"
;(function () {
  const form = document.getElementById("feed-filters")
  const table = document.getElementById("feed")
  if (form === null || table === null) return
  const kind = form.dataset.feed
  const rowsUrl = form.dataset.rows
  const status = document.getElementById("feed-status")
  const more = document.getElementById("feed-more")
  const empty = document.getElementById("feed-empty")
  const live = document.getElementById("live")
  const limitInput = form.querySelector("input[name=limit]")
  const PAGE = 50
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrf = csrfMeta === null ? "" : csrfMeta.content

  /** The form's filters as query parameters (empty ones left out). */
  const params = (limit) => {
    const p = new URLSearchParams()
    for (const [k, v] of new FormData(form)) {
      if (k !== "limit" && String(v).trim() !== "") p.set(k, String(v).trim())
    }
    if (limit !== PAGE) p.set("limit", String(limit))
    return p
  }
  const currentLimit = () => Number(limitInput.value) || PAGE
  const say = (text) => {
    status.textContent = text
  }

  const body = () => document.getElementById("feed-rows")
  const afterSwap = () => {
    const b = body()
    more.hidden = b.dataset.more !== "true"
    empty.hidden = b.rows.length > 0
  }

  const fetchRows = async (p) => {
    const res = await fetch(`${rowsUrl}?${p}`, { credentials: "same-origin", headers: { accept: "text/html" } })
    if (res.status === 401) throw new Error("the session ended; reload the page to sign in again")
    if (!res.ok) {
      const err = await res.json().catch(() => ({}))
      throw new Error((err && err.error && err.error.message) || `HTTP ${res.status}`)
    }
    const holder = document.createElement("table")
    holder.innerHTML = await res.text()
    const fresh = holder.querySelector("tbody")
    if (fresh === null) throw new Error("no rows in the answer")
    return fresh
  }

  let generation = 0
  /** Replace the rows with the current filter's (filter change, load more). */
  const reload = async (limit) => {
    const mine = ++generation
    const p = params(limit)
    say("loading…")
    try {
      const fresh = await fetchRows(p)
      if (mine !== generation) return
      body().replaceWith(fresh)
      limitInput.value = String(limit)
      const query = p.toString()
      history.replaceState(null, "", `${location.pathname}${query === "" ? "" : `?${query}`}`)
      table.dataset.reloads = String(Number(table.dataset.reloads || "0") + 1)
      afterSwap()
      say("")
    } catch (e) {
      say(`Could not load: ${e.message}`)
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault()
    void reload(PAGE)
  })
  form.addEventListener("change", (e) => {
    if (e.target.matches("select")) void reload(PAGE)
  })
  more.addEventListener("click", () => void reload(currentLimit() + PAGE))

  // Writes (a write session only has the button): ask the device for a scan now.
  const scan = document.getElementById("scan-now")
  if (scan !== null) {
    scan.addEventListener("click", async () => {
      scan.disabled = true
      say(`scanning ${scan.dataset.device}…`)
      try {
        const res = await fetch(`/api/devices/${encodeURIComponent(scan.dataset.device)}/configs/scan`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "x-csrf-token": csrf },
        })
        const out = await res.json().catch(() => ({}))
        if (!res.ok) throw new Error((out.error && out.error.message) || `HTTP ${res.status}`)
        say(`scanned ${out.files} files, ${out.recorded} changed`)
      } catch (e) {
        say(`Scan failed: ${e.message}`)
      } finally {
        scan.disabled = false
      }
    })
  }

  if (kind !== "changes" || typeof EventSource !== "function") return

  // Live: an event that passes the current filter fetches the newest page and merges in the rows
  // not shown yet, each before the first older one (ids grow with time).
  const passes = (ev) => {
    const f = params(PAGE)
    const risks = (f.get("risk") || "").split(",").filter(Boolean)
    return (risks.length === 0 || risks.includes(ev.risk)) &&
      (!f.has("change_type") || f.get("change_type") === ev.changeType) &&
      (!f.has("config_type") || f.get("config_type") === ev.configType) &&
      (!f.has("device") || f.get("device") === ev.device)
  }
  const merge = (fresh) => {
    const b = body()
    const shown = new Set(Array.from(b.rows, (r) => r.dataset.id))
    let added = 0
    for (const row of Array.from(fresh.rows).reverse()) {
      if (shown.has(row.dataset.id)) continue
      const id = Number(row.dataset.id)
      const older = Array.from(b.rows).find((r) => Number(r.dataset.id) < id)
      row.classList.add("fresh")
      b.insertBefore(row, older || null)
      added++
    }
    if (added > 0) {
      table.dataset.liveInserts = String(Number(table.dataset.liveInserts || "0") + added)
      empty.hidden = true
    }
  }
  let pending = null
  const refresh = async () => {
    pending = null
    const mine = generation
    try {
      const fresh = await fetchRows(params(PAGE))
      if (mine === generation) merge(fresh)
    } catch (e) {
      say(`Could not load new changes: ${e.message}`)
    }
  }
  const source = new EventSource("/api/events?kind=ConfigurationChanged")
  source.addEventListener("open", () => {
    live.dataset.live = "live"
    live.textContent = "live"
  })
  source.addEventListener("error", () => {
    live.dataset.live = "down"
    live.textContent = "reconnecting…"
  })
  source.addEventListener("ConfigurationChanged", (e) => {
    let ev = null
    try {
      ev = JSON.parse(e.data)
    } catch (_) {
      // unreadable: refresh anyway, the server applies the filter
    }
    if (ev !== null && !passes(ev)) return
    if (pending === null) pending = setTimeout(refresh, 200)
  })
})()
