import { ConfigError, IngestionSchema, loadConfig, validateConfig } from '../../lib/config';
import { prod } from '../../lib/config/environments/prod';
import {
  lakeBudget,
  lakeBudgetIssues,
  retryWaitsSeconds,
  type LakeBudgetInput,
} from '../../lib/config/slo-budget';

type Ingestion = LakeBudgetInput['ingestion'];

/** The schema's ingestion defaults, which prod uses unchanged. */
const DEFAULTS: Ingestion = IngestionSchema.parse({});

/** A budget input with `tables` tables in one source, the default ingestion settings changed by `ingestion`. */
function input(ingestion: Partial<Ingestion> = {}, tables = 4, lakeFreshnessMinutes = 60): LakeBudgetInput {
  return {
    ingestion: { ...DEFAULTS, ...ingestion },
    slo: { lakeFreshnessMinutes },
    sources: [{ tables: Array.from({ length: tables }, (_, i) => `table${i}`) }],
  };
}

/** The problems validateConfig lists for prod after one change. */
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
  it('gives prod 51 minutes worst case', () => {
    // Prod uses the defaults with the 4 trackman-backend tables:
    //   attempt    = jobTimeout 8 + startup 2                  = 10 min
    //   table      = 2 attempts x 10 + one retry wait 60 s     = 21 min
    //   rounds     = ceil(4 tables / maxConcurrency 10)        = 1
    //   run        = 1 x 21                                    = 21 min
    //   worst case = ceil(21 / interval 15) x 15 + 21 = 30 + 21 = 51 min, within the 60-minute SLO.
    expect(lakeBudget(loadConfig('prod'))).toEqual({
      retryWaitSeconds: 60,
      tableMinutes: 21,
      rounds: 1,
      runMinutes: 21,
      worstCaseMinutes: 51,
      sloMinutes: 60,
    });
  });

  it('is interval + run when a run fits in one interval', () => {
    // run 21 <= interval 30: 30 + 21.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 30 })).worstCaseMinutes).toBe(51);
    // run 21 = interval 21: still one interval, 21 + 21.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 21 })).worstCaseMinutes).toBe(42);
  });

  it('rounds a run that outlasts the interval up to whole intervals', () => {
    // run 21 > interval 20: the tick at 20 finds the job busy, so the row waits for the tick at 40; 40 + 21.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 20 })).worstCaseMinutes).toBe(61);
    // run 21 over interval 10: ceil(2.1) = 3 intervals; 30 + 21.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 10 })).worstCaseMinutes).toBe(51);
    // run 21 = 3 intervals of 7 exactly: 21 + 21.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 7 })).worstCaseMinutes).toBe(42);
  });

  it('runs at most maxConcurrency tables at a time', () => {
    // 11 tables at 10 at a time: 2 rounds of 21 min = 42; ceil(42 / 15) = 3 intervals; 45 + 42.
    expect(lakeBudget(input({}, 11))).toMatchObject({ rounds: 2, runMinutes: 42, worstCaseMinutes: 87 });
    expect(lakeBudget(input({}, 10))).toMatchObject({ rounds: 1, runMinutes: 21 });
    // 21 tables at 10 at a time: 3 rounds.
    expect(lakeBudget(input({}, 21))).toMatchObject({ rounds: 3, runMinutes: 63 });
    expect(lakeBudget(input({ maxConcurrency: 40 }, 40))).toMatchObject({ rounds: 1 });
  });

  it('counts one round when there are no tables', () => {
    expect(lakeBudget(input({}, 0))).toMatchObject({ rounds: 1, runMinutes: 21 });
  });

  it('counts the tables of every source', () => {
    const twoSources = { ...input({}, 6), sources: [{ tables: new Array(6) }, { tables: new Array(6) }] };
    expect(lakeBudget(twoSources)).toMatchObject({ rounds: 2 });
  });

  it('adds every attempt and the capped retry waits to a table', () => {
    // 5 attempts x 10 min + waits 60 + 120 + 240 + 300 s (12 min) = 62 min.
    expect(lakeBudget(input({ maxAttempts: 5 }))).toMatchObject({ retryWaitSeconds: 720, tableMinutes: 62 });
    // No startup allowance, one attempt: the job timeout alone.
    expect(lakeBudget(input({ maxAttempts: 1, startupAllowanceMinutes: 0 }))).toMatchObject({
      retryWaitSeconds: 0,
      tableMinutes: 8,
    });
  });
});

describe('lakeBudgetIssues', () => {
  it('has nothing to say about prod', () => {
    expect(lakeBudgetIssues(loadConfig('prod'))).toEqual([]);
  });

  it('points at the schedule interval and explains the arithmetic', () => {
    expect(lakeBudgetIssues(input({ scheduleIntervalMinutes: 20 }))).toEqual([
      {
        path: ['ingestion', 'scheduleIntervalMinutes'],
        input: 20,
        message:
          'settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
          'these give 61 min = ceil(run 21 / interval 20) x 20 + run, ' +
          'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 8 + startupAllowanceMinutes 2) + retry waits 1 min)',
      },
    ]);
  });

  it('rounds fractional minutes to two decimals in the message', () => {
    // One 20 s retry wait = 0.333 min; run 20.333; 60 + 20.333 = 80.333.
    const [issue] = lakeBudgetIssues(input({ scheduleIntervalMinutes: 60, retryIntervalSeconds: 20 }));
    expect(issue?.message).toBe(
      'settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
        'these give 80.33 min = ceil(run 20.33 / interval 60) x 60 + run, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 8 + startupAllowanceMinutes 2) + retry waits 0.33 min)',
    );
  });
});

describe('the line between meeting the lake SLO and missing it', () => {
  it('accepts prod with an SLO equal to its 51-minute worst case', () => {
    const config = structuredClone(prod);
    config.slo = { lakeFreshnessMinutes: 51 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(51);
  });

  it('rejects prod with an SLO one minute below its worst case', () => {
    expect(prodProblemsAfter((config) => (config.slo = { lakeFreshnessMinutes: 50 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (50); ' +
        'these give 51 min = ceil(run 21 / interval 15) x 15 + run, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 8 + startupAllowanceMinutes 2) + retry waits 1 min); received 15',
    ]);
  });

  it('accepts a schedule whose worst case is exactly the 60-minute SLO', () => {
    // Interval 39: the 21-minute run fits in one interval; 39 + 21 = 60.
    const config = structuredClone(prod);
    config.ingestion = { scheduleIntervalMinutes: 39 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(60);
  });

  it('rejects a schedule whose worst case is one minute over the SLO', () => {
    // Interval 40: 40 + 21 = 61.
    expect(prodProblemsAfter((config) => (config.ingestion = { scheduleIntervalMinutes: 40 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (60); ' +
        'these give 61 min = ceil(run 21 / interval 40) x 40 + run, ' +
        'where run = 1 round(s) x (2 attempt(s) x (jobTimeoutMinutes 8 + startupAllowanceMinutes 2) + retry waits 1 min); received 40',
    ]);
  });
});

describe('lakeBudget arithmetic', () => {
  it('adds up in whole seconds, so float error cannot add an interval', () => {
    // Waits 200 + 600 + 1800 (1800 capped) = 2600 s; table = 4 x 10 min + 2600 s = 5000 s;
    // 25 tables at 10 a time = 3 rounds = 15000 s = 250 min, exactly 25 intervals of 10 min.
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
    expect(budget.runMinutes).toBe(250);
    expect(budget.worstCaseMinutes).toBe(500);
  });
});
