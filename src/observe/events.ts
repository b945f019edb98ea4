import type { InfraEventWithMeta } from "../events/Events.ts"

export type OperationEvent = Extract<InfraEventWithMeta, { readonly _tag: "OperationCompleted" }>

/** Telemetry kinds: feed metrics, never buffered for replay or streamed to clients. */
export const internalKinds: ReadonlySet<string> = new Set(["OperationCompleted"])

export const isOperation = (e: InfraEventWithMeta): e is OperationEvent => e._tag === "OperationCompleted"
