-- API bearer tokens (issue 7). Only scrypt(secret, salt) is kept; the secret is shown once at creation.
CREATE TABLE IF NOT EXISTS api_tokens (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('read', 'write')),
  salt         text NOT NULL,
  hash         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NULL,
  revoked_at   timestamptz NULL
);

-- Which token asked for an audited operation (never the secret); NULL for CLI, polling, open mode.
ALTER TABLE data_collection_audit ADD COLUMN IF NOT EXISTS token_id text NULL;
