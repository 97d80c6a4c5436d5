import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type * as Powertools from '../../../lambda/shared/powertools';
import type { StartIngestionResult } from '../../../lambda/start-ingestion';
import { INGESTION_TABLES, STATE_MACHINE_ARN } from '../support/ingestion-tables';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, loaded, setEnv } from '../support/lambda-env';

const ENV = {
  ...LAMBDA_TEST_ENV,
  POWERTOOLS_SERVICE_NAME: 'start-ingestion',
  STATE_MACHINE_ARN,
  INGESTION_TABLES: JSON.stringify(INGESTION_TABLES),
  DEDUP_WINDOW_SECONDS: '60',
};
const NOON = Date.parse('2024-05-01T12:00:00Z');
const [sessions, shots, players, facilities] = INGESTION_TABLES;

const sfn = mockClient(SFNClient);
const context = lambdaContext('start-ingestion');
let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<StartIngestionResult>;
let addMetric: jest.SpyInstance;
let addDimension: jest.SpyInstance;
let dateNow: jest.SpyInstance;

beforeAll(() => {
  restoreEnv = setEnv(ENV);
  ({ handler } = coldStart<{ handler: typeof handler }>('start-ingestion'));
  const { metrics } = loaded<typeof Powertools>('shared/powertools');
  addMetric = jest.spyOn(metrics, 'addMetric');
  addDimension = jest.spyOn(metrics, 'addDimension');
});

afterAll(() => {
  restoreEnv();
  jest.restoreAllMocks();
  sfn.restore();
});

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `arn:aws:states:eu-west-1:111111111111:execution:LakeIngestionWorkflow:${input.name}`,
    startDate: new Date(NOON),
  }));
  addMetric.mockClear();
  addDimension.mockClear();
  dateNow = jest.spyOn(Date, 'now').mockReturnValue(NOON + 1_000);
});

afterEach(() => dateNow.mockRestore());

/** The parsed input of the only StartExecution call. */
function startedInput(): unknown {
  expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  const input = sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input;
  return JSON.parse(input ?? 'null');
}

describe('start-ingestion handler: starts one execution', () => {
  it('for a direct invocation of a subset of tables', async () => {
    const result = await handler(
      { source: 'trackman-backend', tables: ['public.shots', 'public.sessions'] },
      context,
    );

    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: expect.stringMatching(/^trackman-backend-20240501T120000Z-[0-9a-f]{16}$/),
    });
    expect(startedInput()).toEqual({ trigger: 'manual', tables: [sessions, shots] });
    expect(result).toEqual({
      status: 'started',
      executionArn: expect.stringContaining(
        ':execution:LakeIngestionWorkflow:trackman-backend-20240501T120000Z-',
      ),
      executionName: expect.stringMatching(/^trackman-backend-20240501T120000Z-/),
      tables: ['public.sessions', 'public.shots'],
    });
    expect(result.executionArn.endsWith(result.executionName)).toBe(true);
  });

  it('for a direct invocation of a whole source', async () => {
    await handler({ source: 'trackman-backend' }, context);
    expect(startedInput()).toEqual({ trigger: 'manual', tables: [sessions, shots, players, facilities] });
  });

  it('for an EventBridge event', async () => {
    const result = await handler(
      {
        version: '0',
        id: 'c7d1b5f2-2f0e-4c53-9bd3-2a3c6f4b9e10',
        'detail-type': 'Lake ingestion requested',
        source: 'trackman.operations',
        account: '111111111111',
        time: '2024-05-01T12:00:01Z',
        region: 'eu-west-1',
        resources: [],
        detail: { source: 'trackman-backend', tables: ['public.players'] },
      },
      context,
    );
    expect(startedInput()).toEqual({ trigger: 'event', tables: [players] });
    expect(result.status).toBe('started');
  });

  it('for the database trigger', async () => {
    await handler(
      {
        source: 'trackman-backend',
        tables: ['public.shots'],
        origin: 'database',
        operation: 'INSERT',
        at: '2024-05-01T12:00:00.734211Z',
      },
      context,
    );
    expect(startedInput()).toEqual({ trigger: 'database', tables: [shots] });
  });

  it('records IngestionTriggered with the trigger as dimension', async () => {
    await handler({ source: 'trackman-backend' }, context);
    expect(addDimension).toHaveBeenCalledWith('trigger', 'manual');
    expect(addMetric).toHaveBeenCalledWith('IngestionTriggered', 'Count', 1);
  });
});

describe('start-ingestion handler: deduplication', () => {
  const names = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);

  it('names the same tables the same within a window, whatever their order or case', async () => {
    await handler({ source: 'trackman-backend', tables: ['public.shots', 'public.players'] }, context);
    dateNow.mockReturnValue(NOON + 59_999);
    await handler({ source: 'trackman-backend', tables: ['PUBLIC.PLAYERS', 'public.shots'] }, context);
    const [first, second] = names();
    expect(second).toBe(first);
  });

  it('names the same tables differently in the next window', async () => {
    await handler({ source: 'trackman-backend', tables: ['public.shots'] }, context);
    dateNow.mockReturnValue(NOON + 60_000);
    await handler({ source: 'trackman-backend', tables: ['public.shots'] }, context);
    const [first, second] = names();
    expect(second).not.toBe(first);
  });

  it('treats ExecutionAlreadyExists as success', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    const result = await handler({ source: 'trackman-backend', tables: ['public.shots'] }, context);

    expect(result).toEqual({
      status: 'already-started',
      executionArn: expect.stringMatching(
        /^arn:aws:states:eu-west-1:111111111111:execution:LakeIngestionWorkflow:trackman-backend-20240501T120000Z-[0-9a-f]{16}$/,
      ),
      executionName: expect.stringMatching(/^trackman-backend-20240501T120000Z-/),
      tables: ['public.shots'],
    });
    expect(addMetric).toHaveBeenCalledWith('IngestionTriggerDeduplicated', 'Count', 1);
    expect(addMetric).not.toHaveBeenCalledWith('IngestionTriggered', 'Count', 1);
  });

  it('lets other Step Functions errors propagate, so an async invoke is retried', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));

    await expect(handler({ source: 'trackman-backend' }, context)).rejects.toThrow(
      'State Machine Does Not Exist',
    );
    expect(addMetric).not.toHaveBeenCalled();
  });
});

describe('start-ingestion handler: invalid events start nothing', () => {
  it.each<[string, unknown, string]>([
    ['not an object', 'public.shots', '(event): expected an object'],
    [
      'an unknown source',
      { source: 'nope' },
      'source: expected one of "trackman-backend", "booking-service"; received "nope"',
    ],
    [
      'an unknown table',
      { source: 'trackman-backend', tables: ['public.swings'] },
      'tables[0]: expected a table of source trackman-backend',
    ],
    [
      'an empty table list',
      { source: 'trackman-backend', tables: [] },
      'tables: expected at least one table (leave "tables" out to ingest every table of the source); received []',
    ],
    [
      'a duplicate table',
      { source: 'trackman-backend', tables: ['public.shots', 'public.Shots'] },
      'tables[1]: expected each table once',
    ],
    [
      'a misspelt field',
      { source: 'trackman-backend', table: 'public.shots' },
      'table: expected only the fields source, tables',
    ],
    [
      'an EventBridge event with a bad detail',
      {
        'detail-type': 'Lake ingestion requested',
        source: 'trackman.operations',
        detail: { tables: ['public.shots'] },
      },
      'detail.source: expected a source name as a string',
    ],
    [
      'a database payload of another operation',
      {
        source: 'trackman-backend',
        tables: ['public.shots'],
        origin: 'database',
        operation: 'UPDATE',
        at: '2024-05-01T12:00:00Z',
      },
      'operation: expected "INSERT"; received "UPDATE"',
    ],
  ])('%s', async (_case, event, message) => {
    await expect(handler(event, context)).rejects.toThrow(message);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
    expect(sfn.calls()).toHaveLength(0);
    expect(addMetric).toHaveBeenCalledWith('IngestionTriggerRejected', 'Count', 1);
  });
});

describe('start-ingestion handler: environment', () => {
  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'a missing state machine',
      { STATE_MACHINE_ARN: undefined },
      'STATE_MACHINE_ARN: expected the ARN of the ingestion state machine; received nothing',
    ],
    [
      'tables that are not JSON',
      { INGESTION_TABLES: 'public.shots' },
      'INGESTION_TABLES: expected the configured lake tables as JSON',
    ],
    [
      'a bad window',
      { DEDUP_WINDOW_SECONDS: '-5' },
      'DEDUP_WINDOW_SECONDS: expected a whole number of seconds from 1 to 86400; received "-5"',
    ],
  ])('fails at load with %s', (_case, overrides, message) => {
    const restore = setEnv(overrides);
    try {
      expect(() => coldStart('start-ingestion')).toThrow(
        `Invalid environment of the start-ingestion function:\n  - ${message}`,
      );
    } finally {
      restore();
    }
  });
});
