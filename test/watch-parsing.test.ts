import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { globMatches, parseListParam, validateGlobs } from "../src/domain/globs.ts"
import { InotifyLineParser, watchDirPatterns, wildcardDirPatterns } from "../src/configs/watch/inotify.ts"
import { globsForDevice } from "../src/configs/watch/settings.ts"
import { sshDevice } from "./harness/ssh-device.ts"

describe("watch parsing", () => {
  test("inotify frames rejoin paths split by newlines; readiness and markers", () => {
    const p = new InotifyLineParser()
    assert.deepEqual(p.push("Setting up watches."), [{ kind: "noise", text: "Setting up watches." }])
    assert.deepEqual(p.push("Watches established."), [{ kind: "ready" }])
    assert.deepEqual(p.push("@@E 1700000000 CLOSE_WRITE,CLOSE /a/b c.conf @@E"), [
      { kind: "event", hostTime: 1700000000, events: ["CLOSE_WRITE", "CLOSE"], path: "/a/b c.conf", isDir: false },
    ])
    assert.deepEqual(p.push("@@E 1700000001 CREATE /a/new"), [])
    assert.deepEqual(p.push("line.conf @@E"), [
      { kind: "event", hostTime: 1700000001, events: ["CREATE"], path: "/a/new\nline.conf", isDir: false },
    ])
    assert.equal((p.push("@@E 1 CREATE,ISDIR /opt/app @@E")[0] as { isDir: boolean }).isDir, true)
    assert.deepEqual(p.push("@@WATCH no-inotifywait"), [{ kind: "marker", name: "no-inotifywait" }])
  })

  test("globs: shell semantics, validation, list params", () => {
    assert.ok(globMatches("/c/proxy-confs/*.conf", "/c/proxy-confs/a b.conf"))
    assert.ok(!globMatches("/c/proxy-confs/*.conf", "/c/proxy-confs/sub/a.conf"))
    assert.ok(!globMatches("/c/proxy-confs/*.conf", "/c/proxy-confs/.hidden.conf"))
    assert.ok(!globMatches("/c/proxy-confs/*.conf", "/c/proxy-confs/a.conf.sample"))
    assert.ok(globMatches("/opt/*/compose.y[a]ml", "/opt/app/compose.yaml"))
    assert.ok(globMatches("/x/(a)+*.conf", "/x/(a)+b.conf"))
    assert.ok(!globMatches("/x/(a)+*.conf", "/x/aa+b.conf"))
    assert.throws(() => validateGlobs(["relative/*.conf"]), /absolute/)
    assert.throws(() => validateGlobs(["/a\n/b"]), /newline/)
    assert.throws(() => validateGlobs(Array.from({ length: 201 }, (_, i) => `/x/${i}`)), /at most/)
    assert.deepEqual(parseListParam("globs", "/a/*.conf, /b/*.yml\n/c"), ["/a/*.conf", "/b/*.yml", "/c"])
    assert.deepEqual(parseListParam("paths", JSON.stringify(["/a,b", "/c\nd"])), ["/a,b", "/c\nd"])
    assert.throws(() => parseListParam("paths", "[1]"), /array of strings/)
  })

  test("watched directories: parents plus each level above a wildcard, no recursion", () => {
    assert.deepEqual(watchDirPatterns(["/opt/*/docker-compose.yml", "/etc/systemd/system/*.service"]), [
      "/opt",
      "/opt/*",
      "/etc/systemd/system",
    ])
    assert.deepEqual(wildcardDirPatterns(["/opt/*/docker-compose.yml", "/etc/systemd/system/*.service"]), ["/opt/*"])
  })

  test("globs per device: defaults, capability dirs, global and per-device overrides", () => {
    const device = {
      ...sshDevice({ host: "h", port: 22, user: "u", privateKeyPath: "/k" } as never, "nas"),
      capabilities: {
        tools: {},
        nginx_dirs: ["/srv/swag/nginx/proxy-confs"],
        compose_files: ["/srv/a/docker-compose.yml"],
      },
    }
    const defaults = globsForDevice(device)
    assert.ok(defaults.some((g) => g.type === "proxy_configs" && g.pattern === "/srv/swag/nginx/proxy-confs/*.conf"))
    assert.ok(defaults.some((g) => g.type === "docker_compose" && g.pattern === "/srv/a/docker-compose.yml"))
    assert.ok(defaults.some((g) => g.type === "systemd_services" && g.pattern === "/etc/systemd/system/*.service"))
    const global = globsForDevice(device, { globs: { systemd_services: [] } })
    assert.ok(!global.some((g) => g.type === "systemd_services"))
    const own = globsForDevice(device, {
      globs: { proxy_configs: ["/g/*.conf"] },
      devices: { nas: { globs: { proxy_configs: ["/own/*.conf", "relative/x"] } } },
    })
    assert.deepEqual(own.filter((g) => g.type === "proxy_configs").map((g) => g.pattern), ["/own/*.conf"])
  })
})
