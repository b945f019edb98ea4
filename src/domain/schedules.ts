import { Schedule } from "effect"

/** Transport retries: exponential from 200 ms with jitter, at most 2 more attempts. */
export const transportRetry = Schedule.max([
  Schedule.jittered(Schedule.exponential("200 millis")),
  Schedule.recurs(2),
])

/** Slow, heavy reads (SMART, ZFS): one retry after a pause. */
export const singleRetry = Schedule.max([Schedule.jittered(Schedule.exponential("500 millis")), Schedule.recurs(1)])

/** Never retry. */
export const noRetry = Schedule.recurs(0)

/**
 * Actions (container restart, config restore): retried like transport errors, but the pipeline
 * only retries one whose command never reached the host (connect refused, no channel).
 */
export const actionRetry = transportRetry
