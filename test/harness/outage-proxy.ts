/**
 * A TCP proxy for long database outages: `cut` ends every connection with a plain close (FIN)
 * after reading and discarding what the client still sends, and refuses new connections until
 * `restore`. Unlike tcp-proxy.ts (which pauses clients, so closing them with unread data sends an
 * RST), nothing here resets a client's socket: postgres.js on Deno can let an ECONNRESET escape
 * as an uncaught error, which would fail whichever test is running, not the outage under test.
 */
import net from "node:net"

export interface OutageProxy {
  readonly host: string
  readonly port: number
  readonly cut: () => Promise<void>
  readonly restore: () => Promise<void>
  readonly close: () => Promise<void>
}

export const startOutageProxy = async (
  target: { host: string; port: number },
  listenHost = "127.0.0.1",
): Promise<OutageProxy> => {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>()
  let accepting = true

  /** Every socket accepted, refused ones included, so that close() leaves none behind. */
  const accepted = new Set<net.Socket>()
  const onConnection = (client: net.Socket) => {
    accepted.add(client)
    client.on("close", () => accepted.delete(client))
    client.on("error", () => client.destroy())
    if (!accepting) return void client.end()
    const upstream = net.connect(target)
    const pair = { client, upstream }
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const drop = () => {
      pairs.delete(pair)
      client.end()
      upstream.destroy()
    }
    upstream.on("error", drop)
    upstream.on("close", drop)
    client.on("close", drop)
  }

  let server = net.createServer(onConnection)
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, listenHost, () => {
        const address = server.address()
        resolve(typeof address === "object" && address !== null ? address.port : port)
      })
    })
  const port = await listen(0)
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()))

  const endAll = async () => {
    const ending = [...pairs]
    pairs.clear()
    for (const { client, upstream } of ending) {
      client.unpipe(upstream)
      upstream.unpipe(client)
      upstream.destroy()
      client.on("data", () => undefined) // read and drop: a close with unread data would be an RST
      client.resume()
      client.end()
    }
    // Give clients a moment to close their side; then make sure nothing lingers.
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (const { client } of ending) client.destroy()
  }

  return {
    host: listenHost,
    port,
    cut: async () => {
      accepting = false
      const closed = stopListening()
      await endAll()
      await closed
    },
    restore: async () => {
      accepting = true
      server = net.createServer(onConnection)
      await listen(port)
    },
    close: async () => {
      accepting = false
      await endAll()
      // A client refused after endAll may still hold a socket; server.close() would wait for it.
      for (const socket of accepted) socket.destroy()
      if (server.listening) server.close()
    },
  }
}
