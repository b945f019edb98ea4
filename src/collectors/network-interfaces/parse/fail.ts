import { Result } from "effect"
import { ParseError } from "../../../domain/errors.ts"

export const NETWORK_TYPE = "network_interfaces"

export const netError = (message: string, at?: string): ParseError =>
  new ParseError({ dataType: NETWORK_TYPE, message, at })

export const netFail = <A = never>(message: string, at?: string): Result.Result<A, ParseError> =>
  Result.fail(netError(message, at))

/** A non-negative integer field, or undefined when the token is not one. */
export const toCount = (token: string | undefined): number | undefined =>
  token !== undefined && /^\d+$/.test(token) ? Number(token) : undefined

/** JSON.parse without throwing. */
export const parseJson = (text: string, at: string): Result.Result<unknown, ParseError> => {
  try {
    return Result.succeed(JSON.parse(text) as unknown)
  } catch (e) {
    return netFail(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`, at)
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i

/** Link-layer addresses of tunnels are IPs; only real hardware addresses count as MAC. */
export const asMac = (value: string | undefined | null): string | null =>
  value !== undefined && value !== null && MAC.test(value) ? value.toLowerCase() : null
