/** The pure modules: timestamps, lag arithmetic, reconciliation windows and input checks. */
import { parseProbeInput } from '../../../lambda/freshness-probe/input';
import { keyedReplicaLag, lakeLag, timedReplicaLag, utcMillis } from '../../../lambda/freshness-probe/lag';
import { metricRecords } from '../../../lambda/freshness-probe/metrics';
import { parseWatermark } from '../../../lambda/freshness-probe/watermark';
import {
  closedHour,
  gapRows,
  replicaPastRange,
  watermarkWindow,
} from '../../../lambda/freshness-probe/windows';

const NOW = Date.parse('2024-05-01T12:34:56Z');

function wm(doc: Record<string, unknown>) {
  return parseWatermark(
    JSON.stringify({
      schema_version: 2,
      source: 's1-x',
      schema: 'public',
      table: 't',
      bookmark_kind: 'update-timestamp',
      rows: 5,
      started_at: '2024-05-01T12:00:00.000Z',
      finished_at: '2024-05-01T12:03:00.000Z',
      position: '2024-05-01T11:59:00.000000Z',
      complete_as_of: '2024-05-01T11:59:00.000000Z',
      range: {
        lower: '2024-05-01T11:44:00.000000Z',
        upper: '2024-05-01T11:59:00.000000Z',
        lower_inclusive: true,
        upper_inclusive: false,
      },
      horizon: { held_reason: null },
      ...doc,
    }),
    { source: 's1-x', schema: 'public', table: 't' },
  );
}

describe('timestamps and lag', () => {
  it('reads microseconds and either separator', () => {
    expect(utcMillis('2024-05-01T00:00:00.000250Z', 'x') - utcMillis('2024-05-01 00:00:00', 'x')).toBeCloseTo(
      0.25,
    );
    expect(() => utcMillis('May 1st', 'complete_as_of')).toThrow('complete_as_of: expected a UTC timestamp');
  });

  it('lake lag: exact from complete_as_of, from the position when an update-timestamp horizon is held', () => {
    expect(lakeLag(wm({}), NOW)).toEqual({ seconds: 35 * 60 + 56, bound: 'exact' });
    const held = wm({ complete_as_of: null, horizon: { held_reason: 'open transaction' } });
    expect(lakeLag(held, NOW)).toMatchObject({ seconds: 35 * 60 + 56, bound: 'exact' });
    const heldKey = wm({
      bookmark_kind: 'increasing-key',
      position: 7,
      complete_as_of: null,
      horizon: { held_reason: 'x' },
    });
    expect(lakeLag(heldKey, NOW)).toMatchObject({ seconds: 34 * 60 + 56, bound: 'lower-bound' });
  });

  it('timed replica lag is 0 when nothing is missing, a lower bound when the replica has nothing in the window', () => {
    expect(timedReplicaLag('2024-05-01T12:00:00.000000', null, true)).toEqual({ seconds: 0, bound: 'exact' });
    expect(timedReplicaLag('2024-05-01T12:00:00.000000', '2024-05-01T11:58:30.000000', false)).toMatchObject({
      seconds: 90,
      bound: 'lower-bound',
    });
  });

  it('keyed replica lag compares keys beyond 2^53 exactly', () => {
    const big = '9007199254740993';
    expect(keyedReplicaLag(big, '9007199254740992', undefined, NOW)).toMatchObject({
      seconds: 0,
      bound: 'lower-bound',
    });
    expect(keyedReplicaLag(big, big, undefined, NOW)).toEqual({ seconds: 0, bound: 'exact' });
    expect(
      keyedReplicaLag(big, '5', { position: '10', completeAsOf: '2024-05-01T12:30:00Z' }, NOW),
    ).toMatchObject({ seconds: 296, bound: 'lower-bound' });
  });
});

describe('reconciliation windows', () => {
  it('the closed hour ends at least one SLO ago', () => {
    expect(closedHour(NOW, 30)).toEqual({
      lower: '2024-05-01 11:00:00.000000',
      upper: '2024-05-01 12:00:00.000000',
      lowerInclusive: true,
      upperInclusive: false,
    });
    expect(closedHour(NOW, 40).upper).toBe('2024-05-01 11:00:00.000000');
  });

  it('the watermark range, or why not', () => {
    expect(watermarkWindow(wm({}))).toEqual({
      window: {
        lower: '2024-05-01 11:44:00.000000',
        upper: '2024-05-01 11:59:00.000000',
        lowerInclusive: true,
        upperInclusive: false,
      },
    });
    expect(watermarkWindow(wm({ range: null }))).toEqual({
      skipped: 'a snapshot table: its watermark has no range',
    });
    expect(watermarkWindow(wm({ horizon: { held_reason: 'x' } }))).toMatchObject({
      skipped: expect.stringContaining('held'),
    });
    const first = wm({ range: { lower: null, upper: 9, lower_inclusive: false, upper_inclusive: true } });
    expect(watermarkWindow(first)).toEqual({ skipped: 'the first load: the range has no lower end' });
  });

  it('holds the replica to a key range once past it or one SLO after it closed', () => {
    const window = { lower: '5', upper: '9', lowerInclusive: false, upperInclusive: true };
    expect(replicaPastRange(window, '10', null, NOW, 30)).toBe(true);
    expect(replicaPastRange(window, '9', '2024-05-01T12:10:00Z', NOW, 30)).toBe(false);
    expect(replicaPastRange(window, '9', '2024-05-01T12:04:56Z', NOW, 30)).toBe(true);
    expect(gapRows(4, 6)).toBe(0);
    expect(gapRows(6, 4)).toBe(2);
  });
});

describe('input', () => {
  const source = {
    name: 'trackman-backend',
    engine: 'postgres',
    host: 'db.example',
    port: 5432,
    database: 'trackman',
    secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:r-AbCdEf',
    tables: [
      { schema: 'public', name: 'shots', kind: 'increasing-key', column: 'id', replicaSchema: 'public' },
    ],
  };
  const input = { mode: 'freshness', slo: { lakeMinutes: 60, replicaMinutes: 30 }, sources: [source] };

  it('requires dataengineering-db when a table is replicated', () => {
    expect(() => parseProbeInput(input)).toThrow(
      'replica: expected dataengineering-db { host, port, database, secretArn }, since tables name a replicaSchema; received nothing',
    );
  });

  it('requires a column exactly for incremental tables', () => {
    const snapshotWithColumn = {
      ...input,
      sources: [{ ...source, tables: [{ schema: 'public', name: 'f', kind: 'snapshot', column: 'id' }] }],
    };
    expect(() => parseProbeInput(snapshotWithColumn)).toThrow(
      'sources[0].tables[0].column: expected a column for an incremental table',
    );
  });
});

describe('metric records', () => {
  const measured = [
    {
      source: 's',
      table: 'public.a',
      destination: 'lake' as const,
      lag: { seconds: 120, bound: 'exact' as const },
      failures: [],
      notes: [],
    },
    {
      source: 's',
      table: 'public.b',
      destination: 'lake' as const,
      lag: { seconds: 600, bound: 'exact' as const },
      failures: ['x'],
      notes: [],
    },
  ];
  const summaryOf = (records: ReturnType<typeof metricRecords>) =>
    records.find((r) => Object.keys(r.dimensions).length === 1 && r.dimensions.destination === 'lake');

  it('summarises a destination with the worst lag and the number of failed measurements', () => {
    const summary = summaryOf(metricRecords(measured));
    expect(summary?.values).toEqual([
      { name: 'LagSeconds', unit: 'Seconds', value: 600 },
      { name: 'ProbeFailures', unit: 'Count', value: 1 },
    ]);
  });

  it('a reconciliation run also publishes its heartbeat, which the heartbeat alarm needs', () => {
    const summary = summaryOf(metricRecords(measured, 'reconciliation'));
    expect(summary?.values).toContainEqual({ name: 'ReconciliationRuns', unit: 'Count', value: 1 });
    expect(summaryOf(metricRecords(measured, 'freshness'))?.values.map((v) => v.name)).not.toContain(
      'ReconciliationRuns',
    );
  });
});
