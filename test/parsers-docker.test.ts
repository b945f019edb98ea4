import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import path from "node:path"
import process from "node:process"
import { describe, it } from "node:test"
import { Result } from "effect"
import { ParseError, ValidationError } from "../src/domain/errors.ts"
import {
  type Container,
  type ContainersData,
  mergeContainers,
  parseComposePsJsonLines,
  parseComposePsTable,
  parseContainerActionOutput,
  parseContainerInspect,
  parseContainers,
  parseContainersOutput,
  parseDockerPsJsonLines,
  parseDockerPsTable,
  parseDockerStatsJsonLines,
  parseDockerStatsTable,
  parseEngineContainerList,
  parseEngineContainerStats,
  parseEngineInfo,
  parseInspectOutput,
  parseLogsOutput,
  parsePodmanPsJson,
  parsePodmanStatsJson,
  parsePortsString,
} from "../src/collectors/docker/parse-containers.ts"
import {
  parseDockerNetworkLsTable,
  parseDockerNetworks,
  parseDockerNetworksOutput,
  parseNetworkInspect,
} from "../src/collectors/docker/parse-docker-networks.ts"
import { emptyContainer } from "../src/collectors/docker/parse/ps.ts"
import { MARKER } from "../src/collectors/shared/sections.ts"
import {
  containerActionScript,
  containerInspectScript,
  containerLogsScript,
  containers,
  validateContainerName,
} from "../src/collectors/docker/containers.ts"
import { dockerNetworks } from "../src/collectors/docker/docker-networks.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"
import { dockerShims, runWithShims } from "./harness/shims/docker.ts"

const CAT = "docker"

const ok = <A>(r: Result.Result<A, ParseError>, what = "parse"): A => {
  if (Result.isFailure(r)) assert.fail(`${what} failed: ${r.failure.message} at ${r.failure.at}`)
  return r.success
}

const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) assert.fail("expected a failure")
  return r.failure
}

/** Which exported parser reads which recorded output, by file name. Every fixture must match one. */
const PARSERS: ReadonlyArray<readonly [RegExp, (text: string) => Result.Result<unknown, ParseError>]> = [
  [/__ps_format-json\.jsonl$/, parseDockerPsJsonLines],
  [/__ps_filter-.*\.txt$/, parseDockerPsTable],
  [/__stats_no-stream_format-json\.jsonl$/, parseDockerStatsJsonLines],
  [/docker-stats_no-stream_table\.txt$/, parseDockerStatsTable],
  [/compose-ps_format-json\.jsonl$/, parseComposePsJsonLines],
  [/compose-ps_status-.*\.txt$/, parseComposePsTable],
  [/engine-api_containers-list\.json$/, parseEngineContainerList],
  [/engine-api_container-stats\.json$/, parseEngineContainerStats],
  [/engine-api_info\.json$/, parseEngineInfo],
  [/(engine-api_container-inspect_|docker-inspect_).*\.json$/, parseContainerInspect],
  [/__network-inspect_.*\.json$/, parseNetworkInspect],
  [/__network-ls.*\.txt$/, parseDockerNetworkLsTable],
]

const parserFor = (file: string) => {
  const hits = PARSERS.filter(([re]) => re.test(file))
  assert.equal(hits.length, 1, `exactly one parser must claim ${file} (got ${hits.length})`)
  return (hits[0] as (typeof PARSERS)[number])[1]
}

const byName = (cs: ReadonlyArray<Container>, name: string): Container => {
  const c = cs.find((x) => x.name === name)
  assert.ok(c, `container ${name} present`)
  return c
}

/** Frame bodies the way section() does, for parser-level tests of whole outputs. */
const framed = (sections: ReadonlyArray<readonly [string, string, number]>): string =>
  sections.map(([name, body, rc]) => `\n${MARKER} ${name}\n${body}\n${MARKER}-rc ${name} ${rc}\n`).join("")

describe("docker fixtures: every recorded output parses with its parser", () => {
  for (const file of listFixtures(CAT)) {
    it(file, () => {
      const result = parserFor(file)(readFixture(CAT, file))
      if (Result.isFailure(result)) {
        assert.ok(result.failure instanceof ParseError)
        assert.fail(`${file}: ${result.failure.message} (at ${result.failure.at})`)
      }
      const value = result.success
      assert.ok(Array.isArray(value) ? value.length > 0 : value !== null, `${file} yields data`)
    })
  }
})

describe("docker CLI values", () => {
  it("ps json line: labels unescaped, ports, state", () => {
    const [c] = ok(parseDockerPsJsonLines(readFixture(CAT, "docker-cli-docs__ps_format-json.jsonl")))
    assert.ok(c)
    assert.equal(c.id, "a762a2b37a1d")
    assert.equal(c.name, "boring_keldysh")
    assert.equal(c.image, "nginx")
    assert.equal(c.command, "/docker-entrypoint.…")
    assert.equal(c.state, "running")
    assert.equal(c.status, "Up 3 seconds")
    assert.equal(c.exit_code, null)
    assert.deepEqual(c.ports, [{ host_ip: null, host_port: null, container_port: 80, protocol: "tcp" }])
    assert.deepEqual(c.labels, { maintainer: "NGINX Docker Maintainers <docker-maint@nginx.com>" })
    assert.deepEqual(c.networks.map((n) => n.name), ["bridge"])
  })

  it("ps table: exited 137 with exit code and truncated command", () => {
    const cs = ok(parseDockerPsTable(readFixture(CAT, "docker-cli-docs__ps_filter-exited-137.txt")))
    assert.deepEqual(cs.map((c) => [c.id, c.name, c.state, c.exit_code]), [
      ["b3e1c0ed5bfe", "grave_kowalevski", "exited", 137],
      ["a2eb5558d669", "sharp_lalande", "exited", 137],
    ])
    assert.equal(cs[1]?.command, "/entrypoint.sh redi")
    assert.equal(cs[0]?.status, "Exited (137) 5 seconds ago")
    const up = ok(parseDockerPsTable(readFixture(CAT, "docker-cli-docs__ps_filter-ancestor.txt")))
    assert.equal(up.length, 4)
    assert.ok(up.every((c) => c.state === "running" && c.ports.length === 0))
    assert.equal(up[0]?.image, "ubuntu-c1")
  })

  it("stats json line: sizes in binary (memory) and decimal (IO) units", () => {
    const [s] = ok(parseDockerStatsJsonLines(readFixture(CAT, "docker-cli-docs__stats_no-stream_format-json.jsonl")))
    assert.deepEqual(s, {
      id: "ed37317fbf42",
      name: "nginx",
      cpu_percent: 0.03,
      mem_usage_bytes: 2466251,
      mem_limit_bytes: 1030225920,
      mem_percent: 0.24,
      net_rx_bytes: 539000,
      net_tx_bytes: 606000,
      block_read_bytes: 0,
      block_write_bytes: 13300,
      pids: 2,
    })
  })

  it("stats table (genieparser), last line without newline", () => {
    const rows = ok(parseDockerStatsTable(readFixture(CAT, "genieparser__docker-stats_no-stream_table.txt")))
    assert.equal(rows.length, 4)
    assert.deepEqual(
      [rows[0]?.name, rows[0]?.cpu_percent, rows[0]?.mem_usage_bytes, rows[0]?.mem_limit_bytes, rows[0]?.net_rx_bytes],
      ["foo-bar", 0.06, 58395197, 1100585370, 31100],
    )
    assert.deepEqual([rows[3]?.name, rows[3]?.net_rx_bytes, rows[3]?.net_tx_bytes, rows[3]?.pids], [
      "looking_good",
      1160000000,
      837000000,
      2,
    ])
    assert.equal(rows[1]?.mem_limit_bytes, 137573171)
  })

  it("compose ps: table and json", () => {
    const [t] = ok(parseComposePsTable(readFixture(CAT, "docker-compose-docs__compose-ps_status-running.txt")))
    assert.equal(t?.name, "example-foo-1")
    assert.equal(t?.service, "foo")
    assert.equal(t?.state, "running")
    assert.deepEqual(t?.ports, [{ host_ip: "0.0.0.0", host_port: 8080, container_port: 80, protocol: "tcp" }])
    const js = ok(parseComposePsJsonLines(readFixture(CAT, "docker-compose-docs__compose-ps_format-json.jsonl")))
    assert.deepEqual(js.map((e) => [e.name, e.project, e.service, e.state, e.exit_code, e.ports.length]), [
      ["example-bar-1", "example", "bar", "exited", 0, 0],
      ["example-foo-1", "example", "foo", "running", null, 1],
    ])
  })

  it("port strings: ipv6, ranges, unpublished", () => {
    assert.deepEqual(parsePortsString("0.0.0.0:8080->80/tcp, :::8080->80/tcp, [::]:53->53/udp, 9000-9001/tcp"), [
      { host_ip: "0.0.0.0", host_port: 8080, container_port: 80, protocol: "tcp" },
      { host_ip: "::", host_port: 8080, container_port: 80, protocol: "tcp" },
      { host_ip: "::", host_port: 53, container_port: 53, protocol: "udp" },
      { host_ip: null, host_port: null, container_port: 9000, protocol: "tcp" },
      { host_ip: null, host_port: null, container_port: 9001, protocol: "tcp" },
    ])
  })
})

describe("engine API / inspect values", () => {
  it("containers list", () => {
    const cs = ok(parseEngineContainerList(readFixture(CAT, "telegraf__engine-api_containers-list.json")))
    assert.equal(cs.length, 5)
    const etcd = byName(cs, "etcd")
    assert.equal(etcd.created, "2016-02-20T04:18:50.000Z")
    assert.equal(etcd.labels["label1"], "test_value_1")
    assert.deepEqual(etcd.ports.filter((p) => p.host_port !== null), [
      { host_ip: "0.0.0.0", host_port: 2379, container_port: 2379, protocol: "tcp" },
    ])
    assert.equal(byName(cs, "acme").image, null)
  })

  it("raw stats counters", () => {
    const s = ok(parseEngineContainerStats(readFixture(CAT, "telegraf__engine-api_container-stats.json")))
    assert.equal(s.name, "acme-test")
    assert.equal(s.cpu_percent, 0)
    assert.equal(s.mem_limit_bytes, 18935443456)
    assert.equal(s.mem_usage_bytes, null)
    assert.equal(s.block_read_bytes, 753664)
    assert.equal(s.block_write_bytes, 0)
  })

  it("info", () => {
    const i = ok(parseEngineInfo(readFixture(CAT, "telegraf__engine-api_info.json")))
    assert.deepEqual([i.containers, i.containers_running, i.server_version, i.cpus, i.storage_driver], [
      108,
      98,
      "17.09.0-ce",
      4,
      "devicemapper",
    ])
    assert.ok(Result.isFailure(parseEngineInfo("[1,2]")))
  })

  it("inspect: running portainer", () => {
    const [c] = ok(
      parseContainerInspect(readFixture(CAT, "watchtower__engine-api_container-inspect_portainer-running.json")),
    )
    assert.ok(c)
    assert.equal(c.name, "portainer")
    assert.equal(c.image, "portainer/portainer:latest")
    assert.equal(c.state, "running")
    assert.equal(c.exit_code, null)
    assert.equal(c.restart_count, 0)
    assert.equal(c.restart_policy, "always")
    assert.equal(c.command, "/portainer")
    assert.deepEqual(c.ports, [{ host_ip: "0.0.0.0", host_port: 9000, container_port: 9000, protocol: "tcp" }])
    assert.deepEqual(c.mounts.map((m) => [m.type, m.name, m.destination]), [
      ["volume", "portainer_data", "/data"],
      ["bind", null, "/var/run/docker.sock"],
    ])
    assert.deepEqual(c.networks, [{
      name: "bridge",
      network_id: "9352796e0330dcf31ce3d44fae4b719304b8b3fd97b02ade3aefb8737251682b",
      ip_address: "172.17.0.2",
      gateway: "172.17.0.1",
      mac_address: "02:42:ac:11:00:02",
    }])
  })

  it("inspect: stopped (exit 1) and created (array form, Go zero times)", () => {
    const [s] = ok(parseContainerInspect(readFixture(CAT, "watchtower__engine-api_container-inspect_stopped.json")))
    assert.equal(s?.state, "exited")
    assert.equal(s?.exit_code, 1)
    assert.equal(s?.labels["com.centurylinklabs.watchtower"], "true")
    const [w] = ok(parseContainerInspect(readFixture(CAT, "wooheaven__docker-inspect_-s_created-container.json")))
    assert.equal(w?.name, "pg-Data")
    assert.equal(w?.state, "created")
    assert.equal(w?.image, "busybox:latest")
    assert.equal(w?.started_at, null)
    assert.equal(w?.command, "sh")
    assert.equal(w?.compose, null)
  })

  it("compose labels become project/service/config files", () => {
    const text = JSON.stringify([{
      Id: "0123456789ab",
      Name: "/app-web-1",
      State: { Status: "running", Health: { Status: "healthy" } },
      RestartCount: 3,
      Config: {
        Labels: {
          "com.docker.compose.project": "app",
          "com.docker.compose.service": "web",
          "com.docker.compose.project.working_dir": "/srv/app",
          "com.docker.compose.project.config_files": "/srv/app/compose.yaml,/srv/app/override.yaml",
        },
      },
    }])
    const [c] = ok(parseContainerInspect(text))
    assert.deepEqual(c?.compose, {
      project: "app",
      service: "web",
      working_dir: "/srv/app",
      config_files: ["/srv/app/compose.yaml", "/srv/app/override.yaml"],
    })
    assert.equal(c?.health, "healthy")
    assert.equal(c?.restart_count, 3)
  })
})

describe("podman dialect", () => {
  // No podman output was recorded; this follows podman's documented `ps --format json` shape.
  const podmanPs = JSON.stringify([{
    Id: "3b33001239ee0d9fa9ad1d8b6b8b2a41b0a7b5e4a1f3b1f9e1c1f2b7d1e0a1b2",
    Names: ["web"],
    Image: "docker.io/library/nginx:latest",
    Command: ["nginx", "-g", "daemon off;"],
    Created: 1690000000,
    State: "running",
    Status: "Up 2 minutes",
    ExitCode: 0,
    Labels: { "com.docker.compose.project": "site", "com.docker.compose.service": "web" },
    Ports: [{ host_ip: "", container_port: 80, host_port: 8080, range: 2, protocol: "tcp" }],
    Mounts: ["/usr/share/nginx/html"],
    Networks: ["podman"],
    Restarts: 1,
  }])
  const podmanStats = JSON.stringify([{
    id: "3b33001239ee",
    name: "web",
    cpu_percent: "1.50%",
    mem_usage: "3.092MB / 16.7GB",
    mem_percent: "0.02%",
    net_io: "-- / --",
    block_io: "0B / 0B",
    pids: "2",
  }])

  it("ps array: Names array, Labels object, port ranges", () => {
    const [c] = ok(parsePodmanPsJson(podmanPs))
    assert.equal(c?.name, "web")
    assert.equal(c?.command, "nginx -g daemon off;")
    assert.equal(c?.compose?.project, "site")
    assert.equal(c?.restart_count, 1)
    assert.deepEqual(c?.ports.map((p) => [p.host_port, p.container_port]), [[8080, 80], [8081, 81]])
  })

  it("whole output with engine podman attaches stats by id prefix", () => {
    const d = ok(
      parseContainersOutput(framed([["engine", "podman", 0], ["ps", podmanPs, 0], ["stats", podmanStats, 0], [
        "inspect",
        "",
        0,
      ]])),
    )
    assert.equal(d.engine, "podman")
    assert.equal(d.containers[0]?.stats?.cpu_percent, 1.5)
    assert.equal(d.containers[0]?.stats?.mem_usage_bytes, 3092000)
    assert.equal(d.containers[0]?.stats?.net_rx_bytes, null)
    assert.ok(ok(parsePodmanStatsJson(podmanStats)).length === 1)
  })
})

describe("merge", () => {
  it("stats attach by id prefix, then by name; inspect-only containers are kept", () => {
    const [stats] = ok(
      parseDockerStatsJsonLines(readFixture(CAT, "docker-cli-docs__stats_no-stream_format-json.jsonl")),
    )
    assert.ok(stats)
    const byId = emptyContainer("ed37317fbf42" + "0".repeat(52), "other-name")
    const byNameOnly = emptyContainer("ffffffffffff", "nginx")
    const merged = mergeContainers([byId], [], [stats])
    assert.equal(merged[0]?.stats?.pids, 2)
    assert.equal(mergeContainers([byNameOnly], [], [stats])[0]?.stats?.cpu_percent, 0.03)
    assert.equal(mergeContainers([emptyContainer("aaaaaaaaaaaa", "x")], [], [stats])[0]?.stats, null)
  })
})

describe("script + shim + parser agree", () => {
  it("containers: one round trip, ps/stats/inspect merged", () => {
    const result = runWithShims(dockerShims, containers.script({}), { isolated: true })
    assert.equal(result.exitCode, 0, result.stderr)
    const d: ContainersData = ok(containers.parse(result, {}))
    assert.equal(d.engine, "docker")
    assert.equal(d.available, true)
    assert.equal(d.stats_available, true)
    // inspect exits 1 (the docs' nginx id has no recorded inspect) but the other three are kept.
    assert.equal(d.inspect_available, true)
    assert.deepEqual(d.containers.map((c) => c.name), ["boring_keldysh", "portainer", "watchtower-stopped", "pg-Data"])
    assert.equal(byName(d.containers, "portainer").ports[0]?.host_port, 9000)
    assert.equal(byName(d.containers, "watchtower-stopped").exit_code, 1)
    assert.equal(byName(d.containers, "boring_keldysh").status, "Up 3 seconds")
    const rows = containers.toRows(d)
    assert.equal(rows.length, 4)
    assert.deepEqual(rows.map((r) => [r["name"], r["state"]]), [
      ["boring_keldysh", "running"],
      ["portainer", "running"],
      ["watchtower-stopped", "exited"],
      ["pg-Data", "created"],
    ])
  })

  it("docker_networks: ls + inspect", () => {
    const result = runWithShims(dockerShims, dockerNetworks.script({}), { isolated: true })
    const d = ok(dockerNetworks.parse(result, {}))
    assert.equal(d.inspect_available, true)
    assert.deepEqual(d.networks.map((n) => [n.name, n.driver, n.scope, n.containers.length]), [
      ["bridge", "bridge", "local", 2],
      ["simple-network", "bridge", "local", 0],
      ["ov1", "overlay", "swarm", 1],
    ])
    const bridge = d.networks[0]
    assert.deepEqual(bridge?.subnets, [{ subnet: "172.17.42.1/16", gateway: "172.17.42.1" }])
    assert.deepEqual(bridge?.containers.find((c) => c.name === "container1"), {
      id: "f2870c98fd504370fb86e59f32cd0753b1ac9b69b7d80566ffc7192a82b3ed27",
      name: "container1",
      ipv4: "172.17.0.1/16",
      ipv6: null,
      mac: "02:42:ac:11:00:01",
    })
    assert.equal(d.networks[2]?.attachable, false)
    assert.deepEqual(dockerNetworks.toRows(d).map((r) => r["container_count"]), [2, 0, 1])
  })

  it("no docker and no podman: available false, not an error", () => {
    const c = ok(containers.parse(runWithShims({}, containers.script({}), { isolated: true }), {}))
    assert.deepEqual([c.available, c.engine, c.containers.length], [false, null, 0])
    const n = ok(dockerNetworks.parse(runWithShims({}, dockerNetworks.script({}), { isolated: true }), {}))
    assert.deepEqual([n.available, n.networks.length], [false, 0])
  })

  it("daemon unreachable: ParseError naming ps", () => {
    const down = {
      docker: "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1",
    }
    const e = failure(containers.parse(runWithShims(down, containers.script({}), { isolated: true }), {}))
    assert.ok(e instanceof ParseError)
    assert.match(e.message, /docker ps' exited with 1/)
    const n = failure(dockerNetworks.parse(runWithShims(down, dockerNetworks.script({}), { isolated: true }), {}))
    assert.match(n.message, /network ls' exited with 1/)
  })

  it("inspect / logs / action scripts", () => {
    const inspect = parseInspectOutput(
      runWithShims(dockerShims, Result.getOrThrow(containerInspectScript("watchtower-stopped"))),
    )
    assert.equal(ok(inspect).exit_code, 1)
    const missing = failure(
      parseInspectOutput(runWithShims(dockerShims, Result.getOrThrow(containerInspectScript("nope")))),
    )
    assert.match(missing.message, /No such object: nope/)

    const logs = ok(
      parseLogsOutput(runWithShims(dockerShims, Result.getOrThrow(containerLogsScript("portainer", { tail: 5 })))),
    )
    // stderr's line is older than stdout's: the merge restores time order across streams.
    assert.deepEqual(logs, [
      { timestamp: "2019-04-13T22:38:18.486292076Z", stream: "stderr", message: "stopped /portainer" },
      { timestamp: "2019-04-13T22:38:24.498745809Z", stream: "stdout", message: "started /portainer" },
    ])
    const noLogs = failure(parseLogsOutput(runWithShims(dockerShims, Result.getOrThrow(containerLogsScript("ghost")))))
    assert.match(noLogs.message, /No such container: ghost/)

    const action = runWithShims(dockerShims, Result.getOrThrow(containerActionScript("pg-Data", "restart")))
    assert.deepEqual(ok(parseContainerActionOutput(action, "pg-Data", "restart")), {
      name: "pg-Data",
      action: "restart",
    })
    const bad = runWithShims(dockerShims, Result.getOrThrow(containerActionScript("ghost", "stop")))
    assert.match(failure(parseContainerActionOutput(bad, "ghost", "stop")).message, /No such container/)
  })
})

describe("validation of script parameters", () => {
  it("container names", () => {
    for (
      const good of [
        "pg-Data",
        "a",
        "web.1_x",
        "b978af0b858a",
        "b978af0b858aa8855cce46b628817d4ed58e58f2c4f66c9b9c5449134ed4c008",
      ]
    ) {
      assert.equal(ok(validateContainerName(good) as Result.Result<string, never>), good)
    }
    for (const bad of ["", "-rm", "a b", "x;reboot", "../etc", "it's", "$(id)", "a\nb", "x".repeat(256)]) {
      const e = failure(validateContainerName(bad))
      assert.ok(e instanceof ValidationError, bad)
      assert.ok(Result.isFailure(containerInspectScript(bad)))
      assert.ok(Result.isFailure(containerActionScript(bad, "start")))
    }
    assert.ok(Result.isFailure(containerActionScript("web", "kill" as "stop")))
  })

  it("logs tail and since", () => {
    const script = Result.getOrThrow(containerLogsScript("web", { tail: "50", since: "2024-01-02T03:04:05.5+01:00" }))
    assert.match(script, /logs --timestamps --tail 50 --since 2024-01-02T03:04:05.5\+01:00 -- web/)
    assert.match(Result.getOrThrow(containerLogsScript("web")), /--tail 200 -- web/)
    for (const since of ["10m", "2h", "1h30m", "45s"]) {
      assert.ok(Result.isSuccess(containerLogsScript("web", { since })), since)
    }
    for (const tail of [0, 10001, 1.5, "abc", "-1"]) {
      assert.ok(failure(containerLogsScript("web", { tail })) instanceof ValidationError, String(tail))
    }
    for (const since of ["yesterday", "10 m", "$(reboot)", "2024-13-45T99:99:99Z", "-1h"]) {
      assert.ok(failure(containerLogsScript("web", { since })) instanceof ValidationError, since)
    }
  })
})

describe("rows match the migrations", () => {
  const columnsOf = (file: string): Array<string> => {
    const sql = readFileSync(path.join(process.cwd(), "sql", file), "utf8")
    const body = /CREATE TABLE IF NOT EXISTS \w+ \(([\s\S]*?)\);/.exec(sql)?.[1] ?? ""
    return body.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter((c) => /^[a-z_]+$/.test(c))
      .filter((c) => !["id", "time", "device_id"].includes(c)).sort()
  }

  it("container_snapshots and docker_networks", () => {
    const c = ok(containers.parse(runWithShims(dockerShims, containers.script({}), { isolated: true }), {}))
    assert.deepEqual(Object.keys(containers.toRows(c)[0] ?? {}).sort(), columnsOf("010_containers.sql"))
    const n = ok(dockerNetworks.parse(runWithShims(dockerShims, dockerNetworks.script({}), { isolated: true }), {}))
    assert.deepEqual(Object.keys(dockerNetworks.toRows(n)[0] ?? {}).sort(), columnsOf("011_docker_networks.sql"))
    assert.equal(containers.table, "container_snapshots")
    assert.equal(dockerNetworks.table, "docker_networks")
  })
})

describe("robustness: damaged input gives ParseError, never a throw", () => {
  /** Deterministic PRNG so a failure is reproducible. */
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const damage = (text: string, rand: () => number): Array<string> => {
    const out: Array<string> = []
    for (const f of [0, 0.1, 0.33, 0.5, 0.77, 0.95]) out.push(text.slice(0, Math.floor(text.length * f)))
    for (let i = 0; i < 12; i++) {
      const chars = [...text]
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
        const at = Math.floor(rand() * chars.length)
        const junk = ['"', "{", "]", ",", "\n", " ", "x", "%", ":", "/", "-"][Math.floor(rand() * 11)] as string
        if (rand() < 0.5) chars.splice(at, 1)
        else chars.splice(at, 0, junk)
      }
      out.push(chars.join(""))
    }
    return out
  }
  const mustNotThrow = (label: string, run: () => Result.Result<unknown, ParseError>) => {
    let r: Result.Result<unknown, ParseError>
    try {
      r = run()
    } catch (e) {
      assert.fail(`${label} threw: ${String(e)}`)
    }
    if (Result.isFailure(r)) {
      assert.ok(r.failure instanceof ParseError, label)
      assert.ok(r.failure.message.length > 0, label)
    }
  }

  for (const file of listFixtures(CAT)) {
    it(file, () => {
      const parse = parserFor(file)
      damage(readFixture(CAT, file), rng(file.length)).forEach((text, i) =>
        mustNotThrow(`${file} #${i}`, () => parse(text))
      )
    })
  }

  it("whole collection outputs", () => {
    const c = runWithShims(dockerShims, containers.script({}), { isolated: true })
    const n = runWithShims(dockerShims, dockerNetworks.script({}), { isolated: true })
    const rand = rng(7)
    damage(c.stdout, rand).forEach((stdout, i) =>
      mustNotThrow(`containers #${i}`, () => parseContainers({ ...c, stdout }, {}))
    )
    damage(n.stdout, rand).forEach((stdout, i) =>
      mustNotThrow(`networks #${i}`, () => parseDockerNetworks({ ...n, stdout }, {}))
    )
    mustNotThrow("garbage", () => parseDockerNetworksOutput("\u0000\u0001 not docker"))
    const missing = failure(parseContainersOutput(""))
    assert.match(missing.message, /section 'engine' missing/)
  })
})
