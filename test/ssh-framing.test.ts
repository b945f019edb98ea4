import assert from "node:assert/strict"
import { Buffer } from "node:buffer"
import { execFileSync } from "node:child_process"
import { describe, test } from "node:test"
import { frameCommand, MarkedStream, parseExitTrailer } from "../src/ssh/framing.ts"
import { keyAlgorithm, sshFingerprint } from "../src/ssh/fingerprint.ts"
import { LineSplitter } from "../src/ssh/lines.ts"

describe("framing", () => {
  test("a framed command run by a real /bin/sh prints the output, then the marker and exit code", () => {
    const script = `printf '%s' "it's" ; echo "\`x\` \$(y)" >&2 ; exit 5`
    const framed = frameCommand(script)!
    const stdout = execFileSync("/bin/sh", [], {
      input: framed.text,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    })
    assert.equal(stdout, `it's${framed.marker} 5\n`)
  })

  test("markers are random per command; NUL cannot be framed", () => {
    assert.notEqual(frameCommand("true")!.marker, frameCommand("true")!.marker)
    assert.equal(frameCommand("echo \u0000"), undefined)
  })

  test("MarkedStream finds a marker split across chunks, byte by byte", () => {
    const marker = "__INFRA_END_abc__"
    const payload = Buffer.from(`héllo\nwörld${marker} 42\n`, "utf8")
    const stream = new MarkedStream(marker)
    for (let i = 0; i < payload.length; i++) stream.push(payload.subarray(i, i + 1))
    assert.equal(stream.markerSeen, true)
    assert.equal(stream.output().toString("utf8"), "héllo\nwörld")
    assert.equal(stream.outputBytes, Buffer.byteLength("héllo\nwörld"))
    assert.equal(parseExitTrailer(stream.afterMarker()), 42)
  })

  test("MarkedStream output before the marker never counts a possible partial marker", () => {
    const stream = new MarkedStream("MARKER")
    stream.push(Buffer.from("abcMARK"))
    assert.equal(stream.markerSeen, false)
    assert.equal(stream.outputBytes, 2) // "MARK" and one byte before could still start the marker
    stream.push(Buffer.from("ER 0\n"))
    assert.equal(stream.output().toString(), "abc")
    assert.equal(stream.output(2).toString(), "ab")
  })

  test("parseExitTrailer waits for the newline", () => {
    assert.equal(parseExitTrailer(" 1"), undefined)
    assert.equal(parseExitTrailer(" 127\n"), 127)
  })
})

describe("fingerprints", () => {
  test("match ssh-keygen -l for a real key", () => {
    const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim()
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/k`])
    const pub = execFileSync("cat", [`${dir}/k.pub`], { encoding: "utf8" })
    const blob = Buffer.from(pub.split(" ")[1]!, "base64")
    const expected =
      execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${dir}/k.pub`], { encoding: "utf8" }).split(" ")[1]
    execFileSync("rm", ["-rf", dir])
    assert.equal(sshFingerprint(blob), expected)
    assert.equal(keyAlgorithm(blob), "ssh-ed25519")
    assert.equal(keyAlgorithm(new Uint8Array([0, 0])), "unknown")
  })
})

describe("line splitting", () => {
  test("handles CRLF, multi-byte characters split across chunks, and a last line without newline", () => {
    const splitter = new LineSplitter()
    const bytes = Buffer.from("a\r\nü", "utf8")
    const lines = [
      ...splitter.push(bytes.subarray(0, 4)),
      ...splitter.push(Buffer.concat([bytes.subarray(4), Buffer.from("\nlast")])),
    ]
    assert.deepEqual([...lines, ...splitter.flush()], ["a", "ü", "last"])
  })
})
