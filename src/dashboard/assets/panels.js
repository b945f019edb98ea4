// The device page's tables (src/dashboard/panels): each [data-panel] placeholder is filled with an
// HTML fragment rendered and escaped by our own server (the one place innerHTML is used), or with a
// readable error built from text. Also: attribute rows toggled by buttons, the log filters, the unit filter.
"use strict"
;(function () {
  const doc = document

  function errorNotice(el, title, detail) {
    const box = doc.createElement("div")
    box.className = "notice notice-error"
    box.setAttribute("role", "alert")
    box.setAttribute("data-state", "load-error")
    const strong = doc.createElement("strong")
    strong.textContent = title
    box.appendChild(strong)
    if (detail) {
      const p = doc.createElement("p")
      p.textContent = detail
      box.appendChild(p)
    }
    const retry = doc.createElement("button")
    retry.type = "button"
    retry.setAttribute("data-retry", "")
    retry.textContent = "Try again"
    box.appendChild(retry)
    el.replaceChildren(box)
  }

  function url(el, query) {
    return "/devices/" + encodeURIComponent(el.dataset.device) + "/panels/" + encodeURIComponent(el.dataset.panel) +
      (query || "")
  }

  /** Where focus was inside the panel, to put it back on the same control once the fragment is replaced. */
  function focusSelector(el) {
    const active = doc.activeElement
    if (!active || !el.contains(active)) return null
    if (active.name) return "[name='" + active.name + "']"
    return active.type === "submit" ? "button[type=submit]" : null
  }

  function load(el, query) {
    const focusAgain = focusSelector(el)
    el.setAttribute("aria-busy", "true")
    el.dataset.query = query || ""
    return fetch(url(el, query), { credentials: "same-origin", headers: { accept: "text/html" } })
      .then(function (res) {
        const type = res.headers.get("content-type") || ""
        if (res.redirected && new URL(res.url).pathname === "/login") {
          errorNotice(el, "Your session has ended", "Sign in again to see this table.")
          return
        }
        if (type.indexOf("text/html") !== 0) {
          errorNotice(el, "Could not load this table", "The server answered HTTP " + res.status + ".")
          return
        }
        return res.text().then(function (text) {
          // Server-rendered fragment from this origin: every value in it was escaped by hono/jsx.
          el.innerHTML = text
          const again = focusAgain ? el.querySelector(focusAgain) : null
          if (again) again.focus()
        })
      })
      .catch(function (e) {
        errorNotice(el, "Could not load this table", "The server did not answer (" + (e && e.message) + ").")
      })
      .finally(function () {
        el.setAttribute("aria-busy", "false")
        el.dataset.loaded = String(Number(el.dataset.loaded || "0") + 1)
      })
  }

  function panelOf(node) {
    return node && node.closest ? node.closest("[data-panel][data-device]") : null
  }

  doc.addEventListener("click", function (ev) {
    const target = ev.target
    const toggle = target.closest && target.closest("button[data-toggle]")
    if (toggle) {
      const row = doc.getElementById(toggle.getAttribute("data-toggle"))
      if (!row) return
      const open = toggle.getAttribute("aria-expanded") !== "true"
      row.hidden = !open
      toggle.setAttribute("aria-expanded", open ? "true" : "false")
      return
    }
    const retry = target.closest && target.closest("button[data-retry]")
    if (retry) {
      const panel = panelOf(retry)
      if (panel) load(panel, panel.dataset.query)
    }
  })

  doc.addEventListener("submit", function (ev) {
    const form = ev.target
    if (!form.matches || !form.matches("form[data-panel-form]")) return
    const panel = panelOf(form)
    if (!panel) return
    ev.preventDefault()
    const params = new URLSearchParams()
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") params.set(key, value.trim())
    })
    const qs = params.toString()
    load(panel, qs === "" ? "" : "?" + qs)
    // The filters go into the page's address too, so a reload or a shared link shows the same rows.
    const page = new URLSearchParams(location.search)
    new FormData(form).forEach(function (_value, key) {
      if (params.has(key)) page.set(key, params.get(key))
      else page.delete(key)
    })
    const search = page.toString()
    history.replaceState(null, "", location.pathname + (search === "" ? "" : "?" + search) + location.hash)
  })

  doc.addEventListener("input", function (ev) {
    const input = ev.target
    if (!input.matches || !input.matches("input[data-filter]")) return
    const id = input.getAttribute("data-filter")
    const table = doc.getElementById(id)
    if (!table) return
    const needle = input.value.trim().toLowerCase()
    const rows = table.querySelectorAll("tbody tr[data-text]")
    let shown = 0
    rows.forEach(function (row) {
      const hit = needle === "" || row.getAttribute("data-text").indexOf(needle) !== -1
      row.hidden = !hit
      if (hit) shown++
    })
    const status = doc.querySelector("[data-filter-status='" + id + "']")
    if (status) status.textContent = needle === "" ? "" : shown + " of " + rows.length + " shown"
  })

  /** The page address's values for a panel's filter fields (as a filter submit left them there). */
  const FILTER_FIELDS = { logs: ["unit", "priority"] }

  function initialQuery(el) {
    const page = new URLSearchParams(location.search)
    const params = new URLSearchParams()
    ;(Object.hasOwn(FILTER_FIELDS, el.dataset.panel) ? FILTER_FIELDS[el.dataset.panel] : []).forEach(function (key) {
      const value = page.get(key)
      if (value) params.set(key, value)
    })
    const qs = params.toString()
    return qs === "" ? "" : "?" + qs
  }

  function start() {
    doc.querySelectorAll("[data-panel][data-device]").forEach(function (el) {
      load(el, initialQuery(el))
    })
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start)
  else start()
})()
