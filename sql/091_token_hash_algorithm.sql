-- How each api_tokens.hash was made (issue 10, defect 4). Rows written before this migration hold
-- scrypt(secret, salt); new tokens hold HMAC-SHA256(salt, secret), and a scrypt row is rewritten
-- to it the first time its correct secret is presented. The default stays 'scrypt' so that a row
-- inserted by an older version still running against the same database is read correctly.
ALTER TABLE api_tokens
  ADD COLUMN IF NOT EXISTS algorithm text NOT NULL DEFAULT 'scrypt'
  CONSTRAINT api_tokens_algorithm_check CHECK (algorithm IN ('scrypt', 'hmac-sha256'));
