/**
 * The lake freshness SLO as arithmetic over the ingestion settings.
 *
 * A row inserted just after a run has read its table waits for that run to
 * end, then for the next schedule tick that finds the job idle, then for that
 * run to land it. Ticks that find the job still running are skipped (one run
 * per job at a time), and a run need not start on a tick: start-ingestion
 * (an operator, an event, the database trigger) starts one at any moment. So
 * the row waits at most one run, one interval and one more run:
 *
 *   attempt      = jobTimeout + startupAllowance
 *   table        = maxAttempts x attempt + sum of the retry waits
 *   run          = ceil(tables / maxConcurrency) x table
 *   worst case   = interval + 2 x run + commit lag
 *
 * The design document's interval + run holds only for runs that start on a
 * tick and end before the next one; a schedule-only bound for longer runs,
 * ceil(run / interval) x interval + run, is never more than this one. The
 * watermark is written inside the job run, so it needs no term of its own.
 *
 * An update-timestamp read stops commitLagSeconds before the server clock (and
 * before the oldest open transaction), so a row becomes readable that much
 * after its timestamp: the largest lag of any source is added. The horizon wait
 * of increasing keys happens inside the job run and its timeout. A transaction
 * held open on the source holds the horizon with it; that delay is unbounded by
 * design (nothing is skipped) and is what the freshness alarms watch.
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
  };
  readonly slo: { readonly lakeFreshnessMinutes: number };
  readonly sources: readonly { readonly tables: readonly unknown[]; readonly commitLagSeconds?: number }[];
}

export interface LakeBudget {
  /** Seconds the retry waits of one table add up to, each capped at the max delay. */
  readonly retryWaitSeconds: number;
  /** Longest one table can take within a run, all attempts included (minutes). */
  readonly tableMinutes: number;
  /** Tables run at most maxConcurrency at a time: how many rounds a run can need. */
  readonly rounds: number;
  /** Longest one workflow run can take (minutes); the workflow timeout. */
  readonly runMinutes: number;
  /** The largest source commit lag (seconds), added once. */
  readonly commitLagSeconds: number;
  /** Worst-case minutes from insert to landed in the lake. */
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

export function lakeBudget(config: LakeBudgetInput): LakeBudget {
  const ingestion = config.ingestion;
  const tableCount = config.sources.reduce((sum, source) => sum + source.tables.length, 0);
  // Whole seconds throughout, so float error cannot push a run over an interval boundary.
  const retryWaitSeconds = Math.ceil(retryWaitsSeconds(ingestion).reduce((a, b) => a + b, 0));
  const tableSeconds =
    ingestion.maxAttempts * (ingestion.jobTimeoutMinutes + ingestion.startupAllowanceMinutes) * 60 +
    retryWaitSeconds;
  const rounds = Math.max(1, Math.ceil(tableCount / ingestion.maxConcurrency));
  const runSeconds = rounds * tableSeconds;
  const intervalSeconds = ingestion.scheduleIntervalMinutes * 60;
  const commitLagSeconds = Math.max(0, ...config.sources.map((source) => source.commitLagSeconds ?? 0));
  const worstCaseSeconds = intervalSeconds + 2 * runSeconds + commitLagSeconds;
  return {
    retryWaitSeconds,
    tableMinutes: tableSeconds / 60,
    rounds,
    runMinutes: runSeconds / 60,
    commitLagSeconds,
    worstCaseMinutes: worstCaseSeconds / 60,
    sloMinutes: config.slo.lakeFreshnessMinutes,
  };
}

export interface BudgetIssue {
  readonly path: (string | number)[];
  readonly input: unknown;
  readonly message: string;
}

/** Why the ingestion settings cannot meet the lake SLO, as config issues (empty when they can). */
export function lakeBudgetIssues(config: LakeBudgetInput): BudgetIssue[] {
  const i0 = config.ingestion;
  // Out-of-range values are reported by their own fields; a budget over them would only add noise.
  const usable = [
    i0.scheduleIntervalMinutes,
    i0.maxConcurrency,
    i0.maxAttempts,
    config.slo.lakeFreshnessMinutes,
  ].every((n) => Number.isFinite(n) && n >= 1);
  const lagsUsable = config.sources.every(
    (source) =>
      source.commitLagSeconds === undefined ||
      (Number.isInteger(source.commitLagSeconds) &&
        source.commitLagSeconds >= 0 &&
        source.commitLagSeconds <= 3600),
  );
  if (!usable || !lagsUsable) return [];
  const budget = lakeBudget(config);
  if (budget.worstCaseMinutes <= budget.sloMinutes) return [];
  const i = config.ingestion;
  const round = (n: number) => Math.round(n * 100) / 100;
  return [
    {
      path: ['ingestion', 'scheduleIntervalMinutes'],
      input: i.scheduleIntervalMinutes,
      message:
        `settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (${budget.sloMinutes}); ` +
        `these give ${round(budget.worstCaseMinutes)} min = interval ${i.scheduleIntervalMinutes} + 2 x run ${round(budget.runMinutes)} + commit lag ${round(budget.commitLagSeconds / 60)}, ` +
        `where run = ${budget.rounds} round(s) x (${i.maxAttempts} attempt(s) x (jobTimeoutMinutes ${i.jobTimeoutMinutes} + startupAllowanceMinutes ${i.startupAllowanceMinutes}) + retry waits ${round(budget.retryWaitSeconds / 60)} min)`,
    },
  ];
}
