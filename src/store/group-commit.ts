/**
 * Group commit: writes that arrive while one batch is in flight are sent together as the next
 * batch (one multi-row INSERT). Every caller still waits for the commit that carries its row and
 * sees that commit's error, so semantics are unchanged; under concurrency the database does one
 * statement instead of one per request.
 */
export interface GroupCommit<T> {
  readonly add: (item: T) => Promise<void>
}

export const makeGroupCommit = <T>(
  write: (items: ReadonlyArray<T>) => Promise<void>,
  maxBatch = 500,
): GroupCommit<T> => {
  let queue: Array<{ item: T; resolve: () => void; reject: (e: unknown) => void }> = []
  let running = false

  const drain = async (): Promise<void> => {
    running = true
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      try {
        await write(batch.map((b) => b.item))
        for (const b of batch) b.resolve()
      } catch (e) {
        for (const b of batch) b.reject(e)
      }
    }
    running = false
  }

  return {
    add: (item) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!running) void drain()
      }),
  }
}
