-- User and system CPU as columns of system_metrics, so the history charts (Data.series) read them
-- without opening every row's `data` (reading them from the jsonb made a week's CPU series about
-- three times slower: bench/charts.ts). A trigger fills them from data.cpu.total on insert, so every
-- writer (the collector, the write buffer's spill replay) sets them; a value given explicitly wins.
ALTER TABLE system_metrics ADD COLUMN IF NOT EXISTS cpu_user_percent double precision NULL;
ALTER TABLE system_metrics ADD COLUMN IF NOT EXISTS cpu_system_percent double precision NULL;

CREATE OR REPLACE FUNCTION system_metrics_cpu_split() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  total jsonb := NEW.data->'cpu'->'total';
BEGIN
  IF NEW.cpu_user_percent IS NULL AND jsonb_typeof(total->'user_percent') = 'number' THEN
    NEW.cpu_user_percent := (total->'user_percent')::float8;
  END IF;
  IF NEW.cpu_system_percent IS NULL AND jsonb_typeof(total->'system_percent') = 'number' THEN
    NEW.cpu_system_percent := (total->'system_percent')::float8;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS system_metrics_cpu_split ON system_metrics;
CREATE TRIGGER system_metrics_cpu_split BEFORE INSERT ON system_metrics
  FOR EACH ROW EXECUTE FUNCTION system_metrics_cpu_split();

-- Rows stored before this migration. Where that cannot be done in place (e.g. compressed
-- TimescaleDB chunks on an old version), older rows keep no user/system values: a notice, not a failure.
DO $$
BEGIN
  UPDATE system_metrics SET
    cpu_user_percent = CASE WHEN jsonb_typeof(data->'cpu'->'total'->'user_percent') = 'number'
      THEN (data->'cpu'->'total'->'user_percent')::float8 END,
    cpu_system_percent = CASE WHEN jsonb_typeof(data->'cpu'->'total'->'system_percent') = 'number'
      THEN (data->'cpu'->'total'->'system_percent')::float8 END
  WHERE cpu_user_percent IS NULL AND cpu_system_percent IS NULL AND data->'cpu'->'total' IS NOT NULL;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'system_metrics: user/system CPU not backfilled (%)', SQLERRM;
END
$$;
