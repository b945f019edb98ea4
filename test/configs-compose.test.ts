import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { type ComposeFile, parseCompose } from "../src/configs/semantic/compose.ts"
import { splitColons } from "../src/configs/semantic/compose-fields.ts"
import { parseEnvFile } from "../src/configs/semantic/env.ts"
import { parseConfig } from "../src/configs/analyze.ts"
import { composeDependencies } from "../src/configs/service-map.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"

const ok = <A>(r: Result.Result<A, ParseError>): A => {
  if (Result.isFailure(r)) assert.fail(`expected success, got: ${r.failure.message} at ${r.failure.at}`)
  return r.success
}
const err = <A>(r: Result.Result<A, ParseError>): ParseError => {
  assert.ok(Result.isFailure(r), "expected a ParseError")
  assert.ok(r.failure.message.length > 0)
  return r.failure
}
const plain = <A>(v: A): A => JSON.parse(JSON.stringify(v)) as A
const compose = (file: string): ComposeFile => ok(parseCompose(readFixture("compose", file)))
const redacted = (file: string): ComposeFile => {
  const p = parseConfig("docker_compose", file, readFixture("compose", file))
  assert.ok(p.ok, p.ok ? "" : p.error)
  return p.data as ComposeFile
}

describe("compose fixtures", () => {
  const files = listFixtures("compose")

  it("parses every fixture file into services", () => {
    assert.ok(files.length >= 45, `expected the compose fixture set, got ${files.length}`)
    const failures: Array<string> = []
    for (const f of files) {
      const r = parseCompose(readFixture("compose", f))
      if (Result.isFailure(r)) failures.push(`${f}: ${r.failure.message}`)
      else if (Object.keys(r.success.services).length === 0) failures.push(`${f}: no services`)
    }
    assert.deepEqual(failures, [])
  })

  it("pihole-cloudflared: short ports with protocol, list environment, networks map, cap_add", () => {
    const c = compose("awesome-compose__pihole-cloudflared-DoH__compose.yaml")
    assert.equal(c.version, "3.7")
    const pihole = c.services["pihole"]!
    assert.equal(pihole.image, "pihole/pihole:latest")
    assert.equal(pihole.container_name, "pihole")
    assert.deepEqual(plain(pihole.ports.map((p) => [p.published, p.target, p.protocol])), [
      ["53", "53", "tcp"],
      ["53", "53", "udp"],
      ["67", "67", "udp"],
      ["8080", "80", "tcp"],
      ["8443", "443", "tcp"],
    ])
    assert.equal(pihole.environment["PIHOLE_DNS_"], "172.20.0.2#5054;1.1.1.1", "YAML comment after the item is dropped")
    assert.equal(pihole.environment["WEBPASSWORD"], "${PIHOLE_PW}")
    assert.deepEqual(pihole.cap_add, ["NET_ADMIN"])
    assert.deepEqual(plain(pihole.depends_on), { cloudflared: { condition: "service_started" } })
    assert.deepEqual(pihole.networks, ["dns-net"])
    assert.deepEqual(c.services["cloudflared"]!.networks, ["dns-net"], "map form gives the names")
    assert.deepEqual(plain(pihole.volumes.map((v) => [v.type, v.source, v.target])), [
      ["bind", "/etc/pihole/", "/etc/pihole/"],
      ["bind", "/etc/dnsmasq.d/", "/etc/dnsmasq.d/"],
    ])
    assert.equal(pihole.restart, "always")
    assert.deepEqual(Object.keys(c.networks), ["dns-net"])
  })

  it("mailcow: interpolated ports with colons inside ${…} defaults", () => {
    const c = compose("mailcow__docker-compose.yml")
    assert.equal(Object.keys(c.services).length, 18)
    const nginx = c.services["nginx-mailcow"]!
    assert.deepEqual(plain(nginx.ports[0]), {
      target: "${HTTPS_PORT:-443}",
      published: "${HTTPS_PORT:-443}",
      host_ip: "${HTTPS_BIND:-}",
      protocol: "tcp",
      raw: "${HTTPS_BIND:-}:${HTTPS_PORT:-443}:${HTTPS_PORT:-443}",
    })
    const redis = c.services["redis-mailcow"]!.ports[0]!
    assert.equal(redis.published, "${REDIS_PORT:-127.0.0.1:7654}")
    assert.equal(redis.target, "6379")
    assert.ok(nginx.volumes.some((v) => v.source === "./data/web" && v.target === "/web" && v.read_only))
  })

  it("sentry: x- anchors, merge key lists and depends_on conditions are resolved", () => {
    const c = compose("sentry-self-hosted__docker-compose.yml")
    assert.ok(c.extensions.includes("x-sentry-defaults"))
    assert.ok(c.extensions.includes("x-restart-policy"))
    const web = c.services["web"]!
    assert.equal(web.restart, "unless-stopped", "from <<: [*restart_policy, *pull_policy]")
    assert.equal(web.other["pull_policy"], "never")
    assert.equal(web.image, "sentry-self-hosted-local")
    assert.equal(web.depends_on["redis"]?.condition, "service_healthy")
    assert.equal(web.depends_on["memcached"]?.condition, "service_started")
    assert.ok(Object.keys(c.services).length > 50)
  })

  it("netbox: service anchor merged into others, env_file, user", () => {
    const c = compose("netbox-docker__docker-compose.yml")
    const worker = c.services["netbox-worker"]!
    assert.equal(worker.image, c.services["netbox"]!.image)
    assert.deepEqual(worker.env_file, ["env/netbox.env"])
    assert.equal(c.services["netbox"]!.user, "unit:root")
    assert.ok(c.services["netbox"]!.healthcheck !== undefined)
  })

  it("e2e fixtures: long depends_on, profiles, env_file string, build string, port number", () => {
    const deps = compose("docker-compose-e2e__depends-on-conditions-healthcheck.yaml")
    assert.deepEqual(plain(deps.services["with-restart"]!.depends_on), {
      nginx: { condition: "service_healthy", restart: true },
    })
    assert.deepEqual(plain(deps.services["nginx"]!.labels), { TEST: "${LABEL:-test}" })
    assert.equal(deps.services["with-restart"]!.command, "tail -f /dev/null")
    const env = compose("docker-compose-e2e__env_file-and-profiles.yaml")
    assert.deepEqual(env.services["serviceC"]!.profiles, ["test"])
    assert.deepEqual(env.services["serviceC"]!.env_file, ["test.env"])
    const vols = compose("docker-compose-e2e__secrets-configs-volumes.yaml")
    const nginx2 = vols.services["nginx2"]!
    assert.deepEqual(plain(nginx2.build), { context: "nginx-build" })
    assert.deepEqual(plain(nginx2.ports.map((p) => [p.target, p.published ?? null])), [["80", null]])
    assert.deepEqual(plain(nginx2.volumes.map((v) => [v.type, v.source ?? null, v.target, v.read_only])), [
      ["volume", "staticVol", "/usr/share/nginx/html", true],
      ["volume", null, "/usr/src/app/node_modules", false],
      ["volume", "otherVol", "/usr/share/nginx/test", false],
    ])
    assert.deepEqual(nginx2.secrets, ["mysecret"])
    assert.deepEqual(Object.keys(vols.configs), ["myconfig"])
    assert.deepEqual(plain(vols.volumes["otherVol"]), { name: "myVolume" })
  })

  it("compose-go: extends (string and map), empty service, !reset tag", () => {
    const base = compose("compose-go-testdata__extends-base.yaml")
    assert.deepEqual(plain(base.services["another"]!.extends), { service: "base" })
    assert.deepEqual(plain(base.services["with-build"]!.extends), { service: "test", file: "sibling.yaml" })
    assert.deepEqual(plain(base.services["withUlimits"]!.other), {
      ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } },
    })
    assert.deepEqual(base.services["nil"]!.ports, [])
    const reset = compose("compose-go-testdata__extends-reset-tag-no-trailing-newline.yaml")
    assert.deepEqual(plain(reset.services["base"]!.extends), { service: "init" })
    const refs = compose("compose-go-testdata__service-refs.yaml")
    assert.equal(refs.services["with_network_mode"]!.network_mode, "service:zot")
  })

  it("wger: top-level include is recorded", () => {
    const c = compose("wger__dev-postgres__docker-compose.yml")
    assert.equal(c.name, "wger-dev-postgres")
    assert.deepEqual(c.include, ["../services/postgres.yaml", "../services/powersync.yaml", "../services/redis.yaml"])
    assert.equal(c.services["web"]!.build?.context?.startsWith("${WGER_CODEPATH:?"), true)
    assert.deepEqual(Object.keys(c.services["web"]!.other), ["develop"])
  })

  it("composeDependencies lists edges with conditions", () => {
    const edges = composeDependencies(
      parseConfig("docker_compose", "n8n.yml", readFixture("compose", "n8n-hosting__withPostgresAndWorker.yml")),
    )
    assert.ok(
      edges.some((e) => e.service === "n8n" && e.depends_on === "postgres" && e.condition === "service_healthy"),
    )
    assert.ok(edges.some((e) => e.service === "n8n" && e.depends_on === "redis" && e.condition === "service_healthy"))
    // n8n-worker merges the shared anchor but overrides depends_on with a list.
    assert.deepEqual(
      plain(edges.filter((e) => e.service === "n8n-worker")),
      [{ service: "n8n-worker", depends_on: "n8n", condition: "service_started" }],
    )
    const voting = composeDependencies(compose("example-voting-app__docker-compose.images.yml"))
    assert.ok(voting.length > 0)
    assert.ok(voting.every((e) => typeof e.condition === "string" && e.condition.startsWith("service_")))
    assert.deepEqual(composeDependencies({ ok: false, error: "x" }), [])
  })
})

describe("compose redaction in parsed data", () => {
  it("redacts secret env values and basic-auth labels, keeps variable references", () => {
    const n8n = redacted("n8n-hosting__subfolderWithSSL.yml")
    const labels = Object.entries(n8n.services["traefik"]?.labels ?? {}).concat(
      Object.entries(n8n.services["n8n"]?.labels ?? {}),
    )
    for (const [k, v] of labels) if (/auth/i.test(k)) assert.equal(v, "[REDACTED]", k)
    const pg = redacted("n8n-hosting__withPostgresAndWorker.yml").services["n8n"]!
    assert.equal(pg.environment["DB_POSTGRESDB_PASSWORD"], "${POSTGRES_NON_ROOT_PASSWORD}")
    assert.equal(pg.environment["DB_POSTGRESDB_HOST"], "postgres")
    const inline = parseConfig(
      "docker_compose",
      "compose.yml",
      [
        "services:",
        "  db:",
        "    image: postgres",
        "    environment:",
        "      POSTGRES_PASSWORD: hunter2",
        "      DATABASE_URL: postgres://app:hunter3@db:5432/app",
        "      SENTRY_DSN: https://abc123@o1.ingest.sentry.io/1",
        "      KEYBOARD_LAYOUT: de",
        '    command: ["--api-token=tok123"]',
        "secrets:",
        "  inline:",
        "    content: verysecret",
      ].join("\n"),
    )
    assert.ok(inline.ok)
    const text = JSON.stringify(inline.data)
    for (const s of ["hunter2", "hunter3", "abc123", "tok123", "verysecret"]) {
      assert.ok(!text.includes(s), `${s} leaked`)
    }
    const db = (inline.data as ComposeFile).services["db"]!
    assert.equal(db.environment["KEYBOARD_LAYOUT"], "de")
    assert.equal(db.environment["DATABASE_URL"], "postgres://app:[REDACTED]@db:5432/app")
  })
})

describe("compose edge cases", () => {
  it("splits on colons outside ${…} and [ipv6]", () => {
    assert.deepEqual(splitColons("${A:-1:2}:80"), ["${A:-1:2}", "80"])
    assert.deepEqual(splitColons("[::1]:6001:6001"), ["[::1]", "6001", "6001"])
  })

  it("long port and volume syntax, environment map with null", () => {
    const c = ok(parseCompose([
      "services:",
      "  web:",
      "    image: nginx",
      "    ports:",
      "      - target: 80",
      "        published: 8080",
      "        host_ip: 127.0.0.1",
      "        protocol: tcp",
      "        mode: host",
      '      - "[::1]:6001:6001/udp"',
      "    volumes:",
      "      - type: bind",
      "        source: ./site",
      "        target: /usr/share/nginx/html",
      "        read_only: true",
      "    environment:",
      "      FOO:",
      "      BAR: 1",
      "    deploy:",
      "      resources:",
      "        limits: { cpus: '0.5', memory: 256M }",
      "    networks:",
      "      front: { aliases: [web] }",
    ].join("\n")))
    const web = c.services["web"]!
    assert.deepEqual(plain(web.ports), [
      {
        target: "80",
        published: "8080",
        host_ip: "127.0.0.1",
        protocol: "tcp",
        mode: "host",
        raw: "127.0.0.1:8080:80",
      },
      { target: "6001", published: "6001", host_ip: "::1", protocol: "udp", raw: "[::1]:6001:6001/udp" },
    ])
    assert.deepEqual(plain(web.volumes), [{
      type: "bind",
      source: "./site",
      target: "/usr/share/nginx/html",
      read_only: true,
      raw: "./site:/usr/share/nginx/html",
    }])
    assert.deepEqual(plain(web.environment), { FOO: null, BAR: "1" })
    assert.deepEqual(plain(web.deploy), { resources: { limits: { cpus: "0.5", memory: "256M" } } })
    assert.deepEqual(web.networks, ["front"])
  })

  it("rejects invalid documents and alias bombs with a clear error", () => {
    assert.match(err(parseCompose("services: [a, b")).message, /.+/)
    assert.match(err(parseCompose("- just\n- a list\n")).message, /not a mapping/)
    assert.match(err(parseCompose("")).message, /empty/)
    assert.match(err(parseCompose("services: 42\n")).message, /services/)
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for (const [i, n] of ["b", "c", "d", "e", "f", "g", "h"].entries()) {
      const prev = ["a", "b", "c", "d", "e", "f", "g"][i]
      bomb.push(`${n}: &${n} [${Array(10).fill(`*${prev}`).join(", ")}]`)
    }
    bomb.push("services:\n  x:\n    image: *h")
    const started = Date.now()
    assert.match(err(parseCompose(bomb.join("\n"))).message, /alias/)
    assert.ok(Date.now() - started < 2000, "refused quickly")
  })

  it("service named __proto__ stays plain data", () => {
    const c = ok(parseCompose("services:\n  __proto__:\n    image: evil\n  ok:\n    image: fine\n"))
    assert.equal(({} as Record<string, unknown>)["image"], undefined)
    assert.equal(c.services["ok"]?.image, "fine")
  })
})

describe("env files", () => {
  it("parses export, quotes, escapes, comments and multi-line values", () => {
    const e = ok(parseEnvFile([
      "# comment",
      "export A=1",
      "B = two words # trailing",
      "C='single # kept'",
      'D="line1\\nline2 \\"q\\""',
      'E="multi',
      'line"',
      "F=",
      "A=override",
    ].join("\n")))
    assert.deepEqual(e.keys, ["A", "B", "C", "D", "E", "F"])
    assert.deepEqual(plain(e.vars), {
      A: "override",
      B: "two words",
      C: "single # kept",
      D: 'line1\nline2 "q"',
      E: "multi\nline",
      F: "",
    })
  })

  it("errors on garbage and unterminated quotes, with the line", () => {
    const bad = err(parseEnvFile("A=1\nthis is not env\n"))
    assert.equal(bad.at, "line 2")
    assert.match(err(parseEnvFile("A='open\n")).message, /unterminated/)
    assert.match(err(parseEnvFile('A="open\nB=2\n')).message, /unterminated/)
  })
})
