import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { isSecretKey, redactContent, REDACTED, redactInline, redactUrlCredentials } from "../src/configs/redact.ts"
import { parseConfig } from "../src/configs/analyze.ts"
import type { ConfigType } from "../src/configs/types.ts"
import { readFixture } from "./harness/fixtures.ts"

const lines = (s: string): number => s.split(/\r?\n/).length

/** Redacts and checks the invariants every redaction must keep. */
const redact = (type: ConfigType, text: string): string => {
  const out = redactContent(type, text)
  assert.equal(lines(out), lines(text), "line count kept")
  assert.equal(redactContent(type, out), out, "idempotent")
  return out
}

describe("secret keys", () => {
  it("recognises secret-looking keys by word", () => {
    for (
      const k of [
        "PASSWORD",
        "DB_PASS",
        "MYSQL_ROOT_PASSWORD",
        "apiKey",
        "API_KEY",
        "X-Api-Key",
        "SECRET_KEY_BASE",
        "GITHUB_TOKEN",
        "JWT_SECRET",
        "PRIVATE_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "SALT",
        "BASIC_AUTH",
        "Authorization",
        "DBPASSWORD",
        "AUTHTOKEN",
        "smtp.passwd",
        "credentials",
        "traefik.http.middlewares.auth.basicauth.users",
      ]
    ) assert.ok(isSecretKey(k), k)
  })

  it("leaves look-alikes and pointers to secrets alone", () => {
    for (
      const k of [
        "KEYBOARD_LAYOUT",
        "MONKEY",
        "BYPASS_CACHE",
        "PASSENGER_COUNT",
        "AUTHOR",
        "PUID",
        "TZ",
        "POSTGRES_PASSWORD_FILE",
        "SSH_KEY_PATH",
        "KEYCLOAK_URL",
        "AUTH_HOST",
        "DB_USER",
        "",
      ]
    ) assert.ok(!isSecretKey(k), k)
  })
})

describe("inline redaction", () => {
  it("masks URL passwords and secret key=value pairs only", () => {
    assert.equal(redactUrlCredentials("postgres://app:s3cret@db:5432/x"), "postgres://app:[REDACTED]@db:5432/x")
    assert.equal(redactUrlCredentials("redis://:pw@redis:6379"), "redis://:[REDACTED]@redis:6379")
    assert.equal(
      redactUrlCredentials("https://user:p@ss@host/"),
      "https://user:[REDACTED]@host/",
      "last @ ends userinfo",
    )
    assert.equal(redactUrlCredentials("https://host:8443/path?q=a@b"), "https://host:8443/path?q=a@b")
    assert.equal(redactUrlCredentials("mailto:x@y and http://h"), "mailto:x@y and http://h")
    assert.equal(
      redactInline("app --api-key=abc --port=80 --token='x y'"),
      "app --api-key=[REDACTED] --port=80 --token='[REDACTED]'",
    )
    assert.equal(redactInline("PASSWORD=${DB_PASSWORD}"), "PASSWORD=${DB_PASSWORD}", "variable references stay")
    assert.equal(redactInline("url?keyboard=us&token=zzz"), "url?keyboard=us&token=[REDACTED]")
  })

  it("stays linear on pathological lines", () => {
    const hostile = [
      "a".repeat(2_000_000),
      "x://".repeat(300_000),
      `${"k".repeat(500_000)}=${" ".repeat(500_000)}#`,
      `proxy_set_header Authorization ${" ".repeat(1_000_000)}x`,
      `- PASSWORD=${" ".repeat(1_000_000)}# c`,
      `KEY: ${"'".repeat(500_000)}`,
    ]
    for (const text of hostile) {
      for (const type of ["env_files", "docker_compose", "systemd_services", "proxy_configs"] as const) {
        const started = Date.now()
        redactContent(type, text)
        assert.ok(
          Date.now() - started < 1500,
          `${type} on ${JSON.stringify(text.slice(0, 20))}… took ${Date.now() - started}ms`,
        )
      }
    }
  })
})

describe("redactContent keeps line structure", () => {
  it("env files: export, quotes, comments, multi-line values", () => {
    const text = [
      "# database",
      "export DB_PASSWORD=hunter2",
      "DB_HOST=db",
      'API_TOKEN="abc def" # comment',
      "#SMTP_PASSWORD=commented-out-secret",
      'PRIVATE_KEY="-----BEGIN KEY-----',
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
      '-----END KEY-----"',
      "KEYBOARD=us",
      "WEBPASSWORD=${PIHOLE_PW}",
      "DATABASE_URL=postgres://u:pw123@db/x",
      "",
    ].join("\r\n")
    const out = redact("env_files", text)
    for (const secret of ["hunter2", "abc def", "commented-out-secret", "MIIEvQ", "BEGIN KEY", "pw123"]) {
      assert.ok(!out.includes(secret), `${secret} leaked`)
    }
    const o = out.split("\r\n")
    assert.equal(o[1], `export DB_PASSWORD=${REDACTED}`)
    assert.equal(o[2], "DB_HOST=db")
    assert.equal(o[3], `API_TOKEN="${REDACTED}" # comment`)
    assert.equal(o[4], `#SMTP_PASSWORD=${REDACTED}`)
    assert.equal(o[8], "KEYBOARD=us")
    assert.equal(o[9], "WEBPASSWORD=${PIHOLE_PW}")
    assert.equal(o[10], `DATABASE_URL=postgres://u:${REDACTED}@db/x`)
    assert.ok(out.includes("\r\n"), "CRLF kept")
  })

  it("compose: map, list, quoted, block scalar, flow mapping, commented lines", () => {
    const text = [
      "services:",
      "  db:",
      "    image: postgres:16 # pinned",
      "    environment:",
      "      POSTGRES_PASSWORD: 'hunter2' # set me",
      "      POSTGRES_USER: app",
      '      - "MYSQL_ROOT_PASSWORD=rootpw"',
      "      - API_KEY=key123 # trailing",
      "      SSH_PRIVATE_KEY: |",
      "        -----BEGIN OPENSSH PRIVATE KEY-----",
      "        b3BlbnNzaC1rZXktdjEAAAAA",
      "      NEXT: visible",
      "      # OLD_SECRET: was-here",
      '    labels: { traefik.http.middlewares.a.basicauth.users: "admin:$$apr1$$xyz", other: ok }',
      '    command: ["--password=cmdpw", "--verbose"]',
      '      QUOTED: "line with # hash"',
      '      JWT_SECRET: "multi',
      '        line secret"',
    ].join("\n")
    const out = redact("docker_compose", text)
    for (
      const s of [
        "hunter2",
        "rootpw",
        "key123",
        "b3BlbnNza",
        "BEGIN OPENSSH",
        "was-here",
        "apr1",
        "cmdpw",
        "line secret",
      ]
    ) {
      assert.ok(!out.includes(s), `${s} leaked:\n${out}`)
    }
    const o = out.split("\n")
    assert.equal(o[2], "    image: postgres:16 # pinned")
    assert.equal(o[4], `      POSTGRES_PASSWORD: '${REDACTED}' # set me`)
    assert.equal(o[5], "      POSTGRES_USER: app")
    assert.equal(o[6], `      - "MYSQL_ROOT_PASSWORD=${REDACTED}"`)
    assert.equal(o[7], `      - API_KEY=${REDACTED} # trailing`)
    assert.equal(o[11], "      NEXT: visible")
    assert.match(o[13] ?? "", /other: ok/)
    assert.equal(o[15], '      QUOTED: "line with # hash"')
  })

  it("compose fixtures: the real files keep their structure and lose their inline secrets", () => {
    for (
      const f of [
        "awesome-compose__pihole-cloudflared-DoH__compose.yaml",
        "n8n-hosting__subfolderWithSSL.yml",
        "sentry-self-hosted__docker-compose.yml",
      ]
    ) {
      const text = readFixture("compose", f)
      const out = redact("docker_compose", text)
      const before = parseConfig("docker_compose", f, text)
      const after = parseConfig("docker_compose", f, out)
      assert.ok(before.ok && after.ok, `${f} still parses after redaction`)
      assert.deepEqual(
        Object.keys((after.data as { services: object }).services),
        Object.keys((before.data as { services: object }).services),
      )
    }
  })

  it("systemd: Environment assignments and command-line secrets", () => {
    const text = [
      "[Service]",
      'Environment=PASSWORD=pw1 "TOKEN=two words" PLAIN=1',
      "Environment='API_KEY=k3y'",
      "ExecStart=/usr/bin/app --db-password=pw2 --listen :80",
      ";Environment=SECRET=old",
      "User=app",
    ].join("\n")
    const out = redact("systemd_services", text)
    const o = out.split("\n")
    assert.equal(o[1], `Environment=PASSWORD=${REDACTED} "TOKEN=${REDACTED}" PLAIN=1`)
    assert.equal(o[2], `Environment='API_KEY=${REDACTED}'`)
    assert.equal(o[3], `ExecStart=/usr/bin/app --db-password=${REDACTED} --listen :80`)
    assert.equal(o[4], `;Environment=SECRET=${REDACTED}`)
    assert.equal(o[5], "User=app")
    const parsed = parseConfig("systemd_services", "/etc/systemd/system/app.service", text)
    assert.ok(parsed.ok)
    assert.ok(!JSON.stringify(parsed.data).match(/pw1|two words|k3y|pw2/))
  })

  it("nginx: Authorization headers, secret variables, URL credentials, commented lines", () => {
    const text = [
      "location / {",
      '    proxy_set_header Authorization "Basic dXNlcjpwYXNz";',
      "    #proxy_set_header X-Api-Key abc123;",
      "    proxy_set_header Host $host;",
      "    set $api_token tok456; # from vault",
      "    proxy_pass https://bot:pw789@backend:8443;",
      "}",
    ].join("\n")
    const out = redact("proxy_configs", text)
    const o = out.split("\n")
    assert.equal(o[1], `    proxy_set_header Authorization "${REDACTED}";`)
    assert.equal(o[2], `    #proxy_set_header X-Api-Key ${REDACTED};`)
    assert.equal(o[3], "    proxy_set_header Host $host;")
    assert.equal(o[4], `    set $api_token ${REDACTED}; # from vault`)
    assert.equal(o[5], `    proxy_pass https://bot:${REDACTED}@backend:8443;`)
    assert.ok(parseConfig("proxy_configs", "/config/nginx/proxy-confs/x.subdomain.conf", out).ok, "still valid nginx")
  })

  it("nginx fixtures are unchanged (they hold no secrets)", () => {
    for (
      const f of [
        "plex.subdomain.conf.sample",
        "swag-defaults__authelia-server.conf.sample",
        "baseimage-nginx-defaults__nginx.conf.sample",
      ]
    ) {
      const text = readFixture("nginx", f)
      assert.equal(redact("proxy_configs", text), text, f)
    }
  })
})
