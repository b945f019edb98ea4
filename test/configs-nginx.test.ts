import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { Result } from "effect"
import { ParseError } from "../src/domain/errors.ts"
import { type NginxConfig, type NginxLocation, parseNginxConfig } from "../src/configs/semantic/nginx.ts"
import { canonicalNginx, type NginxDirective, parseNginxSyntax } from "../src/configs/semantic/nginx-syntax.ts"
import { listFixtures, readFixture } from "./harness/fixtures.ts"

const ok = <A>(r: Result.Result<A, ParseError>): A => {
  if (Result.isFailure(r)) assert.fail(`expected success, got: ${r.failure.message} at ${r.failure.at}`)
  return r.success
}
const err = <A>(r: Result.Result<A, ParseError>): ParseError => {
  assert.ok(Result.isFailure(r), "expected a ParseError")
  assert.equal(r.failure.dataType, "nginx")
  return r.failure
}
/** Plain JSON view (parsed data uses prototype-less records). */
const plain = <A>(v: A): A => JSON.parse(JSON.stringify(v)) as A
const conf = (file: string): NginxConfig => ok(parseNginxConfig(readFixture("nginx", file)))
const loc = (list: ReadonlyArray<NginxLocation>, path: string): NginxLocation => {
  const l = list.find((x) => x.path === path)
  assert.ok(l, `location ${path} exists`)
  return l
}

describe("nginx tokenizer", () => {
  it("handles quotes, escapes, variables, comments and words with #", () => {
    const nodes = ok(parseNginxSyntax(
      [
        `add_header X "a \\"quoted\\" word" always; # trailing comment`,
        `set $x 'it\\'s';`,
        `return 200 \${scheme}://a#b;`,
        `location ~ ^/a\\.b$ { deny all; }`,
        `if ($host ~* "^[^.]+\\.([^.]+\\..+)$") { set $d $1; }`,
      ].join("\n"),
    ))
    const d = nodes.filter((n): n is NginxDirective => n.type === "directive")
    assert.deepEqual(d.map((n) => n.name), ["add_header", "set", "return", "location", "if"])
    assert.deepEqual(d[0]?.args, ["X", 'a "quoted" word', "always"])
    assert.deepEqual(d[1]?.args, ["$x", "it's"])
    assert.deepEqual(
      d[2]?.args,
      ["200", "${scheme}://a#b"],
      "`${` stays in the word, `#` inside a word is not a comment",
    )
    assert.deepEqual(d[3]?.args, ["~", "^/a\\.b$"], "unknown escapes keep the backslash")
    assert.deepEqual(d[4]?.args, ["($host", "~*", "^[^.]+\\.([^.]+\\..+)$", ")"])
    assert.ok(nodes.some((n) => n.type === "comment" && n.text === " trailing comment" && n.line === 1))
  })

  it("keeps *_by_lua_block bodies opaque, braces and strings inside included", () => {
    const text = [
      "location /lua {",
      "  content_by_lua_block {",
      '    local t = { a = "}" } -- a } in a comment',
      "    ngx.say([[ } ]])",
      "    if x then ngx.say('{') end",
      "  }",
      "  proxy_pass http://app:80;",
      "}",
    ].join("\n")
    const nodes = ok(parseNginxSyntax(text))
    const location = nodes[0] as NginxDirective
    const lua = location.block?.[0] as NginxDirective
    assert.equal(lua.name, "content_by_lua_block")
    assert.match(lua.opaque ?? "", /ngx\.say\(\[\[ \} \]\]\)/)
    assert.equal((location.block?.[1] as NginxDirective).name, "proxy_pass")
    const summary = ok(parseNginxConfig(text))
    assert.equal(summary.locations[0]?.upstream?.app, "app")
  })

  it("gives a clear error with the line for invalid input", () => {
    assert.match(
      err(parseNginxSyntax('server {\n  listen 80;\n  server_name "oops;\n}')).message,
      /unterminated quoted string/,
    )
    const open = err(parseNginxSyntax("http {\n  server {\n    listen 80;\n"))
    assert.match(open.message, /not closed/)
    assert.equal(open.at, "line 4")
    assert.match(err(parseNginxSyntax("listen 80;\n}\n")).message, /unexpected "}"/)
    assert.match(err(parseNginxSyntax("server { listen 80 }")).message, /has no ";"/)
    assert.match(err(parseNginxSyntax("  ;")).message, /unexpected ";"/)
    assert.match(err(parseNginxSyntax('return 200 "a"b;')).message, /after quoted string/)
    assert.match(err(parseNginxSyntax("listen 80")).message, /unexpected end of file/)
    assert.match(err(parseNginxSyntax("content_by_lua_block { if x then")).message, /unterminated lua block/)
    assert.match(err(parseNginxSyntax("a {".repeat(500))).message, /nested deeper/)
  })

  it("canonical form ignores comments and layout but not directives", () => {
    const a = ok(parseNginxSyntax("server {\n  listen 80; # web\n}\n"))
    const b = ok(parseNginxSyntax("# header\nserver { listen   80; }"))
    const c = ok(parseNginxSyntax("server { listen 81; }"))
    assert.equal(canonicalNginx(a), canonicalNginx(b))
    assert.notEqual(canonicalNginx(a), canonicalNginx(c))
  })
})

describe("nginx fixtures (SWAG + base nginx)", () => {
  const files = listFixtures("nginx")

  it("parses every fixture file", () => {
    assert.ok(files.length >= 270, `expected the full SWAG sample set, got ${files.length}`)
    const failures: Array<string> = []
    for (const f of files) {
      const r = parseNginxConfig(readFixture("nginx", f))
      if (Result.isFailure(r)) failures.push(`${f}: ${r.failure.message} ${r.failure.at}`)
    }
    assert.deepEqual(failures, [])
  })

  it("finds a server_name and a resolved upstream in every subdomain sample with a server block", () => {
    const subdomain = files.filter((f) => f.endsWith(".subdomain.conf.sample") && !f.startsWith("_template"))
    assert.ok(subdomain.length > 150)
    const unresolved: Array<string> = []
    for (const f of subdomain) {
      const c = conf(f)
      assert.ok(c.servers.length >= 1, `${f} has a server block`)
      assert.ok(c.servers.every((s) => s.server_names.length > 0), `${f} names its servers`)
      const upstreams = c.servers.flatMap((s) => s.locations).filter((l) => l.upstream !== undefined)
      if (
        upstreams.length > 0 && upstreams.every((l) => l.upstream?.app === undefined || l.upstream.app.includes("$"))
      ) {
        unresolved.push(f)
      }
    }
    assert.deepEqual(unresolved, [], "SWAG's set $upstream_* variables resolve")
  })

  it("plex.subdomain: server_name, listen, upstream, commented-out auth", () => {
    const c = conf("plex.subdomain.conf.sample")
    assert.equal(c.servers.length, 1)
    const s = c.servers[0]!
    assert.deepEqual(s.server_names, ["plex.*"])
    assert.deepEqual(plain(s.listen.map((l) => [l.port, l.ssl, l.address ?? null])), [[443, true, null], [
      443,
      true,
      "[::]",
    ]])
    assert.deepEqual(s.includes, ["/config/nginx/ssl.conf"])
    assert.equal(s.client_max_body_size, "0")
    assert.deepEqual(s.auth.active, [])
    assert.deepEqual(s.auth.commented.map((a) => a.method), ["ldap", "authelia", "authentik", "tinyauth"])
    const root = loc(s.locations, "/")
    assert.deepEqual(plain(root.upstream), {
      raw: "$upstream_proto://$upstream_app:$upstream_port",
      resolved: "http://plex:32400",
      proto: "http",
      app: "plex",
      port: 32400,
    })
    assert.deepEqual(root.includes, ["/config/nginx/proxy.conf", "/config/nginx/resolver.conf"])
    assert.deepEqual(root.auth.active, [])
    assert.deepEqual(root.auth.commented.map((a) => `${a.method}:${a.line}`), [
      "basic:37",
      "ldap:41",
      "authelia:44",
      "authentik:47",
      "tinyauth:50",
    ])
    assert.equal(root.headers["X-Plex-Token"], "$http_x_plex_token", "a variable reference is no secret")
    assert.equal(loc(s.locations, "/library/streams/").upstream?.resolved, "http://plex:32400")
  })

  it("jellyfin.subdomain: allow/deny on /metrics are active access rules", () => {
    const s = conf("jellyfin.subdomain.conf.sample").servers[0]!
    const metrics = loc(s.locations, "/metrics")
    assert.deepEqual(metrics.auth.active.map((a) => `${a.directive} ${a.value}`), [
      "allow 192.168.0.0/16",
      "allow 10.0.0.0/8",
      "allow 172.16.0.0/12",
      "allow 127.0.0.0/8",
      "deny all",
    ])
    assert.deepEqual(loc(s.locations, "/").auth.active, [])
    const socket = s.locations.find((l) => l.modifier === "~")
    assert.equal(socket?.path, "(/jellyfin)?/socket")
    assert.equal(socket?.upstream?.port, 8096)
  })

  it("subfolder sample: locations outside a server block", () => {
    const c = conf("rutorrent.subfolder.conf.sample")
    assert.equal(c.servers.length, 0)
    assert.deepEqual(c.locations.map((l) => `${l.modifier} ${l.path}`), [
      " /rutorrent",
      "^~ /rutorrent/",
      "^~ /rutorrent/RPC2",
    ])
    assert.match(loc(c.locations, "/rutorrent").return ?? "", /^301 /)
    assert.deepEqual(loc(c.locations, "/rutorrent/RPC2").auth.active.map((a) => a.value), ["all"])
    assert.equal(loc(c.locations, "/rutorrent/").upstream?.app, "rutorrent")
  })

  it("SWAG auth snippets: auth_request at file level, proxy_pass with a partial variable", () => {
    const authelia = conf("swag-defaults__authelia-location.conf.sample")
    assert.deepEqual(authelia.auth.active.map((a) => `${a.method} ${a.value}`), [
      "auth_request /authelia/api/authz/auth-request",
    ])
    const tiny = conf("swag-defaults__tinyauth-server.conf.sample")
    const t = loc(tiny.locations, "/tinyauth")
    assert.equal(t.upstream?.resolved, "http://tinyauth:3000/api/auth/nginx")
    assert.equal(t.upstream?.app, "tinyauth")
    assert.equal(t.upstream?.port, 3000)
    assert.match(loc(tiny.locations, "@tinyauth_login").return ?? "", /^302 \$signin_url/)
  })

  it("openvscode-server: quoted regex server_name with braces", () => {
    const names = conf("openvscode-server.subdomain.conf.sample").servers.flatMap((s) => s.server_names)
    assert.ok(names.includes("~^(?<upstream_port>[0-9]{1,10})\\.openvscode-server\\..*$"), names.join(" | "))
  })

  it("base nginx.conf, ssl.conf and default site", () => {
    const main = conf("baseimage-nginx-defaults__nginx.conf.sample")
    assert.deepEqual(main.servers, [])
    assert.ok(main.includes.includes("/config/nginx/worker_processes.conf"))
    assert.ok(main.directives > 30)
    const ssl = conf("baseimage-nginx-defaults__ssl.conf.sample")
    assert.deepEqual(ssl.ssl_certificate, ["/config/keys/cert.crt"])
    assert.deepEqual(ssl.ssl_certificate_key, ["/config/keys/cert.key"])
    const site = conf("swag-defaults__site-confs__default.conf.sample")
    assert.equal(site.servers.length, 2)
    assert.ok(site.servers[0]!.listen.every((l) => l.port === 80 && l.default_server))
    assert.equal(site.servers[0]!.locations[0]?.return, "301 https://$host$request_uri")
    assert.deepEqual(site.servers[1]!.server_names, ["_"])
    assert.ok(site.servers[1]!.includes.includes("/config/nginx/proxy-confs/*.subfolder.conf"))
  })
})

describe("nginx summary redaction", () => {
  it("redacts secret headers, secret variables and URL credentials", () => {
    const c = ok(parseNginxConfig([
      "server {",
      "  server_name app.example.com;",
      "  location / {",
      '    proxy_set_header Authorization "Basic dXNlcjpodW50ZXIy";',
      "    proxy_set_header X-Api-Key s3cr3t-key;",
      "    proxy_set_header Host $host;",
      "    set $api_token abcdef123;",
      "    set $upstream_app app;",
      "    proxy_pass http://admin:hunter2@app:8080/;",
      "  }",
      "}",
    ].join("\n")))
    const l = c.servers[0]!.locations[0]!
    assert.equal(l.headers["Authorization"], "[REDACTED]")
    assert.equal(l.headers["X-Api-Key"], "[REDACTED]")
    assert.equal(l.headers["Host"], "$host")
    assert.equal(l.vars["api_token"], "[REDACTED]")
    assert.equal(l.vars["upstream_app"], "app")
    assert.equal(l.upstream?.raw, "http://admin:[REDACTED]@app:8080/")
    assert.equal(l.upstream?.app, "app")
    assert.equal(l.upstream?.port, 8080)
    assert.ok(!JSON.stringify(c).includes("hunter2") && !JSON.stringify(c).includes("dXNlcjpodW50ZXIy"))
  })
})
