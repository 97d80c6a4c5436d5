/**
 * sql/postgres/{install,uninstall}-ingestion-trigger.sql against the real
 * PostgreSQL server of this machine, in a database of its own. The aws_lambda
 * extension exists only on RDS, so the test installs stand-ins with the
 * extension's documented signatures that record each call instead of calling
 * Lambda (or raise, when told to).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { planIngestion } from '../../../lambda/start-ingestion/request';
import { INGESTION_TABLES } from '../support/ingestion-tables';

const SQL_DIR = join(__dirname, '..', '..', '..', 'sql', 'postgres');
const INSTALL = readFileSync(join(SQL_DIR, 'install-ingestion-trigger.sql'), 'utf8');
const UNINSTALL = readFileSync(join(SQL_DIR, 'uninstall-ingestion-trigger.sql'), 'utf8');

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:111111111111:function:trackman-dev-start-ingestion';
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const DATABASE = `trackman_ingest_test_${SUFFIX}`;
const BARE_DATABASE = `trackman_ingest_bare_${SUFFIX}`;
const APP_ROLE = `trackman_ingest_app_${SUFFIX}`;

/** aws_commons / aws_lambda as documented for RDS for PostgreSQL, recording instead of invoking. */
const STAND_INS = `
  CREATE SCHEMA aws_commons;
  CREATE TYPE aws_commons._lambda_function_arn_1 AS (function_name text, region text);
  CREATE FUNCTION aws_commons.create_lambda_function_arn(function_name text, region text DEFAULT NULL)
    RETURNS aws_commons._lambda_function_arn_1 LANGUAGE sql IMMUTABLE
    AS $$ SELECT ROW($1, $2)::aws_commons._lambda_function_arn_1 $$;

  CREATE SCHEMA test_support;
  CREATE TABLE test_support.invocations (
    id bigserial PRIMARY KEY,
    function_name text, region text, payload text, invocation_type text, log_type text,
    connect_timeout_ms text, request_timeout_ms text,
    invoked_by name DEFAULT current_user
  );
  CREATE TABLE test_support.behaviour (singleton boolean PRIMARY KEY DEFAULT true, fail boolean NOT NULL);
  INSERT INTO test_support.behaviour (fail) VALUES (false);
  CREATE FUNCTION test_support.record(fn aws_commons._lambda_function_arn_1, body text, kind text, logs text)
    RETURNS integer LANGUAGE plpgsql AS $$
  BEGIN
    IF (SELECT fail FROM test_support.behaviour) THEN
      RAISE EXCEPTION 'invoke API failed' USING DETAIL = 'AWS Lambda client returned ''Unable to connect to endpoint''.';
    END IF;
    INSERT INTO test_support.invocations
      (function_name, region, payload, invocation_type, log_type, connect_timeout_ms, request_timeout_ms)
    VALUES (fn.function_name, fn.region, body, kind, logs,
            current_setting('aws_lambda.connect_timeout_ms', true), current_setting('aws_lambda.request_timeout_ms', true));
    RETURN 202;
  END $$;

  CREATE SCHEMA aws_lambda;
  CREATE FUNCTION aws_lambda.invoke(
    IN function_name aws_commons._lambda_function_arn_1, IN payload json,
    IN invocation_type text DEFAULT 'RequestResponse', IN log_type text DEFAULT 'None',
    IN context json DEFAULT NULL, IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code int, OUT payload json, OUT executed_version text, OUT log_result text)
  LANGUAGE sql AS $$ SELECT test_support.record($1, $2::text, $3, $4), NULL::json, NULL::text, NULL::text $$;
  CREATE FUNCTION aws_lambda.invoke(
    IN function_name aws_commons._lambda_function_arn_1, IN payload jsonb,
    IN invocation_type text DEFAULT 'RequestResponse', IN log_type text DEFAULT 'None',
    IN context jsonb DEFAULT NULL, IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code int, OUT payload jsonb, OUT executed_version text, OUT log_result text)
  LANGUAGE sql AS $$ SELECT test_support.record($1, $2::text, $3, $4), NULL::jsonb, NULL::text, NULL::text $$;
  CREATE FUNCTION aws_lambda.invoke(
    IN function_name text, IN payload json, IN region text DEFAULT NULL,
    IN invocation_type text DEFAULT 'RequestResponse', IN log_type text DEFAULT 'None',
    IN context json DEFAULT NULL, IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code int, OUT payload json, OUT executed_version text, OUT log_result text)
  LANGUAGE sql AS $$
    SELECT test_support.record(ROW($1, $3)::aws_commons._lambda_function_arn_1, $2::text, $4, $5),
           NULL::json, NULL::text, NULL::text
  $$;
`;

const TABLES = `
  CREATE TABLE public.shots (id bigserial PRIMARY KEY, session_id bigint NOT NULL, speed numeric);
  CREATE TABLE public.sessions (id bigserial PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, entry text);
`;

interface Invocation {
  functionName: string;
  region: string;
  payload: Record<string, unknown>;
  invocationType: string;
  connectTimeoutMs: string | null;
  requestTimeoutMs: string | null;
  invokedBy: string;
}

function connect(database: string): Client {
  return new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
}

let admin: Client;
let db: Client;
const warnings: string[] = [];

async function invocations(): Promise<Invocation[]> {
  const { rows } = await db.query<{
    function_name: string;
    region: string;
    payload: string;
    invocation_type: string;
    connect_timeout_ms: string | null;
    request_timeout_ms: string | null;
    invoked_by: string;
  }>('SELECT * FROM test_support.invocations ORDER BY id');
  return rows.map((row) => ({
    functionName: row.function_name,
    region: row.region,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    invocationType: row.invocation_type,
    connectTimeoutMs: row.connect_timeout_ms,
    requestTimeoutMs: row.request_timeout_ms,
    invokedBy: row.invoked_by,
  }));
}

async function insertShots(count = 1, client: Client = db): Promise<void> {
  await client.query(
    'INSERT INTO public.shots (session_id, speed) SELECT 1, g FROM generate_series(1, $1::int) AS g',
    [count],
  );
}

async function configure(minInterval = '60 seconds'): Promise<void> {
  await db.query('CALL trackman_ingest.configure($1, $2, $3::interval)', [
    FUNCTION_ARN,
    'eu-west-1',
    minInterval,
  ]);
}

beforeAll(async () => {
  admin = connect('postgres');
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  db = connect(DATABASE);
  await db.connect();
  db.on('notice', (notice) => {
    if (notice.severity === 'WARNING') warnings.push(notice.message ?? '');
  });
  await db.query(STAND_INS);
  await db.query(INSTALL);
  await db.query(TABLES);
  await configure();
  await db.query(`CALL trackman_ingest.attach('public', 'shots', 'trackman-backend')`);
}, 30_000);

afterAll(async () => {
  await db?.end();
  if (admin !== undefined) {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${BARE_DATABASE} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${APP_ROLE}`);
    await admin.end();
  }
}, 30_000);

beforeEach(async () => {
  await configure();
  await db.query('TRUNCATE test_support.invocations, public.shots, public.sessions, public.audit_log');
  await db.query('UPDATE trackman_ingest.attached_tables SET last_invoked_at = NULL');
  await db.query('UPDATE test_support.behaviour SET fail = false');
  warnings.length = 0;
});

describe('install-ingestion-trigger.sql', () => {
  it('invokes once, asynchronously, for a statement that inserts 500 rows', async () => {
    const before = Date.now();
    await insertShots(500);

    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM public.shots');
    expect(Number(rows[0].n)).toBe(500);
    const calls = await invocations();
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call).toMatchObject({ functionName: FUNCTION_ARN, region: 'eu-west-1', invocationType: 'Event' });
    expect(call.payload).toEqual({
      source: 'trackman-backend',
      tables: ['public.shots'],
      origin: 'database',
      operation: 'INSERT',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    const at = Date.parse(call.payload.at as string);
    expect(at).toBeGreaterThanOrEqual(before - 5_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('sends a payload that the start-ingestion function accepts', async () => {
    await insertShots(3);
    const [call] = await invocations();
    expect(planIngestion(call.payload, INGESTION_TABLES)).toEqual({
      trigger: 'database',
      source: 'trackman-backend',
      tables: [INGESTION_TABLES[1]],
    });
  });

  it('bounds how long the INSERT can wait for Lambda with the configured timeouts', async () => {
    await db.query(
      'CALL trackman_ingest.configure($1, $2, connect_timeout_ms => 300, request_timeout_ms => 700)',
      [FUNCTION_ARN, 'eu-west-1'],
    );
    await insertShots();
    const [call] = await invocations();
    expect([call.connectTimeoutMs, call.requestTimeoutMs]).toEqual(['300', '700']);
  });

  it('does not invoke again within min_interval, and does after it', async () => {
    await insertShots();
    await insertShots(10);
    expect(await invocations()).toHaveLength(1);

    // Move the last invoke 61 seconds into the past, as if a minute had gone by.
    await db.query(
      `UPDATE trackman_ingest.attached_tables SET last_invoked_at = last_invoked_at - interval '61 seconds'`,
    );
    await insertShots();
    expect(await invocations()).toHaveLength(2);
  });

  it('measures min_interval on the clock', async () => {
    await configure('300 milliseconds');
    await insertShots();
    await insertShots();
    expect(await invocations()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await insertShots();
    expect(await invocations()).toHaveLength(2);
  });

  it('invokes for every statement when min_interval is 0', async () => {
    await configure('0');
    await insertShots();
    await insertShots();
    await insertShots();
    expect(await invocations()).toHaveLength(3);
  });

  it('keeps one rate-limit slot per table', async () => {
    await db.query(`CALL trackman_ingest.attach('public', 'sessions', 'trackman-backend')`);
    try {
      await insertShots();
      await db.query('INSERT INTO public.sessions DEFAULT VALUES');
      const tables = (await invocations()).map((call) => call.payload.tables);
      expect(tables).toEqual([['public.shots'], ['public.sessions']]);
    } finally {
      await db.query(`CALL trackman_ingest.detach('public', 'sessions')`);
    }
  });

  it('never invokes for a table that is not attached', async () => {
    await db.query(`INSERT INTO public.audit_log (entry) SELECT 'e' || g FROM generate_series(1, 50) AS g`);
    expect(await invocations()).toHaveLength(0);
  });

  it('keeps the INSERT when the invoke fails, with a warning, and waits min_interval before trying again', async () => {
    await db.query('UPDATE test_support.behaviour SET fail = true');
    await expect(insertShots(25)).resolves.toBeUndefined();

    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM public.shots');
    expect(Number(rows[0].n)).toBe(25);
    expect(await invocations()).toHaveLength(0);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^trackman_ingest: could not start lake ingestion for public\.shots: invoke API failed/,
      ),
    ]);

    await db.query('UPDATE test_support.behaviour SET fail = false');
    await insertShots();
    expect(await invocations()).toHaveLength(0);
  });

  it('does not make a concurrent writer wait for the transaction that holds the slot', async () => {
    const other = connect(DATABASE);
    await other.connect();
    try {
      await db.query('BEGIN');
      await insertShots(1, db); // claims the slot and holds its row until COMMIT
      await other.query(`SET statement_timeout = '2s'`);
      const started = Date.now();
      await insertShots(1, other);
      expect(Date.now() - started).toBeLessThan(1_000);
      await db.query('COMMIT');
    } finally {
      await db.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM public.shots');
    expect(Number(rows[0].n)).toBe(2);
    expect(await invocations()).toHaveLength(1);
  });

  it('works for an application role with no privilege on aws_lambda or trackman_ingest', async () => {
    await db.query(`CREATE ROLE ${APP_ROLE} NOLOGIN`);
    await db.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
    await db.query(`GRANT INSERT ON public.shots TO ${APP_ROLE}`);
    await db.query(`GRANT USAGE ON SEQUENCE public.shots_id_seq TO ${APP_ROLE}`);
    await db.query(`SET ROLE ${APP_ROLE}`);
    try {
      await insertShots(2);
      await expect(
        db.query('CALL trackman_ingest.configure($1, $2)', [FUNCTION_ARN, 'eu-west-1']),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await db.query('RESET ROLE');
    }
    const calls = await invocations();
    expect(calls).toHaveLength(1);
    expect(calls[0].invokedBy).toBe('postgres'); // the trigger runs as the installer
  });

  it('is idempotent: running it again keeps the configuration and the attached tables', async () => {
    await db.query(INSTALL);
    const { rows } = await db.query<{ function_arn: string }>(
      'SELECT function_arn FROM trackman_ingest.settings',
    );
    expect(rows).toEqual([{ function_arn: FUNCTION_ARN }]);
    await insertShots();
    expect(await invocations()).toHaveLength(1);
  });

  it('refuses to install without the aws_lambda extension', async () => {
    await admin.query(`CREATE DATABASE ${BARE_DATABASE}`);
    const bare = connect(BARE_DATABASE);
    await bare.connect();
    try {
      await expect(bare.query(INSTALL)).rejects.toThrow(
        `trackman_ingest needs the aws_lambda extension, which is not installed in database ${BARE_DATABASE}`,
      );
    } finally {
      await bare.end();
    }
  });
});

describe('trackman_ingest procedures', () => {
  it.each([
    [
      `CALL trackman_ingest.attach('public', 'swings', 'trackman-backend')`,
      `trackman_ingest.attach: there is no table public.swings in database ${DATABASE}`,
    ],
    [
      `CALL trackman_ingest.attach('public', 'Shots', 'trackman-backend')`,
      `trackman_ingest.attach: there is no table public."Shots" in database ${DATABASE}`,
    ],
    [
      `CALL trackman_ingest.attach('public', 'shots', 'Trackman Backend')`,
      `trackman_ingest.attach: source must be a source name of the lake configuration (3-40 characters: lowercase letters, digits and -), e.g. trackman-backend; received 'Trackman Backend'`,
    ],
    [
      `CALL trackman_ingest.configure('${FUNCTION_ARN}', 'us-east-1')`,
      `trackman_ingest.configure: region must be the region of function_arn (eu-west-1); received 'us-east-1'`,
    ],
    [
      `CALL trackman_ingest.configure('trackman-dev-start-ingestion', 'eu-west-1')`,
      `trackman_ingest.configure: function_arn must be the ARN of a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>); received 'trackman-dev-start-ingestion'`,
    ],
    [
      `CALL trackman_ingest.configure('${FUNCTION_ARN}', 'eu-west-1', interval '-1 second')`,
      `trackman_ingest.configure: min_interval must be 0 or more (0 invokes on every statement); received '-00:00:01'`,
    ],
  ])('%s fails with a clear message', async (statement, message) => {
    await expect(db.query(statement)).rejects.toThrow(message);
  });

  it('detach stops the invokes of a table', async () => {
    await db.query(`CALL trackman_ingest.attach('public', 'sessions', 'trackman-backend')`);
    await db.query(`CALL trackman_ingest.detach('public', 'sessions')`);
    await db.query('INSERT INTO public.sessions DEFAULT VALUES');
    expect(await invocations()).toHaveLength(0);
    const { rows } = await db.query(
      `SELECT 1 FROM trackman_ingest.attached_tables WHERE table_name = 'sessions'`,
    );
    expect(rows).toHaveLength(0);
  });
});

describe('uninstall-ingestion-trigger.sql', () => {
  it('removes the triggers and the schema, and can run twice', async () => {
    await db.query(UNINSTALL);

    const triggers = await db.query(`SELECT 1 FROM pg_trigger WHERE tgname = 'trackman_ingest_after_insert'`);
    expect(triggers.rows).toHaveLength(0);
    const schema = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'trackman_ingest'`);
    expect(schema.rows).toHaveLength(0);

    await insertShots(5);
    expect(await invocations()).toHaveLength(0);
    await expect(db.query(UNINSTALL)).resolves.toBeDefined();
  });
});
