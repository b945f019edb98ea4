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

  const bytes = (v) => {
    if (v === null || v === undefined) return "–"
    const units = ["B/s", "KB/s", "MB/s", "GB/s"]
    let i = 0
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024
      i++
    }
    return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
  }
  const pct = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} %`)
  const plain = (v) => (v === null || v === undefined ? "–" : v.toFixed(2))
  const shortBytes = (v) => bytes(v).replace("/s", "")
  const whole = (v) => `${Math.round(v)} %`

  const CHARTS = [
    {
      id: "cpu",
      fmt: pct,
      tick: whole,
      max: 100,
      series: [["cpu_percent", "busy", "--accent"], ["cpu_iowait_percent", "iowait", "--warn"], [
        "cpu_steal_percent",
        "steal",
        "--bad",
      ]],
    },
    {
      id: "mem",
      fmt: pct,
      tick: whole,
      max: 100,
      series: [["mem_used_percent", "memory", "--accent"], ["swap_used_percent", "swap", "--warn"]],
    },
    {
      id: "load",
      fmt: plain,
      tick: plain,
      series: [["load1", "1 min", "--accent"], ["load5", "5 min", "--ok"], ["load15", "15 min", "--warn"]],
    },
    {
      id: "net",
      fmt: bytes,
      tick: shortBytes,
      series: [["net_rx_bytes_per_second", "receive", "--ok"], ["net_tx_bytes_per_second", "transmit", "--accent"]],
    },
  ]

  /** What the page drew, for people debugging and for the browser test. */
  const handle = { device, range: null, points: 0, drawnAt: null, charts: {} }
  globalThis.infraCharts = handle
  let plots = []
  let generation = 0

  const say = (text, kind) => {
    stateLine.textContent = text
    stateLine.className = kind === "error" ? "notice notice-error" : kind === "empty" ? "notice notice-empty" : "muted"
    stateLine.setAttribute("role", kind === "error" ? "alert" : "status")
  }

  const clear = () => {
    for (const p of plots) p.destroy()
    plots = []
    for (const c of CHARTS) document.getElementById(`chart-${c.id}`).dataset.points = "0"
  }

  const draw = (body, from, to) => {
    clear()
    const fg = css("--fg")
    const grid = css("--line")
    const time = body.time
    let points = 0
    for (const chart of CHARTS) {
      const el = document.getElementById(`chart-${chart.id}`)
      const data = [time]
      const series = [{}]
      for (const [key, label, colour] of chart.series) {
        const values = (body.series && body.series[key]) || time.map(() => null)
        data.push(values)
        series.push({
          points: { show: values.filter((v) => v !== null).length < 60, size: 5 },
          label,
          stroke: css(colour),
          width: 1.5,
          spanGaps: false,
          value: (_, v) => chart.fmt(v),
        })
      }
      const drawn = data[1].filter((v) => v !== null).length
      el.dataset.points = String(drawn)
      handle.charts[chart.id] = { points: drawn, series: chart.series.map((s) => s[0]) }
      if (chart.id === "cpu") points = drawn
      const opts = {
        width: Math.max(280, el.clientWidth),
        height: 200,
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
      plots.push(new uPlot(opts, data, el))
    }
    handle.points = points
    return points
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
    delete document.body.dataset.chartsReady
    say("Loading charts…")
    for (const b of document.querySelectorAll("button[data-range]")) {
      b.setAttribute("aria-pressed", b.dataset.range === range ? "true" : "false")
    }
    const url = `/api/devices/${
      encodeURIComponent(device)
    }/system_metrics/series?from=${from}&to=${to}&points=${points}`
    let res
    let body
    try {
      res = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      body = await res.json()
    } catch (e) {
      if (mine !== generation) return
      clear()
      say(`Could not load the history: ${e.message}`, "error")
      document.body.dataset.chartsReady = range
      return
    }
    if (mine !== generation) return
    if (!res.ok) {
      clear()
      const err = body && body.error ? `${body.error.message} (${body.error.code})` : `HTTP ${res.status}`
      say(`Could not load the history: ${err}`, "error")
      document.body.dataset.chartsReady = range
      return
    }
    const drawn = draw(body, from, to)
    handle.drawnAt = performance.now()
    if (drawn === 0) {
      say("No data yet in this range: the first sample appears after the next system_metrics poll.", "empty")
    } else say(`${drawn} points over ${range}, ${body.step_seconds} s per point.`)
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
