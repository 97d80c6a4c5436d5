-- Removes the lake ingestion fast path installed by install-ingestion-trigger.sql:
-- every trigger that calls trackman_ingest.after_insert(), then the schema with its
-- configuration. Safe to run twice. Leaves the aws_lambda extension alone.
--   psql -v ON_ERROR_STOP=1 -f sql/postgres/uninstall-ingestion-trigger.sql

BEGIN;

DO $uninstall$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT tg.tgname, tg.tgrelid::regclass AS relation
      FROM pg_catalog.pg_trigger tg
      JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'trackman_ingest' AND NOT tg.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.relation);
    RAISE NOTICE 'trackman_ingest: dropped trigger % on %', t.tgname, t.relation;
  END LOOP;
END
$uninstall$;

DROP SCHEMA IF EXISTS trackman_ingest CASCADE;

COMMIT;
