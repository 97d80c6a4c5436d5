/**
 * One run of the probe over every table of its input. The AWS and database
 * access comes in through ProbeDeps, so the tests run it against the real local
 * servers with mocked S3. Whatever fails (a server, a secret, a table, a
 * watermark) becomes a failure of the measurements that needed it; the run
 * itself never throws for it and goes on with the other tables.
 */
import type { Destination, ProbeInput, ProbeReplica, ProbeSource, ProbeTable } from './contract';
import { keyedReplicaLag, lakeLag, timedReplicaLag, utcMillis, type Lag } from './lag';
import {
  clockSql,
  countOf,
  countWindowSql,
  greatestKeySql,
  newestSinceSql,
  oldestAfterSql,
  single,
  type Database,
  type TableRef,
} from './queries';
import type { Watermark } from './watermark';
import { closedHour, gapRows, replicaPastRange, sqlTimestamp, watermarkWindow, type Window } from './windows';

export interface ProbeDeps {
  readonly now: () => number;
  /** The table's watermark; undefined when there is none (the object does not exist). */
  readonly readWatermark: (source: string, table: ProbeTable) => Promise<Watermark | undefined>;
  readonly openSource: (source: ProbeSource) => Promise<Database>;
  readonly openReplica: (replica: ProbeReplica) => Promise<Database>;
  /**
   * Epoch ms after which no new table is measured; the ones left are reported as failed.
   * @default - no deadline
   */
  readonly deadline?: number;
}

/** What was found for one table and destination. */
export interface Measurement {
  readonly source: string;
  /** `schema.name` in the source. */
  readonly table: string;
  readonly destination: Destination;
  lag?: Lag;
  /** Lake only: 1 when the lag is a lower bound (horizon held) or unknown (no watermark). */
  lagUnknown?: 0 | 1;
  gapRows?: number;
  /** What could not be measured and why; each is one probe failure. */
  readonly failures: string[];
  readonly notes: string[];
}

/** The replica-lag search looks this many replication SLOs back; older changes read as "at least". */
export const REPLICA_WINDOW_SLOS = 2;

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** A database opened on first use, at most once per run; its failure is remembered. */
class Lazy {
  private opened?: Promise<Database>;
  constructor(private readonly open: () => Promise<Database>) {}
  get(): Promise<Database> {
    this.opened ??= this.open();
    return this.opened;
  }
  async close(): Promise<void> {
    if (this.opened === undefined) return;
    const db = await this.opened.catch(() => undefined);
    await db?.close().catch(() => undefined);
  }
}

function measurement(source: string, table: ProbeTable, destination: Destination): Measurement {
  return { source, table: `${table.schema}.${table.name}`, destination, failures: [], notes: [] };
}

async function attempt(m: Measurement, what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    m.failures.push(`${what}: ${errorText(error)}`);
  }
}

async function measureLake(
  input: ProbeInput,
  deps: ProbeDeps,
  source: ProbeSource,
  table: ProbeTable,
  sourceDb: Lazy,
): Promise<{ lake: Measurement; watermark?: Watermark; sourceCount?: { window: Window; rows: number } }> {
  const lake = measurement(source.name, table, 'lake');
  let watermark: Watermark | undefined;
  let sourceCount: { window: Window; rows: number } | undefined;
  await attempt(lake, 'watermark', async () => {
    watermark = await deps.readWatermark(source.name, table);
    if (watermark === undefined) {
      lake.lagUnknown = 1;
      lake.notes.push('no watermark: the table has not landed yet, or its watermark was deleted');
      return;
    }
    lake.lag = lakeLag(watermark, deps.now());
    lake.lagUnknown = lake.lag.bound === 'exact' ? 0 : 1;
    if (lake.lag.note !== undefined) lake.notes.push(lake.lag.note);
  });
  if (input.mode === 'reconciliation' && watermark !== undefined && table.column !== undefined) {
    const choice = watermarkWindow(watermark);
    if ('skipped' in choice) {
      lake.notes.push(`not reconciled: ${choice.skipped}`);
    } else {
      const landed = watermark.rows;
      await attempt(lake, 'source count', async () => {
        const db = await sourceDb.get();
        const rows = countOf(
          await db.query(countWindowSql(db.engine, table, table.column!, choice.window), [
            choice.window.lower,
            choice.window.upper,
          ]),
        );
        sourceCount = { window: choice.window, rows };
        lake.gapRows = gapRows(rows, landed);
        if (rows !== landed) lake.notes.push(`watermark range: source ${rows} rows, lake ${landed}`);
      });
    }
  }
  return { lake, watermark, sourceCount };
}

async function timedReplica(
  input: ProbeInput,
  m: Measurement,
  table: ProbeTable,
  column: string,
  source: Database,
  replica: Database,
  replicaTable: TableRef,
): Promise<void> {
  const sourceNow = single(await source.query(clockSql(source.engine), []), 'now');
  if (sourceNow === null) throw new Error('the source returned no clock');
  const nowMs = utcMillis(sourceNow, 'source clock');
  const windowStart = sqlTimestamp(nowMs - REPLICA_WINDOW_SLOS * input.slo.replicaMinutes * 60_000);
  const newest = single(
    await replica.query(newestSinceSql(replica.engine, replicaTable, column), [windowStart]),
    'newest',
  );
  const after = newest === null ? windowStart : newest.replace('T', ' ');
  const rows = await source.query(oldestAfterSql(source.engine, table, column, newest === null), [after]);
  const oldest = single(rows, 'oldest');
  m.lag = timedReplicaLag(single(rows, 'now') ?? sourceNow, oldest, newest !== null);
  if (m.lag.note !== undefined) m.notes.push(m.lag.note);

  if (input.mode === 'reconciliation' && table.kind === 'update-timestamp') {
    const window = closedHour(nowMs, input.slo.replicaMinutes);
    const params = [window.lower, window.upper];
    const onSource = countOf(
      await source.query(countWindowSql(source.engine, table, column, window), params),
    );
    const onReplica = countOf(
      await replica.query(countWindowSql(replica.engine, replicaTable, column, window), params),
    );
    m.gapRows = gapRows(onSource, onReplica);
    if (onSource !== onReplica)
      m.notes.push(`hour from ${window.lower}: source ${onSource} rows, replica ${onReplica}`);
  }
}

async function keyedReplica(
  input: ProbeInput,
  deps: ProbeDeps,
  m: Measurement,
  table: ProbeTable,
  column: string,
  source: Database,
  replica: Database,
  replicaTable: TableRef,
  watermark: Watermark | undefined,
  sourceCount: { window: Window; rows: number } | undefined,
): Promise<void> {
  const onSource = single(await source.query(greatestKeySql(source.engine, table, column), []), 'greatest');
  const onReplica = single(
    await replica.query(greatestKeySql(replica.engine, replicaTable, column), []),
    'greatest',
  );
  const nowMs = deps.now();
  if (table.timeColumn === undefined) {
    m.lag = keyedReplicaLag(onSource, onReplica, watermark, nowMs);
    if (m.lag.note !== undefined) m.notes.push(m.lag.note);
  }
  if (input.mode !== 'reconciliation' || watermark === undefined) return;
  const choice = watermarkWindow(watermark);
  if ('skipped' in choice) {
    m.notes.push(`not reconciled: ${choice.skipped}`);
    return;
  }
  if (!replicaPastRange(choice.window, onReplica, watermark.completeAsOf, nowMs, input.slo.replicaMinutes)) {
    m.notes.push('not reconciled: the replica may still be applying the watermark range');
    return;
  }
  const params = [choice.window.lower, choice.window.upper];
  const sourceRows =
    sourceCount?.window === choice.window
      ? sourceCount.rows
      : countOf(await source.query(countWindowSql(source.engine, table, column, choice.window), params));
  const replicaRows = countOf(
    await replica.query(countWindowSql(replica.engine, replicaTable, column, choice.window), params),
  );
  m.gapRows = gapRows(sourceRows, replicaRows);
  if (sourceRows !== replicaRows)
    m.notes.push(`watermark range: source ${sourceRows} rows, replica ${replicaRows}`);
}

async function probeSource(
  input: ProbeInput,
  deps: ProbeDeps,
  source: ProbeSource,
  replicaDb: Lazy | undefined,
): Promise<Measurement[]> {
  const sourceDb = new Lazy(() => deps.openSource(source));
  const results: Measurement[] = [];
  try {
    for (const table of source.tables) {
      if (deps.deadline !== undefined && deps.now() > deps.deadline) {
        const reason = 'not measured: the run used its time budget before this table (a slow source?)';
        for (const destination of table.replicaSchema === undefined
          ? (['lake'] as const)
          : (['lake', 'dataengineering-db'] as const)) {
          const skipped = measurement(source.name, table, destination);
          skipped.failures.push(reason);
          results.push(skipped);
        }
        continue;
      }
      const { lake, watermark, sourceCount } = await measureLake(input, deps, source, table, sourceDb);
      results.push(lake);
      if (table.replicaSchema === undefined) continue;
      const m = measurement(source.name, table, 'dataengineering-db');
      results.push(m);
      if (table.column === undefined) {
        m.notes.push(
          'a snapshot table: no column to measure replica lag by (the DMS latency alarms watch it)',
        );
        continue;
      }
      if (replicaDb === undefined) {
        m.failures.push('dataengineering-db: not in the input');
        continue;
      }
      const replicaTable = { schema: table.replicaSchema, name: table.name };
      const column = table.column;
      await attempt(m, 'replica lag', async () => {
        const [s, r] = await Promise.all([sourceDb.get(), replicaDb.get()]);
        if (table.kind === 'increasing-key') {
          await keyedReplica(input, deps, m, table, column, s, r, replicaTable, watermark, sourceCount);
        }
        const timeColumn = table.kind === 'update-timestamp' ? column : table.timeColumn;
        if (timeColumn !== undefined) await timedReplica(input, m, table, timeColumn, s, r, replicaTable);
      });
    }
  } finally {
    await sourceDb.close();
  }
  return results;
}

/** Measures every table of the input; sources in parallel, each source's tables one after another. */
export async function runProbe(input: ProbeInput, deps: ProbeDeps): Promise<Measurement[]> {
  const replica = input.replica;
  const replicaDb = replica === undefined ? undefined : new Lazy(() => deps.openReplica(replica));
  try {
    const perSource = await Promise.all(
      input.sources.map((source) => probeSource(input, deps, source, replicaDb)),
    );
    return perSource.flat();
  } finally {
    await replicaDb?.close();
  }
}
