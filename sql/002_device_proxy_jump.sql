-- OpenSSH ProxyJump per device (issue 12): `[user@]host[:port]` hops, comma-separated, first hop
-- first, or 'none' for a direct connection. NULL: whatever ~/.ssh/config says for the host.
-- The value is checked by the application (src/store/validate.ts); the CHECK only bounds it.
ALTER TABLE devices
  ADD COLUMN IF NOT EXISTS proxy_jump text NULL
  CONSTRAINT devices_proxy_jump_check CHECK (proxy_jump IS NULL OR length(proxy_jump) BETWEEN 1 AND 1024);
