/**
 * An in-process TCP proxy for fault tests: put it between a client and a real server (sshd,
 * PostgreSQL) and cut, reset or restore the path without touching the server, which other
 * tests may share.
 */
import net from "node:net"

export interface TcpProxy {
  readonly host: string
  readonly port: number
  /** Connections currently open through the proxy. */
  readonly open: () => number
  /**
   * Network partition: stop accepting, stop forwarding what clients send, let replies already on
   * their way arrive for `settleMs`, then drop every connection. New connects are refused.
   */
  readonly cut: (settleMs?: number) => Promise<void>
  /** Abrupt reset of every open connection; new connections are still accepted. */
  readonly reset: () => void
  /** Accept again on the same port. */
  readonly restore: () => Promise<void>
  readonly close: () => Promise<void>
}

/**
 * reset: RST (an abrupt reset). Otherwise a plain close: on Node 20, resetAndDestroy on a socket
 * with writes still queued can leave a request that never completes, and the test process then
 * spins forever in its exit cleanup (seen after cut() with replies in flight).
 */
const destroy = (socket: net.Socket, reset = false) => {
  const s = socket as net.Socket & { resetAndDestroy?: () => void }
  try {
    if (reset && typeof s.resetAndDestroy === "function") s.resetAndDestroy()
    else s.destroy()
  } catch {
    s.destroy()
  }
}

export const startTcpProxy = async (
  target: { host: string; port: number },
  listenHost = "127.0.0.1",
): Promise<TcpProxy> => {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>()
  let accepting = true

  const onConnection = (client: net.Socket) => {
    if (!accepting) return destroy(client)
    const upstream = net.connect(target)
    const pair = { client, upstream }
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const drop = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", drop)
    upstream.on("error", drop)
    client.on("close", drop)
    upstream.on("close", drop)
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

  return {
    host: listenHost,
    port,
    open: () => pairs.size,
    cut: async (settleMs = 300) => {
      accepting = false
      const closed = stopListening()
      for (const { client } of pairs) {
        client.unpipe()
        client.pause()
      }
      await new Promise((resolve) => setTimeout(resolve, settleMs))
      for (const { client, upstream } of [...pairs]) {
        destroy(client)
        destroy(upstream)
      }
      pairs.clear()
      await closed
    },
    reset: () => {
      for (const { client, upstream } of [...pairs]) {
        destroy(client, true)
        destroy(upstream, true)
      }
      pairs.clear()
    },
    restore: async () => {
      accepting = true
      server = net.createServer(onConnection)
      await listen(port)
    },
    close: async () => {
      accepting = false
      for (const { client, upstream } of [...pairs]) {
        destroy(client)
        destroy(upstream)
      }
      pairs.clear()
      if (server.listening) await stopListening()
    },
  }
}
