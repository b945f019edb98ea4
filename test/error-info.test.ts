import assert from "node:assert/strict"
import { test } from "node:test"
import { Cause, Effect } from "effect"
import {
  CommandFailed,
  describeError,
  DeviceConflict,
  DeviceNotFound,
  Forbidden,
  NotFound,
  ParseError,
  RestoreRefused,
  RestoreValidationFailed,
  SshError,
  StoreError,
  UnknownDataType,
  UnsupportedDataType,
  ValidationError,
} from "../src/domain/errors.ts"
import { toHttpError } from "../src/http/errors.ts"
import { makeToolContext } from "../src/mcp/context.ts"
import { errorCode, errorMessage } from "../src/pipeline/error-info.ts"

// The wire contract: API status + error.code + message, MCP "error [code]", audit error_code.
const cases: ReadonlyArray<readonly [unknown, number, string, string, unknown?]> = [
  [new SshError({ device: "d", reason: "dns", message: "m" }), 502, "ssh_dns", "d: dns: m"],
  [
    new SshError({ device: "d", reason: "connect_timeout", message: "m" }),
    504,
    "ssh_connect_timeout",
    "d: connect_timeout: m",
  ],
  [
    new SshError({ device: "d", reason: "command_timeout", message: "m" }),
    504,
    "ssh_command_timeout",
    "d: command_timeout: m",
  ],
  [new ParseError({ dataType: "t", message: "m", at: "l2" }), 502, "parse_error", "cannot parse t output: m (at l2)"],
  [new StoreError({ op: "q", message: "m", unavailable: true }), 503, "store_unavailable", "store q failed: m"],
  [new StoreError({ op: "q", message: "m", unavailable: false }), 500, "store_error", "store q failed: m"],
  [new DeviceNotFound({ device: "x" }), 404, "device_not_found", "device 'x' not found"],
  [new DeviceConflict({ name: "x" }), 409, "conflict", "a device named 'x' already exists"],
  [new ValidationError({ message: "bad", details: { f: 1 } }), 400, "bad_request", "bad", { f: 1 }],
  [new UnknownDataType({ dataType: "t" }), 404, "unknown_data_type", "unknown data type 't'"],
  [
    new UnsupportedDataType({ device: "d", dataType: "t", reason: "r" }),
    422,
    "unsupported_data_type",
    "d does not support t: r",
  ],
  [
    new CommandFailed({ device: "d", exitCode: 2, stderr: "e".repeat(600) }),
    502,
    "command_failed",
    `command exited 2: ${"e".repeat(500)}`,
  ],
  [new NotFound({ message: "no such container" }), 404, "not_found", "no such container"],
  [new Forbidden({ operation: "o", reason: "scope", message: "m" }), 403, "forbidden", "m"],
  [new Forbidden({ operation: "o", reason: "writes_disabled", message: "m" }), 403, "writes_disabled", "m"],
  [
    new RestoreValidationFailed({ message: "m", validator: "nginx -t", exitCode: 1, output: "o", rolledBack: true }),
    422,
    "validation_failed",
    "m",
    { validator: "nginx -t", exit_code: 1, output: "o", rolled_back: true },
  ],
  [
    new RestoreRefused({ message: "m", details: { path: "/p", reason: "not_watched", target: null } }),
    403,
    "restore_refused",
    "m",
    { path: "/p", reason: "not_watched", target: null },
  ],
  // Tagged errors we do not define: the tag in snake_case, 500.
  [new Cause.NoSuchElementError("gone"), 500, "no_such_element_error", "gone"],
  [{ _tag: "SomeThing", message: "" }, 500, "some_thing", "SomeThing"],
]

/** The MCP tool context over effects that need no services (these only fail). */
const toolContext = () =>
  makeToolContext(
    <A>(effect: Effect.Effect<A, unknown, unknown>) => Effect.runPromiseExit(effect as Effect.Effect<A, unknown>),
    { allowWrites: true, local: true },
  )

test("one mapping: HTTP, audit and MCP say the same code and message for each error", async () => {
  const ctx = toolContext()
  for (const [error, status, code, message, details] of cases) {
    const expected = details === undefined ? { code, message } : { code, message, details }
    assert.deepEqual(toHttpError(error), { status, body: { error: expected } }, code)
    assert.equal(errorCode(error as { _tag: string }), code)
    assert.equal(errorMessage(error as { _tag: string }), message)
    const outcome = await ctx.run("t", Effect.fail(error))
    assert.deepEqual(outcome, { ok: false, error: { code, message } })
  }
})

test("each error carries its code and status", () => {
  const e = new SshError({ device: "d", reason: "auth_failed", message: "m" })
  assert.equal(e.code, "ssh_auth_failed")
  assert.equal(e.httpStatus, 502)
  assert.equal(new Forbidden({ operation: "o", reason: "writes_disabled", message: "" }).summary, "Forbidden")
  // A copy that lost its class (a spread drops `message`) still maps by its tag.
  assert.deepEqual(describeError({ ...new DeviceNotFound({ device: "x" }) }), {
    code: "device_not_found",
    status: 404,
    message: "device 'x' not found",
  })
})

test("untagged failures are internal errors", async () => {
  assert.deepEqual(toHttpError(new Error("secret detail")), {
    status: 500,
    body: { error: { code: "internal", message: "internal error" } },
  })
  const outcome = await toolContext().run("t", Effect.die(new Error("a bug")))
  assert.deepEqual(outcome, {
    ok: false,
    error: { code: "internal_error", message: "internal error (details in the server log)" },
  })
})
