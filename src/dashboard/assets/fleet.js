// The fleet page in the browser: sort, filter and search the server-rendered rows, and refresh
// them live from /api/events (the session cookie authenticates the stream) without a reload.
"use strict"
;(function () {
  const table = document.getElementById("fleet")
  if (table === null) return
  const search = document.getElementById("fleet-search")
  const tagSelect = document.getElementById("fleet-tag")
  const sortSelect = document.getElementById("fleet-sort")
  const shown = document.getElementById("fleet-shown")
  const live = document.getElementById("live")
  const TEXT_KEYS = { name: true, status: true }
  const STATUS_ORDER = { host_key_mismatch: 0, offline: 1, degraded: 2, unknown: 3, online: 4 }
  const state = { key: "name", dir: "asc" }

  const value = (row, key) => {
    if (key === "status") {
      const s = row.dataset.status || ""
      return s in STATUS_ORDER ? STATUS_ORDER[s] : 5
    }
    const raw = row.dataset[key] || ""
    if (TEXT_KEYS[key]) return raw
    return raw === "" ? null : Number(raw)
  }

  const compare = (a, b) => {
    const va = value(a, state.key)
    const vb = value(b, state.key)
    // Missing values last, whatever the direction.
    if (va === null && vb === null) return 0
    if (va === null) return 1
    if (vb === null) return -1
    const c = typeof va === "string" ? va.localeCompare(vb) : va - vb
    return state.dir === "asc" ? c : -c
  }

  const apply = () => {
    const body = document.getElementById("fleet-rows")
    const rows = Array.from(body.rows)
    rows.sort(compare).forEach((r) => body.appendChild(r))
    const q = (search.value || "").trim().toLowerCase()
    const tag = tagSelect.value
    let visible = 0
    for (const r of rows) {
      const tags = (r.dataset.tags || "").split(" ").filter(Boolean)
      const matchesTag = tag === "" || tags.includes(tag)
      const matchesText = q === "" || (r.dataset.name || "").includes(q) ||
        tags.some((t) => t.toLowerCase().includes(q))
      r.hidden = !(matchesTag && matchesText)
      if (!r.hidden) visible++
    }
    shown.textContent = visible === rows.length ? "" : `${visible} of ${rows.length} shown`
    for (const th of table.tHead.rows[0].cells) {
      th.setAttribute(
        "aria-sort",
        th.dataset.key === state.key ? (state.dir === "asc" ? "ascending" : "descending") : "none",
      )
    }
    sortSelect.value = `${state.key}:${state.dir}`
    const params = new URLSearchParams(location.search)
    q === "" ? params.delete("q") : params.set("q", q)
    tag === "" ? params.delete("tag") : params.set("tag", tag)
    params.set("sort", `${state.key}:${state.dir}`)
    history.replaceState(null, "", `${location.pathname}?${params}`)
  }

  const setSort = (spec) => {
    const [key, dir] = String(spec).split(":")
    if (table.querySelector(`th[data-key="${key}"]`) === null) return
    state.key = key
    state.dir = dir === "desc" ? "desc" : "asc"
  }

  // Restore the view from the URL (a bookmarked or reloaded page keeps its filters).
  const initial = new URLSearchParams(location.search)
  if (initial.has("sort")) setSort(initial.get("sort"))
  if (initial.has("q")) search.value = initial.get("q")
  if (initial.has("tag")) tagSelect.value = initial.get("tag")

  table.tHead.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-sort]")
    if (button === null) return
    const key = button.dataset.sort
    state.dir = state.key === key && state.dir === "asc" ? "desc" : "asc"
    state.key = key
    apply()
  })
  sortSelect.addEventListener("change", () => {
    setSort(sortSelect.value)
    apply()
  })
  search.addEventListener("input", apply)
  tagSelect.addEventListener("change", apply)
  apply()

  // Live: any collection, failure or status change refetches the rows (at most every 500 ms).
  let pending = null
  let refreshes = 0
  const refresh = async () => {
    pending = null
    try {
      const res = await fetch("/fleet/rows", { credentials: "same-origin", headers: { accept: "text/html" } })
      if (!res.ok) throw new Error(String(res.status))
      const holder = document.createElement("table")
      holder.innerHTML = await res.text()
      const fresh = holder.querySelector("tbody")
      if (fresh !== null) document.getElementById("fleet-rows").replaceWith(fresh)
      refreshes++
      table.dataset.refreshes = String(refreshes)
      apply()
    } catch (_) {
      live.dataset.live = "down"
      live.textContent = "could not refresh"
    }
  }
  const schedule = () => {
    if (pending === null) pending = setTimeout(refresh, 500)
  }
  if (typeof EventSource === "function") {
    const kinds = "DataCollected,CollectionFailed,DeviceStatusChanged,AlertFiring,AlertResolved"
    const source = new EventSource(`/api/events?kind=${kinds}`)
    source.addEventListener("open", () => {
      live.dataset.live = "live"
      live.textContent = "live"
    })
    source.addEventListener("error", () => {
      live.dataset.live = "down"
      live.textContent = "reconnecting…"
    })
    const onEvent = (e) => {
      try {
        const data = JSON.parse(e.data)
        if (data._tag === "DataCollected" && data.dataType !== "system_metrics") return
      } catch (_) {
        // an event we cannot read still means something changed
      }
      schedule()
    }
    for (const kind of kinds.split(",")) source.addEventListener(kind, onEvent)
    source.addEventListener("message", onEvent)
  }
})()
