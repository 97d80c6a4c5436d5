import { ConfigError, IngestionSchema, validateConfig } from '../../lib/config';
import {
  lakeBudget,
  lakeBudgetIssues,
  retryWaitsSeconds,
  type LakeBudgetInput,
} from '../../lib/config/slo-budget';
import { prodLike as prod } from '../fixtures/configs';

type Ingestion = LakeBudgetInput['ingestion'];

/** The schema's ingestion defaults, which the prod-like fixture uses unchanged. */
const DEFAULTS: Ingestion = IngestionSchema.parse({});

/** A budget input with `tables` tables in one source, the default ingestion settings changed by `ingestion`. */
function input(ingestion: Partial<Ingestion> = {}, tables = 4, lakeFreshnessMinutes = 60): LakeBudgetInput {
  return {
    ingestion: { ...DEFAULTS, ...ingestion },
    slo: { lakeFreshnessMinutes },
    sources: [{ tables: Array.from({ length: tables }, (_, i) => `table${i}`) }],
  };
}

/** The problems validateConfig lists for the prod-like fixture after one change. */
function prodProblemsAfter(mutate: (config: typeof prod) => void): readonly string[] {
  const config = structuredClone(prod);
  mutate(config);
  try {
    validateConfig(config, 'prod');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the changed config to be invalid, but it validated');
}

describe('retryWaitsSeconds', () => {
  it('waits once between the two default attempts', () => {
    expect(retryWaitsSeconds(DEFAULTS)).toEqual([60]);
  });

  it('does not wait when there is one attempt', () => {
    expect(retryWaitsSeconds({ ...DEFAULTS, maxAttempts: 1 })).toEqual([]);
  });

  it('multiplies each wait by the backoff rate and caps it at the max delay', () => {
    // 60, 60 x 2, 60 x 4, then 60 x 8 = 480 capped at 300.
    expect(retryWaitsSeconds({ ...DEFAULTS, maxAttempts: 5 })).toEqual([60, 120, 240, 300]);
  });

  it('caps every wait when the max delay is below the interval', () => {
    expect(
      retryWaitsSeconds({ ...DEFAULTS, maxAttempts: 3, retryIntervalSeconds: 90, retryMaxDelaySeconds: 45 }),
    ).toEqual([45, 45]);
  });

  it('keeps the waits equal at a backoff rate of 1 and follows a fractional rate', () => {
    expect(retryWaitsSeconds({ ...DEFAULTS, maxAttempts: 4, retryBackoffRate: 1 })).toEqual([60, 60, 60]);
    expect(
      retryWaitsSeconds({ ...DEFAULTS, maxAttempts: 4, retryIntervalSeconds: 10, retryBackoffRate: 1.5 }),
    ).toEqual([10, 15, 22.5]);
  });
});

describe('lakeBudget', () => {
  it('gives the prod-like fixture 54 minutes worst case', () => {
    // The fixture uses the defaults with 4 tables:
    //   attempt    = jobTimeout 7 + startup 2                  = 9 min
    //   table      = 2 attempts x 9 + one retry wait 60 s      = 19 min
    //   rounds     = ceil(4 tables / maxConcurrency 10)        = 1
    //   run        = 1 x 19                                    = 19 min
    //   commit lag = commitLagSeconds 60 (default)             = 1 min
    //   worst case = interval 15 + 2 x run 19 + 1              = 54 min, within the 60-minute SLO.
    expect(lakeBudget(validateConfig(prod, 'prod'))).toEqual({
      retryWaitSeconds: 60,
      tableMinutes: 19,
      rounds: 1,
      runMinutes: 19,
      commitLagSeconds: 60,
      worstCaseMinutes: 54,
      sloMinutes: 60,
    });
  });

  it('is one interval and two runs, whatever the interval', () => {
    // A row read just after a run started waits for it (19), for a tick (interval), for that run (19).
    expect(lakeBudget(input({ scheduleIntervalMinutes: 30 })).worstCaseMinutes).toBe(68);
    expect(lakeBudget(input({ scheduleIntervalMinutes: 5 })).worstCaseMinutes).toBe(43);
  });

  it('is never less than the schedule-only bound ceil(run / interval) x interval + run', () => {
    for (const scheduleIntervalMinutes of [1, 5, 7, 10, 15, 19, 20, 30, 60]) {
      const budget = lakeBudget(input({ scheduleIntervalMinutes }));
      const scheduleOnly =
        Math.ceil(budget.runMinutes / scheduleIntervalMinutes) * scheduleIntervalMinutes + budget.runMinutes;
      expect(budget.worstCaseMinutes).toBeGreaterThanOrEqual(scheduleOnly);
    }
  });

  it('runs at most maxConcurrency tables at a time', () => {
    // 11 tables at 10 at a time: 2 rounds of 19 min = 38; 15 + 2 x 38.
    expect(lakeBudget(input({}, 11))).toMatchObject({ rounds: 2, runMinutes: 38, worstCaseMinutes: 91 });
    expect(lakeBudget(input({}, 10))).toMatchObject({ rounds: 1, runMinutes: 19 });
    // 21 tables at 10 at a time: 3 rounds.
    expect(lakeBudget(input({}, 21))).toMatchObject({ rounds: 3, runMinutes: 57 });
    expect(lakeBudget(input({ maxConcurrency: 40 }, 40))).toMatchObject({ rounds: 1 });
  });

  it('counts one round when there are no tables', () => {
    expect(lakeBudget(input({}, 0))).toMatchObject({ rounds: 1, runMinutes: 19 });
  });

  it('adds the largest commit lag of any source once', () => {
    const lagged = {
      ...input({}, 2),
      sources: [
        { tables: [1], commitLagSeconds: 90 },
        { tables: [1], commitLagSeconds: 300 },
      ],
    };
    expect(lakeBudget(lagged)).toMatchObject({ commitLagSeconds: 300, worstCaseMinutes: 15 + 2 * 19 + 5 });
  });

  it('counts the tables of every source', () => {
    const twoSources = { ...input({}, 6), sources: [{ tables: new Array(6) }, { tables: new Array(6) }] };
    expect(lakeBudget(twoSources)).toMatchObject({ rounds: 2 });
  });

  it('adds every attempt and the capped retry waits to a table', () => {
    // 5 attempts x 9 min + waits 60 + 120 + 240 + 300 s (12 min) = 57 min.
    expect(lakeBudget(input({ maxAttempts: 5 }))).toMatchObject({ retryWaitSeconds: 720, tableMinutes: 57 });
    // No startup allowance, one attempt: the job timeout alone.
    expect(lakeBudget(input({ maxAttempts: 1, startupAllowanceMinutes: 0 }))).toMatchObject({
      retryWaitSeconds: 0,
      tableMinutes: 7,
    });
  });
});

describe('lakeBudgetIssues', () => {
  it('has nothing to say about the prod-like fixture', () => {
    expect(lakeBudgetIssues(validateConfig(prod, 'prod'))).toEqual([]);
  });

  it('points at the schedule interval and explains the arithmetic', () => {
    expect(lakeBudgetIssues(input({ scheduleIntervalMinutes: 23 }))).toEqual([
      {
        path: ['ingestion', 'scheduleIntervalMinutes'],
        input: 23,
        message:
          'settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
          'these give 61 min = interval 23 + 2 x run 19 + commit lag 0, ' +
          'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 7 + startupAllowanceMinutes 2) + retry waits 1 min)',
      },
    ]);
  });

  it('rounds fractional minutes to two decimals in the message', () => {
    // One 20 s retry wait = 0.333 min; run 18.333; 60 + 2 x 18.333 = 96.667.
    const [issue] = lakeBudgetIssues(input({ scheduleIntervalMinutes: 60, retryIntervalSeconds: 20 }));
    expect(issue?.message).toBe(
      'settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
        'these give 96.67 min = interval 60 + 2 x run 18.33 + commit lag 0, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 7 + startupAllowanceMinutes 2) + retry waits 0.33 min)',
    );
  });
});

describe('the line between meeting the lake SLO and missing it', () => {
  it('accepts prod with an SLO equal to its 54-minute worst case', () => {
    const config = structuredClone(prod);
    config.slo = { lakeFreshnessMinutes: 54 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(54);
  });

  it('rejects prod with an SLO one minute below its worst case', () => {
    expect(prodProblemsAfter((config) => (config.slo = { lakeFreshnessMinutes: 53 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (53); ' +
        'these give 54 min = interval 15 + 2 x run 19 + commit lag 1, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 7 + startupAllowanceMinutes 2) + retry waits 1 min); received 15',
    ]);
  });

  it('accepts a schedule whose worst case is exactly the 60-minute SLO', () => {
    // Interval 21: 21 + 2 x 19 + commit lag 1 = 60.
    const config = structuredClone(prod);
    config.ingestion = { scheduleIntervalMinutes: 21 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(60);
  });

  it('rejects a schedule whose worst case is one minute over the SLO', () => {
    // Interval 22: 22 + 2 x 19 + commit lag 1 = 61.
    expect(prodProblemsAfter((config) => (config.ingestion = { scheduleIntervalMinutes: 22 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
        'these give 61 min = interval 22 + 2 x run 19 + commit lag 1, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 7 + startupAllowanceMinutes 2) + retry waits 1 min); received 22',
    ]);
  });

  it('rejects a job timeout that pushes the worst case one minute over', () => {
    // jobTimeout 8: table = 2 x 10 + 1 = 21; 15 + 42 + 1 = 58 fits; jobTimeout 10: 2 x 12 + 1 = 25; 15 + 50 + 1 = 66.
    const config = structuredClone(prod);
    config.ingestion = { jobTimeoutMinutes: 8 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(58);
    expect(prodProblemsAfter((c) => (c.ingestion = { jobTimeoutMinutes: 10 }))).toHaveLength(1);
  });
});

describe('lakeBudget arithmetic', () => {
  it('adds up in whole seconds, so float error cannot creep into the bound', () => {
    // Waits 200 + 600 + 1800 (1800 capped) = 2600 s; table = 4 x 9 min + 2600 s = 4760 s;
    // 25 tables at 10 a time = 3 rounds = 14280 s = 238 min; 10 + 2 x 238 = 486.
    const budget = lakeBudget(
      input(
        {
          maxAttempts: 4,
          retryIntervalSeconds: 200,
          retryBackoffRate: 3,
          retryMaxDelaySeconds: 1800,
          scheduleIntervalMinutes: 10,
        },
        25,
      ),
    );
    expect(budget.runMinutes).toBe(238);
    expect(budget.worstCaseMinutes).toBe(486);
  });
});
