/**
 * Optimal string alignment distance: Levenshtein plus adjacent transpositions, so `prot` is one
 * edit from `port`, as a person typing it would count.
 */
export const editDistance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) (d[0] as Array<number>)[j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as Array<number>
    const prev = d[i - 1] as Array<number>
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as Array<number>)[j - 2] as number) + 1)
      }
      row[j] = best
    }
  }
  return (d[a.length] as Array<number>)[b.length] as number
}

/**
 * The known key closest to `key`, when close enough to be a typo: at most a third of the key's
 * length in edits (at least 2), so `zzzz` suggests nothing rather than something random.
 */
export const nearestKey = (key: string, known: ReadonlyArray<string>): string | undefined => {
  const limit = Math.max(2, Math.floor(key.length / 3))
  let best: { key: string; distance: number } | undefined
  for (const k of known) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase())
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: k, distance }
  }
  return best?.key
}
