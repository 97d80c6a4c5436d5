import { OWN_DEADLINE_SECONDS, SETTLE_SECONDS } from '../../../lambda/replication-control/contract';
import {
  addedTables,
  classify,
  nextStep,
  planRequest,
  reloadStep,
  startedSince,
} from '../../../lambda/replication-control/decide';
import type { ControlRequest } from '../../../lambda/replication-control/event';
import type { ReplicationState } from '../../../lambda/replication-control/replication';

const ARN = 'arn:aws:dms:eu-west-1:111111111111:replication-config:ABC';
const SUBJECT = { name: 'trackman-dev-dedb', kindLabel: 'DMS Serverless replication' };

function req(
  requestType: ControlRequest['requestType'],
  role: 'BeforeChange' | 'AfterChange',
  old?: ControlRequest['old'],
): ControlRequest {
  return {
    requestType,
    logicalId: 'X',
    properties: {
      role,
      kind: 'serverless',
      identifier: 'trackman-dev-dedb',
      arn: role === 'AfterChange' ? ARN : undefined,
      settingsHash: 'new',
    },
    old,
  };
}

const state = (status: string, extra: Partial<ReplicationState> = {}): ReplicationState => ({
  arn: ARN,
  status,
  hasRun: false,
  failureMessages: [],
  ...extra,
});

describe('planRequest', () => {
  it.each([
    ['Create', 'BeforeChange', undefined, 'none'],
    ['Delete', 'BeforeChange', { settingsHash: 'old' }, 'none'],
    ['Update', 'BeforeChange', { settingsHash: 'new', arn: undefined }, 'none'],
    ['Update', 'BeforeChange', { settingsHash: 'old' }, 'stopped'],
    ['Create', 'AfterChange', undefined, 'running'],
    ['Update', 'AfterChange', { settingsHash: 'new', arn: ARN }, 'none'],
    ['Update', 'AfterChange', { settingsHash: 'old', arn: ARN }, 'running'],
    ['Update', 'AfterChange', { settingsHash: 'new', arn: `${ARN}OLD` }, 'running'],
    ['Delete', 'AfterChange', { settingsHash: 'new', arn: ARN }, 'stopped'],
  ] as const)('%s of %s (old %j): %s', (type, role, old, goal) => {
    expect(planRequest(req(type, role, old)).goal).toBe(goal);
  });

  it('BeforeChange looks the replication up by identifier, AfterChange by ARN', () => {
    expect(planRequest(req('Update', 'BeforeChange', { settingsHash: 'old' }))).toMatchObject({
      lookup: { identifier: 'trackman-dev-dedb' },
    });
    expect(planRequest(req('Create', 'AfterChange'))).toMatchObject({ lookup: { arn: ARN } });
  });

  it('BeforeChange stops the replication a new one replaces, found by its old identifier', () => {
    // DMS Serverless: new tables or settings make a new identifier; the old replication must stop first.
    expect(
      planRequest(
        req('Update', 'BeforeChange', { settingsHash: 'old', identifier: 'trackman-dev-dedb-0ld' }),
      ),
    ).toMatchObject({ goal: 'stopped', lookup: { identifier: 'trackman-dev-dedb-0ld' } });
    expect(
      planRequest(
        req('Update', 'BeforeChange', { settingsHash: 'new', identifier: 'trackman-dev-dedb-0ld' }),
      ),
    ).toMatchObject({ goal: 'stopped', lookup: { identifier: 'trackman-dev-dedb-0ld' } });
  });
});

describe('starting after a replacement', () => {
  it('a new replication gets start-replication; an older generation back on a rollback is reloaded', () => {
    const plan = planRequest(req('Update', 'AfterChange', { settingsHash: 'old', arn: `${ARN}OLD` }));
    expect(plan).toMatchObject({ goal: 'running', reloadIfRun: true });
    expect(nextStep('running', state('created'), SUBJECT, undefined, true)).toEqual({
      kind: 'start',
      type: 'start-replication',
    });
    // Its target tables were truncated and loaded by the newer one: resuming would miss rows.
    expect(nextStep('running', state('stopped', { hasRun: true }), SUBJECT, undefined, true)).toEqual({
      kind: 'start',
      type: 'reload-target',
    });
  });

  it('a modified replication in place resumes', () => {
    expect(planRequest(req('Update', 'AfterChange', { settingsHash: 'old', arn: ARN }))).not.toHaveProperty(
      'reloadIfRun',
    );
    expect(nextStep('running', state('stopped', { hasRun: true }), SUBJECT)).toEqual({
      kind: 'start',
      type: 'resume-processing',
    });
  });
});

describe('classify', () => {
  it.each([
    ['running', 'running'],
    ['provisioning_capacity', 'starting'],
    ['starting', 'starting'],
    ['created', 'at-rest'],
    ['ready', 'at-rest'],
    ['failed', 'at-rest'],
    ['stopping', 'stopping'],
    ['modifying', 'busy'],
    ['something-new', 'busy'],
  ])('%s is %s', (status, expected) => expect(classify(status)).toBe(expected));
});

describe('nextStep', () => {
  it('starts a replication that never ran with start-replication, one that ran with resume-processing', () => {
    expect(nextStep('running', state('created'), SUBJECT)).toEqual({
      kind: 'start',
      type: 'start-replication',
    });
    expect(nextStep('running', state('stopped', { hasRun: true }), SUBJECT)).toEqual({
      kind: 'start',
      type: 'resume-processing',
    });
  });

  it('never sends a start or stop to a replication in between', () => {
    for (const goal of ['running', 'stopped'] as const) {
      expect(nextStep(goal, state('modifying'), SUBJECT)).toEqual({ kind: 'wait' });
      expect(nextStep(goal, state('stopping'), SUBJECT)).toEqual({ kind: 'wait' });
    }
  });

  it('sends a start deferred by onEvent once the replication is at rest, and not again once DMS shows it', () => {
    const deferred = { elapsedSeconds: 200, started: false };
    expect(nextStep('running', state('stopped', { hasRun: true }), SUBJECT, deferred)).toMatchObject({
      kind: 'start',
    });
    const after = { elapsedSeconds: SETTLE_SECONDS + 1, started: true };
    expect(nextStep('running', state('stopped', { hasRun: true }), SUBJECT, after)).toMatchObject({
      kind: 'fail',
    });
  });

  it('stops a running or starting replication, and is done with one at rest or gone', () => {
    expect(nextStep('stopped', state('running'), SUBJECT)).toEqual({ kind: 'stop' });
    expect(nextStep('stopped', state('initializing'), SUBJECT)).toEqual({ kind: 'stop' });
    expect(nextStep('stopped', state('failed'), SUBJECT)).toEqual({ kind: 'done' });
    expect(nextStep('stopped', undefined, SUBJECT)).toEqual({ kind: 'done' });
  });

  it('gives up after its own deadline, and only when still waiting', () => {
    const late = { elapsedSeconds: OWN_DEADLINE_SECONDS + 1, started: true };
    expect(nextStep('running', state('provisioning_capacity'), SUBJECT, late)).toMatchObject({
      kind: 'fail',
    });
    expect(nextStep('running', state('running'), SUBJECT, late)).toEqual({ kind: 'done' });
    const inTime = { elapsedSeconds: OWN_DEADLINE_SECONDS - 1, started: true };
    expect(nextStep('running', state('provisioning_capacity'), SUBJECT, inTime)).toEqual({ kind: 'wait' });
  });
});

describe('startedSince', () => {
  it('compares DMS start time with the request time', () => {
    const at = Date.parse('2026-11-30T10:00:00Z');
    expect(startedSince(state('stopped', { lastStartedAt: new Date(at + 1000) }), at)).toBe(true);
    expect(startedSince(state('stopped', { lastStartedAt: new Date(at - 1000) }), at)).toBe(false);
    expect(startedSince(state('stopped'), at)).toBe(false);
  });
});

describe('tables a modified task gained', () => {
  const shots = { SchemaName: 'public', TableName: 'shots' };
  const bays = { SchemaName: 'public', TableName: 'bays' };
  const sessions = { SchemaName: 'booking', TableName: 'sessions' };
  const task = (
    old: ControlRequest['old'],
    tables: ControlRequest['properties']['tables'],
  ): ControlRequest => ({
    requestType: 'Update',
    logicalId: 'X',
    properties: {
      role: 'AfterChange',
      kind: 'instance',
      identifier: 'trackman-prod-dedb',
      arn: ARN.replace('replication-config', 'task'),
      settingsHash: 'new',
      tables,
    },
    old,
  });

  it('addedTables: the ones not there before, by schema and name; none when either list is unknown', () => {
    expect(addedTables([shots], [shots, bays, sessions])).toEqual([bays, sessions]);
    expect(addedTables([shots, bays], [shots])).toEqual([]);
    expect(addedTables([{ SchemaName: 'booking', TableName: 'shots' }], [shots])).toEqual([shots]);
    expect(addedTables(undefined, [shots])).toEqual([]);
    expect(addedTables([shots], undefined)).toEqual([]);
  });

  it('planRequest: an in-place modification of a task that gains tables resumes it and reloads them', () => {
    const arn = ARN.replace('replication-config', 'task');
    expect(planRequest(task({ settingsHash: 'old', arn, tables: [shots] }, [shots, bays]))).toMatchObject({
      goal: 'running',
      reloadTables: [bays],
    });
    expect(
      planRequest(task({ settingsHash: 'old', arn, tables: [shots, bays] }, [shots])),
    ).not.toHaveProperty('reloadTables');
    // Same settings: nothing to do, whatever the lists say.
    expect(planRequest(task({ settingsHash: 'new', arn, tables: [] }, [shots])).goal).toBe('none');
  });

  it('planRequest: a serverless replication never reloads (a new one loads every table)', () => {
    const request = req('Update', 'AfterChange', { settingsHash: 'old', arn: ARN, tables: [] });
    expect(
      planRequest({ ...request, properties: { ...request.properties, tables: [shots] } }),
    ).not.toHaveProperty('reloadTables');
  });

  it('reloadStep: done once every table shows a load under way or begun since the request', () => {
    const at = Date.parse('2026-11-30T10:00:00Z');
    const load = (table: typeof shots, state: string, startedAt?: number) => ({
      schemaName: table.SchemaName,
      tableName: table.TableName,
      state,
      fullLoadStartedAt: startedAt === undefined ? undefined : new Date(startedAt),
    });
    // Not listed yet, or only an old load: both need a reload.
    expect(reloadStep([shots, bays], [load(shots, 'Table completed', at - 1000)], at)).toEqual({
      kind: 'reload',
      tables: [shots, bays],
    });
    // DMS loads it (after resume, or our reload): under way.
    expect(reloadStep([shots], [load(shots, 'Full load')], at)).toEqual({ kind: 'done' });
    expect(reloadStep([shots], [load(shots, 'Table is being reloaded')], at)).toEqual({ kind: 'done' });
    expect(reloadStep([shots], [load(shots, 'Before load')], at)).toEqual({ kind: 'done' });
    // Already loaded since the request.
    expect(reloadStep([shots], [load(shots, 'Table completed', at + 1000)], at)).toEqual({ kind: 'done' });
    // A same-named table of another schema does not count.
    expect(reloadStep([shots], [{ ...load(shots, 'Full load'), schemaName: 'booking' }], at)).toEqual({
      kind: 'reload',
      tables: [shots],
    });
  });
});

describe('a switch between DMS Serverless and a task', () => {
  it('BeforeChange stops the replication of the old kind, by its old identifier', () => {
    const request: ControlRequest = {
      requestType: 'Update',
      logicalId: 'X',
      properties: {
        role: 'BeforeChange',
        kind: 'instance',
        identifier: 'trackman-prod-src',
        settingsHash: 'b',
      },
      old: { settingsHash: 'a', kind: 'serverless', identifier: 'trackman-prod-src-1a2b3c4d' },
    };
    expect(planRequest(request)).toMatchObject({
      goal: 'stopped',
      kind: 'serverless',
      lookup: { identifier: 'trackman-prod-src-1a2b3c4d' },
    });
  });

  it('a plan of the same kind names none', () => {
    expect(planRequest(req('Update', 'BeforeChange', { settingsHash: 'old' }))).not.toHaveProperty('kind');
  });
});
