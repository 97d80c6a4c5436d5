/**
 * The replication-control handler against a mocked DMS: what it sends for
 * each request, how its isComplete polls end, and how it fails.
 */
import {
  DatabaseMigrationServiceClient,
  DescribeReplicationsCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  InvalidResourceStateFault,
  ReloadTablesCommand,
  ResourceNotFoundFault,
  StartReplicationCommand,
  StartReplicationTaskCommand,
  StopReplicationCommand,
  StopReplicationTaskCommand,
  type Replication,
} from '@aws-sdk/client-database-migration-service';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { OnEventResult } from '../../../lambda/replication-control';
import { MAX_REASON_LENGTH, OWN_DEADLINE_SECONDS } from '../../../lambda/replication-control/contract';
import { ValidationError } from '../../../lambda/shared/validation';
import { coldStart, LAMBDA_TEST_ENV, lambdaContext, setEnv } from '../support/lambda-env';

const CONFIG_ARN = 'arn:aws:dms:eu-west-1:111111111111:replication-config:ABCDEFGHIJKLMNOP';
const TASK_ARN = 'arn:aws:dms:eu-west-1:111111111111:task:QRSTUVWXYZ012345';
const IDENTIFIER = 'trackman-dev-dedb';
const MB = 1024 * 1024;

const dms = mockClient(DatabaseMigrationServiceClient);
const context = lambdaContext('replication-control');
let restoreEnv: () => void;
let handler: (event: unknown, context: Context) => Promise<unknown>;

beforeAll(() => {
  restoreEnv = setEnv({ ...LAMBDA_TEST_ENV, POWERTOOLS_SERVICE_NAME: 'replication-control' });
  ({ handler } = coldStart<{ handler: typeof handler }>('replication-control'));
});
afterAll(() => {
  restoreEnv();
  jest.restoreAllMocks();
  dms.restore();
});
beforeEach(() => dms.reset());

type Role = 'BeforeChange' | 'AfterChange';
type RequestType = 'Create' | 'Update' | 'Delete';

interface RequestOptions {
  readonly kind?: 'serverless' | 'instance';
  readonly hash?: string;
  readonly oldHash?: string;
  readonly arn?: string;
  readonly physicalId?: string;
  /** Tables (AfterChange of a task) now and before the update. */
  readonly tables?: readonly { SchemaName: string; TableName: string }[];
  readonly oldTables?: readonly { SchemaName: string; TableName: string }[];
}

/** A custom resource request as the Provider framework passes it to onEvent. */
function request(type: RequestType, role: Role, options: RequestOptions = {}): Record<string, unknown> {
  const kind = options.kind ?? 'serverless';
  const arn = options.arn ?? (kind === 'serverless' ? CONFIG_ARN : TASK_ARN);
  const properties = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:framework-onEvent',
    Role: role,
    Kind: kind,
    ReplicationIdentifier: IDENTIFIER,
    SettingsHash: options.hash ?? 'hash-2',
    ...(role === 'AfterChange' ? { ReplicationArn: arn } : {}),
    ...(options.tables !== undefined ? { Tables: options.tables } : {}),
  };
  return {
    RequestType: type,
    ServiceToken: properties.ServiceToken,
    ResponseURL: '...',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/trackman-dev-replication/1',
    RequestId: 'c0ffee00-0000-4000-8000-000000000001',
    LogicalResourceId: `Control${role}`,
    ResourceType: `Custom::DmsReplication${role}`,
    ResourceProperties: properties,
    ...(type === 'Create'
      ? {}
      : {
          PhysicalResourceId:
            options.physicalId ?? (role === 'AfterChange' ? arn : `replication-control:${IDENTIFIER}`),
        }),
    ...(type === 'Update'
      ? {
          OldResourceProperties: {
            ...properties,
            SettingsHash: options.oldHash ?? 'hash-1',
            ...(options.oldTables !== undefined ? { Tables: options.oldTables } : {}),
          },
        }
      : {}),
  };
}

/** The event isComplete receives: the request with what onEvent returned merged in. */
function poll(onEventEvent: Record<string, unknown>, result: OnEventResult): Record<string, unknown> {
  return { ...onEventEvent, ...result };
}

/** An onEvent result as if onEvent had run `secondsAgo` seconds ago. */
function waited(result: OnEventResult, secondsAgo: number): OnEventResult {
  return {
    ...result,
    ReplicationControl: { ...result.ReplicationControl, requestedAt: Date.now() - secondsAgo * 1000 },
  };
}

function replication(Status: string, extra: Partial<Replication> = {}) {
  return {
    Replications: [
      { ReplicationConfigArn: CONFIG_ARN, ReplicationConfigIdentifier: IDENTIFIER, Status, ...extra },
    ],
  };
}

function describesAs(...statuses: ReturnType<typeof replication>[]) {
  let stub = dms.on(DescribeReplicationsCommand);
  for (const status of statuses) stub = stub.resolvesOnce(status);
  stub.resolves(statuses[statuses.length - 1]);
}

const HAS_RUN = {
  ReplicationStats: {
    FreshStartDate: new Date('2026-11-01T00:00:00Z'),
    StartDate: new Date('2026-11-01T00:00:00Z'),
  },
};

async function onEvent(event: Record<string, unknown>): Promise<OnEventResult> {
  return (await handler(event, context)) as OnEventResult;
}

async function isComplete(event: Record<string, unknown>): Promise<boolean> {
  return ((await handler(event, context)) as { IsComplete: boolean }).IsComplete;
}

async function failure(event: Record<string, unknown>): Promise<Error> {
  const error = await handler(event, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
  return error as Error;
}

describe('Create (AfterChange)', () => {
  it('starts a new serverless replication with start-replication and waits until it runs', async () => {
    describesAs(replication('created'));
    dms.on(StartReplicationCommand).resolves({});
    const event = request('Create', 'AfterChange');

    const result = await onEvent(event);

    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, {
      Filters: [{ Name: 'replication-config-arn', Values: [CONFIG_ARN] }],
    });
    expect(dms).toHaveReceivedCommandTimes(StartReplicationCommand, 1);
    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, {
      ReplicationConfigArn: CONFIG_ARN,
      StartReplicationType: 'start-replication',
    });
    expect(result.PhysicalResourceId).toBe(CONFIG_ARN);
    expect(result.ReplicationControl).toEqual({
      goal: 'running',
      arn: CONFIG_ARN,
      requestedAt: expect.any(Number),
      startIssued: true,
    });

    dms.reset();
    describesAs(
      replication('provisioning_capacity'),
      replication('replication_starting'),
      replication('running'),
    );
    expect(await isComplete(poll(event, result))).toBe(false);
    expect(await isComplete(poll(event, result))).toBe(false);
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).toHaveReceivedCommandTimes(StartReplicationCommand, 0);
  });

  it('starts a task on a replication instance with StartReplicationTask', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [
        { ReplicationTaskArn: TASK_ARN, ReplicationTaskIdentifier: IDENTIFIER, Status: 'ready' },
      ],
    });
    dms.on(StartReplicationTaskCommand).resolves({});

    const result = await onEvent(request('Create', 'AfterChange', { kind: 'instance' }));

    expect(dms).toHaveReceivedCommandWith(DescribeReplicationTasksCommand, {
      Filters: [{ Name: 'replication-task-arn', Values: [TASK_ARN] }],
      WithoutSettings: true,
    });
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, {
      ReplicationTaskArn: TASK_ARN,
      StartReplicationTaskType: 'start-replication',
    });
    expect(dms).toHaveReceivedCommandTimes(DescribeReplicationsCommand, 0);
    expect(result.ReplicationControl.startIssued).toBe(true);
  });

  it('does nothing to a replication that already runs', async () => {
    describesAs(replication('running', HAS_RUN));
    const event = request('Create', 'AfterChange');

    const result = await onEvent(event);

    expect(dms).toHaveReceivedCommandTimes(StartReplicationCommand, 0);
    expect(result.ReplicationControl.startIssued).toBe(false);
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).toHaveReceivedCommandTimes(StartReplicationCommand, 0);
  });

  it('fails with the replication named and DMS quoted when it fails to start', async () => {
    const event = request('Create', 'AfterChange');
    describesAs(replication('created'));
    dms.on(StartReplicationCommand).resolves({});
    const result = await onEvent(event);

    dms.reset();
    describesAs(
      replication('failed', {
        FailureMessages: [
          'Test connection failed for endpoint trackman-dev-source: FATAL password authentication failed',
        ],
      }),
    );
    // Just after the start DMS may still show the old status: not yet a verdict.
    expect(await isComplete(poll(event, result))).toBe(false);

    const error = await failure(poll(event, waited(result, 120)));
    expect(error.message).toBe(
      "DMS Serverless replication trackman-dev-dedb did not start: its status is 'failed'. DMS says: Test " +
        'connection failed for endpoint trackman-dev-source: FATAL password authentication failed. Fix the cause ' +
        '(see the runbook, "Starting and stopping the replication"), then deploy again.',
    );
    expect(dms).toHaveReceivedCommandTimes(StartReplicationCommand, 0);
  });

  it('keeps the failure message bounded when DMS says a lot', async () => {
    const event = request('Create', 'AfterChange');
    const result: OnEventResult = {
      PhysicalResourceId: CONFIG_ARN,
      ReplicationControl: {
        goal: 'running',
        arn: CONFIG_ARN,
        requestedAt: Date.now() - 600_000,
        startIssued: true,
      },
    };
    describesAs(
      replication('failed', {
        FailureMessages: ['x'.repeat(MB), 'y'.repeat(MB)],
        StopReason: 'z'.repeat(MB),
      }),
    );

    const error = await failure(poll(event, result));
    expect(error.message).toMatch(
      /^DMS Serverless replication trackman-dev-dedb did not start: .*DMS says: x+\.\.\./,
    );
  });

  it('fails when the replication is not in DMS', async () => {
    dms.on(DescribeReplicationsCommand).resolves({ Replications: [] });
    const error = await failure(request('Create', 'AfterChange'));
    expect(error.message).toBe(
      'DMS Serverless replication trackman-dev-dedb was not found in DMS, so it cannot be started.',
    );
  });
});

describe('Update', () => {
  it('with the same settings hash does nothing, before or after', async () => {
    for (const role of ['BeforeChange', 'AfterChange'] as const) {
      const event = request('Update', role, { hash: 'same', oldHash: 'same' });
      const result = await onEvent(event);
      expect(result.ReplicationControl.goal).toBe('none');
      expect(await isComplete(poll(event, result))).toBe(true);
    }
    expect(dms.calls()).toHaveLength(0);
  });

  it('with a new hash stops the replication (found by identifier), then resumes it after the change', async () => {
    const before = request('Update', 'BeforeChange');
    describesAs(replication('running', HAS_RUN));
    dms.on(StopReplicationCommand).resolves({});

    const stopping = await onEvent(before);

    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, {
      Filters: [{ Name: 'replication-config-id', Values: [IDENTIFIER] }],
    });
    expect(dms).toHaveReceivedCommandWith(StopReplicationCommand, { ReplicationConfigArn: CONFIG_ARN });
    expect(stopping.PhysicalResourceId).toBe(`replication-control:${IDENTIFIER}`);
    expect(stopping.ReplicationControl).toMatchObject({ goal: 'stopped', arn: CONFIG_ARN });

    dms.reset();
    describesAs(replication('stopping', HAS_RUN), replication('stopped', HAS_RUN));
    expect(await isComplete(poll(before, stopping))).toBe(false);
    expect(await isComplete(poll(before, stopping))).toBe(true);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, {
      Filters: [{ Name: 'replication-config-arn', Values: [CONFIG_ARN] }],
    });

    dms.reset();
    const after = request('Update', 'AfterChange');
    describesAs(replication('stopped', HAS_RUN));
    dms.on(StartReplicationCommand).resolves({});

    const resuming = await onEvent(after);

    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, {
      ReplicationConfigArn: CONFIG_ARN,
      StartReplicationType: 'resume-processing',
    });
    dms.reset();
    describesAs(replication('running', HAS_RUN));
    expect(await isComplete(poll(after, resuming))).toBe(true);
  });

  it('waits out a stop that DMS refuses in the current state, and sends it again on the next poll', async () => {
    const before = request('Update', 'BeforeChange');
    describesAs(replication('provisioning_capacity'));
    dms
      .on(StopReplicationCommand)
      .rejects(new InvalidResourceStateFault({ message: 'cannot stop now', $metadata: {} }));

    const stopping = await onEvent(before);
    expect(stopping.ReplicationControl.goal).toBe('stopped');

    dms.reset();
    describesAs(replication('running'));
    dms.on(StopReplicationCommand).resolves({});
    expect(await isComplete(poll(before, stopping))).toBe(false);
    expect(dms).toHaveReceivedCommandTimes(StopReplicationCommand, 1);
  });

  it('polls again when DMS denies a start while the new start/stop policy is still spreading', async () => {
    const after = request('Create', 'AfterChange');
    describesAs(replication('created'));
    const denied = Object.assign(new Error('not authorized to perform dms:StartReplication'), {
      name: 'AccessDeniedException',
      $metadata: {},
    });
    dms.on(StartReplicationCommand).rejects(denied);

    const starting = await onEvent(after);
    expect(starting.ReplicationControl.startIssued).toBe(false);

    dms.reset();
    describesAs(replication('created'));
    dms.on(StartReplicationCommand).resolves({});
    expect(await isComplete(poll(after, starting))).toBe(false);
    expect(dms).toHaveReceivedCommandWith(StartReplicationCommand, {
      StartReplicationType: 'start-replication',
    });
  });

  it('a task stopped for a modification is resumed with StartReplicationTask resume-processing', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [
        {
          ReplicationTaskArn: TASK_ARN,
          Status: 'stopped',
          ReplicationTaskStats: { FreshStartDate: new Date('2026-11-01T00:00:00Z') },
        },
      ],
    });
    dms.on(StartReplicationTaskCommand).resolves({});
    await onEvent(request('Update', 'AfterChange', { kind: 'instance' }));
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, {
      ReplicationTaskArn: TASK_ARN,
      StartReplicationTaskType: 'resume-processing',
    });
  });
});

describe('Delete', () => {
  it('AfterChange stops the replication and waits until it is stopped; BeforeChange does nothing', async () => {
    const event = request('Delete', 'AfterChange');
    describesAs(replication('running', HAS_RUN));
    dms.on(StopReplicationCommand).resolves({});

    const result = await onEvent(event);

    expect(dms).toHaveReceivedCommandWith(StopReplicationCommand, { ReplicationConfigArn: CONFIG_ARN });
    expect(result.PhysicalResourceId).toBe(CONFIG_ARN);
    dms.reset();
    describesAs(replication('stopping'), replication('stopped'));
    expect(await isComplete(poll(event, result))).toBe(false);
    expect(await isComplete(poll(event, result))).toBe(true);

    dms.reset();
    const before = await onEvent(request('Delete', 'BeforeChange'));
    expect(before.ReplicationControl.goal).toBe('none');
    expect(dms.calls()).toHaveLength(0);
  });

  it('of a replication already gone succeeds without a stop', async () => {
    dms
      .on(DescribeReplicationsCommand)
      .rejects(new ResourceNotFoundFault({ message: 'not found', $metadata: {} }));
    const event = request('Delete', 'AfterChange');

    const result = await onEvent(event);

    expect(result.ReplicationControl.goal).toBe('none');
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).toHaveReceivedCommandTimes(StopReplicationCommand, 0);
  });

  it('of a task already gone succeeds too (the stop itself says not found)', async () => {
    dms.on(DescribeReplicationTasksCommand).resolves({
      ReplicationTasks: [{ ReplicationTaskArn: TASK_ARN, Status: 'running' }],
    });
    dms.on(StopReplicationTaskCommand).rejects(new ResourceNotFoundFault({ message: 'gone', $metadata: {} }));
    const result = await onEvent(request('Delete', 'AfterChange', { kind: 'instance' }));
    expect(result.ReplicationControl.goal).toBe('stopped');
  });

  it('a stop that never ends fails with a clear message before the waiter gives up', async () => {
    const event = request('Delete', 'AfterChange');
    const result: OnEventResult = {
      PhysicalResourceId: CONFIG_ARN,
      ReplicationControl: { goal: 'stopped', arn: CONFIG_ARN, requestedAt: Date.now(), startIssued: false },
    };
    describesAs(replication('stopping'));
    expect(await isComplete(poll(event, waited(result, OWN_DEADLINE_SECONDS - 30)))).toBe(false);

    const error = await failure(poll(event, waited(result, OWN_DEADLINE_SECONDS + 1)));
    expect(error.message).toBe(
      "DMS Serverless replication trackman-dev-dedb did not stop within 54 minutes: DMS still reports 'stopping'. " +
        'DMS gives no failure message. Check it in the DMS console; the runbook\'s "Starting and stopping the ' +
        'replication" says how to finish by hand.',
    );
  });
});

describe('DMS errors', () => {
  it('a throttled describe in isComplete is polled again, not failed', async () => {
    const event = request('Create', 'AfterChange');
    const result: OnEventResult = {
      PhysicalResourceId: CONFIG_ARN,
      ReplicationControl: { goal: 'running', arn: CONFIG_ARN, requestedAt: Date.now(), startIssued: true },
    };
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    dms.on(DescribeReplicationsCommand).rejects(throttled);
    expect(await isComplete(poll(event, result))).toBe(false);
  });

  it('an access error on start that outlasts IAM propagation fails with a bounded message naming the action', async () => {
    describesAs(replication('created'));
    const denied = Object.assign(new Error(`not authorized ${'a'.repeat(MB)}`), {
      name: 'AccessDeniedException',
    });
    dms.on(StartReplicationCommand).rejects(denied);
    const create = request('Create', 'AfterChange');
    const first = await onEvent(create);
    const error = await failure(poll(create, waited(first, 200)));
    expect(error.message).toMatch(
      /^Start \(start-replication\) of DMS Serverless replication trackman-dev-dedb failed: AccessDeniedException: not authorized a+\.\.\.$/,
    );
  });
});

/** The handler's rejection of a malformed event: a bounded ValidationError, and no call to DMS. */
async function rejected(event: unknown): Promise<ValidationError> {
  const error = await handler(event, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
  expect(dms.calls()).toHaveLength(0);
  return error as ValidationError;
}

describe('malformed events', () => {
  it('an unknown kind is named, and DMS is not called', async () => {
    const event = request('Create', 'AfterChange');
    const props = { ...(event.ResourceProperties as Record<string, unknown>), Kind: 'provisioned' };
    const error = await rejected({ ...event, ResourceProperties: props });
    expect(error.problems).toEqual([
      'ResourceProperties.Kind: expected "serverless" or "instance"; received "provisioned"',
    ]);
  });

  it('an ARN of the other kind is rejected', async () => {
    const error = await rejected(request('Create', 'AfterChange', { kind: 'instance', arn: CONFIG_ARN }));
    expect(error.problems).toEqual([
      `ResourceProperties.ReplicationArn: expected a task ARN, as Kind is "instance"; received "${CONFIG_ARN}"`,
    ]);
  });

  it('an AfterChange without ARN is rejected', async () => {
    const event = request('Create', 'AfterChange');
    const props = { ...(event.ResourceProperties as Record<string, unknown>) };
    delete props.ReplicationArn;
    const error = await rejected({ ...event, ResourceProperties: props });
    expect(error.problems).toEqual([
      'ResourceProperties.ReplicationArn: expected the replication ARN (AfterChange takes it from the replication resource); received nothing',
    ]);
  });

  it('a 3 MB identifier and many wrong fields make a short message', async () => {
    const event = request('Create', 'BeforeChange');
    const error = await rejected({
      ...event,
      RequestType: 'Replace',
      LogicalResourceId: 42,
      ResourceProperties: {
        Role: 'r'.repeat(3 * MB),
        Kind: 'k'.repeat(3 * MB),
        ReplicationIdentifier: '-'.repeat(3 * MB),
        SettingsHash: '',
      },
    });
    expect(error.problems).toHaveLength(3);
    expect(error.omitted).toBeGreaterThan(0);
  });

  it('an isComplete event with a damaged onEvent result is rejected', async () => {
    const event = request('Create', 'AfterChange');
    const error = await rejected({
      ...event,
      PhysicalResourceId: CONFIG_ARN,
      ReplicationControl: { goal: 'sideways' },
    });
    expect(error.problems[0]).toBe(
      'ReplicationControl.goal: expected "running", "stopped" or "none"; received "sideways"',
    );
  });

  it('not an object at all', async () => {
    const error = await rejected('x'.repeat(3 * MB));
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^\(event\): expected a CloudFormation custom resource request; received "x+\.\.\.$/,
      ),
    ]);
  });
});

describe('a task that gains tables', () => {
  const table = (name: string) => ({ SchemaName: 'public', TableName: name });
  const old = [table('shots')];
  const task = (Status: string) => ({
    ReplicationTasks: [
      {
        ReplicationTaskArn: TASK_ARN,
        Status,
        ReplicationTaskStats: { FreshStartDate: new Date('2026-11-01T00:00:00Z') },
      },
    ],
  });
  const stats = (...entries: [string, string, Date?][]) => ({
    TableStatistics: entries.map(([name, TableState, FullLoadStartTime]) => ({
      SchemaName: 'public',
      TableName: name,
      TableState,
      FullLoadStartTime,
    })),
  });
  const update = (tables: { SchemaName: string; TableName: string }[]) =>
    request('Update', 'AfterChange', { kind: 'instance', tables, oldTables: old });

  it('resumes it, then reloads the new table once it runs, and is done when the load shows', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('stopped'));
    dms.on(StartReplicationTaskCommand).resolves({});
    const result = await onEvent(event);
    expect(result.ReplicationControl.reloadTables).toEqual([table('bays')]);
    expect(dms).toHaveReceivedCommandWith(StartReplicationTaskCommand, {
      StartReplicationTaskType: 'resume-processing',
    });

    dms.reset();
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    dms.on(DescribeTableStatisticsCommand).resolves(stats(['shots', 'Table completed', new Date(0)]));
    dms.on(ReloadTablesCommand).resolves({});
    expect(await isComplete(poll(event, result))).toBe(false);
    expect(dms).toHaveReceivedCommandWith(ReloadTablesCommand, {
      ReplicationTaskArn: TASK_ARN,
      TablesToReload: [table('bays')],
      ReloadOption: 'data-reload',
    });

    dms.reset();
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    dms.on(DescribeTableStatisticsCommand).resolves(stats(['bays', 'Table is being reloaded']));
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).not.toHaveReceivedCommand(ReloadTablesCommand);
  });

  it('sends no reload when DMS loads the new table by itself on resume', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('stopped'));
    dms.on(StartReplicationTaskCommand).resolves({});
    const result = await onEvent(event);
    dms.reset();
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    dms.on(DescribeTableStatisticsCommand).resolves(stats(['bays', 'Table completed', new Date()]));
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).not.toHaveReceivedCommand(ReloadTablesCommand);
  });

  it('reloads ten tables a poll, the next ten once those show their load', async () => {
    const added = Array.from({ length: 12 }, (_, i) => table(`t${i}`));
    const event = update([...old, ...added]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('stopped'));
    dms.on(StartReplicationTaskCommand).resolves({});
    const result = await onEvent(event);
    dms.reset();
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    dms.on(DescribeTableStatisticsCommand).resolves({ TableStatistics: [] });
    dms.on(ReloadTablesCommand).resolves({});
    expect(await isComplete(poll(event, result))).toBe(false);
    const sent = () => dms.commandCalls(ReloadTablesCommand).map((call) => call.args[0].input.TablesToReload);
    expect(sent()).toEqual([added.slice(0, 10)]);

    dms.reset();
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    dms
      .on(DescribeTableStatisticsCommand)
      .resolves(
        stats(...added.slice(0, 10).map(({ TableName }): [string, string] => [TableName, 'Full load'])),
      );
    dms.on(ReloadTablesCommand).resolves({});
    expect(await isComplete(poll(event, result))).toBe(false);
    expect(sent()).toEqual([added.slice(10)]);
  });

  it('fails, naming the table and its state, when a gained table cannot load', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    const result = waited(await onEvent(event), 60);
    dms.on(DescribeTableStatisticsCommand).resolves(stats(['bays', 'Table error', new Date()]));
    const error = await failure(poll(event, result));
    expect(error.message).toMatch(/cannot load: public\.bays \(Table error\)/);
    expect(dms).not.toHaveReceivedCommand(ReloadTablesCommand);
  });

  it('finds a gained table under the target schema the mappings rename to', async () => {
    const base = update([...old, table('bays')]);
    const event = {
      ...base,
      ResourceProperties: {
        ...(base.ResourceProperties as Record<string, unknown>),
        TargetSchema: 'trackman',
      },
    };
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    const result = waited(await onEvent(event), 60);
    dms.on(DescribeTableStatisticsCommand).resolves({
      TableStatistics: [{ SchemaName: 'trackman', TableName: 'bays', TableState: 'Full load' }],
    });
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).not.toHaveReceivedCommand(ReloadTablesCommand);
  });

  it('polls again when DMS refuses the reload in its current state', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    const result = waited(await onEvent(event), 60);
    dms.on(DescribeTableStatisticsCommand).resolves({ TableStatistics: [] });
    dms.on(ReloadTablesCommand).rejects(new InvalidResourceStateFault({ message: 'not yet', $metadata: {} }));
    expect(await isComplete(poll(event, result))).toBe(false);
  });

  it('fails, naming the call, when the table statistics cannot be read', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    const result = waited(await onEvent(event), 600);
    const denied = Object.assign(new Error('not authorized to perform dms:DescribeTableStatistics'), {
      name: 'AccessDeniedFault',
    });
    dms.on(DescribeTableStatisticsCommand).rejects(denied);
    const error = await failure(poll(event, result));
    expect(error.message).toMatch(/DescribeTableStatistics/);
    expect(dms).not.toHaveReceivedCommand(ReloadTablesCommand);
  });

  it('gives up after its own deadline, naming the tables that show no load', async () => {
    const event = update([...old, table('bays')]);
    dms.on(DescribeReplicationTasksCommand).resolves(task('running'));
    const result = waited(await onEvent(event), OWN_DEADLINE_SECONDS + 1);
    dms.on(DescribeTableStatisticsCommand).resolves({ TableStatistics: [] });
    const error = await failure(poll(event, result));
    expect(error.message).toMatch(/1 table\(s\) it gained show no load .*public\.bays/);
  });

  it('reloads nothing when the previous properties listed no tables (an older construct)', async () => {
    const event = request('Update', 'AfterChange', { kind: 'instance', tables: [...old, table('bays')] });
    dms.on(DescribeReplicationTasksCommand).resolves(task('stopped'));
    dms.on(StartReplicationTaskCommand).resolves({});
    const result = await onEvent(event);
    expect(result.ReplicationControl).not.toHaveProperty('reloadTables');
  });

  it('rejects a malformed table list, naming the field', async () => {
    const error = await rejected(
      request('Update', 'AfterChange', {
        kind: 'instance',
        tables: [{ SchemaName: '', TableName: 'x' }] as never,
      }),
    );
    expect(error.message).toMatch(
      /ResourceProperties\.Tables\[0\]\.SchemaName: expected a schema name; received ""/,
    );
    expect(dms.calls()).toHaveLength(0);
  });
});

describe('a switch from DMS Serverless to a task', () => {
  it('BeforeChange stops the old serverless replication, and polls it with the serverless API', async () => {
    const base = request('Update', 'BeforeChange', { kind: 'instance' });
    const event = {
      ...base,
      OldResourceProperties: {
        ...(base.OldResourceProperties as Record<string, unknown>),
        Kind: 'serverless',
        ReplicationIdentifier: `${IDENTIFIER}-1a2b3c4d`,
      },
    };
    describesAs(replication('running', HAS_RUN));
    dms.on(StopReplicationCommand).resolves({});
    const result = await onEvent(event);
    expect(dms).toHaveReceivedCommandWith(DescribeReplicationsCommand, {
      Filters: [{ Name: 'replication-config-id', Values: [`${IDENTIFIER}-1a2b3c4d`] }],
    });
    expect(dms).toHaveReceivedCommandWith(StopReplicationCommand, { ReplicationConfigArn: CONFIG_ARN });
    expect(dms).not.toHaveReceivedCommand(DescribeReplicationTasksCommand);
    expect(result.ReplicationControl).toMatchObject({ goal: 'stopped', kind: 'serverless', arn: CONFIG_ARN });

    dms.reset();
    describesAs(replication('stopped', HAS_RUN));
    expect(await isComplete(poll(event, result))).toBe(true);
    expect(dms).not.toHaveReceivedCommand(DescribeReplicationTasksCommand);
  });
});
