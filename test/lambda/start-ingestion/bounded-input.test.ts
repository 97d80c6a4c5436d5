/**
 * A huge bad request makes a short error: at most MAX_PROBLEMS problems are
 * listed and the rest counted, every echoed value and field name is cut, what
 * is logged is as short, and nothing is started.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type * as Powertools from '../../../lambda/shared/powertools';
import { MAX_PROBLEMS, ValidationError } from '../../../lambda/shared/validation';
import type { StartIngestionResult } from '../../../lambda/start-ingestion';
import { INGESTION_TABLES, STATE_MACHINE_ARN } from '../support/ingestion-tables';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, loaded, setEnv } from '../support/lambda-env';

const MB3 = 3 * 1024 * 1024;
/** JSON.stringify shows nothing of an Error; the logger prints its name, message and stack. */
const withErrors = (_key: string, value: unknown) =>
  value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
/** An error that reaches the Lambda runtime is reported with its message and stack: both must stay short. */
const MAX_ERROR_CHARS = 4 * 1024;

const sfn = mockClient(SFNClient);
const context = lambdaContext('start-ingestion');
let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<StartIngestionResult>;
let logged: jest.SpyInstance[];

beforeAll(() => {
  restoreEnv = setEnv({
    ...LAMBDA_TEST_ENV,
    POWERTOOLS_SERVICE_NAME: 'start-ingestion',
    STATE_MACHINE_ARN,
    INGESTION_TABLES: JSON.stringify(INGESTION_TABLES),
    DEDUP_WINDOW_SECONDS: '60',
  });
  ({ handler } = coldStart<{ handler: typeof handler }>('start-ingestion'));
  const { logger } = loaded<typeof Powertools>('shared/powertools');
  logged = (['error', 'warn', 'info'] as const).map((level) => jest.spyOn(logger, level));
});

afterAll(() => {
  restoreEnv();
  jest.restoreAllMocks();
  sfn.restore();
});

beforeEach(() => {
  sfn.reset();
  for (const spy of logged) spy.mockClear();
});

/** `count` distinct names, each `public.unknown_<n>` padded to `width` characters. */
function unknownNames(totalChars: number, width = 30): string[] {
  const count = Math.ceil(totalChars / (width + 3)); // + 3 for the quotes and comma of the JSON
  return Array.from({ length: count }, (_, i) => `public.unknown_${String(i).padStart(width - 15, '0')}`);
}

async function rejection(event: unknown): Promise<ValidationError> {
  const error = await handler(event, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  const validation = error as ValidationError;
  expect(validation.message.length).toBeLessThan(MAX_ERROR_CHARS);
  expect((validation.stack ?? '').length).toBeLessThan(MAX_ERROR_CHARS + 2048);
  expect(validation.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS);
  // Rejected without side effects, and what was logged is as short as the error.
  expect(sfn.calls()).toHaveLength(0);
  const loggedChars = logged
    .flatMap((spy) => spy.mock.calls)
    .reduce((sum, args) => sum + JSON.stringify(args, withErrors).length, 0);
  expect(loggedChars).toBeLessThan(MAX_ERROR_CHARS);
  return validation;
}

describe('start-ingestion: a huge bad request', () => {
  it('3 MB of unknown table names: the first problems listed, the rest counted', async () => {
    const tables = unknownNames(MB3);
    expect(JSON.stringify({ source: 'trackman-backend', tables }).length).toBeGreaterThanOrEqual(MB3);

    const error = await rejection({ source: 'trackman-backend', tables });

    expect(error.problems).toHaveLength(MAX_PROBLEMS);
    expect(error.problems[0]).toBe(
      'tables[0]: expected a table of source trackman-backend (public.sessions, public.shots, public.players, ' +
        `public.facilities); received "${tables[0]}"`,
    );
    expect(error.omitted).toBe(tables.length - MAX_PROBLEMS);
    expect(error.message).toMatch(
      new RegExp(`\\n {2}- \\.\\.\\. and ${tables.length - MAX_PROBLEMS} more problems, not listed$`),
    );
  });

  it('the same names in an EventBridge event', async () => {
    const tables = unknownNames(MB3);
    const error = await rejection({
      'detail-type': 'Lake Ingestion Requested',
      source: 'trackman.data-platform',
      detail: { source: 'trackman-backend', tables },
    });
    expect(error.problems[0]).toMatch(/^detail\.tables\[0\]: expected a table of source trackman-backend/);
    expect(error.omitted).toBe(tables.length - MAX_PROBLEMS);
  });

  it('one 3 MB table name and a 3 MB source: each value cut to a readable length', async () => {
    const error = await rejection({ source: 's'.repeat(MB3), tables: ['t'.repeat(MB3)] });
    expect(error.problems).toEqual([
      expect.stringMatching(/^source: expected one of .+; received "s+\.\.\.$/),
    ]);
    expect(error.problems[0].length).toBeLessThan(300);

    const tableError = await rejection({ source: 'trackman-backend', tables: ['t'.repeat(MB3)] });
    expect(tableError.problems).toEqual([
      expect.stringMatching(/^tables\[0\]: expected a table name "schema\.name".+; received "t+\.\.\.$/),
    ]);
  });

  it('300,000 values of the wrong type: zod issues counted, not rendered', async () => {
    const tables = Array.from({ length: 300_000 }, (_, i) => i);
    const error = await rejection({ source: 'trackman-backend', tables });
    expect(error.problems).toHaveLength(MAX_PROBLEMS);
    expect(error.problems[0]).toBe('tables[0]: expected a table name "schema.name" as a string; received 0');
    expect(error.omitted).toBe(300_000 - MAX_PROBLEMS);
  });

  it('100,000 unexpected fields with 1 KB names: names cut, the rest counted', async () => {
    const event: Record<string, unknown> = { source: 'trackman-backend' };
    for (let i = 0; i < 100_000; i += 1) event[`${String(i).padStart(6, '0')}${'k'.repeat(1024)}`] = i;
    const error = await rejection(event);
    expect(error.problems).toHaveLength(MAX_PROBLEMS);
    expect(error.problems[0]).toMatch(
      /^000000k+\.\.\.: expected only the fields source, tables; received an unexpected field$/,
    );
    expect(error.problems[0].length).toBeLessThan(250);
    expect(error.omitted).toBe(100_000 - MAX_PROBLEMS);
  });

  it('a request that fails fewer times than the limit still lists every problem', async () => {
    const error = await rejection({ source: 'trackman-backend', tables: ['public.shots', 'a', 'b'] });
    expect(error.problems).toHaveLength(2);
    expect(error.omitted).toBe(0);
    expect(error.message).not.toContain('more problem');
  });
});
