/**
 * Config history pages: draws each unified diff (the page's <pre>, readable without scripts) with
 * diff2html, highlights it with the bundled highlight.js (nginx loaded as an ES module), and runs a
 * confirmed restore through the REST API with the session's CSRF header.
 */
"use strict"
;(() => {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrf = csrfMeta === null ? "" : csrfMeta.content

  /** Make `lang` known to the bundle's highlight.js; false when it cannot be. */
  const ensureLanguage = async (hljs, lang, url) => {
    if (hljs.getLanguage(lang) !== undefined) return true
    if (!url) return false
    try {
      const mod = await import(url)
      hljs.registerLanguage(lang, mod.default)
      return true
    } catch {
      return false
    }
  }

  /**
   * The API names the two sides `path@id` (or `path (current)` / `path (snapshot id)`): one file
   * to the reader, not a rename, so the header lines keep only the path (the page says which is which).
   */
  const tidyHeaders = (diff) => {
    const lines = diff.split("\n")
    for (let i = 0; i < lines.length && !lines[i].startsWith("@@"); i++) {
      const m = /^(---|\+\+\+) (.*?)(?:@\d+| \((?:current|snapshot \d+)\))?(\t.*)?$/.exec(lines[i])
      if (m !== null) lines[i] = `${m[1]} ${m[2]}${m[3] ?? ""}`
    }
    return lines.join("\n")
  }

  /** No layout asked for: side by side, unless the screen is too narrow for two columns. */
  const unified = (view) =>
    view === "unified" || (view !== "side" && globalThis.matchMedia("(max-width: 700px)").matches)

  const draw = async (block) => {
    const source = block.querySelector(".diff-source")
    const target = block.querySelector(".diff-rendered")
    if (source === null || target === null || typeof globalThis.Diff2HtmlUI !== "function") return
    const ui = new globalThis.Diff2HtmlUI(target, tidyHeaders(source.textContent), {
      outputFormat: unified(block.dataset.view) ? "line-by-line" : "side-by-side",
      drawFileList: false,
      matching: "lines",
      highlight: false,
      fileListToggle: false,
      fileContentToggle: false,
      stickyFileHeaders: false,
      synchronisedScroll: true,
      colorScheme: "auto",
    })
    ui.draw()
    block.classList.add("is-rendered")
    block.dataset.rendered = "true"
    const lang = block.dataset.lang
    if (ui.hljs !== null && await ensureLanguage(ui.hljs, lang, block.dataset.langUrl)) {
      // diff2html guesses the language from the file name; ours comes from the config type.
      for (const wrapper of target.querySelectorAll(".d2h-file-wrapper")) wrapper.setAttribute("data-lang", lang)
      ui.config.highlightLanguages = new Map([[lang, lang]])
      ui.highlightCode()
      block.dataset.highlighted = lang
    }
  }

  for (const block of document.querySelectorAll(".diff[data-lang]")) draw(block)

  const confirm = document.getElementById("restore-confirm")
  const result = document.getElementById("restore-result")
  if (confirm === null || result === null) return
  confirm.addEventListener("click", async () => {
    const { device, snapshot, timeline } = confirm.dataset
    confirm.disabled = true
    result.textContent = `Writing version #${snapshot}…`
    let restored = false
    try {
      const res = await fetch(`/api/devices/${encodeURIComponent(device)}/configs/restore`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ snapshot_id: snapshot, dry_run: false }),
      })
      const body = await res.json().catch(() => ({}))
      if (!res.ok) {
        result.textContent = `Restore failed: ${body.error ? body.error.message : res.status}`
        return
      }
      restored = body.restored === true
      const notes = (body.warnings || []).map((w) => w.message)
      result.textContent = [
        restored ? `Restored version #${snapshot}.` : body.message || "Nothing was written.",
        body.backup ? `Backup: ${body.backup}.` : "",
        ...notes,
      ].filter((s) => s !== "").join(" ")
      result.dataset.state = restored ? "restored" : "unchanged"
      const back = document.createElement("a")
      back.href = timeline
      back.textContent = "Back to the file's versions"
      result.append(" ", back)
    } catch (e) {
      result.textContent = `Restore failed: ${e && e.message ? e.message : "network error"}`
    } finally {
      confirm.disabled = restored
    }
  })
})()
