// The device page in the browser: uPlot charts from the downsampled series endpoint, a shared
// cursor across them, range buttons, and (write scope only) container actions with the CSRF header.
"use strict"
;(function () {
  const root = document.getElementById("device")
  if (root === null) return
  const device = root.dataset.device
  const stateLine = document.getElementById("charts-state")
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrf = csrfMeta === null ? "" : csrfMeta.content
  const RANGES = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400 }
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888"

  const scaled = (units) => (v) => {
    if (v === null || v === undefined) return "–"
    let i = 0
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024
      i++
    }
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
  }
  const bytes = scaled(["B/s", "KB/s", "MB/s", "GB/s"])
  const size = scaled(["B", "KB", "MB", "GB", "TB"])
  const pct = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} %`)
  const plain = (v) => (v === null || v === undefined ? "–" : v.toFixed(2))
  const shortBytes = (v) => bytes(v).replace("/s", "")
  const whole = (v) => `${Math.round(v)} %`

  // Where each chart's data comes from: one request per source, all at once.
  const SOURCES = {
    main: { path: "system_metrics/series", empty: "the first sample appears after the next system_metrics poll" },
    mount: { path: "system_metrics/series", by: "mount", empty: "mounts come with system_metrics polls" },
    iface: { path: "network_interfaces/series", empty: "appears after network_interfaces polls" },
    ct: { path: "containers/series", empty: "appears after containers polls (docker or podman)" },
  }

  // Fixed series (`series`: key, label, colour) or one line per key of a split source (`field`).
  const CHARTS = [
    {
      id: "cpu",
      source: "main",
      fmt: pct,
      tick: whole,
      max: 100,
      series: [
        ["cpu_percent", "busy", "--accent"],
        ["cpu_user_percent", "user", "--series-2"],
        ["cpu_system_percent", "system", "--series-3"],
        ["cpu_iowait_percent", "iowait", "--warn"],
        ["cpu_steal_percent", "steal", "--bad"],
      ],
    },
    {
      id: "mem",
      source: "main",
      fmt: pct,
      tick: whole,
      max: 100,
      series: [["mem_used_percent", "memory", "--accent"], ["swap_used_percent", "swap", "--warn"]],
    },
    {
      id: "load",
      source: "main",
      fmt: plain,
      tick: plain,
      series: [["load1", "1 min", "--accent"], ["load5", "5 min", "--ok"], ["load15", "15 min", "--warn"]],
    },
    {
      id: "net",
      source: "main",
      fmt: bytes,
      tick: shortBytes,
      series: [["net_rx_bytes_per_second", "receive", "--ok"], ["net_tx_bytes_per_second", "transmit", "--accent"]],
    },
    { id: "disk", source: "mount", field: "used_percent", fmt: pct, tick: whole, max: 100 },
    { id: "netrx", source: "iface", field: "rx_bytes_per_second", fmt: bytes, tick: shortBytes },
    { id: "nettx", source: "iface", field: "tx_bytes_per_second", fmt: bytes, tick: shortBytes },
    { id: "ctcpu", source: "ct", field: "cpu_percent", fmt: pct, tick: whole },
    { id: "ctmem", source: "ct", field: "mem_usage_bytes", fmt: size, tick: size },
  ]

  /** What the page drew, for people debugging and for the browser test. */
  const handle = { device, range: null, points: 0, drawnAt: null, fetchedAt: null, startedAt: null, charts: {} }
  globalThis.infraCharts = handle
  let plots = []
  let generation = 0

  const say = (text, kind) => {
    stateLine.textContent = text
    stateLine.className = kind === "error" ? "notice notice-error" : kind === "empty" ? "notice notice-empty" : "muted"
    stateLine.setAttribute("role", kind === "error" ? "alert" : "status")
  }

  /** A chart's own line under it: hidden while it simply shows data. */
  const chartSay = (id, text, kind) => {
    const el = document.getElementById(`chart-${id}-state`)
    el.textContent = text || ""
    el.hidden = !text
    el.className = `chart-state ${kind === "error" ? "chart-state-error" : "muted"}`
    el.setAttribute("role", kind === "error" ? "alert" : "status")
  }

  const clear = () => {
    for (const p of plots) p.destroy()
    plots = []
    for (const c of CHARTS) {
      document.getElementById(`chart-${c.id}`).dataset.points = "0"
      chartSay(c.id, "Loading…")
    }
    handle.charts = {}
  }

  /** The lines of one chart from its source's answer. */
  const linesOf = (chart, body) => {
    const nulls = () => body.time.map(() => null)
    if (chart.series) {
      return chart.series.map(([key, label, colour]) => ({
        values: (body.series && body.series[key]) || nulls(),
        label,
        colour,
      }))
    }
    return (body.keys || []).map((k, i) => ({
      values: (k.series && k.series[chart.field]) || nulls(),
      label: k.key,
      colour: `--series-${(i % 8) + 1}`,
    }))
  }

  const drawChart = (chart, body, from, to) => {
    const el = document.getElementById(`chart-${chart.id}`)
    const lines = linesOf(chart, body)
    const counts = lines.map((l) => l.values.filter((v) => v !== null).length)
    // The first line decides for fixed series (the CPU chart is "busy"), any line for split ones.
    const drawn = chart.series ? (counts[0] || 0) : Math.max(0, ...counts)
    el.dataset.points = String(drawn)
    handle.charts[chart.id] = { points: drawn, lines: lines.map((l) => l.label) }
    if (drawn === 0) {
      chartSay(chart.id, `No data yet in this range: ${SOURCES[chart.source].empty}.`)
      return 0
    }
    const total = body.keys_total || 0
    chartSay(chart.id, lines.length < total ? `The ${lines.length} busiest or fullest of ${total} shown.` : "")
    const fg = css("--fg")
    const grid = css("--line")
    const series = [{}]
    for (const line of lines) {
      series.push({
        points: { show: line.values.filter((v) => v !== null).length < 60, size: 5 },
        label: line.label,
        stroke: css(line.colour),
        width: 1.5,
        spanGaps: false,
        value: (_, v) => chart.fmt(v),
      })
    }
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 200,
      // One sync key for the page: the crosshair moves on every chart at once, matched by time.
      cursor: { sync: { key: `infra-${device}` }, focus: { prox: 16 } },
      scales: {
        x: { time: true, range: () => [from, to] },
        y: chart.max ? { range: [0, chart.max] } : { auto: true },
      },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: fg,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 72,
          values: (_, ticks) => ticks.map(chart.tick),
        },
      ],
      series,
    }
    plots.push(new uPlot(opts, [body.time, ...lines.map((l) => l.values)], el))
    return drawn
  }

  const fetchSource = async (key, from, to, points) => {
    const source = SOURCES[key]
    const params = new URLSearchParams({ from: String(from), to: String(to), points: String(points) })
    if (source.by) params.set("by", source.by)
    const url = `/api/devices/${encodeURIComponent(device)}/${source.path}?${params}`
    let res
    let body
    try {
      res = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      body = await res.json()
    } catch (e) {
      return { error: e.message }
    }
    if (!res.ok) {
      return { error: body && body.error ? `${body.error.message} (${body.error.code})` : `HTTP ${res.status}` }
    }
    return { body }
  }

  const load = async (range) => {
    const mine = ++generation
    const seconds = RANGES[range] || RANGES["24h"]
    const to = Math.floor(Date.now() / 1000)
    const from = to - seconds
    const width = document.getElementById("chart-cpu").clientWidth || 600
    const points = Math.min(1000, Math.max(60, Math.round(width)))
    handle.range = range
    handle.drawnAt = null
    handle.fetchedAt = null
    handle.startedAt = performance.now()
    delete document.body.dataset.chartsReady
    say("Loading charts…")
    clear()
    for (const b of document.querySelectorAll("button[data-range]")) {
      b.setAttribute("aria-pressed", b.dataset.range === range ? "true" : "false")
    }
    // The CPU chart's source first, alone, so it is drawn soonest; then the split sources at once,
    // each drawn as soon as it answers.
    const drawn = {}
    const show = async (key) => {
      const answer = await fetchSource(key, from, to, points)
      if (mine !== generation) return
      if (key === "main") handle.fetchedAt = performance.now()
      for (const chart of CHARTS.filter((c) => c.source === key)) {
        if (answer.error !== undefined) {
          handle.charts[chart.id] = { points: 0, lines: [], error: answer.error }
          chartSay(chart.id, `Could not load: ${answer.error}`, "error")
        } else drawn[chart.id] = drawChart(chart, answer.body, from, to)
      }
      if (key !== "main") return
      handle.drawnAt = performance.now()
      handle.points = drawn.cpu || 0
      if (answer.error !== undefined) say(`Could not load the history: ${answer.error}`, "error")
      else if (!handle.points) say(`No data yet in this range: ${SOURCES.main.empty}.`, "empty")
      else say(`${handle.points} points over ${range}, ${answer.body.step_seconds} s per point.`)
    }
    await show("main")
    if (mine !== generation) return
    await Promise.all(Object.keys(SOURCES).filter((key) => key !== "main").map(show))
    if (mine !== generation) return
    document.body.dataset.chartsReady = range
  }

  for (const b of document.querySelectorAll("button[data-range]")) {
    b.addEventListener("click", () => {
      const params = new URLSearchParams(location.search)
      params.set("range", b.dataset.range)
      history.replaceState(null, "", `${location.pathname}?${params}`)
      load(b.dataset.range)
    })
  }
  let resizeTimer = null
  globalThis.addEventListener("resize", () => {
    clearTimeout(resizeTimer)
    resizeTimer = setTimeout(() => {
      for (const p of plots) p.setSize({ width: Math.max(280, p.root.parentElement.clientWidth), height: 200 })
    }, 150)
  })
  load(root.dataset.range || "24h")

  // Container actions: present only for write scope; the server checks scope and CSRF anyway.
  const result = document.getElementById("container-result")
  document.addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-write='container']")
    if (button === null) return
    const { action, name } = button.dataset
    button.disabled = true
    result.textContent = `${action} ${name}…`
    try {
      const res = await fetch(
        `/api/devices/${encodeURIComponent(device)}/containers/${encodeURIComponent(name)}/${action}`,
        { method: "POST", credentials: "same-origin", headers: { "x-csrf-token": csrf } },
      )
      const body = await res.json().catch(() => ({}))
      result.textContent = res.ok
        ? `${action} ${name}: done`
        : `${action} ${name} failed: ${body.error ? body.error.message : res.status}`
    } finally {
      button.disabled = false
    }
  })
})()
