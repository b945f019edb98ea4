/**
 * One cached pipeline read for a panel (Data.collect, never forced), folded into what a fragment
 * shows: the data, "unavailable" (422: the host lacks the tool), or a typed error.
 */
import { Effect } from "effect"
import { Data } from "../../app/data.ts"
import { describeError } from "../../domain/errors.ts"

export type Params = Readonly<Record<string, string>>

export type Read<A> =
  | { readonly kind: "ok"; readonly data: A; readonly collectedAt: string; readonly ageSeconds: number }
  | { readonly kind: "unavailable"; readonly message: string }
  | { readonly kind: "error"; readonly code: string; readonly status: number; readonly message: string }

/** `A` mirrors the data type's output Schema (src/collectors/<type>); the pipeline validated it. */
export const readData = <A>(device: string, dataType: string, params?: Params) =>
  Data.use((d) => d.collect(device, dataType, params === undefined ? {} : { params })).pipe(
    Effect.map((collected): Read<A> => ({
      kind: "ok",
      data: collected.data as A,
      collectedAt: collected.collected_at,
      ageSeconds: collected.age_seconds,
    })),
    Effect.catch((e: unknown) => {
      const info = describeError(e)
      return Effect.succeed<Read<A>>(
        info.status === 422
          ? { kind: "unavailable", message: info.message }
          : { kind: "error", code: info.code, status: info.status, message: info.message },
      )
    }),
  )
