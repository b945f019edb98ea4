import assert from "node:assert/strict"
import { Result } from "effect"
import { ParseError } from "../../src/domain/errors.ts"

/** The success of a parser result, or a test failure naming the ParseError. */
export const ok = <A>(r: Result.Result<A, ParseError>): A => {
  if (Result.isFailure(r)) assert.fail(`expected success, got ParseError: ${r.failure.message} at ${r.failure.at}`)
  return r.success
}

/** The ParseError of a parser result, checked to name `dataType`. */
export const parseErrorOf = (r: Result.Result<unknown, ParseError>, dataType: string): ParseError => {
  if (Result.isSuccess(r)) assert.fail("expected a ParseError, got success")
  assert.ok(r.failure instanceof ParseError)
  assert.equal(r.failure.dataType, dataType)
  return r.failure
}

/** Deterministic mutations of a text (seeded LCG): cuts, deletions, insertions of `chars`. */
export const mutations = (
  text: string,
  seed: number,
  count: number,
  chars: ReadonlyArray<string>,
): Array<string> => {
  let s = seed >>> 0
  const rnd = (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s % Math.max(1, n)
  }
  const out: Array<string> = []
  for (let i = 0; i < count; i++) {
    const at = rnd(text.length + 1)
    if (i % 3 === 0) out.push(text.slice(0, at))
    else if (i % 3 === 1) out.push(text.slice(0, at) + text.slice(at + 1 + rnd(8)))
    else out.push(text.slice(0, at) + (chars[rnd(chars.length)] as string) + text.slice(at))
  }
  return out
}
