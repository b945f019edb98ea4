import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { parseConfig } from "../src/configs/analyze.ts"
import { buildServiceMap, composeDependencies, type ContainerRef } from "../src/configs/service-map.ts"
import { readFixture } from "./harness/fixtures.ts"

const proxy = (file: string, path: string, edit: (t: string) => string = (t) => t) => ({
  path,
  parsed: parseConfig("proxy_configs", path, edit(readFixture("nginx", file))),
})

const CONTAINERS: Array<ContainerRef> = [
  { name: "/jellyfin", state: "running" },
  { name: "media-plex-1", compose_service: "plex", compose_project: "media", state: "exited" },
  { name: "rutorrent", state: "running", compose_project: "dl", compose_service: "torrent" },
]

describe("buildServiceMap", () => {
  const map = buildServiceMap(
    [
      proxy("jellyfin.subdomain.conf.sample", "/config/nginx/proxy-confs/jellyfin.subdomain.conf"),
      proxy(
        "plex.subdomain.conf.sample",
        "/config/nginx/proxy-confs/plex.subdomain.conf",
        (t) =>
          t.replace(
            "        #include /config/nginx/authelia-location.conf;",
            "        include /config/nginx/authelia-location.conf;",
          ),
      ),
      proxy("rutorrent.subfolder.conf.sample", "/config/nginx/proxy-confs/rutorrent.subfolder.conf.sample"),
      proxy("swag-defaults__tinyauth-server.conf.sample", "/config/nginx/tinyauth-server.conf"),
      {
        path: "/config/nginx/proxy-confs/broken.conf",
        parsed: parseConfig("proxy_configs", "broken.conf", "server {"),
      },
    ],
    CONTAINERS,
  )

  it("maps every proxied location of real SWAG confs", () => {
    const jellyfin = map.filter((e) => e.config_path.includes("jellyfin"))
    assert.deepEqual(jellyfin.map((e) => e.location), ["/", "~ (/jellyfin)?/socket", "/metrics"])
    for (const e of jellyfin) {
      assert.equal(e.subdomain, "jellyfin")
      assert.deepEqual(e.server_names, ["jellyfin.*"])
      assert.deepEqual([e.upstream_proto, e.upstream_app, e.upstream_port], ["http", "jellyfin", 8096])
      assert.deepEqual(e.container, { name: "jellyfin", state: "running", matched_by: "container_name" })
      assert.equal(e.active, true)
    }
    assert.deepEqual(jellyfin.map((e) => e.auth), [[], [], ["access"]])
  })

  it("matches by compose service name and reports the container state and auth", () => {
    const root = map.find((e) => e.config_path.includes("plex") && e.location === "/")
    assert.ok(root)
    assert.deepEqual(root.auth, ["authelia"])
    assert.deepEqual(root.container, {
      name: "media-plex-1",
      state: "exited",
      compose_service: "plex",
      compose_project: "media",
      matched_by: "compose_service",
    })
    const streams = map.find((e) => e.config_path.includes("plex") && e.location === "/library/streams/")
    assert.deepEqual(streams?.auth, [])
  })

  it("subfolder samples have no subdomain and are flagged inactive; redirects are not routes", () => {
    const rut = map.filter((e) => e.config_path.includes("rutorrent"))
    assert.deepEqual(rut.map((e) => e.location), ["^~ /rutorrent/", "^~ /rutorrent/RPC2"])
    for (const e of rut) {
      assert.equal(e.subdomain, undefined)
      assert.equal(e.active, false)
      assert.equal(e.container?.name, "rutorrent")
    }
    assert.deepEqual(rut.map((e) => e.auth), [[], ["access"]])
  })

  it("unmatched upstreams have no container; unparsed confs are skipped", () => {
    const tiny = map.find((e) => e.location === "/tinyauth")
    assert.equal(tiny?.upstream_app, "tinyauth")
    assert.equal(tiny?.upstream_port, 3000)
    assert.equal(tiny?.container, null)
    assert.ok(!map.some((e) => e.config_path.includes("broken")))
    assert.deepEqual(buildServiceMap([], CONTAINERS), [])
  })
})

describe("composeDependencies", () => {
  it("edges with conditions from a real compose file", () => {
    const edges = composeDependencies(
      parseConfig(
        "docker_compose",
        "docker-compose.yml",
        readFixture("compose", "netbox-docker__docker-compose.test.yml"),
      ),
    )
    assert.ok(edges.length >= 3)
    for (const e of edges) {
      assert.ok(
        ["service_started", "service_healthy", "service_completed_successfully"].includes(e.condition),
        e.condition,
      )
    }
    const voting = composeDependencies(
      parseConfig(
        "docker_compose",
        "docker-compose.yml",
        readFixture("compose", "example-voting-app__docker-compose.images.yml"),
      ),
    )
    assert.ok(voting.some((e) => e.service === "vote" && e.depends_on === "redis" && e.condition === "service_healthy"))
  })
})
