import { createHash } from "node:crypto"

/** OpenSSH-style fingerprint of a raw public key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export const sshFingerprint = (keyBlob: Uint8Array): string =>
  "SHA256:" + createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")

/** The key type named at the start of an SSH wire-format key blob (e.g. "ssh-ed25519"). */
export const keyAlgorithm = (keyBlob: Uint8Array): string => {
  if (keyBlob.length < 4) return "unknown"
  const view = new DataView(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength)
  const length = view.getUint32(0)
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return "unknown"
  return new TextDecoder().decode(keyBlob.subarray(4, 4 + length))
}
