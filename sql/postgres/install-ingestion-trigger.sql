-- Lake ingestion fast path for a PostgreSQL source (trackman-backend).
--
-- Installs, in its own schema trackman_ingest, a statement-level AFTER INSERT
-- trigger that asks the start-ingestion Lambda function, asynchronously, to run
-- the ingestion workflow for the table that was written. One invoke per
-- statement however many rows it inserts, and at most one per table per
-- min_interval. A failing invoke never fails the INSERT: it becomes a WARNING.
--
-- Prerequisite (as a member of rds_superuser):  CREATE EXTENSION IF NOT EXISTS aws_lambda CASCADE;
-- Install (idempotent; re-running keeps configuration and attached tables):
--   psql -v ON_ERROR_STOP=1 -f sql/postgres/install-ingestion-trigger.sql
-- Then, once:
--   CALL trackman_ingest.configure('arn:aws:lambda:eu-west-1:111111111111:function:start-ingestion', 'eu-west-1');
-- and per table:
--   CALL trackman_ingest.attach('public', 'shots', 'trackman-backend');
-- Remove everything with sql/postgres/uninstall-ingestion-trigger.sql.
-- docs/triggers.md explains the whole path, IAM and network included.

BEGIN;

DO $check$
BEGIN
  IF NOT EXISTS (
    SELECT 1
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'aws_lambda' AND p.proname = 'invoke'
  ) OR NOT EXISTS (
    SELECT 1
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'aws_commons' AND p.proname = 'create_lambda_function_arn'
  ) THEN
    RAISE EXCEPTION 'trackman_ingest needs the aws_lambda extension, which is not installed in database %',
      current_database()
      USING HINT = 'As a member of rds_superuser run: CREATE EXTENSION IF NOT EXISTS aws_lambda CASCADE;';
  END IF;
END
$check$;

CREATE SCHEMA IF NOT EXISTS trackman_ingest;
COMMENT ON SCHEMA trackman_ingest IS
  'Lake ingestion fast path: statement-level insert triggers that invoke the start-ingestion Lambda function.';
REVOKE ALL ON SCHEMA trackman_ingest FROM PUBLIC;

-- One row: where to send invokes, how often at most, and how long the INSERT may wait for Lambda.
CREATE TABLE IF NOT EXISTS trackman_ingest.settings (
  singleton          boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  function_arn       text        NOT NULL
                     CHECK (function_arn ~ '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$'),
  region             text        NOT NULL CHECK (region ~ '^[a-z]{2}(-[a-z]+)+-[0-9]+$'),
  min_interval       interval    NOT NULL DEFAULT interval '60 seconds' CHECK (min_interval >= interval '0'),
  connect_timeout_ms integer     NOT NULL DEFAULT 1000 CHECK (connect_timeout_ms BETWEEN 1 AND 900000),
  request_timeout_ms integer     NOT NULL DEFAULT 2000 CHECK (request_timeout_ms BETWEEN 1 AND 900000),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE trackman_ingest.settings IS 'Set with CALL trackman_ingest.configure(...).';

-- One row per attached table; last_invoked_at is the rate limit's memory.
CREATE TABLE IF NOT EXISTS trackman_ingest.attached_tables (
  schema_name     text        NOT NULL,
  table_name      text        NOT NULL,
  source          text        NOT NULL CHECK (source ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
  attached_at     timestamptz NOT NULL DEFAULT now(),
  last_invoked_at timestamptz,
  PRIMARY KEY (schema_name, table_name)
);
COMMENT ON TABLE trackman_ingest.attached_tables IS
  'Tables whose inserts start lake ingestion. Change with trackman_ingest.attach / detach, not by hand.';

-- The trigger function. It runs as its owner (the installer), so the application's
-- roles need no privilege on aws_lambda or on this schema.
CREATE OR REPLACE FUNCTION trackman_ingest.after_insert()
  RETURNS trigger
  LANGUAGE plpgsql
  SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  claim   record;
  payload json;
  status  integer;
  saved_connect text;
  saved_request text;
BEGIN
  -- Everything is guarded: whatever goes wrong here, the user's statement goes on.
  BEGIN
    -- Claim this table's slot: only when the last invoke is older than min_interval,
    -- and without waiting. A concurrent transaction that holds the row is invoking
    -- right now, so this one skips (SKIP LOCKED) instead of queueing behind it.
    SELECT a.source, s.function_arn, s.region, s.connect_timeout_ms, s.request_timeout_ms
      INTO claim
      FROM trackman_ingest.attached_tables a
     CROSS JOIN trackman_ingest.settings s
     WHERE a.schema_name = TG_TABLE_SCHEMA
       AND a.table_name = TG_TABLE_NAME
       AND (a.last_invoked_at IS NULL OR a.last_invoked_at <= clock_timestamp() - s.min_interval)
       FOR UPDATE OF a SKIP LOCKED;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;

    -- Taken before the invoke, so a failing invoke also waits min_interval before the
    -- next attempt: an unreachable Lambda costs one timeout per table per interval, not
    -- one per statement. A rolled-back transaction gives the slot back.
    UPDATE trackman_ingest.attached_tables
       SET last_invoked_at = clock_timestamp()
     WHERE schema_name = TG_TABLE_SCHEMA AND table_name = TG_TABLE_NAME;

    -- Accepted by lambda/start-ingestion (request.ts, the database shape).
    payload := json_build_object(
      'source', claim.source,
      'tables', json_build_array(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME),
      'origin', 'database',
      'operation', TG_OP,
      'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    );

    -- Bound how long the INSERT can wait for Lambda. If the server refuses the
    -- settings, its own timeouts apply.
    BEGIN
      saved_connect := current_setting('aws_lambda.connect_timeout_ms', true);
      saved_request := current_setting('aws_lambda.request_timeout_ms', true);
      PERFORM set_config('aws_lambda.connect_timeout_ms', claim.connect_timeout_ms::text, true);
      PERFORM set_config('aws_lambda.request_timeout_ms', claim.request_timeout_ms::text, true);
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;

    BEGIN
      SELECT r.status_code
        INTO status
        FROM aws_lambda.invoke(
               aws_commons.create_lambda_function_arn(claim.function_arn, claim.region),
               payload,
               'Event'
             ) AS r;
      IF status IS DISTINCT FROM 202 THEN
        RAISE WARNING 'trackman_ingest: Lambda answered % (expected 202) for %.%',
          status, TG_TABLE_SCHEMA, TG_TABLE_NAME;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'trackman_ingest: could not start lake ingestion for %.%: % (SQLSTATE %)',
        TG_TABLE_SCHEMA, TG_TABLE_NAME, SQLERRM, SQLSTATE
        USING HINT = 'The insert succeeded; the scheduled ingestion picks the rows up. See docs/triggers.md.';
    END;

    BEGIN
      IF saved_connect IS NOT NULL AND saved_connect <> '' THEN
        PERFORM set_config('aws_lambda.connect_timeout_ms', saved_connect, true);
      END IF;
      IF saved_request IS NOT NULL AND saved_request <> '' THEN
        PERFORM set_config('aws_lambda.request_timeout_ms', saved_request, true);
      END IF;
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'trackman_ingest: skipped lake ingestion trigger for %.%: % (SQLSTATE %)',
      TG_TABLE_SCHEMA, TG_TABLE_NAME, SQLERRM, SQLSTATE;
  END;
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION trackman_ingest.after_insert() FROM PUBLIC;

-- Where to send invokes. Call again to change any value.
CREATE OR REPLACE PROCEDURE trackman_ingest.configure(
  function_arn       text,
  region             text,
  min_interval       interval DEFAULT interval '60 seconds',
  connect_timeout_ms integer  DEFAULT 1000,
  request_timeout_ms integer  DEFAULT 2000
)
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $proc$
BEGIN
  IF configure.function_arn IS NULL
     OR configure.function_arn !~ '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$' THEN
    RAISE EXCEPTION 'trackman_ingest.configure: function_arn must be the ARN of a Lambda function '
      '(arn:aws:lambda:<region>:<account>:function:<name>); received %', quote_nullable(configure.function_arn);
  END IF;
  IF configure.region IS DISTINCT FROM split_part(configure.function_arn, ':', 4) THEN
    RAISE EXCEPTION 'trackman_ingest.configure: region must be the region of function_arn (%); received %',
      split_part(configure.function_arn, ':', 4), quote_nullable(configure.region);
  END IF;
  IF configure.min_interval IS NULL OR configure.min_interval < interval '0' THEN
    RAISE EXCEPTION 'trackman_ingest.configure: min_interval must be 0 or more (0 invokes on every statement); received %',
      quote_nullable(configure.min_interval);
  END IF;
  INSERT INTO trackman_ingest.settings AS s
         (singleton, function_arn, region, min_interval, connect_timeout_ms, request_timeout_ms, updated_at)
  VALUES (true, configure.function_arn, configure.region, configure.min_interval,
          configure.connect_timeout_ms, configure.request_timeout_ms, now())
  ON CONFLICT (singleton) DO UPDATE
     SET function_arn = EXCLUDED.function_arn,
         region = EXCLUDED.region,
         min_interval = EXCLUDED.min_interval,
         connect_timeout_ms = EXCLUDED.connect_timeout_ms,
         request_timeout_ms = EXCLUDED.request_timeout_ms,
         updated_at = EXCLUDED.updated_at;
END
$proc$;
REVOKE ALL ON PROCEDURE trackman_ingest.configure(text, text, interval, integer, integer) FROM PUBLIC;

-- Start lake ingestion of a table on insert. Names as in the catalog (usually lower case);
-- source as in the lake configuration. Re-attaching updates the source.
CREATE OR REPLACE PROCEDURE trackman_ingest.attach(schema_name text, table_name text, source text)
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $proc$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM trackman_ingest.settings) THEN
    RAISE EXCEPTION 'trackman_ingest.attach: not configured yet'
      USING HINT = 'First run CALL trackman_ingest.configure(''<function ARN>'', ''<region>'');';
  END IF;
  IF attach.source IS NULL OR attach.source !~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$' THEN
    RAISE EXCEPTION 'trackman_ingest.attach: source must be a source name of the lake configuration '
      '(3-40 characters: lowercase letters, digits and -), e.g. trackman-backend; received %', quote_nullable(attach.source);
  END IF;
  IF NOT EXISTS (
    SELECT 1
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = attach.schema_name AND c.relname = attach.table_name AND c.relkind IN ('r', 'p')
  ) THEN
    RAISE EXCEPTION 'trackman_ingest.attach: there is no table %.% in database %',
      quote_ident(attach.schema_name), quote_ident(attach.table_name), current_database()
      USING HINT = 'Names are compared exactly: use the catalog spelling, usually lower case.';
  END IF;

  INSERT INTO trackman_ingest.attached_tables AS a (schema_name, table_name, source)
  VALUES (attach.schema_name, attach.table_name, attach.source)
  ON CONFLICT ON CONSTRAINT attached_tables_pkey DO UPDATE SET source = EXCLUDED.source;

  -- DROP + CREATE rather than CREATE OR REPLACE TRIGGER, which needs PostgreSQL 14.
  IF EXISTS (
    SELECT 1
      FROM pg_catalog.pg_trigger tg
     WHERE tg.tgrelid = format('%I.%I', attach.schema_name, attach.table_name)::regclass
       AND tg.tgname = 'trackman_ingest_after_insert'
  ) THEN
    EXECUTE format('DROP TRIGGER trackman_ingest_after_insert ON %I.%I', attach.schema_name, attach.table_name);
  END IF;
  EXECUTE format(
    'CREATE TRIGGER trackman_ingest_after_insert AFTER INSERT ON %I.%I '
    'FOR EACH STATEMENT EXECUTE FUNCTION trackman_ingest.after_insert()',
    attach.schema_name, attach.table_name);
END
$proc$;
REVOKE ALL ON PROCEDURE trackman_ingest.attach(text, text, text) FROM PUBLIC;

-- Stop starting lake ingestion on insert into a table.
CREATE OR REPLACE PROCEDURE trackman_ingest.detach(schema_name text, table_name text)
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $proc$
BEGIN
  IF EXISTS (
    SELECT 1
      FROM pg_catalog.pg_trigger tg
      JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = detach.schema_name AND c.relname = detach.table_name
       AND tg.tgname = 'trackman_ingest_after_insert'
  ) THEN
    EXECUTE format('DROP TRIGGER trackman_ingest_after_insert ON %I.%I', detach.schema_name, detach.table_name);
  END IF;
  DELETE FROM trackman_ingest.attached_tables a
   WHERE a.schema_name = detach.schema_name AND a.table_name = detach.table_name;
END
$proc$;
REVOKE ALL ON PROCEDURE trackman_ingest.detach(text, text) FROM PUBLIC;

COMMIT;
