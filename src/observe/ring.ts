/** Fixed-capacity FIFO: pushing past capacity drops the oldest item. */
export interface Ring<A> {
  readonly push: (item: A) => A | undefined
  /** Oldest first. */
  readonly toArray: () => Array<A>
  readonly size: () => number
}

export const makeRing = <A>(capacity: number): Ring<A> => {
  const cap = Math.max(1, Math.floor(capacity))
  const items: Array<A | undefined> = new Array(cap)
  let start = 0
  let count = 0
  return {
    push: (item) => {
      if (count < cap) {
        items[(start + count) % cap] = item
        count++
        return undefined
      }
      const dropped = items[start]
      items[start] = item
      start = (start + 1) % cap
      return dropped
    },
    toArray: () => {
      const out: Array<A> = []
      for (let i = 0; i < count; i++) out.push(items[(start + i) % cap] as A)
      return out
    },
    size: () => count,
  }
}
