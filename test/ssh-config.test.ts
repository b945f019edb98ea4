import assert from "node:assert/strict"
import { describe, test } from "node:test"
import { globMatches, hostPatternsMatch, parseSshConfig, resolveSshHost } from "../src/ssh/ssh-config.ts"

const env = { home: "/home/me", localUser: "me" }

describe("ssh config parser", () => {
  test("glob patterns: * and ? wildcards, case-insensitive", () => {
    assert.equal(globMatches("*", "anything"), true)
    assert.equal(globMatches("web-*", "web-01"), true)
    assert.equal(globMatches("web-*", "db-01"), false)
    assert.equal(globMatches("db?", "db1"), true)
    assert.equal(globMatches("db?", "db12"), false)
    assert.equal(globMatches("*.example.com", "a.b.EXAMPLE.com"), true)
    assert.equal(globMatches("a*b*c", "aXXbYYc"), true)
    assert.equal(globMatches("a*b*c", "aXXbYY"), false)
  })

  test("several patterns on one Host line; a negated match excludes the host", () => {
    assert.equal(hostPatternsMatch(["web-*", "db-*"], "db-2"), true)
    assert.equal(hostPatternsMatch(["*", "!bastion"], "bastion"), false)
    assert.equal(hostPatternsMatch(["*", "!bastion"], "web"), true)
    assert.equal(hostPatternsMatch(["!bastion"], "web"), false) // negation alone matches nothing
  })

  test("first value wins per option; IdentityFile accumulates; ~ and %h/%r/%u/%d/%% expand", () => {
    const text = [
      "# global defaults",
      "User globaluser",
      "",
      "Host nas nas.lan",
      "  HostName 192.168.1.10",
      "  Port 2222",
      "  IdentityFile ~/.ssh/nas_key",
      "Host nas",
      "  User ignored-because-global-came-first",
      "  Port 9999",
      "Host *",
      '  IdentityFile "/keys/%r@%h %%x"',
      "  IdentityFile %d/.ssh/id_%u",
    ].join("\n")
    const blocks = parseSshConfig(text)
    const nas = resolveSshHost(blocks, "nas", env)
    assert.deepEqual(nas, {
      hostName: "192.168.1.10",
      user: "globaluser",
      port: 2222,
      identityFiles: ["/home/me/.ssh/nas_key", "/keys/globaluser@192.168.1.10 %x", "/home/me/.ssh/id_me"],
      problems: [],
    })
    const other = resolveSshHost(blocks, "other", env)
    assert.equal(other.hostName, "other")
    assert.equal(other.port, undefined)
    assert.equal(other.user, "globaluser")
  })

  test("keyword=value, tabs, CRLF and case-insensitive keywords", () => {
    const blocks = parseSshConfig("HOST box\r\n\tHostName=10.0.0.5\r\n\tport = 2200\r\n\tUSER\troot\r\n")
    assert.deepEqual(resolveSshHost(blocks, "box", env), {
      hostName: "10.0.0.5",
      user: "root",
      port: 2200,
      identityFiles: [],
      problems: [],
    })
  })

  test("HostName may use %h (the alias)", () => {
    const blocks = parseSshConfig("Host *.int\n  HostName %h.example.net\n")
    assert.equal(resolveSshHost(blocks, "db.int", env).hostName, "db.int.example.net")
  })

  test("Match blocks are skipped, not misapplied", () => {
    const blocks = parseSshConfig("Match host box exec true\n  User matched\nHost box\n  User boxuser\n")
    assert.equal(resolveSshHost(blocks, "box", env).user, "boxuser")
  })

  test("a bad Port in an applying block is reported; one in another block is not", () => {
    const blocks = parseSshConfig("Host a\n  Port abc\nHost b\n  Port 70000\nHost c\n  Port 22\n")
    assert.deepEqual(resolveSshHost(blocks, "a", env).problems, ['line 2: bad Port "abc"'])
    assert.deepEqual(resolveSshHost(blocks, "b", env).problems, ['line 4: bad Port "70000"'])
    assert.deepEqual(resolveSshHost(blocks, "c", env).problems, [])
  })

  test("empty or garbage input never throws", () => {
    assert.deepEqual(resolveSshHost(parseSshConfig(""), "x", env).hostName, "x")
    const weird = parseSshConfig('Host "unterminated\n=\n  \n\u0000\nHostName\n')
    assert.doesNotThrow(() => resolveSshHost(weird, "x", env))
  })
})
