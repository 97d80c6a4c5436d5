/**
 * What to do about a replication: the plan a CloudFormation request makes,
 * and the next step toward its goal given what DMS reports. Pure functions.
 *
 * Statuses. A DMS Serverless replication reports 'created' before its first
 * start, then 'initializing', 'preparing_metadata_resources',
 * 'testing_connection', 'fetching_metadata', 'calculating_capacity',
 * 'provisioning_capacity', 'replication_starting' and 'running'; then
 * 'stopping' and 'stopped', or 'failed'. A task reports 'creating', 'ready',
 * 'starting', 'running', 'stopping', 'stopped', 'failed', 'modifying',
 * 'moving', 'deleting', 'testing' and 'failed-move'. Any other status is
 * waited out, never acted on.
 */
import { OWN_DEADLINE_SECONDS, SETTLE_SECONDS } from './contract';
import type { ReplicationKind } from './contract';
import type { ControlRequest, Goal, SourceTable } from './event';
import { failedToStart, notFound, timedOut } from './message';
import type { ReplicationState, StartType } from './replication';

/** On the way to 'running'. */
const STARTING = new Set([
  'starting',
  'initializing',
  'preparing_metadata_resources',
  'testing_connection',
  'fetching_metadata',
  'calculating_capacity',
  'provisioning_capacity',
  'replication_starting',
]);
/** Nothing runs: CloudFormation may modify or delete it, and it can be started. */
const AT_REST = new Set(['created', 'ready', 'stopped', 'failed']);

export type StatusClass = 'running' | 'starting' | 'at-rest' | 'stopping' | 'busy';

export function classify(status: string): StatusClass {
  if (status === 'running') return 'running';
  if (STARTING.has(status)) return 'starting';
  if (AT_REST.has(status)) return 'at-rest';
  if (status === 'stopping') return 'stopping';
  return 'busy';
}

/** What a request asks for. `lookup`: how the replication is found. */
export type Plan =
  | { readonly goal: 'none'; readonly why: string }
  | {
      readonly goal: Goal;
      readonly lookup: { readonly arn: string } | { readonly identifier: string };
      readonly why: string;
      /**
       * Start a replication that has run before with reload-target, not resume-processing:
       * another replication has loaded its target tables since it last ran.
       */
      readonly reloadIfRun?: boolean;
      /** Tables a task's modification added: see addedTables. */
      readonly reloadTables?: readonly SourceTable[];
      /** The kind of the replication to look up and act on, when not the resource's: see planRequest. */
      readonly kind?: ReplicationKind;
    };

/**
 * BeforeChange: on Update with a new settings hash or identifier, stop the
 * replication found by the OLD identifier: a task so CloudFormation can modify
 * it; a DMS Serverless replication, which cannot be modified once started,
 * because a new one (a new identifier) replaces it and must not run beside it. AfterChange: on
 * Create start it; on Update with a new hash or a new replication, have it
 * running again; on Delete stop it so CloudFormation can delete it.
 */
export function planRequest(request: ControlRequest): Plan {
  const { role, identifier, arn, settingsHash } = request.properties;
  const hashChanged = request.old?.settingsHash !== settingsHash;
  if (role === 'BeforeChange') {
    // The replication resource depends on this one, so its ARN is not ours to take: find it by identifier.
    if (request.requestType !== 'Update') {
      return { goal: 'none', why: `nothing to do before a ${request.requestType}` };
    }
    const oldIdentifier = request.old?.identifier ?? identifier;
    // A switch between DMS Serverless and a task: the replication to stop is of the old kind.
    const oldKind = request.old?.kind ?? request.properties.kind;
    return hashChanged || oldIdentifier !== identifier || oldKind !== request.properties.kind
      ? {
          goal: 'stopped',
          lookup: { identifier: oldIdentifier },
          why:
            oldIdentifier === identifier && oldKind === request.properties.kind
              ? 'its settings change: stop it for the modification'
              : 'a new replication replaces it: stop it first',
          ...(oldKind !== request.properties.kind ? { kind: oldKind } : {}),
        }
      : { goal: 'none', why: 'its settings are unchanged' };
  }
  const lookup = arn === undefined ? { identifier } : { arn };
  // Only a task is modified in place; a new serverless replication loads every table anyway.
  const added =
    request.properties.kind === 'instance' ? addedTables(request.old?.tables, request.properties.tables) : [];
  switch (request.requestType) {
    case 'Create':
      return { goal: 'running', lookup, why: 'created: start it' };
    case 'Delete':
      return { goal: 'stopped', lookup, why: 'to be deleted: stop it first' };
    case 'Update':
      if (request.old?.arn !== arn) {
        // Usually a new replication (never run: start-replication). On a rollback it is the older
        // generation again, whose target tables the newer one has truncated and reloaded in the
        // meantime: resuming it would apply changes on top of a partial load, so reload it.
        return { goal: 'running', lookup, why: 'replaced: start the new one', reloadIfRun: true };
      }
      if (!hashChanged) return { goal: 'none', why: 'its settings are unchanged' };
      return added.length > 0
        ? {
            goal: 'running',
            lookup,
            why: `modified: have it running again and load the ${added.length} table(s) it gained`,
            reloadTables: added,
          }
        : { goal: 'running', lookup, why: 'modified: have it running again' };
  }
}

export type Step =
  | { readonly kind: 'done' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'start'; readonly type: StartType }
  | { readonly kind: 'stop' }
  | { readonly kind: 'fail'; readonly reason: string };

/** How the replication is named in messages. */
export interface Subject {
  readonly name: string;
  readonly kindLabel: string;
}

/** What the waiting so far tells. */
export interface Progress {
  /** Seconds since onEvent ran. */
  readonly elapsedSeconds: number;
  /** Whether a start was sent: by onEvent, or seen by DMS's start time being after the request. */
  readonly started: boolean;
}

const START = (state: ReplicationState, reloadIfRun: boolean): Step => ({
  kind: 'start',
  // DMS: start-replication is the only valid first start; resume-processing continues from the last
  // stop; reload-target loads every table again, then goes on with CDC.
  type: !state.hasRun ? 'start-replication' : reloadIfRun ? 'reload-target' : 'resume-processing',
});

/**
 * The next step toward `goal`. Idempotent: it only asks for what is missing,
 * so onEvent and every isComplete poll can call it on a fresh description.
 * @param progress undefined in onEvent (nothing sent yet), set in isComplete
 */
export function nextStep(
  goal: Goal,
  state: ReplicationState | undefined,
  subject: Subject,
  progress?: Progress,
  reloadIfRun = false,
): Step {
  if (state === undefined) {
    return goal === 'stopped' ? { kind: 'done' } : { kind: 'fail', reason: notFound(subject) };
  }
  const status = classify(state.status);
  const step =
    goal === 'running' ? towardRunning(state, status, subject, progress, reloadIfRun) : towardStopped(status);
  if (
    (step.kind === 'wait' || step.kind === 'start' || step.kind === 'stop') &&
    progress !== undefined &&
    progress.elapsedSeconds > OWN_DEADLINE_SECONDS
  ) {
    return { kind: 'fail', reason: timedOut(subject, goal, state, OWN_DEADLINE_SECONDS) };
  }
  return step;
}

function towardRunning(
  state: ReplicationState,
  status: StatusClass,
  subject: Subject,
  progress: Progress | undefined,
  reloadIfRun: boolean,
): Step {
  switch (status) {
    case 'running':
      return { kind: 'done' };
    case 'starting':
    case 'stopping':
    case 'busy':
      return { kind: 'wait' };
    case 'at-rest':
      if (progress === undefined || !progress.started) return START(state, reloadIfRun);
      // A start was sent: DMS may not have moved yet; after a while at rest is the outcome.
      if (progress.elapsedSeconds < SETTLE_SECONDS) return { kind: 'wait' };
      return { kind: 'fail', reason: failedToStart(subject, state) };
  }
}

function towardStopped(status: StatusClass): Step {
  switch (status) {
    case 'at-rest':
      return { kind: 'done' };
    case 'running':
    case 'starting':
      return { kind: 'stop' };
    case 'stopping':
    case 'busy':
      return { kind: 'wait' };
  }
}

/** Whether DMS shows a start at or after `requestedAt` (epoch ms). */
export function startedSince(state: ReplicationState | undefined, requestedAt: number): boolean {
  return state?.lastStartedAt !== undefined && state.lastStartedAt.getTime() >= requestedAt;
}

const tableKey = (table: SourceTable) => JSON.stringify([table.SchemaName, table.TableName]);

/**
 * The tables a modified task gained. Resuming a task continues CDC from where it stopped; a table that
 * was not in its mappings then has no full load to continue from, so it is reloaded once the task runs
 * (ReloadTables; TRUNCATE_BEFORE_LOAD makes a second load harmless should DMS have started one). Nothing
 * when either list is unknown: a construct from before the list existed names no tables.
 */
export function addedTables(
  before: readonly SourceTable[] | undefined,
  after: readonly SourceTable[] | undefined,
): SourceTable[] {
  if (before === undefined || after === undefined) return [];
  const had = new Set(before.map(tableKey));
  return after.filter((table) => !had.has(tableKey(table)));
}

/** What DMS's table statistics say of one table's full load. */
export interface TableLoad {
  readonly schemaName: string;
  readonly tableName: string;
  /** TableState, e.g. 'Before load', 'Full load', 'Table is being reloaded', 'Table completed'. */
  readonly state?: string;
  readonly fullLoadStartedAt?: Date;
}

/** States in which a table's (re)load is under way. */
const LOADING = new Set(['before load', 'full load', 'table is being reloaded']);
/** States in which a table will not load however often it is reloaded: the deploy fails, naming it. */
const BROKEN = new Set(['table error', 'table does not exist', 'table cancelled']);

export type ReloadStep =
  | { readonly kind: 'done' }
  | { readonly kind: 'reload'; readonly tables: SourceTable[] }
  | { readonly kind: 'fail'; readonly tables: SourceTable[]; readonly states: string[] };

/**
 * Whether the added tables still need a reload: done once each shows a load under way or one that
 * started at or after `requestedAt` (epoch ms); a failure when one is in a state no reload mends;
 * otherwise the ones to reload, at most `batch` of them (the next poll sends the rest).
 * @param targetSchema the schema the mappings rename the source schemas to, if any: the statistics may
 *   name a table by it, so a table counts under either name
 */
export function reloadStep(
  tables: readonly SourceTable[],
  loads: readonly TableLoad[],
  requestedAt: number,
  options: { readonly targetSchema?: string; readonly batch?: number } = {},
): ReloadStep {
  const byKey = new Map(
    loads.map((load) => [tableKey({ SchemaName: load.schemaName, TableName: load.tableName }), load]),
  );
  const loadOf = (table: SourceTable) =>
    byKey.get(tableKey(table)) ??
    (options.targetSchema === undefined
      ? undefined
      : byKey.get(tableKey({ SchemaName: options.targetSchema, TableName: table.TableName })));
  const broken = tables.filter((table) => BROKEN.has((loadOf(table)?.state ?? '').toLowerCase()));
  if (broken.length > 0) {
    return { kind: 'fail', tables: broken, states: broken.map((table) => loadOf(table)?.state ?? '') };
  }
  const missing = tables.filter((table) => {
    const load = loadOf(table);
    if (load === undefined) return true;
    if (LOADING.has((load.state ?? '').toLowerCase())) return false;
    return load.fullLoadStartedAt === undefined || load.fullLoadStartedAt.getTime() < requestedAt;
  });
  if (missing.length === 0) return { kind: 'done' };
  return { kind: 'reload', tables: options.batch === undefined ? missing : missing.slice(0, options.batch) };
}
