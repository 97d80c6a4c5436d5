/**
 * The handler with S3 and Secrets Manager mocked: lake lag from watermarks (current, held,
 * missing), a database that cannot be reached, the metrics it publishes, and input checks.
 */
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { ProbeResult } from '../../../lambda/freshness-probe';
import type { ProbeInput } from '../../../lambda/freshness-probe/contract';
import type * as Powertools from '../../../lambda/shared/powertools';
import { ValidationError } from '../../../lambda/shared/validation';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, loaded, setEnv } from '../support/lambda-env';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:trackman-backend/lake-reader-AbCdEf';
const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const context = lambdaContext('freshness-probe');

const INPUT: ProbeInput = {
  mode: 'freshness',
  slo: { lakeMinutes: 60, replicaMinutes: 30 },
  sources: [
    {
      name: 'trackman-backend',
      engine: 'postgres',
      host: '127.0.0.1',
      port: 1, // nothing listens: the replica lag of sessions fails, the lake lags do not need the source
      database: 'trackman',
      secretArn: SECRET,
      tables: [
        {
          schema: 'public',
          name: 'sessions',
          kind: 'update-timestamp',
          column: 'updated_at',
          replicaSchema: 'public',
        },
        { schema: 'public', name: 'shots', kind: 'increasing-key', column: 'id' },
        { schema: 'public', name: 'players', kind: 'update-timestamp', column: 'updated_at' },
      ],
    },
  ],
  replica: { host: '127.0.0.1', port: 1, database: 'dataengineering', secretArn: SECRET },
};

/** What the handler reads of a GetObject body; the SDK's stream type is not needed for that. */
function body(doc: Record<string, unknown>): never {
  return { transformToString: () => Promise.resolve(JSON.stringify(doc)) } as never;
}

function watermark(table: string, doc: Record<string, unknown>): Record<string, unknown> {
  return {
    schema_version: 2,
    source: 'trackman-backend',
    schema: 'public',
    table,
    bookmark_kind: 'update-timestamp',
    rows: 42,
    started_at: '2024-05-01T11:45:00.000Z',
    finished_at: '2024-05-01T11:48:00.000Z',
    position: '2024-05-01T11:50:00.000000Z',
    complete_as_of: '2024-05-01T11:50:00.000000Z',
    range: null,
    horizon: { held_reason: null },
    ...doc,
  };
}

let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<ProbeResult>;
let published: { dimensions: Record<string, string>; metrics: Record<string, number> }[];
let logged: Record<string, unknown>[];
let dateNow: jest.SpyInstance;

beforeAll(() => {
  restoreEnv = setEnv({
    ...LAMBDA_TEST_ENV,
    POWERTOOLS_SERVICE_NAME: 'freshness-probe',
    LAKE_BUCKET_NAME: 'trackman-lake',
  });
  ({ handler } = coldStart<{ handler: typeof handler }>('freshness-probe'));
  const { logger, metrics } = loaded<typeof Powertools>('shared/powertools');
  // Per table, only the lag is a metric; the rest of a table's figures are log records.
  for (const level of ['info', 'warn'] as const) {
    jest.spyOn(logger, level).mockImplementation((message: unknown, ...extra: unknown[]) => {
      if (message === 'Probe note' || message === 'Probe failure') {
        logged.push({ message, ...(extra[0] as Record<string, unknown>) });
      }
    });
  }
  let current = { dimensions: {} as Record<string, string>, metrics: {} as Record<string, number> };
  jest.spyOn(metrics, 'addDimensions').mockImplementation((dimensions) => {
    current.dimensions = { ...dimensions };
    return metrics;
  });
  jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    current.metrics[name] = value;
    return metrics;
  });
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    published.push(current);
    current = { dimensions: {}, metrics: {} };
    return metrics;
  });
});

afterAll(() => {
  restoreEnv();
  jest.restoreAllMocks();
  s3.restore();
  secrets.restore();
});

beforeEach(() => {
  published = [];
  logged = [];
  s3.reset();
  secrets.reset();
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ username: 'lake_reader', password: 'x' }) });
  s3.on(GetObjectCommand, { Key: '_control/trackman-backend/public_sessions/watermark.json' }).resolves({
    Body: body(watermark('sessions', {})),
  });
  s3.on(GetObjectCommand, { Key: '_control/trackman-backend/public_shots/watermark.json' }).resolves({
    Body: body(
      watermark('shots', {
        bookmark_kind: 'increasing-key',
        position: 1234,
        complete_as_of: null,
        horizon: { held_reason: 'a transaction open since 2024-05-01T11:00:00Z outlived the 120 s wait' },
      }),
    ),
  });
  s3.on(GetObjectCommand, { Key: '_control/trackman-backend/public_players/watermark.json' }).rejects(
    new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
  );
  dateNow = jest.spyOn(Date, 'now').mockReturnValue(NOW);
});

afterEach(() => dateNow.mockRestore());

const of = (table: string, destination: string) =>
  published.find((p) => p.dimensions.table === table && p.dimensions.destination === destination)?.metrics;
const logOf = (table: string, destination: string) =>
  logged.find((entry) => entry.table === table && entry.destination === destination);

describe('freshness-probe handler', () => {
  it('publishes lake lag from the watermarks, held and missing ones explicitly', async () => {
    const result = await handler(INPUT, context);
    expect(result).toEqual({ mode: 'freshness', measurements: 4, failures: 1 });
    expect(of('public.sessions', 'lake')).toEqual({ LagSeconds: 600 });
    // Held: at least as old as the held run's start (11:45).
    expect(of('public.shots', 'lake')).toEqual({ LagSeconds: 900 });
    expect(logOf('public.shots', 'lake')).toMatchObject({ message: 'Probe note', lagUnknown: 1 });
    // No watermark: no lag to publish for the table; the log says so, the summary counts it.
    expect(of('public.players', 'lake')).toBeUndefined();
    expect(logOf('public.players', 'lake')).toMatchObject({ message: 'Probe note', lagUnknown: 1 });
    expect(logOf('public.sessions', 'lake')).toBeUndefined();
  });

  it('turns an unreachable database into a probe failure of its table and a summary per destination', async () => {
    await handler(INPUT, context);
    expect(of('public.sessions', 'dataengineering-db')).toBeUndefined();
    expect(logOf('public.sessions', 'dataengineering-db')).toMatchObject({
      message: 'Probe failure',
      failures: [expect.any(String)],
    });
    expect(published.filter((p) => p.dimensions.table === undefined)).toEqual([
      {
        dimensions: { destination: 'lake' },
        metrics: { LagSeconds: 900, LakeLagUnknown: 1, ProbeFailures: 0 },
      },
      { dimensions: { destination: 'dataengineering-db' }, metrics: { ProbeFailures: 1 } },
    ]);
    // One secret read for the source and dataengineering-db, which share it here.
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads a watermark of another table as a failure', async () => {
    s3.on(GetObjectCommand, { Key: '_control/trackman-backend/public_sessions/watermark.json' }).resolves({
      Body: body(watermark('players', {})),
    });
    await handler(INPUT, context);
    expect(of('public.sessions', 'lake')).toBeUndefined();
    expect(logOf('public.sessions', 'lake')).toMatchObject({ message: 'Probe failure' });
    expect(
      published.find((p) => p.dimensions.table === undefined && p.dimensions.destination === 'lake')?.metrics,
    ).toMatchObject({ ProbeFailures: 1 });
  });

  it('rejects a bad input before reading anything, with a short message', async () => {
    const bad = {
      ...INPUT,
      sources: [
        { ...INPUT.sources[0], tables: [{ schema: 'public', name: 'x'.repeat(5000), kind: 'nope' }] },
      ],
    };
    const error = await handler(bad, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(
      "sources[0].tables[0].kind: expected 'update-timestamp', 'increasing-key' or 'snapshot'",
    );
    expect((error as ValidationError).message.length).toBeLessThan(1000);
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 0);
  });
});
