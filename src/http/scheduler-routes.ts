import { Effect } from "effect"
import type { Hono } from "hono"
import { Scheduler } from "../scheduler/Scheduler.ts"

/**
 * GET  /api/scheduler[?device=NAME]  instance, ownership (leases), event fan-out, and per device:
 *                                    health (status, failures, backoff, breaker) and jobs (cadence,
 *                                    next/last run, last result, counts).
 * POST /api/scheduler/refresh        re-read the device list now (after adding or editing devices).
 */
export const mountSchedulerRoutes = (app: Hono) =>
  Effect.gen(function* () {
    const scheduler = yield* Scheduler
    const run = Effect.runPromiseWith(yield* Effect.context<never>())

    app.get("/api/scheduler", (c) => {
      const status = scheduler.status()
      const device = c.req.query("device")
      if (device === undefined) return c.json(status)
      const devices = status.devices.filter((d) => d.device === device || String(d.device_id) === device)
      if (devices.length === 0) {
        return c.json({ error: { code: "device_not_found", message: `device '${device}' is not scheduled here` } }, 404)
      }
      return c.json({ ...status, devices })
    })

    app.post("/api/scheduler/refresh", async (c) => {
      await run(scheduler.refresh)
      return c.json({ ok: true, running: scheduler.status().running })
    })
  })
