import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import type { McpServices } from "./context.ts"
import { makeMcpServer } from "./server.ts"
import { McpSettings } from "./settings.ts"

/** Open sessions kept at most; past it the oldest is closed (clients re-initialize on 404). */
const MAX_SESSIONS = 256

const jsonRpcError = (status: number, message: string): Response =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  })

interface Session {
  readonly transport: WebStandardStreamableHTTPServerTransport
  readonly close: () => Promise<void>
}

/**
 * Streamable HTTP for `/mcp` (Web-standard Request → Response, so it mounts on Hono as is).
 * Session-based: one McpServer per session, so resources/updated notifications reach the
 * subscriber over its GET stream. Auth is the app's middleware in front of the route.
 */
/** Who sent the request, from the auth middleware (absent in open mode: full access). */
export interface McpCaller {
  readonly scope: "read" | "write"
  readonly tokenId: string | null
}

export type McpHttpHandler = (request: Request, caller?: McpCaller) => Promise<Response>

export const makeMcpHttpHandler: Effect.Effect<McpHttpHandler, never, McpServices> = Effect
  .gen(function* () {
    const settings = yield* McpSettings
    const create = yield* makeMcpServer({ allowWrites: settings.allowWrites, local: false })
    const sessions = new Map<string, Session>()

    return async (request, caller) => {
      // Per request, not per session: tools check the scope of the token that sent this call.
      const options = caller === undefined
        ? undefined
        : { authInfo: { token: "", clientId: caller.tokenId ?? "open", scopes: [caller.scope], extra: { ...caller } } }
      const id = request.headers.get("mcp-session-id")
      if (id !== null) {
        const session = sessions.get(id)
        if (session === undefined) return jsonRpcError(404, "session not found: initialize a new one")
        return session.transport.handleRequest(request, options)
      }
      if (request.method !== "POST") return jsonRpcError(400, "no mcp-session-id: POST an initialize request first")

      const server = create()
      let sessionId: string | undefined
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          sessionId = sid
          sessions.set(sid, { transport, close: () => server.close() })
          if (sessions.size > MAX_SESSIONS) {
            const [oldest, session] = sessions.entries().next().value as [string, Session]
            sessions.delete(oldest)
            session.close().catch(() => undefined)
          }
        },
        onsessionclosed: (sid) => {
          sessions.delete(sid)
        },
      })
      transport.onclose = () => {
        if (sessionId !== undefined) sessions.delete(sessionId)
      }
      await server.connect(transport)
      const response = await transport.handleRequest(request, options)
      // Not an initialize request (the transport answered 400): nothing to keep.
      if (sessionId === undefined) await server.close()
      return response
    }
  })
