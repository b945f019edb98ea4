import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js"
import type { EventsShape, InfraEventWithMeta } from "../events/Events.ts"

/** Which resource URIs an event makes stale. Config events are matched loosely (their shape is another module's). */
export const urisForEvent = (e: InfraEventWithMeta): Array<string> => {
  const r = e as unknown as Record<string, unknown>
  const device = typeof r["device"] === "string" ? r["device"] : undefined
  switch (e._tag as string) {
    case "DeviceStatusChanged":
      return device === undefined ? [] : ["infra://devices", `infra://devices/${encodeURIComponent(device)}`]
    case "DataCollected":
      return r["dataType"] === "capabilities" && device !== undefined
        ? [`infra://devices/${encodeURIComponent(device)}`]
        : []
    case "ConfigurationChanged": {
      const uris = ["config://changes"]
      const file = typeof r["path"] === "string" ? r["path"] : undefined
      if (device !== undefined && file !== undefined) uris.push(configFileUri(device, file))
      const type = r["configType"] ?? r["config_type"] ?? r["type"]
      if (type === "proxy_configs") uris.push("config://proxy-configs")
      if (type === "docker_compose") uris.push("config://docker-compose")
      return uris
    }
    default:
      return []
  }
}

/** config://{device}/{+path}; absolute paths keep their leading slash after the device. */
export const configFileUri = (device: string, file: string): string =>
  `config://${encodeURIComponent(device)}${file.startsWith("/") ? "" : "/"}${file}`

/**
 * resources/subscribe for one MCP session: remembers the URIs and sends resources/updated
 * when a pipeline event touches one of them. The listener ends with the session.
 */
export const enableSubscriptions = (server: McpServer, events: EventsShape): void => {
  const subscribed = new Set<string>()
  server.server.registerCapabilities({ resources: { subscribe: true } })
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscribed.add(request.params.uri)
    return {}
  })
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri)
    return {}
  })
  const stop = events.listen((event) => {
    if (subscribed.size === 0 || !server.isConnected()) return
    for (const uri of new Set(urisForEvent(event))) {
      if (subscribed.has(uri)) server.server.sendResourceUpdated({ uri }).catch(() => undefined)
    }
  })
  const previous = server.server.onclose
  server.server.onclose = () => {
    stop()
    subscribed.clear()
    previous?.()
  }
}
