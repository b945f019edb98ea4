/** What every panel fragment shares: the read's outcome as a notice, and when the data was read. */
import type { Child } from "hono/jsx"
import { Notice } from "../kit/layout.tsx"
import type { Read } from "./read.ts"

/** The data, or a readable "not on this host" / error notice; `unavailable` names the missing tool. */
export const panelBody = <A,>(
  read: Read<A>,
  labels: { readonly unavailable: string; readonly what: string },
  render: (data: A) => Child,
) => {
  const { unavailable, what } = labels
  if (read.kind === "unavailable") {
    return (
      <div data-state="unavailable">
        <Notice kind="empty" title={unavailable} detail={read.message} />
      </div>
    )
  }
  if (read.kind === "error") {
    return (
      <div data-state="error">
        <Notice kind="error" title={`Could not read ${what} (${read.code})`} detail={read.message} />
      </div>
    )
  }
  return (
    <div data-state="ok">
      {render(read.data)}
      <p class="muted small panel-age">
        Read <time datetime={read.collectedAt}>{ageText(read.ageSeconds)}</time> ago.
      </p>
    </div>
  )
}

const ageText = (s: number): string =>
  s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

export const bytes = (n: number | null): string => {
  if (n === null || !Number.isFinite(n) || n < 0) return "–"
  let v = n
  let i = 0
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${UNITS[i]}`
}

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : String(n))

/** Parts of one fragment, in order. */
export const Parts = ({ parts }: { parts: ReadonlyArray<Child> }) => <>{parts}</>
