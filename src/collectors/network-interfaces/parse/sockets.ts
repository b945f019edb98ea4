import { Result } from "effect"
import type { ParseError } from "../../../domain/errors.ts"
import { netFail, toCount } from "./fail.ts"
import type { Socket, SocketProcess } from "./schema.ts"

/** Netids with `address:port` columns; unix/netlink/packet rows have other layouts and are skipped. */
const INET_NETIDS = new Set(["tcp", "udp", "raw", "sctp", "dccp", "mptcp"])

/** `127.0.0.1:904`, `[::1]:323`, `:::22`, `*:ssh`, `fe80::1%eth0:546` → address and port. */
export const splitHostPort = (value: string): { address: string; port: string } => {
  const i = value.lastIndexOf(":")
  if (i < 0) return { address: value, port: "" }
  const address = value.slice(0, i).replace(/^\[(.*)\]$/, "$1")
  return { address: address === "" ? "*" : address, port: value.slice(i + 1) }
}

/** `users:(("rpcbind",pid=1139,fd=5),("systemd",pid=1,fd=41))` and the old `(("sshd",1231,3))` form. */
export const parseSsUsers = (text: string): Array<SocketProcess> => {
  const out: Array<SocketProcess> = []
  for (const m of text.matchAll(/\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g)) {
    out.push({ name: m[1] as string, pid: Number(m[2]), fd: Number(m[3]) })
  }
  return out
}

const socket = (
  protocol: string | null,
  state: string | null,
  local: string,
  peer: string,
  processes: Array<SocketProcess>,
): Socket => {
  const { address, port } = splitHostPort(local)
  return { protocol, state, local_address: address, local_port: port, port: toCount(port) ?? null, peer, processes }
}

/**
 * `ss [-H] -tulpn` / `ss -a`: Netid State Recv-Q Send-Q Local Peer [Process].
 * With a single socket table ss omits the Netid column; then protocol is null.
 */
export const parseSs = (text: string, at = "ss"): Result.Result<Array<Socket>, ParseError> => {
  const out: Array<Socket> = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "" || /^(Netid|State)\s/.test(line)) continue
    const t = line.split(/\s+/)
    const hasNetid = toCount(t[1]) === undefined
    const netid = hasNetid ? (t[0] as string) : null
    if (netid !== null && !INET_NETIDS.has(netid)) {
      if (/^[a-z_0-9]+$/.test(netid)) continue
      return netFail(`unknown socket type ${JSON.stringify(netid.slice(0, 40))}`, `${at}:${i + 1}`)
    }
    const c = hasNetid ? t.slice(1) : t
    if (c.length < 5 || toCount(c[1]) === undefined || toCount(c[2]) === undefined) {
      return netFail(
        `expected 'State Recv-Q Send-Q Local Peer', got ${JSON.stringify(line.slice(0, 80))}`,
        `${at}:${i + 1}`,
      )
    }
    out.push(socket(netid, c[0] as string, c[3] as string, c[4] as string, parseSsUsers(c.slice(5).join(" "))))
  }
  return Result.succeed(out)
}

/**
 * `netstat -tulpn` / `netstat -lnp`: only the "Internet connections" part;
 * the UNIX domain part (after its own "Active UNIX" title) is skipped.
 */
export const parseNetstat = (text: string, at = "netstat"): Result.Result<Array<Socket>, ParseError> => {
  const out: Array<Socket> = []
  const lines = text.split("\n")
  let inet = true
  let sawHeader = false
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "") continue
    if (line.startsWith("Active ")) {
      inet = line.includes("Internet")
      continue
    }
    if (line.startsWith("Proto ")) {
      sawHeader = true
      continue
    }
    if (!inet) continue
    const t = line.split(/\s+/)
    const proto = (t[0] as string).replace(/6$/, "")
    if (!INET_NETIDS.has(proto) || t.length < 5 || toCount(t[1]) === undefined || toCount(t[2]) === undefined) {
      return netFail(
        `expected 'Proto Recv-Q Send-Q Local Foreign [State] [PID/Program]', got ${JSON.stringify(line.slice(0, 80))}`,
        `${at}:${i + 1}`,
      )
    }
    // State is absent for udp; the PID/Program column is `1127/sshd` or `-`.
    const rest = t.slice(5)
    const isProg = (s: string | undefined): boolean => s !== undefined && (s === "-" || /^\d+\//.test(s))
    const state = rest[0] !== undefined && !isProg(rest[0]) ? rest.shift() ?? null : null
    const prog = rest.join(" ")
    const m = /^(\d+)\/(.*)$/.exec(prog)
    const processes = m ? [{ name: m[2] as string, pid: Number(m[1]), fd: null }] : []
    out.push(socket(proto, state, t[3] as string, t[4] as string, processes))
  }
  if (!sawHeader && out.length === 0 && text.trim() !== "") return netFail("no netstat 'Proto ...' header found", at)
  return Result.succeed(out)
}

/** Whichever tool answered: ss rows start with a Netid/State, netstat output has a `Proto` header. */
export const parseListening = (text: string, at = "listening"): Result.Result<Array<Socket>, ParseError> =>
  /^(Active |Proto )/m.test(text) ? parseNetstat(text, at) : parseSs(text, at)
