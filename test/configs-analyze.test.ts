import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { applyPatch } from "diff"
import {
  analyzeChange,
  configTypeOf,
  MAX_CONTENT_BYTES,
  parseConfig,
  redactContent,
  unifiedDiff,
} from "../src/configs/analyze.ts"
import type { ChangeAnalysis, ChangeType, ConfigType, ConfigVersion } from "../src/configs/types.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"

const version = (path: string, content: string): ConfigVersion => {
  const type = configTypeOf(path)
  assert.ok(type, `config type of ${path}`)
  return { path, content, parsed: parseConfig(type, path, content) }
}

/** `text` with `from` replaced once; fails when the fixture no longer contains `from`. */
const edit = (text: string, from: string, to: string): string => {
  assert.ok(text.includes(from), `fixture contains ${JSON.stringify(from)}`)
  return text.replace(from, to)
}

const change = (
  kind: ChangeType,
  before: [string, string] | null,
  after: [string, string] | null,
): ChangeAnalysis => {
  const path = (before ?? after)![0]
  const type = configTypeOf(path) as ConfigType
  return analyzeChange(type, kind, before && version(...before), after && version(...after))
}
const modify = (path: string, a: string, b: string): ChangeAnalysis => change("MODIFY", [path, a], [path, b])

const kinds = (r: ChangeAnalysis): Array<string> => r.diff.semantic.map((s) => s.kind)
const risk = (r: ChangeAnalysis): string => `${r.risk} ${r.rule}`

// ---- realistic inputs built from the fixtures ----
const PLEX_PATH = "/config/nginx/proxy-confs/plex.subdomain.conf"
const PLEX = readFixture("nginx", "plex.subdomain.conf.sample")
const PLEX_AUTHELIA = edit(
  edit(PLEX, "    #include /config/nginx/authelia-server.conf;", "    include /config/nginx/authelia-server.conf;"),
  "        #include /config/nginx/authelia-location.conf;",
  "        include /config/nginx/authelia-location.conf;",
)
const JELLYFIN_PATH = "/config/nginx/proxy-confs/jellyfin.subdomain.conf"
const JELLYFIN = readFixture("nginx", "jellyfin.subdomain.conf.sample")
const PIHOLE_PATH = "/opt/stacks/dns/compose.yaml"
const PIHOLE = readFixture("compose", "awesome-compose__pihole-cloudflared-DoH__compose.yaml")
const UNIT_PATH = "/etc/systemd/system/node_exporter.service"
const UNIT = readFixture("systemd", "node_exporter__node_exporter.service")

describe("configTypeOf", () => {
  it("classifies by name and directory", () => {
    const cases: Array<[string, ConfigType | undefined]> = [
      ["/config/nginx/proxy-confs/plex.subdomain.conf", "proxy_configs"],
      ["/config/nginx/proxy-confs/plex.subdomain.conf.sample", "proxy_configs"],
      ["/mnt/appdata/swag/nginx/site-confs/default.conf", "proxy_configs"],
      ["/etc/nginx/sites-enabled/app.conf", "proxy_configs"],
      ["/etc/nginx/nginx.conf", "proxy_configs"],
      ["/etc/modprobe.d/blacklist.conf", undefined],
      ["/opt/stacks/app/docker-compose.yml", "docker_compose"],
      ["/opt/stacks/app/docker-compose.override.yaml", "docker_compose"],
      ["/opt/stacks/app/compose.yaml", "docker_compose"],
      ["/opt/stacks/app/compose.prod.yml", "docker_compose"],
      ["/opt/stacks/app/config.yml", undefined],
      ["/etc/systemd/system/node_exporter.service", "systemd_services"],
      ["/home/u/.config/systemd/user/sync.timer", "systemd_services"],
      ["/lib/systemd/system/boot.mount", "systemd_services"],
      ["/opt/app/foo.service", undefined],
      ["/opt/stacks/app/.env", "env_files"],
      ["/opt/stacks/app/.env.production", "env_files"],
      ["/opt/stacks/app/stack.env", "env_files"],
      ["/opt/stacks/app/environment", undefined],
      ["", undefined],
    ]
    for (const [path, type] of cases) assert.equal(configTypeOf(path), type, path)
  })
})

describe("parseConfig", () => {
  it("returns redacted data and never throws", () => {
    const p = parseConfig("env_files", "/x/.env", "DB_PASSWORD=hunter2\nDB_HOST=db\n")
    assert.ok(p.ok)
    assert.deepEqual(JSON.parse(JSON.stringify(p.data)), {
      vars: { DB_PASSWORD: "[REDACTED]", DB_HOST: "db" },
      keys: ["DB_PASSWORD", "DB_HOST"],
    })
    const sample = parseConfig("proxy_configs", "/config/nginx/proxy-confs/plex.subdomain.conf.sample", PLEX)
    assert.ok(sample.ok && (sample.data as { active: boolean }).active === false)
    const bad = parseConfig("docker_compose", "compose.yml", "services: [")
    assert.equal(bad.ok, false)
    assert.ok(!bad.ok && bad.error.length > 0)
    const unknown = parseConfig("nope" as ConfigType, "x", "")
    assert.ok(!unknown.ok && /unknown config type/.test(unknown.error))
  })

  it("refuses content over 5 MB without parsing it", () => {
    const huge = `# ${"x".repeat(MAX_CONTENT_BYTES)}\nserver { listen 80; }\n`
    const started = Date.now()
    const r = parseConfig("proxy_configs", "/config/nginx/site-confs/huge.conf", huge)
    assert.ok(!r.ok && /limit/.test(r.error), "clear size error")
    // Multi-byte characters count as bytes, not UTF-16 units.
    const wide = "é".repeat(Math.ceil(MAX_CONTENT_BYTES / 2) + 10)
    assert.ok(!parseConfig("env_files", ".env", wide).ok)
    assert.ok(Date.now() - started < 2000)
  })

  it("survives truncated, mutated, binary and deeply nested input", () => {
    const inputs: Array<[ConfigType, string]> = []
    for (const f of listFixtures("nginx").filter((_, i) => i % 7 === 0)) {
      const t = readFixture("nginx", f)
      inputs.push(["proxy_configs", t.slice(0, Math.floor(t.length / 2))], ["proxy_configs", t.replaceAll(";", "{")])
    }
    for (const f of listFixtures("compose")) {
      const t = readFixture("compose", f)
      inputs.push(["docker_compose", t.slice(0, Math.floor(t.length / 3))], ["docker_compose", t.replaceAll(":", "")])
    }
    for (const f of listFixtures("systemd").filter((f) => /\.(service|timer|socket|mount)$/.test(f))) {
      inputs.push(["systemd_services", readFixture("systemd", f).replaceAll("=", "")])
    }
    const binary = String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
    for (const type of ["proxy_configs", "docker_compose", "systemd_services", "env_files"] as const) {
      inputs.push([type, binary], [type, binary.replaceAll("\u0000", "")], [type, "\uFEFF"], [type, ""])
    }
    inputs.push(["docker_compose", `${"[".repeat(50_000)}${"]".repeat(50_000)}`])
    inputs.push(["docker_compose", `${"a:\n ".repeat(5_000)}b`])
    inputs.push(["proxy_configs", `${"a {".repeat(100_000)}`])
    let failures = 0
    for (const [type, content] of inputs) {
      const r = parseConfig(type, "/config/nginx/x.conf", content)
      assert.equal(typeof r.ok, "boolean")
      if (!r.ok) {
        failures++
        assert.ok(r.error.length > 0)
      }
    }
    assert.ok(failures > inputs.length / 4, "mutations are mostly rejected with an error")
    assert.ok(!parseConfig("env_files", ".env", "A=1\u0000").ok, "NUL bytes are refused")
  })
})

describe("unifiedDiff", () => {
  it("produces a patch that applies", () => {
    const after = edit(PLEX, "set $upstream_port 32400;", "set $upstream_port 32401;")
    const patch = unifiedDiff("a/plex.conf", PLEX, "b/plex.conf", after)
    assert.match(patch, /^-\s+set \$upstream_port 32400;$/m)
    assert.match(patch, /^\+\s+set \$upstream_port 32401;$/m)
    assert.equal(applyPatch(PLEX, patch), after)
    assert.equal(applyPatch("", unifiedDiff("/dev/null", "", "b", "x\ny\n")), "x\ny\n")
  })

  it("falls back to a whole-file replacement for oversized input", () => {
    const big = "line\n".repeat(MAX_CONTENT_BYTES / 4)
    const patch = unifiedDiff("a", "old\n", "b", big)
    assert.ok(patch.includes(`@@ -1,1 +1,${MAX_CONTENT_BYTES / 4} @@\n-old\n+line\n`))
    assert.equal(patch.split("\n").filter((l) => l === "+line").length, MAX_CONTENT_BYTES / 4)
  })
})

describe("analyzeChange: low risk", () => {
  it("no-change, comment-only and whitespace-only edits", () => {
    assert.equal(risk(modify(PLEX_PATH, PLEX, PLEX)), "LOW no-change")
    const commented = modify(
      PLEX_PATH,
      PLEX,
      edit(PLEX, "    client_max_body_size 0;", "    # large uploads\n    client_max_body_size 0;"),
    )
    assert.equal(risk(commented), "LOW comment-only")
    assert.deepEqual(commented.diff.semantic, [])
    assert.deepEqual([commented.diff.linesAdded, commented.diff.linesRemoved, commented.diff.hunks], [1, 0, 1])
    assert.equal(commented.requiresRestart, false)
    assert.deepEqual(commented.affectedServices, [])
    assert.equal(
      risk(modify(PLEX_PATH, PLEX, edit(PLEX, "    proxy_buffering off;", "\tproxy_buffering   off;"))),
      "LOW whitespace-only",
    )
    const yamlComment = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(PIHOLE, "    restart: always\n", "    restart: always # keep\n"),
    )
    assert.equal(risk(yamlComment), "LOW comment-only")
  })

  it("inactive samples (.conf.sample) are low risk whatever they say", () => {
    const sample = "/config/nginx/proxy-confs/plex.subdomain.conf.sample"
    assert.equal(risk(change("CREATE", null, [sample, PLEX])), "LOW inactive-file")
    assert.equal(risk(modify(sample, PLEX_AUTHELIA, PLEX)), "LOW inactive-file")
  })
})

describe("analyzeChange: nginx rules", () => {
  it("CRITICAL auth-removed: Authelia includes commented out again", () => {
    const r = modify(PLEX_PATH, PLEX_AUTHELIA, PLEX)
    assert.equal(risk(r), "CRITICAL auth-removed")
    const auth = r.diff.semantic.filter((s) => s.kind === "auth")
    assert.ok(auth.some((s) => s.path === "server[0]"), "server-level include")
    assert.ok(auth.some((s) => s.path === "server[0].location[/]" && /authelia/.test(s.description)))
    assert.deepEqual(r.affectedServices, ["plex", "plex.*"])
    assert.equal(r.requiresRestart, true)
    assert.deepEqual(r.restartServices, ["swag"])
    assert.deepEqual([r.diff.linesAdded, r.diff.linesRemoved, r.diff.hunks], [2, 2, 2])
  })

  it("enabling auth is a medium semantic change", () => {
    const r = modify(PLEX_PATH, PLEX, PLEX_AUTHELIA)
    assert.equal(risk(r), "MEDIUM semantic-change")
    assert.ok(kinds(r).includes("auth"))
  })

  it("CRITICAL auth-removed: allow/deny dropped from jellyfin /metrics; MEDIUM when only narrowed", () => {
    const noAcl = edit(
      JELLYFIN,
      "        allow 192.168.0.0/16;\n        allow 10.0.0.0/8;\n        allow 172.16.0.0/12;\n        allow 127.0.0.0/8;\n\n        deny all;\n",
      "",
    )
    const r = modify(JELLYFIN_PATH, JELLYFIN, noAcl)
    assert.equal(risk(r), "CRITICAL auth-removed")
    assert.ok(r.diff.semantic.some((s) => s.path === "server[0].location[/metrics]"))
    const narrowed = modify(JELLYFIN_PATH, JELLYFIN, edit(JELLYFIN, "        allow 10.0.0.0/8;\n", ""))
    assert.equal(risk(narrowed), "MEDIUM semantic-change")
  })

  it("HIGH upstream-changed: SWAG upstream port", () => {
    const r = modify(PLEX_PATH, PLEX, edit(PLEX, "set $upstream_port 32400;", "set $upstream_port 32401;"))
    assert.equal(risk(r), "HIGH upstream-changed")
    const up = r.diff.semantic.find((s) => s.kind === "upstream")
    assert.deepEqual(JSON.parse(JSON.stringify(up?.after)), {
      proto: "http",
      app: "plex",
      port: 32401,
      resolved: "http://plex:32401",
    })
    assert.equal(up?.path, "server[0].location[/]")
    assert.deepEqual(r.restartServices, ["swag"])
  })

  it("HIGH upstream-changed: upstream app renamed", () => {
    const r = modify(
      JELLYFIN_PATH,
      JELLYFIN,
      JELLYFIN.replaceAll("set $upstream_app jellyfin;", "set $upstream_app jellyfin2;"),
    )
    assert.equal(risk(r), "HIGH upstream-changed")
    assert.ok(r.affectedServices.includes("jellyfin") && r.affectedServices.includes("jellyfin2"))
  })

  it("HIGH listen-port-changed", () => {
    const r = modify(PLEX_PATH, PLEX, edit(PLEX, "    listen 443 ssl;", "    listen 8443 ssl;"))
    assert.equal(risk(r), "HIGH listen-port-changed")
    assert.ok(kinds(r).includes("listen"))
  })

  it("HIGH unauthenticated-location-added next to authenticated ones", () => {
    const open = edit(
      PLEX_AUTHELIA,
      "    location /library/streams/ {",
      "    location /api {\n        set $upstream_app plex;\n        set $upstream_port 32400;\n        set $upstream_proto http;\n        proxy_pass $upstream_proto://$upstream_app:$upstream_port;\n    }\n\n    location /library/streams/ {",
    )
    // Give /library/streams/ auth too, so every existing route is guarded.
    const guarded = (t: string) =>
      edit(
        t,
        "        proxy_pass_request_headers off;",
        "        proxy_pass_request_headers off;\n        include /config/nginx/authelia-location.conf;",
      )
    const r = modify(PLEX_PATH, guarded(PLEX_AUTHELIA), guarded(open))
    assert.equal(risk(r), "HIGH unauthenticated-location-added")
    // Without auth elsewhere, a new location is an ordinary change.
    const plain = modify(
      PLEX_PATH,
      PLEX,
      edit(
        PLEX,
        "    location /library/streams/ {",
        "    location /api {\n        proxy_pass http://plex:32400;\n    }\n\n    location /library/streams/ {",
      ),
    )
    assert.equal(risk(plain), "MEDIUM semantic-change")
    assert.ok(plain.diff.semantic.some((s) => s.kind === "location" && s.after === "/api"))
  })

  it("MEDIUM server_name change names the old and new hosts", () => {
    const r = modify(PLEX_PATH, PLEX, edit(PLEX, "server_name plex.*;", "server_name media.*;"))
    assert.equal(risk(r), "MEDIUM semantic-change")
    assert.ok(r.affectedServices.includes("plex.*") && r.affectedServices.includes("media.*"))
  })

  it("MEDIUM for a redacted header change, without revealing values", () => {
    const withHeader = (v: string) =>
      edit(
        PLEX,
        "proxy_set_header X-Plex-Model $http_x_plex_model;",
        `proxy_set_header X-Plex-Model $http_x_plex_model;\n        proxy_set_header Authorization "Basic ${v}";`,
      )
    const r = modify(PLEX_PATH, withHeader("b2xkOm9sZA=="), withHeader("bmV3Om5ldw=="))
    assert.equal(risk(r), "MEDIUM semantic-change")
    assert.ok(!JSON.stringify(r).includes("b2xkOm9sZA") && !JSON.stringify(r).includes("bmV3Om5ldw"))
  })

  it("HIGH unparseable, then MEDIUM parse-recovered", () => {
    const broken = edit(PLEX, "    location /library/streams/ {", "    location /library/streams/ ")
    assert.equal(risk(modify(PLEX_PATH, PLEX, broken)), "HIGH unparseable")
    assert.equal(risk(modify(PLEX_PATH, broken, PLEX)), "MEDIUM parse-recovered")
  })

  it("HIGH file-deleted and proxy-disabled; enabling a sample is a semantic change", () => {
    const del = change("DELETE", [PLEX_PATH, PLEX], null)
    assert.equal(risk(del), "HIGH file-deleted")
    assert.deepEqual(del.restartServices, ["swag"])
    assert.ok(del.affectedServices.includes("plex"))
    const sample = `${PLEX_PATH}.sample`
    const disabled = change("MOVE", [PLEX_PATH, PLEX], [sample, PLEX])
    assert.equal(risk(disabled), "HIGH proxy-disabled")
    assert.deepEqual(disabled.restartServices, ["swag"])
    const enabled = change("MOVE", [sample, PLEX], [PLEX_PATH, PLEX])
    assert.equal(risk(enabled), "MEDIUM semantic-change")
    assert.ok(enabled.diff.semantic.some((s) => s.kind === "server"))
  })
})

describe("analyzeChange: compose rules", () => {
  const piholeWith = (line: string): string => edit(PIHOLE, "    cap_add:\n", `${line}\n    cap_add:\n`)

  it("CRITICAL privileged, host-network, host-pid, sensitive-host-mount", () => {
    const cases: Array<[string, string]> = [
      ["    privileged: true", "CRITICAL privileged"],
      ["    network_mode: host", "CRITICAL host-network"],
      ["    pid: host", "CRITICAL host-pid"],
    ]
    for (const [line, expected] of cases) {
      const r = modify(PIHOLE_PATH, PIHOLE, piholeWith(line))
      assert.equal(risk(r), expected, line)
      assert.deepEqual(r.restartServices, ["pihole"])
      assert.deepEqual(r.affectedServices, ["pihole"])
    }
    const sock = edit(
      PIHOLE,
      '      - "/etc/dnsmasq.d/:/etc/dnsmasq.d/"\n',
      '      - "/etc/dnsmasq.d/:/etc/dnsmasq.d/"\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n',
    )
    assert.equal(risk(modify(PIHOLE_PATH, PIHOLE, sock)), "CRITICAL sensitive-host-mount")
    const backToNormal = modify(PIHOLE_PATH, piholeWith("    privileged: true"), PIHOLE)
    assert.equal(risk(backToNormal), "MEDIUM semantic-change")
  })

  it("HIGH image-changed, port-exposed, service-removed, capability-added, user-root", () => {
    const image = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(PIHOLE, "image: pihole/pihole:latest", "image: pihole/pihole:2024.07.0"),
    )
    assert.equal(risk(image), "HIGH image-changed")
    const img = image.diff.semantic.find((s) => s.kind === "service.image")
    assert.deepEqual([img?.before, img?.after], ["pihole/pihole:latest", "pihole/pihole:2024.07.0"])

    const port = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(PIHOLE, '      - "8443:443/tcp"\n', '      - "8443:443/tcp"\n      - "0.0.0.0:8081:81"\n'),
    )
    assert.equal(risk(port), "HIGH port-exposed")
    assert.match(
      port.diff.semantic.find((s) => s.kind === "service.ports")?.description ?? "",
      /0\.0\.0\.0:8081:81\/tcp/,
    )

    const cloudflared = PIHOLE.slice(PIHOLE.indexOf("  cloudflared:"), PIHOLE.indexOf("  pihole:"))
    const removed = modify(PIHOLE_PATH, PIHOLE, edit(PIHOLE, cloudflared, ""))
    assert.equal(risk(removed), "HIGH service-removed")
    assert.ok(removed.affectedServices.includes("cloudflared"))
    assert.ok(!removed.restartServices.includes("cloudflared"), "a removed service is not restarted")

    assert.equal(
      risk(modify(PIHOLE_PATH, PIHOLE, edit(PIHOLE, "      - NET_ADMIN", "      - SYS_ADMIN"))),
      "HIGH capability-added",
    )
    assert.equal(risk(modify(PIHOLE_PATH, PIHOLE, piholeWith('    user: "0"'))), "HIGH user-root")
  })

  it("MEDIUM env keys and values: names only, never values", () => {
    const r = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(
        edit(
          PIHOLE,
          "      - WEBPASSWORD=${PIHOLE_PW}",
          "      - WEBPASSWORD=hunter2-leak\n      - FTLCONF_LOCAL_IPV4=192.0.2.1",
        ),
        "      - REV_SERVER=true\n",
        "",
      ),
    )
    assert.equal(risk(r), "MEDIUM semantic-change")
    const env = r.diff.semantic.find((s) => s.kind === "service.environment")
    assert.ok(env)
    assert.match(env.description, /added: FTLCONF_LOCAL_IPV4/)
    assert.match(env.description, /removed: REV_SERVER/)
    assert.match(env.description, /value changed: WEBPASSWORD/)
    assert.ok(!JSON.stringify(r).includes("hunter2-leak"))
    assert.ok(!JSON.stringify(r).includes("192.0.2.1"), "non-secret env values are not reported either")
    assert.deepEqual(r.restartServices, ["pihole"])
  })

  it("MEDIUM for a secret changed behind redaction, restarting the right service", () => {
    const text = (pw: string) =>
      `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${pw}\n  app:\n    image: app:1\n`
    const r = modify("/opt/app/compose.yaml", text("old-secret"), text("new-secret"))
    assert.equal(risk(r), "MEDIUM semantic-change")
    assert.deepEqual(r.restartServices, ["db"])
    assert.ok(!JSON.stringify(r).includes("old-secret") && !JSON.stringify(r).includes("new-secret"))
  })

  it("restart, depends_on, networks and top-level changes are medium; services using them restart", () => {
    const restart = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(
        PIHOLE,
        "    restart: always\n    networks:\n      - dns-net",
        "    restart: unless-stopped\n    networks:\n      - dns-net",
      ),
    )
    assert.equal(risk(restart), "MEDIUM semantic-change")
    assert.deepEqual(kinds(restart), ["service.restart"])
    const subnet = modify(PIHOLE_PATH, PIHOLE, edit(PIHOLE, "subnet: 172.20.0.0/24", "subnet: 172.21.0.0/24"))
    assert.equal(risk(subnet), "MEDIUM semantic-change")
    assert.deepEqual(subnet.restartServices, ["cloudflared", "pihole"])
    const reorder = modify(
      PIHOLE_PATH,
      PIHOLE,
      edit(
        PIHOLE,
        "    image: visibilityspots/cloudflared\n    container_name: cloudflared\n",
        "    container_name: cloudflared\n    image: visibilityspots/cloudflared\n",
      ),
    )
    assert.equal(risk(reorder), "LOW comment-only", "key order is layout")
  })

  it("CREATE judges a new file against an empty one; DELETE needs no restart", () => {
    const created = change("CREATE", null, [PIHOLE_PATH, PIHOLE])
    assert.equal(risk(created), "HIGH port-exposed")
    assert.deepEqual(created.restartServices, ["cloudflared", "pihole"])
    assert.deepEqual([created.diff.linesAdded, created.diff.linesRemoved], [PIHOLE.trimEnd().split("\n").length, 0])
    const quiet = change("CREATE", null, ["/opt/x/compose.yaml", "services:\n  job:\n    image: busybox\n"])
    assert.equal(risk(quiet), "MEDIUM semantic-change")
    const deleted = change("DELETE", [PIHOLE_PATH, PIHOLE], null)
    assert.equal(risk(deleted), "HIGH file-deleted")
    assert.equal(deleted.requiresRestart, false)
    assert.deepEqual(deleted.affectedServices, ["cloudflared", "pihole"])
    const moved = change("MOVE", [PIHOLE_PATH, PIHOLE], ["/opt/stacks/dns2/compose.yaml", PIHOLE])
    assert.equal(risk(moved), "MEDIUM file-moved")
  })

  it("every compose fixture compared with itself and with its redacted form stays low", () => {
    for (const f of listFixtures("compose")) {
      const text = readFixture("compose", f)
      const path = `/opt/${f}/compose.yaml`
      assert.equal(risk(modify(path, text, text)), "LOW no-change", f)
      const r = modify(
        path,
        redactContent("docker_compose", text),
        redactContent("docker_compose", text).replace(/$/, "\n# end\n"),
      )
      assert.equal(r.risk, "LOW", f)
    }
  })
})

describe("analyzeChange: systemd and env files", () => {
  it("CRITICAL runs-as-root when User= is dropped", () => {
    const r = modify(UNIT_PATH, UNIT, edit(UNIT, "User=node_exporter\n", ""))
    assert.equal(risk(r), "CRITICAL runs-as-root")
    assert.deepEqual(r.restartServices, ["node_exporter.service"])
    assert.deepEqual(r.affectedServices, ["node_exporter.service"])
    assert.equal(risk(modify(UNIT_PATH, UNIT, edit(UNIT, "User=node_exporter", "User=root"))), "CRITICAL runs-as-root")
    assert.equal(
      risk(modify(UNIT_PATH, UNIT, edit(UNIT, "User=node_exporter", "User=prometheus"))),
      "MEDIUM semantic-change",
    )
  })

  it("HIGH exec-changed; Environment changes report keys only", () => {
    const exec = modify(
      UNIT_PATH,
      UNIT,
      edit(UNIT, "--web.systemd-socket $OPTIONS", "--web.listen-address=:9101 $OPTIONS"),
    )
    assert.equal(risk(exec), "HIGH exec-changed")
    assert.equal(exec.diff.semantic[0]?.path, "[Service]")
    const env = modify(UNIT_PATH, UNIT, edit(UNIT, "Environment=OPTIONS=", "Environment=OPTIONS= API_TOKEN=zzz-secret"))
    assert.equal(risk(env), "MEDIUM semantic-change")
    assert.deepEqual(env.diff.semantic.map((s) => [s.kind, s.after]), [["unit.Environment", ["OPTIONS", "API_TOKEN"]]])
    assert.ok(!JSON.stringify(env).includes("zzz-secret"))
    const del = change("DELETE", [UNIT_PATH, UNIT], null)
    assert.equal(risk(del), "HIGH file-deleted")
    assert.equal(del.requiresRestart, false)
  })

  it("env files: keys added/removed/changed, secrets never shown, created empty file", () => {
    const path = "/opt/stacks/app/.env"
    const r = modify(path, "DB_HOST=db\nDB_PASSWORD=old\n", "DB_HOST=db2\nDB_PASSWORD=new\nNEW_KEY=1\n")
    assert.equal(risk(r), "MEDIUM semantic-change")
    assert.match(r.diff.semantic[0]?.description ?? "", /added: NEW_KEY; value changed: DB_HOST/)
    assert.equal(r.requiresRestart, true)
    const secretOnly = modify(path, "DB_PASSWORD=old-pw-1\n", "DB_PASSWORD=new-pw-2\n")
    assert.equal(risk(secretOnly), "MEDIUM semantic-change")
    assert.match(secretOnly.diff.semantic[0]?.description ?? "", /value changed: DB_PASSWORD/)
    assert.ok(!JSON.stringify(secretOnly).includes("old-pw-1") && !JSON.stringify(secretOnly).includes("new-pw-2"))
    assert.equal(risk(change("CREATE", null, [path, "# nothing yet\n"])), "MEDIUM file-created")
  })

  it("huge and binary versions give a row, not an exception or a hang", () => {
    const huge = `A=${"x".repeat(MAX_CONTENT_BYTES + 1)}\n`
    const started = Date.now()
    const r = modify("/opt/app/.env", "A=1\n", huge)
    assert.equal(risk(r), "HIGH unparseable")
    assert.deepEqual([r.diff.linesAdded, r.diff.linesRemoved], [1, 1])
    assert.ok(Date.now() - started < 5000)
    const bin = modify("/opt/app/compose.yaml", PIHOLE, "\u0000\u0001\u0002binary")
    assert.equal(risk(bin), "HIGH unparseable")
  })
})
