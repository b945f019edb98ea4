-- TimescaleDB, only where the extension is available (see sql/README-scaling.md).
-- On plain PostgreSQL and PGlite this is a no-op: the DO block returns at its first check.
--
-- Where it runs, each time-series table becomes a hypertable on `time` (1-day chunks), compressed
-- after 7 days, segmented by device_id. Hypertables need the time column in every unique index,
-- so a primary key on (id) becomes (id, time); a table with another unique index that lacks time
-- (system_logs' cursor index, which de-duplicates log lines) is left a plain table, with a NOTICE.
-- Retention stays with the service (observe/retention-policy.ts, `retention:` in the config).
-- Numbered 900 so it runs after the migrations that create the tables.
DO $$
DECLARE
  t text;
  rel regclass;
  pk_name text;
  pk_cols text;
  blocking text;
  tables text[] := ARRAY[
    'system_metrics', 'container_snapshots', 'docker_networks', 'drive_health', 'zfs_status', 'zfs_snapshots',
    'network_interfaces', 'systemd_services', 'vm_status', 'system_logs', 'data_collection_audit',
    'service_performance_metrics'
  ];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN OTHERS THEN
      -- e.g. not in shared_preload_libraries: keep plain tables rather than fail the migration.
      RAISE NOTICE 'timescaledb is available but could not be enabled (%): tables stay plain', SQLERRM;
      RETURN;
    END;
  END IF;

  FOREACH t IN ARRAY tables LOOP
    pk_name := NULL;
    pk_cols := NULL;
    rel := to_regclass(quote_ident(t));
    CONTINUE WHEN rel IS NULL;
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM timescaledb_information.hypertables h
       WHERE h.hypertable_name = t AND h.hypertable_schema = current_schema()
    );

    SELECT string_agg(i.relname, ', ') INTO blocking
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = rel AND x.indisunique AND NOT x.indisprimary
       AND NOT EXISTS (
         SELECT 1 FROM pg_attribute a
          WHERE a.attrelid = rel AND a.attname = 'time' AND a.attnum = ANY (x.indkey)
       );
    IF blocking IS NOT NULL THEN
      RAISE NOTICE 'timescaledb: % stays a plain table: unique index % does not include time', t, blocking;
      CONTINUE;
    END IF;

    SELECT c.conname, string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
      INTO pk_name, pk_cols
      FROM pg_constraint c
      CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
     WHERE c.conrelid = rel AND c.contype = 'p'
     GROUP BY c.conname;
    IF pk_name IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
       WHERE c.conrelid = rel AND c.contype = 'p' AND a.attname = 'time'
    ) THEN
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, pk_name);
      EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (%s, "time")', rel, pk_cols);
    END IF;

    PERFORM create_hypertable(rel, 'time', chunk_time_interval => interval '1 day', migrate_data => true);
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attname = 'device_id' AND NOT attisdropped) THEN
      EXECUTE format(
        'ALTER TABLE %s SET (timescaledb.compress, timescaledb.compress_segmentby = %L, timescaledb.compress_orderby = %L)',
        rel, 'device_id', 'time DESC');
    ELSE
      EXECUTE format('ALTER TABLE %s SET (timescaledb.compress, timescaledb.compress_orderby = %L)', rel, 'time DESC');
    END IF;
    PERFORM add_compression_policy(rel, interval '7 days', if_not_exists => true);
    RAISE NOTICE 'timescaledb: % is a hypertable (1-day chunks, compressed after 7 days)', t;
  END LOOP;
END
$$;
