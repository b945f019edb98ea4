/** Server-Sent Events read over fetch, for the SSE tests. */
import { setTimeout as sleep } from "node:timers/promises"

export interface Frame {
  readonly id?: string
  readonly event?: string
  readonly data?: string
  readonly comment?: string
}

/** A minimal EventSource over fetch: collects frames, lets a test wait for one. */
export const openStream = async (url: string, headers: Record<string, string> = {}) => {
  const abort = new AbortController()
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal })
  const frames: Array<Frame> = []
  const waiters: Array<() => void> = []
  let ended = false
  const pump = async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ""
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let cut: number
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const frame: { id?: string; event?: string; data?: string; comment?: string } = {}
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) frame.comment = line.slice(1).trim()
            else if (line.startsWith("id: ")) frame.id = line.slice(4)
            else if (line.startsWith("event: ")) frame.event = line.slice(7)
            else if (line.startsWith("data: ")) {
              frame.data = frame.data === undefined ? line.slice(6) : `${frame.data}\n${line.slice(6)}`
            }
          }
          frames.push(frame)
          for (const w of waiters.splice(0)) w()
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true
      for (const w of waiters.splice(0)) w()
    }
  }
  const done = res.ok ? pump() : Promise.resolve()
  const events = () => frames.filter((f) => f.event !== undefined)
  /** Wait until `count` event frames (comments aside) satisfy pred. */
  const waitFor = async (pred: (fs: Array<Frame>) => boolean, what: string, ms = 5000) => {
    const deadline = Date.now() + ms
    while (!pred(frames)) {
      if (ended) throw new Error(`stream ended while waiting for ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames)}`)
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(Math.min(left, 100))])
    }
  }
  const close = async () => {
    abort.abort()
    await done
  }
  return { res, frames, events, waitFor, close }
}

export const payload = (f: Frame): any => JSON.parse(f.data ?? "null")
