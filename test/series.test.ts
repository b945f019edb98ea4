/**
 * GET /api/devices/:device/:dataType/series: system_metrics downsampled in SQL (date_bin) into at
 * most `points` buckets, columnar for a chart library. Known rows at known times, on PGlite and
 * PostgreSQL: bucket counts, hand-computed averages, the disk max, network rates from the counters
 * (a counter reset is no negative spike), the validation answers; then a real read of a real host.
 */
import assert from "node:assert/strict"
import { setTimeout as sleep } from "node:timers/promises"
import { after, before, describe, test } from "node:test"
import { type Row, Store } from "../src/store/Store.ts"
import { runIn, type TestApp, withTestApp } from "./harness/app.ts"
import { testBackends } from "./harness/db.ts"
import { type SshdHandle, startSshd, stopAllSshd } from "./harness/sshd.ts"

const T0 = Date.parse("2026-01-01T00:00:00Z")
const iso = (ms: number) => new Date(ms).toISOString()
const SERIES = [
  "cpu_percent",
  "cpu_user_percent",
  "cpu_system_percent",
  "cpu_iowait_percent",
  "cpu_steal_percent",
  "mem_used_percent",
  "swap_used_percent",
  "load1",
  "load5",
  "load15",
  "disk_used_percent_max",
  "net_rx_bytes_per_second",
  "net_tx_bytes_per_second",
]

const addDevice = async (t: TestApp, name: string): Promise<number> => {
  const device = await runIn(t, Store.use((s) => s.createDevice({ name, host: "192.0.2.10" })))
  return device.id
}

const insert = (t: TestApp, rows: ReadonlyArray<Row>) =>
  runIn(t, Store.use((s) => s.insertRows("system_metrics", rows)))

/**
 * Three hours of one row a minute (i = 0..179 at T0 + 60 i s). rx counts 1000 B a minute and is
 * reset (reboot) at i = 95, counting 100 B a minute from 0 after it; tx counts 600 B a minute.
 */
const threeHours = (deviceId: number): Array<Row> =>
  Array.from({ length: 180 }, (_, i) => ({
    time: new Date(T0 + i * 60_000),
    device_id: deviceId,
    cpu_percent: i,
    cpu_iowait_percent: i % 2 === 0 ? 1 : 2,
    mem_used_percent: 50 + (i % 10),
    swap_total_bytes: i >= 170 ? 0 : 1000,
    swap_used_bytes: i >= 170 ? 0 : 100 + (i % 10) * 10,
    load1: (i % 10) / 4,
    load5: 1,
    load15: 2,
    disk_used_percent_max: 30 + (i % 13),
    net_rx_bytes: i >= 95 ? 100 * (i - 95) : 1000 * i,
    net_tx_bytes: 600 * i,
    // The parsed reading: user/system come from here; row 7 of each ten has an odd (string) value.
    data: { cpu: { total: { user_percent: i % 10 === 7 ? "x" : 10, system_percent: i % 2 } } },
  }))

const get = (t: TestApp, path: string) => t.request("GET", path)

/** The answer's shape: one value per bucket in every series, buckets ascending and step apart. */
const checkShape = (body: any, points: number) => {
  assert.deepEqual(Object.keys(body.series), SERIES)
  assert.equal(body.points, body.time.length)
  assert.ok(body.points <= points, `${body.points} buckets for points=${points}`)
  for (const name of SERIES) assert.equal(body.series[name].length, body.time.length, name)
  const from = Date.parse(body.from) / 1000
  for (const [k, time] of (body.time as Array<number>).entries()) {
    assert.equal((time - from) % body.step_seconds, 0, "a bucket starts a whole number of steps from `from`")
    if (k > 0) assert.ok(time > body.time[k - 1], "ascending")
  }
}

let sshd: SshdHandle
before(async () => {
  sshd = await startSshd({ address: "127.0.0.113" })
})
after(() => stopAllSshd())

for (const backend of testBackends()) {
  describe(`series on ${backend.name}`, () => {
    test("three hours into 18 buckets: averages, the disk max, rates across a counter reset", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        await insert(t, threeHours(id))
        const res = await get(
          t,
          `/api/devices/nas/system_metrics/series?from=${iso(T0)}&to=${iso(T0 + 3 * 3600_000)}&points=18`,
        )
        assert.equal(res.status, 200, JSON.stringify(res.body))
        const body = res.body
        assert.equal(body.device, "nas")
        assert.equal(body.data_type, "system_metrics")
        assert.equal(body.from, "2026-01-01T00:00:00.000Z")
        assert.equal(body.to, "2026-01-01T03:00:00.000Z")
        assert.equal(body.step_seconds, 600)
        assert.equal(body.points, 18)
        checkShape(body, 18)
        assert.deepEqual(body.time, Array.from({ length: 18 }, (_, k) => T0 / 1000 + k * 600))
        const s = body.series
        // Bucket k holds rows 10k..10k+9.
        assert.deepEqual(s.cpu_percent, Array.from({ length: 18 }, (_, k) => 10 * k + 4.5))
        assert.deepEqual(s.cpu_user_percent, Array(18).fill(10), "from data.cpu.total; a non-number is skipped")
        assert.deepEqual(s.cpu_system_percent, Array(18).fill(0.5))
        assert.deepEqual(s.cpu_iowait_percent, Array(18).fill(1.5))
        assert.deepEqual(s.cpu_steal_percent, Array(18).fill(null), "never reported: null, not 0")
        assert.deepEqual(s.mem_used_percent, Array(18).fill(54.5))
        // (100 + 10 j) / 1000 for j = 0..9 averages 14.5 %; no swap (total 0) in the last bucket: null.
        assert.deepEqual(s.swap_used_percent, [...Array(17).fill(14.5), null])
        assert.deepEqual(s.load1, Array(18).fill(1.125))
        assert.deepEqual(s.load5, Array(18).fill(1))
        assert.deepEqual(s.load15, Array(18).fill(2))
        // The max of 30 + (i % 13) over rows 10k..10k+9 (the averages would be 34.5 to 37.5): bucket 0
        // holds 30..39, bucket 4 (rows 40..49) 31..40, bucket 8 (80..89) 32..41, ...; 42 where an i % 13 = 12.
        assert.deepEqual(s.disk_used_percent_max, [
          39,
          42,
          42,
          42,
          40,
          42,
          42,
          42,
          41,
          42,
          42,
          42,
          42,
          39,
          42,
          42,
          42,
          40,
        ])
        // tx: 600 B a minute throughout is 10 B/s in every bucket.
        assert.deepEqual(s.net_tx_bytes_per_second, Array(18).fill(10))
        // rx: 1000 B/min = 16.667 B/s. Bucket 9 (rows 90..99) has the reset at row 95: its decrease
        // counts for nothing; 5 × 1000 B (rows 90..94) + 4 × 100 B (96..99) over 9 minutes = 10 B/s.
        // After the reset: 100 B/min = 1.667 B/s.
        assert.deepEqual(s.net_rx_bytes_per_second, [
          ...Array(9).fill(16.667),
          10,
          ...Array(8).fill(1.667),
        ])
        assert.ok(s.net_rx_bytes_per_second.every((v: number) => v >= 0), "never negative")
      })
    })

    test("a counter reset alone in a bucket is null; the row before `from` gives the first bucket its rate", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        const row = (minute: number, rx: number) => ({
          time: new Date(T0 + minute * 60_000),
          device_id: id,
          cpu_percent: 5,
          net_rx_bytes: rx,
          net_tx_bytes: rx,
          data: {},
        })
        // minute 0: 0; minute 1: 6000 (100 B/s); minute 2: reset to 10; minute 3: 6010 (100 B/s).
        await insert(t, [row(0, 0), row(1, 6000), row(2, 10), row(3, 6010)])
        const res = await get(
          t,
          `/api/devices/nas/system_metrics/series?from=${iso(T0 + 30_000)}&to=${iso(T0 + 240_000)}&points=10`,
        )
        assert.equal(res.status, 200, JSON.stringify(res.body))
        // 210 s / 10 points = 21 s buckets from 00:00:30: the rows at 60, 120 and 180 s fall in buckets 1, 4 and 7.
        assert.equal(res.body.step_seconds, 21)
        checkShape(res.body, 10)
        assert.deepEqual(res.body.time, [T0 / 1000 + 30 + 21, T0 / 1000 + 30 + 84, T0 / 1000 + 30 + 147])
        assert.deepEqual(res.body.series.net_rx_bytes_per_second, [100, null, 100])
        assert.deepEqual(res.body.series.net_tx_bytes_per_second, [100, null, 100])
        assert.deepEqual(res.body.series.cpu_percent, [5, 5, 5])
      })
    })

    test("thirty days of a 60 s metric (43,200 rows) come back in at most 1000 buckets", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        const rows = Array.from({ length: 43_200 }, (_, i) => ({
          time: new Date(T0 + i * 60_000),
          device_id: id,
          cpu_percent: i % 100,
          disk_used_percent_max: i === 43_199 ? 99 : 50,
          net_rx_bytes: 120 * i,
          data: {},
        }))
        assert.equal(await insert(t, rows), 43_200)
        const range = `from=${iso(T0)}&to=${iso(T0 + 30 * 86_400_000)}`
        const most = await get(t, `/api/devices/nas/system_metrics/series?${range}&points=1000`)
        assert.equal(most.status, 200, JSON.stringify(most.body))
        assert.equal(most.body.step_seconds, 2592) // 30 d / 1000, whole
        assert.equal(most.body.points, 1000)
        checkShape(most.body, 1000)
        // Bucket 0 is [0, 2592 s): rows 0..43 (at 0..2580 s), cpu 0..43: average 21.5.
        assert.equal(most.body.series.cpu_percent[0], 21.5)
        assert.equal(most.body.series.disk_used_percent_max[999], 99, "the max, not the average")
        assert.equal(most.body.series.disk_used_percent_max[998], 50)
        // 120 B a minute = 2 B/s; bucket 0's first row has no predecessor, the rest do.
        assert.deepEqual([...new Set(most.body.series.net_rx_bytes_per_second)], [2])

        const byDefault = await get(t, `/api/devices/nas/system_metrics/series?${range}`)
        assert.equal(byDefault.status, 200)
        assert.equal(byDefault.body.step_seconds, 8640)
        assert.equal(byDefault.body.points, 300, "300 points by default")
        checkShape(byDefault.body, 300)

        // A range beyond the data: only buckets with rows come back (a gap is a missing time).
        const wider = await get(
          t,
          `/api/devices/nas/system_metrics/series?from=${iso(T0 - 30 * 86_400_000)}&to=${
            iso(T0 + 30 * 86_400_000)
          }&points=1000`,
        )
        assert.equal(wider.status, 200)
        assert.equal(wider.body.step_seconds, 5184)
        assert.equal(wider.body.points, 500)
        assert.equal(wider.body.time[0], T0 / 1000)
        checkShape(wider.body, 1000)
      })
    })

    test("defaults: the last hour up to now; an empty range is empty arrays", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        const now = Date.now()
        await insert(t, [
          { time: new Date(now - 30 * 60_000), device_id: id, cpu_percent: 20, data: {} },
          { time: new Date(now - 2 * 3600_000), device_id: id, cpu_percent: 90, data: {} },
        ])
        const res = await get(t, "/api/devices/nas/system_metrics/series")
        assert.equal(res.status, 200, JSON.stringify(res.body))
        const span = Date.parse(res.body.to) - Date.parse(res.body.from)
        assert.equal(span, 3600_000, "one hour")
        assert.ok(Date.parse(res.body.to) >= now && Date.parse(res.body.to) % 1000 === 0, "now, up to the second")
        assert.equal(res.body.step_seconds, 12)
        assert.equal(res.body.points, 1)
        assert.deepEqual(res.body.series.cpu_percent, [20])
        checkShape(res.body, 300)
        // "6h" parses like the history route's from.
        const six = await get(t, "/api/devices/nas/system_metrics/series?from=6h&points=10")
        assert.equal(six.status, 200)
        assert.deepEqual(six.body.series.cpu_percent, [90, 20])

        const empty = await get(
          t,
          `/api/devices/nas/system_metrics/series?from=${iso(T0)}&to=${iso(T0 + 86_400_000)}`,
        )
        assert.equal(empty.status, 200)
        assert.equal(empty.body.points, 0)
        assert.deepEqual(empty.body.time, [])
        for (const name of SERIES) assert.deepEqual(empty.body.series[name], [], name)
      })
    })

    test("user and system CPU: filled from the reading on insert (sql/096); a value given explicitly wins", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        const total = { user_percent: 10, system_percent: 4 }
        await insert(t, [
          { time: new Date(T0), device_id: id, cpu_percent: 20, data: { cpu: { total } } },
          { time: new Date(T0 + 60_000), device_id: id, cpu_user_percent: 77, data: { cpu: { total } } },
          { time: new Date(T0 + 120_000), device_id: id, cpu_percent: 1, data: { cpu: { total: "odd" } } },
        ])
        const stored = await runIn(
          t,
          Store.use((s) => s.history({ table: "system_metrics", deviceId: id })),
        )
        assert.deepEqual(
          stored.map((r) => [r["cpu_user_percent"], r["cpu_system_percent"]]),
          [[null, null], [77, 4], [10, 4]],
        )
        const res = await get(
          t,
          `/api/devices/nas/system_metrics/series?from=${iso(T0)}&to=${iso(T0 + 180_000)}&points=10`,
        )
        assert.equal(res.status, 200, JSON.stringify(res.body))
        assert.deepEqual(res.body.series.cpu_user_percent, [10, 77, null])
        assert.deepEqual(res.body.series.cpu_system_percent, [4, 4, null])
      })
    })

    test("split series: mounts by current use, interfaces by traffic, containers by CPU; at most 8 keys", async () => {
      await withTestApp(backend, {}, async (t) => {
        const id = await addDevice(t, "nas")
        const other = await addDevice(t, "other")
        const minute = (i: number) => new Date(T0 + i * 60_000)
        const mount = (mountpoint: string, used: number, pseudo = false) => ({ mountpoint, used_percent: used, pseudo })
        // One system_metrics row a minute for an hour: ten real mounts, one pseudo (left out).
        await insert(
          t,
          Array.from({ length: 60 }, (_, i) => ({
            time: minute(i),
            device_id: id,
            cpu_percent: 1,
            data: {
              disk: {
                mounts: [
                  mount("/", i % 6 === 2 ? 49 : 40),
                  mount("/data", 90),
                  mount("/boot", i < 30 ? 95 : 10),
                  mount("/proc", 100, true),
                  ...[1, 2, 3, 4, 5, 6, 7].map((k) => mount(`/m${k}`, k)),
                ],
              },
            },
          })),
        )
        // Interfaces, minute -1 (before `from`: the first bucket's predecessor) to 59; lo is left out.
        const iface = (i: number, name: string, rx: number, tx: number, device = id) => ({
          time: minute(i),
          device_id: device,
          interface: name,
          rx_bytes: rx,
          tx_bytes: tx,
          data: {},
        })
        await runIn(
          t,
          Store.use((st) =>
            st.insertRows("network_interfaces", [
              ...Array.from({ length: 61 }, (_, k) => k - 1).flatMap((i) => [
                iface(i, "eth0", 1000 * (i + 1), 600 * (i + 1)),
                iface(i, "wg0", 60 * (i + 1), 0),
                iface(i, "lo", 1e9 * (i + 1), 1e9 * (i + 1)),
              ]),
              // Only in the second half, but the most traffic: first.
              ...Array.from({ length: 30 }, (_, k) => iface(30 + k, "docker0", 6000 * k, 0)),
              iface(10, "eth9", 1e12, 1e12, other),
            ])
          ),
        )
        const snapshot = (i: number, name: string, cpu: number | null, mem: number, device = id) => ({
          time: minute(i),
          device_id: device,
          container_id: `id-${name}`,
          name,
          state: "running",
          cpu_percent: cpu,
          mem_usage_bytes: mem,
          data: {},
        })
        await runIn(
          t,
          Store.use((st) =>
            st.insertRows("container_snapshots", [
              ...Array.from({ length: 60 }, (_, i) => [
                snapshot(i, "db", 10, 1e9),
                snapshot(i, "web", 50 + (i % 2), 1e8),
                snapshot(i, "idle", null, 5),
              ]).flat(),
              snapshot(5, "elsewhere", 99, 1, other),
            ])
          ),
        )
        const range = `from=${iso(T0)}&to=${iso(T0 + 3600_000)}&points=10`
        const times = Array.from({ length: 10 }, (_, k) => T0 / 1000 + k * 360)

        const mounts = await get(t, `/api/devices/nas/system_metrics/series?${range}&by=mount`)
        assert.equal(mounts.status, 200, JSON.stringify(mounts.body))
        assert.equal(mounts.body.by, "mount")
        assert.equal(mounts.body.step_seconds, 360)
        assert.deepEqual(mounts.body.time, times)
        assert.equal(mounts.body.points, 10)
        assert.equal(mounts.body.keys_total, 10, "ten real mounts; /proc is pseudo")
        assert.deepEqual(
          mounts.body.keys.map((k: any) => k.key),
          ["/data", "/", "/boot", "/m7", "/m6", "/m5", "/m4", "/m3"],
          "the fullest now first, eight at most",
        )
        const used = (key: string) => mounts.body.keys.find((k: any) => k.key === key).series.used_percent
        assert.deepEqual(used("/"), Array(10).fill(40), "the newest reading of each bucket (49 was earlier)")
        assert.deepEqual(used("/boot"), [...Array(5).fill(95), ...Array(5).fill(10)])
        assert.deepEqual(Object.keys(mounts.body.keys[0].series), ["used_percent"])

        const nets = await get(t, `/api/devices/nas/network_interfaces/series?${range}`)
        assert.equal(nets.status, 200, JSON.stringify(nets.body))
        assert.equal(nets.body.by, "interface", "the default split")
        assert.deepEqual(nets.body.time, times)
        assert.equal(nets.body.keys_total, 3)
        assert.deepEqual(nets.body.keys.map((k: any) => k.key), ["docker0", "eth0", "wg0"])
        const [docker0, eth0, wg0] = nets.body.keys.map((k: any) => k.series)
        assert.deepEqual(Object.keys(eth0), ["rx_bytes_per_second", "tx_bytes_per_second"])
        // 1000 B and 600 B a minute; the row before `from` gives bucket 0 its first delta.
        assert.deepEqual(eth0.rx_bytes_per_second, Array(10).fill(16.667))
        assert.deepEqual(eth0.tx_bytes_per_second, Array(10).fill(10))
        assert.deepEqual(wg0.rx_bytes_per_second, Array(10).fill(1))
        // docker0 starts at minute 30, bucket 5 (its first row has no predecessor): null where it has no rows.
        assert.deepEqual(docker0.rx_bytes_per_second, [...Array(5).fill(null), ...Array(5).fill(100)])

        const cts = await get(t, `/api/devices/nas/containers/series?${range}&by=container`)
        assert.equal(cts.status, 200, JSON.stringify(cts.body))
        assert.equal(cts.body.by, "container")
        assert.equal(cts.body.keys_total, 3, "only this device's containers")
        assert.deepEqual(cts.body.keys.map((k: any) => k.key), ["web", "db", "idle"], "busiest first")
        const [web, db, idle] = cts.body.keys.map((k: any) => k.series)
        assert.deepEqual(web.cpu_percent, Array(10).fill(50.5))
        assert.deepEqual(db.mem_usage_bytes, Array(10).fill(1e9))
        assert.deepEqual(idle.cpu_percent, Array(10).fill(null))
        assert.deepEqual(idle.mem_usage_bytes, Array(10).fill(5))

        const empty = await get(t, `/api/devices/other/system_metrics/series?${range}&by=mount`)
        assert.equal(empty.status, 200)
        assert.deepEqual(
          [empty.body.points, empty.body.time, empty.body.keys, empty.body.keys_total],
          [0, [], [], 0],
        )
      })
    })

    test("bad points, bad times, unknown devices and types without a series are refused", async () => {
      await withTestApp(backend, {}, async (t) => {
        await addDevice(t, "nas")
        for (const points of ["9", "1001", "0", "-5", "abc", "12.5", "1e2"]) {
          const res = await get(t, `/api/devices/nas/system_metrics/series?points=${points}`)
          assert.equal(res.status, 400, `points=${points}: ${JSON.stringify(res.body)}`)
          assert.equal(res.body.error.code, "bad_request")
          assert.match(res.body.error.message, /^points must be an integer between 10 and 1000/)
        }
        for (const ok of ["10", "1000"]) {
          assert.equal((await get(t, `/api/devices/nas/system_metrics/series?points=${ok}`)).status, 200, ok)
        }
        const badTime = await get(t, "/api/devices/nas/system_metrics/series?from=yesterday")
        assert.equal(badTime.status, 400)
        assert.match(badTime.body.error.message, /^from must be an ISO 8601 time/)
        const reversed = await get(t, `/api/devices/nas/system_metrics/series?from=${iso(T0)}&to=${iso(T0 - 1000)}`)
        assert.equal(reversed.status, 400)
        assert.equal(reversed.body.error.message, "from must not be after to")

        const missing = await get(t, "/api/devices/nope/system_metrics/series")
        assert.equal(missing.status, 404)
        assert.equal(missing.body.error.code, "device_not_found")

        for (const type of ["drive_health", "zfs"]) {
          const res = await get(t, `/api/devices/nas/${type}/series`)
          assert.equal(res.status, 400, `${type}: ${JSON.stringify(res.body)}`)
          assert.equal(
            res.body.error.message,
            `series not available for ${type}; available for: system_metrics, network_interfaces, containers`,
          )
        }
        for (
          const [type, by, allowed] of [
            ["system_metrics", "interface", "mount"],
            ["system_metrics", "MOUNT", "mount"],
            ["containers", "mount", "container"],
            ["network_interfaces", "x<script>", "interface"],
          ]
        ) {
          const res = await get(t, `/api/devices/nas/${type}/series?by=${encodeURIComponent(by!)}`)
          assert.equal(res.status, 400, `${type} by=${by}: ${JSON.stringify(res.body)}`)
          assert.equal(res.body.error.code, "bad_request")
          assert.equal(res.body.error.message, `by must be one of: ${allowed} (for ${type}), got '${by}'`)
        }
        const unknown = await get(t, "/api/devices/nas/nonsense/series")
        assert.equal(unknown.status, 404)
        assert.equal(unknown.body.error.code, "unknown_data_type")
      })
    })

    test("end to end: real polls of a real host give the series points", { timeout: 120_000 }, async () => {
      await withTestApp(backend, { ssh: { connectTimeoutMs: 5000, commandTimeoutMs: 20_000 } }, async (t) => {
        const added = await t.request("POST", "/api/devices?probe=false", {
          name: "live",
          host: sshd.host,
          port: sshd.port,
          username: sshd.user,
          private_key_path: sshd.privateKeyPath,
        })
        assert.equal(added.status, 201, JSON.stringify(added.body))
        for (let poll = 0; poll < 3; poll++) {
          if (poll > 0) await sleep(1100)
          const read = await get(t, "/api/devices/live/system_metrics?force_refresh=true")
          assert.equal(read.status, 200, JSON.stringify(read.body))
        }
        const res = await get(t, "/api/devices/live/system_metrics/series?from=1m&points=120")
        assert.equal(res.status, 200, JSON.stringify(res.body))
        assert.equal(res.body.step_seconds, 1)
        assert.ok(res.body.points >= 2, `three polls a second apart, got ${res.body.points} buckets`)
        checkShape(res.body, 120)
        for (const name of ["cpu_percent", "mem_used_percent", "load1", "disk_used_percent_max"]) {
          const values = res.body.series[name] as Array<number | null>
          assert.ok(values.every((v) => typeof v === "number" && v >= 0), `${name}: ${JSON.stringify(values)}`)
        }
        assert.ok(res.body.series.mem_used_percent.every((v: number) => v > 0 && v <= 100))
        for (const name of ["cpu_user_percent", "cpu_system_percent"]) {
          const values = res.body.series[name] as Array<number | null>
          assert.ok(values.every((v) => typeof v === "number" && v >= 0 && v <= 100), `${name}: ${values}`)
        }
        const mounts = await get(t, "/api/devices/live/system_metrics/series?from=1m&points=120&by=mount")
        assert.equal(mounts.status, 200, JSON.stringify(mounts.body))
        assert.ok(mounts.body.keys.length >= 1, `the host's df gives mounts: ${JSON.stringify(mounts.body)}`)
        for (const k of mounts.body.keys) {
          assert.ok(k.series.used_percent.some((v: number | null) => typeof v === "number"), k.key)
        }
        const rx = res.body.series.net_rx_bytes_per_second.slice(1) as Array<number | null>
        assert.ok(rx.every((v) => v === null || v >= 0), `rates from the host's counters: ${JSON.stringify(rx)}`)
        assert.ok(rx.some((v) => typeof v === "number"), "the second poll on has a rate from the counters")
      })
    })
  })
}
