import { serve, type ServerType } from "@hono/node-server"
import type { Hono } from "hono"

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

/** Serve a Hono app on host:port (port 0 picks a free one). Works on Node and Deno (node:http). */
export const listen = (app: Hono, host: string, port: number): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    let server: ServerType
    try {
      server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
        const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`
        resolve({
          url,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              const s = server as unknown as { close: (cb: () => void) => void; closeAllConnections?: () => void }
              s.close(() => done())
              s.closeAllConnections?.()
            }),
        })
      })
      server.on("error", reject)
    } catch (e) {
      reject(e)
    }
  })
