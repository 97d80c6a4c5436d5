/**
 * replication-control: the onEvent and isComplete handler of the custom
 * resources that start, stop and resume a DMS replication around
 * CloudFormation's changes to it (lib/constructs/replication-control.ts).
 *
 * One function serves both roles of the CDK Provider framework: an isComplete
 * call carries what onEvent returned (under `ReplicationControl`), an onEvent
 * call never does. onEvent plans, looks at the replication and sends the first
 * start or stop; isComplete looks again each poll and reports done, waits,
 * sends what is still missing, or fails with a reason that names the
 * replication and quotes DMS.
 */
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { instrumentHandler, logger, metrics, MetricUnit, tracer } from '../shared/powertools';
import { truncate, ValidationError } from '../shared/validation';
import { MAX_REASON_LENGTH, OWN_DEADLINE_SECONDS, RELOAD_BATCH } from './contract';
import { nextStep, planRequest, reloadStep, startedSince, type Step } from './decide';
import {
  isPollEvent,
  parsePoll,
  parseRequest,
  WAIT_KEY,
  type ControlRequest,
  type SourceTable,
  type WaitState,
} from './event';
import { dmsError, subjectOf } from './message';
import { replicationApi, type ReplicationApi, type ReplicationState } from './replication';

// Throttling and 5xx answers are retried by the SDK (standard mode, with backoff) before they reach us.
const dms = tracer.captureAWSv3Client(new DatabaseMigrationServiceClient({ maxAttempts: 6 }));

/** What onEvent returns to the framework: merged into the event that isComplete receives. */
export interface OnEventResult {
  readonly PhysicalResourceId: string;
  readonly [WAIT_KEY]: WaitState;
}

export interface IsCompleteResult {
  readonly IsComplete: boolean;
}

/** A failure meant for the stack events: its message is the reason CloudFormation shows. */
export class ControlError extends Error {
  constructor(message: string) {
    super(truncate(message, MAX_REASON_LENGTH));
    this.name = 'ControlError';
  }
}

/** DMS refuses a start or stop in the current state: the next poll looks again. */
function isInvalidState(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidResourceStateFault';
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundFault';
}

/** Errors the SDK gave up retrying that are still worth another poll. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }).$metadata;
  return (
    /Throttl|TooManyRequests|RequestLimitExceeded/.test(error.name) ||
    (meta?.httpStatusCode ?? 0) >= 500 ||
    (error as { $retryable?: unknown }).$retryable !== undefined
  );
}

/**
 * Seconds after a request during which DMS's AccessDenied is taken for IAM still spreading the
 * start/stop policy created just before (IAM changes are eventually consistent), and polled again.
 */
export const IAM_PROPAGATION_SECONDS = 120;

function isAccessDenied(error: unknown): boolean {
  return error instanceof Error && /AccessDenied/.test(error.name);
}

function physicalIdOf(request: ControlRequest): string {
  const { role, identifier, arn } = request.properties;
  if (
    request.requestType !== 'Create' &&
    request.physicalId !== undefined &&
    (role === 'BeforeChange' || request.requestType === 'Delete')
  ) {
    return request.physicalId;
  }
  // AfterChange is the replication's ARN: a replaced replication makes a new one, and CloudFormation then
  // deletes the old AfterChange, which stops the old replication before it is deleted.
  return role === 'AfterChange' && arn !== undefined ? arn : `replication-control:${identifier}`;
}

/**
 * Sends what `step` asks for. A start or stop that DMS refuses in the current
 * state becomes a wait; a stop of a replication that is gone is done.
 * @returns the step as it turned out
 */
async function act(
  api: ReplicationApi,
  state: ReplicationState | undefined,
  step: Step,
  subject: ReturnType<typeof subjectOf>,
  requestedAt: number,
): Promise<Step> {
  if (step.kind === 'fail') throw new ControlError(step.reason);
  if (state === undefined || (step.kind !== 'start' && step.kind !== 'stop')) return step;
  const action = step.kind === 'start' ? `Start (${step.type})` : 'Stop';
  try {
    if (step.kind === 'start') await api.start(state.arn, step.type);
    else await api.stop(state.arn);
  } catch (error) {
    if (isInvalidState(error)) {
      logger.info('DMS refused the action in the current state; polling again', {
        action,
        status: state.status,
      });
      return { kind: 'wait' };
    }
    if (step.kind === 'stop' && isNotFound(error)) return { kind: 'done' };
    if (isAccessDenied(error) && (Date.now() - requestedAt) / 1000 < IAM_PROPAGATION_SECONDS) {
      logger.warn('DMS denied the action; the policy may still be spreading, polling again', { action });
      return { kind: 'wait' };
    }
    throw new ControlError(dmsError(subject, action, error));
  }
  metrics.addDimension('action', step.kind);
  metrics.addMetric('ReplicationControlAction', MetricUnit.Count, 1);
  logger.info('Sent to DMS', { action, arn: state.arn, status: state.status });
  return step;
}

async function onEvent(event: unknown): Promise<OnEventResult> {
  const request = parseRequest(event);
  const { role, kind, identifier } = request.properties;
  const plan = planRequest(request);
  const requestedAt = Date.now();
  const physicalId = physicalIdOf(request);
  logger.info('Replication control request', {
    role,
    kind,
    identifier,
    requestType: request.requestType,
    goal: plan.goal,
    why: plan.why,
  });
  if (plan.goal === 'none') {
    return { PhysicalResourceId: physicalId, [WAIT_KEY]: { goal: 'none', requestedAt, startIssued: false } };
  }

  // The replication acted on: of the old kind when a switch of kind replaces it (BeforeChange).
  const actedKind = plan.kind ?? kind;
  const subject = subjectOf(
    actedKind,
    plan.lookup && 'identifier' in plan.lookup ? plan.lookup.identifier : identifier,
  );
  const api = replicationApi(actedKind, dms);
  const state = await api.find(plan.lookup);
  logger.info('Replication found', {
    identifier,
    kind: actedKind,
    found: state !== undefined,
    status: state?.status,
  });
  if (state === undefined && plan.goal === 'stopped') {
    return { PhysicalResourceId: physicalId, [WAIT_KEY]: { goal: 'none', requestedAt, startIssued: false } };
  }
  const reloadIfRun = plan.reloadIfRun ?? false;
  const step = await act(
    api,
    state,
    nextStep(plan.goal, state, subject, undefined, reloadIfRun),
    subject,
    requestedAt,
  );
  return {
    PhysicalResourceId: physicalId,
    [WAIT_KEY]: {
      goal: plan.goal,
      arn: state?.arn,
      requestedAt,
      startIssued: step.kind === 'start',
      ...(reloadIfRun ? { reloadIfRun } : {}),
      ...(plan.reloadTables !== undefined ? { reloadTables: plan.reloadTables } : {}),
      ...(actedKind !== kind ? { kind: actedKind } : {}),
    },
  };
}

/**
 * Once a modified task runs again: reloads the tables it gained that show no load since the request.
 * @returns true when every one shows its load under way or begun
 */
async function loadAddedTables(
  api: ReplicationApi,
  arn: string,
  tables: readonly SourceTable[],
  subject: ReturnType<typeof subjectOf>,
  requestedAt: number,
  targetSchema: string | undefined,
): Promise<boolean> {
  let loads;
  try {
    loads = await api.tableLoads(arn, tables);
  } catch (error) {
    const young = (Date.now() - requestedAt) / 1000 < IAM_PROPAGATION_SECONDS;
    if (isTransient(error) || (isAccessDenied(error) && young)) {
      logger.warn('DMS table statistics not read; polling again', {
        error: error instanceof Error ? error.name : 'unknown',
      });
      return false;
    }
    throw new ControlError(dmsError(subject, 'DescribeTableStatistics', error));
  }
  const step = reloadStep(tables, loads, requestedAt, { targetSchema, batch: RELOAD_BATCH });
  if (step.kind === 'done') return true;
  const names = (list: readonly SourceTable[]) =>
    list.map((t) => `${t.SchemaName}.${t.TableName}`).join(', ');
  if (step.kind === 'fail') {
    throw new ControlError(
      `${subject.kindLabel} ${subject.name} runs again, but table(s) it gained cannot load: ` +
        step.tables.map((t, i) => `${t.SchemaName}.${t.TableName} (${step.states[i]})`).join(', ') +
        ". Fix the cause in the task's table statistics and log, then reload them (ReloadTables).",
    );
  }
  if ((Date.now() - requestedAt) / 1000 > OWN_DEADLINE_SECONDS) {
    throw new ControlError(
      `${subject.kindLabel} ${subject.name} runs again, but ${step.tables.length} table(s) it gained show no load ` +
        `after ${OWN_DEADLINE_SECONDS} s: ${names(step.tables)}. ` +
        "Reload them (ReloadTables) and check the task's table statistics.",
    );
  }
  const action = 'ReloadTables';
  try {
    await api.reloadTables(arn, step.tables);
  } catch (error) {
    // Not running yet, or DMS does not list the table yet: the next poll looks again.
    if (isInvalidState(error) || isNotFound(error)) {
      logger.info('DMS refused the reload for now; polling again', { tables: step.tables.length });
      return false;
    }
    if (isAccessDenied(error) && (Date.now() - requestedAt) / 1000 < IAM_PROPAGATION_SECONDS) return false;
    throw new ControlError(dmsError(subject, action, error));
  }
  metrics.addDimension('action', 'reload');
  metrics.addMetric('ReplicationControlAction', MetricUnit.Count, 1);
  logger.info('Sent to DMS', { action, arn, tables: step.tables.length });
  return false;
}

async function isComplete(event: unknown): Promise<IsCompleteResult> {
  const request = parsePoll(event);
  const { wait } = request;
  if (wait.goal === 'none' || wait.arn === undefined) return { IsComplete: true };
  const { identifier } = request.properties;
  const kind = wait.kind ?? request.properties.kind;
  const subject = subjectOf(kind, identifier);
  const api = replicationApi(kind, dms);

  let state: ReplicationState | undefined;
  try {
    state = await api.find({ arn: wait.arn });
  } catch (error) {
    if (!isTransient(error)) throw new ControlError(dmsError(subject, 'Describe', error));
    logger.warn('DMS describe failed transiently; polling again', {
      error: error instanceof Error ? error.name : 'unknown',
    });
    return { IsComplete: false };
  }
  const progress = {
    elapsedSeconds: (Date.now() - wait.requestedAt) / 1000,
    started: wait.startIssued || startedSince(state, wait.requestedAt),
  };
  const step = await act(
    api,
    state,
    nextStep(wait.goal, state, subject, progress, wait.reloadIfRun ?? false),
    subject,
    wait.requestedAt,
  );
  logger.info('Replication control poll', {
    identifier,
    goal: wait.goal,
    status: state?.status,
    step: step.kind,
  });
  if (step.kind === 'done' && wait.goal === 'running' && wait.reloadTables?.length && state !== undefined) {
    return {
      IsComplete: await loadAddedTables(
        api,
        state.arn,
        wait.reloadTables,
        subject,
        wait.requestedAt,
        request.properties.targetSchema,
      ),
    };
  }
  return { IsComplete: step.kind === 'done' };
}

export const handler = instrumentHandler(
  'replication-control',
  async (event): Promise<OnEventResult | IsCompleteResult> => {
    try {
      return isPollEvent(event) ? await isComplete(event) : await onEvent(event);
    } catch (error) {
      if (error instanceof ValidationError) logger.error('Rejected event', { problems: error.problems });
      else if (error instanceof ControlError)
        logger.error('Replication control failed', { reason: error.message });
      // The message becomes the stack event's reason: keep it within what CloudFormation shows.
      if (error instanceof Error) error.message = truncate(error.message, MAX_REASON_LENGTH);
      throw error;
    }
  },
);
