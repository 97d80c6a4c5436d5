/**
 * The lake freshness SLO as arithmetic over the ingestion settings, per source.
 *
 * Each run ingests every source's tables side by side (one Map per source in
 * a Parallel state), a source's tables at most `slots` at a time, where
 *
 *   connections per table = the source's largest readPartitions + 1 (its horizon query)
 *   slots                 = min(maxConcurrency, floor(maxConnections / connections per table))
 *
 * A table's run normally takes expectedTableMinutes (e); at worst it takes
 *
 *   attempt = jobTimeout + startupAllowance
 *   table   = maxAttempts x attempt + the retry waits              (A)
 *
 * With the other tables of its source taking e, a table starts within
 *
 *   start   = (tables - 1) x e / slots                              (W)
 *
 * of the run's start: a Map keeps every slot busy, so a table waits at most
 * for the others' work spread over the slots (list scheduling). The run's
 * queue is done by W + e, which must fit in one schedule interval, or two
 * runs' queues would overlap and hold twice the connections.
 *
 * A row committed just after a run began reading table X waits for X's next
 * read: X's run ends by W + A after that run's start, the first tick after
 * that finds X idle, X starts within W of that tick and lands within A:
 *
 *   worst case = ceil((W + A) / interval) x interval + W + A + commit lag
 *
 * A slow table holds only its own slot: the others keep their starts, and
 * the tick that finds it still running skips it (one run per job) and reads
 * the rest. The runs do not wait for one another. An update-timestamp read
 * stops commitLagSeconds before the server clock, so a row becomes readable
 * that much after its timestamp. A transaction held open on the source holds
 * the horizon with it; that delay is unbounded by design (nothing is
 * skipped) and is what the freshness alarms watch, as they watch tables that
 * take longer than expectedTableMinutes.
 */

/** The parts of an environment's config the budget reads. */
export interface LakeBudgetInput {
  readonly ingestion: {
    readonly scheduleIntervalMinutes: number;
    readonly jobTimeoutMinutes: number;
    readonly startupAllowanceMinutes: number;
    readonly maxAttempts: number;
    readonly retryIntervalSeconds: number;
    readonly retryBackoffRate: number;
    readonly retryMaxDelaySeconds: number;
    readonly maxConcurrency: number;
    readonly expectedTableMinutes: number;
  };
  readonly slo: { readonly lakeFreshnessMinutes: number };
  readonly sources: readonly {
    readonly name: string;
    readonly maxConnections: number;
    readonly commitLagSeconds?: number;
    readonly tables: readonly { readonly lake: { readonly readPartitions: number } }[];
  }[];
}

/** One source's share of the budget. */
export interface SourceBudget {
  readonly source: string;
  readonly tables: number;
  /** Connections one table's run may hold: its reads and its horizon query. */
  readonly connectionsPerTable: number;
  /** Tables of this source a run reads at once (the Map's MaxConcurrency). */
  readonly slots: number;
  /** Latest start of a table after its run's start, the others taking expectedTableMinutes (W). */
  readonly startMinutes: number;
  /** When the run's tables are done at expected durations (W + e); at most one interval. */
  readonly queueMinutes: number;
  /** Schedule ticks a row waits for its table's next read: ceil((W + A) / interval). */
  readonly ticks: number;
  /** Worst-case minutes from insert to landed for this source's tables. */
  readonly worstCaseMinutes: number;
  readonly commitLagSeconds: number;
}

export interface LakeBudget {
  /** Seconds the retry waits of one table add up to, each capped at the max delay. */
  readonly retryWaitSeconds: number;
  /** Longest one table can take within a run, all attempts included (A, minutes). */
  readonly tableMinutes: number;
  readonly sources: readonly SourceBudget[];
  /**
   * Longest one workflow run can take (minutes), its timeout: every table at its worst case, the
   * slots of each source filled round after round (a source down or hanging makes every table slow).
   */
  readonly runMinutes: number;
  /** The largest worst case of any source (minutes). */
  readonly worstCaseMinutes: number;
  readonly sloMinutes: number;
}

/** Waits before attempts 2..n, as Step Functions computes them (interval x rate^k, capped). */
export function retryWaitsSeconds(ingestion: LakeBudgetInput['ingestion']): number[] {
  const waits: number[] = [];
  for (let retry = 0; retry < ingestion.maxAttempts - 1; retry++) {
    const wait = ingestion.retryIntervalSeconds * ingestion.retryBackoffRate ** retry;
    waits.push(Math.min(wait, ingestion.retryMaxDelaySeconds));
  }
  return waits;
}

/** Connections one table's run of a source may hold: the widest read plus the horizon query. */
export function connectionsPerTable(source: LakeBudgetInput['sources'][number]): number {
  return Math.max(1, ...source.tables.map((table) => table.lake.readPartitions)) + 1;
}

/** Tables of a source a run reads at once. */
export function sourceSlots(
  source: LakeBudgetInput['sources'][number],
  ingestion: Pick<LakeBudgetInput['ingestion'], 'maxConcurrency'>,
): number {
  return Math.min(ingestion.maxConcurrency, Math.floor(source.maxConnections / connectionsPerTable(source)));
}

export function lakeBudget(config: LakeBudgetInput): LakeBudget {
  const ingestion = config.ingestion;
  // Whole seconds throughout, so float error cannot push a run over an interval boundary.
  const retryWaitSeconds = Math.ceil(retryWaitsSeconds(ingestion).reduce((a, b) => a + b, 0));
  const tableSeconds =
    ingestion.maxAttempts * (ingestion.jobTimeoutMinutes + ingestion.startupAllowanceMinutes) * 60 +
    retryWaitSeconds;
  const intervalSeconds = ingestion.scheduleIntervalMinutes * 60;
  const expectedSeconds = Math.ceil(ingestion.expectedTableMinutes * 60);
  const sources = config.sources.map((source): SourceBudget => {
    const slots = Math.max(1, sourceSlots(source, ingestion));
    const startSeconds = Math.ceil((Math.max(0, source.tables.length - 1) * expectedSeconds) / slots);
    const commitLagSeconds = source.commitLagSeconds ?? 0;
    const ticks = Math.max(1, Math.ceil((startSeconds + tableSeconds) / intervalSeconds));
    const worstSeconds = ticks * intervalSeconds + startSeconds + tableSeconds + commitLagSeconds;
    return {
      source: source.name,
      tables: source.tables.length,
      connectionsPerTable: connectionsPerTable(source),
      slots,
      startMinutes: startSeconds / 60,
      queueMinutes: (startSeconds + expectedSeconds) / 60,
      ticks,
      worstCaseMinutes: worstSeconds / 60,
      commitLagSeconds,
    };
  });
  // Every table at its worst case: rounds of slots, each as long as one table can take.
  const longestRounds = Math.max(1, ...sources.map((source) => Math.ceil(source.tables / source.slots)));
  return {
    retryWaitSeconds,
    tableMinutes: tableSeconds / 60,
    sources,
    runMinutes: (longestRounds * tableSeconds) / 60,
    worstCaseMinutes: Math.max(0, ...sources.map((source) => source.worstCaseMinutes)),
    sloMinutes: config.slo.lakeFreshnessMinutes,
  };
}

export interface BudgetIssue {
  readonly path: (string | number)[];
  readonly input: unknown;
  readonly message: string;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Why the ingestion settings cannot meet the lake SLO, as config issues (empty when they can). */
export function lakeBudgetIssues(config: LakeBudgetInput): BudgetIssue[] {
  const i = config.ingestion;
  // Out-of-range values are reported by their own fields; a budget over them would only add noise.
  const usable =
    [i.scheduleIntervalMinutes, i.maxConcurrency, i.maxAttempts, config.slo.lakeFreshnessMinutes].every(
      (n) => Number.isFinite(n) && n >= 1,
    ) &&
    Number.isFinite(i.expectedTableMinutes) &&
    i.expectedTableMinutes > 0;
  const sourcesUsable = config.sources.every(
    (source) =>
      Number.isInteger(source.maxConnections) &&
      source.maxConnections >= 2 &&
      source.maxConnections <= 1000 &&
      source.tables.every(
        (table) =>
          Number.isInteger(table.lake.readPartitions) &&
          table.lake.readPartitions >= 1 &&
          table.lake.readPartitions <= 64,
      ) &&
      (source.commitLagSeconds === undefined ||
        (Number.isInteger(source.commitLagSeconds) &&
          source.commitLagSeconds >= 0 &&
          source.commitLagSeconds <= 3600)),
  );
  if (!usable || !sourcesUsable) return [];

  const issues: BudgetIssue[] = [];
  config.sources.forEach((source, s) => {
    const perTable = connectionsPerTable(source);
    if (sourceSlots(source, i) < 1) {
      issues.push({
        path: ['sources', s, 'maxConnections'],
        input: source.maxConnections,
        message: `at least ${perTable} connections: one table's widest read (readPartitions ${perTable - 1}) and its horizon query`,
      });
    }
  });
  if (issues.length > 0) return issues;

  const budget = lakeBudget(config);
  budget.sources.forEach((source, s) => {
    if (source.queueMinutes <= i.scheduleIntervalMinutes) return;
    const connectionBound = source.slots < i.maxConcurrency;
    issues.push({
      path: connectionBound ? ['sources', s, 'maxConnections'] : ['ingestion', 'expectedTableMinutes'],
      input: connectionBound ? config.sources[s].maxConnections : i.expectedTableMinutes,
      message:
        `settings that read the ${source.tables} tables of ${source.source} within one schedule interval ` +
        `(${i.scheduleIntervalMinutes} min), or two runs would overlap and hold twice the connections; these take ` +
        `${round(source.queueMinutes)} min = (${source.tables} - 1) x expectedTableMinutes ${i.expectedTableMinutes} / ${source.slots} at a time ` +
        `+ ${i.expectedTableMinutes}, where ${source.slots} = min(maxConcurrency ${i.maxConcurrency}, maxConnections ` +
        `${config.sources[s].maxConnections} / ${source.connectionsPerTable} per table)` +
        (connectionBound
          ? ''
          : `; maxConcurrency is at most 40 (a Step Functions inline Map), so shorten the tables' runs or lengthen the interval`),
    });
  });
  if (issues.length > 0) return issues;

  if (budget.worstCaseMinutes <= budget.sloMinutes) return [];
  const worst = budget.sources.reduce((a, b) => (b.worstCaseMinutes > a.worstCaseMinutes ? b : a));
  return [
    {
      path: ['ingestion', 'scheduleIntervalMinutes'],
      input: i.scheduleIntervalMinutes,
      message:
        `settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (${budget.sloMinutes}); ` +
        `these give ${round(worst.worstCaseMinutes)} min for ${worst.source} = ${worst.ticks} x interval ${i.scheduleIntervalMinutes} ` +
        `+ latest start ${round(worst.startMinutes)} + table ${round(budget.tableMinutes)} + commit lag ${round(worst.commitLagSeconds / 60)}, ` +
        `where table = ${i.maxAttempts} attempt(s) x (jobTimeoutMinutes ${i.jobTimeoutMinutes} + startupAllowanceMinutes ${i.startupAllowanceMinutes}) ` +
        `+ retry waits ${round(budget.retryWaitSeconds / 60)} min and latest start = (${worst.tables} - 1) x expectedTableMinutes ` +
        `${i.expectedTableMinutes} / ${worst.slots} at a time`,
    },
  ];
}
