import { ConfigError, IngestionSchema, validateConfig } from '../../lib/config';
import {
  connectionsPerTable,
  lakeBudget,
  lakeBudgetIssues,
  retryWaitsSeconds,
  type LakeBudgetInput,
} from '../../lib/config/slo-budget';
import { prodLike as prod } from '../fixtures/configs';

type Ingestion = LakeBudgetInput['ingestion'];
type Source = LakeBudgetInput['sources'][number];

/** The schema's ingestion defaults, which the prod-like fixture uses unchanged. */
const DEFAULTS: Ingestion = IngestionSchema.parse({});

/** A source of `tables` tables, each reading with `readPartitions`. */
function source(tables: number, changes: Partial<Source> = {}, readPartitions = 4): Source {
  return {
    name: 'src',
    maxConnections: 50,
    tables: Array.from({ length: tables }, () => ({ lake: { readPartitions } })),
    ...changes,
  };
}

/** A budget input: one source of `tables` tables, the default ingestion settings changed by `ingestion`. */
function input(ingestion: Partial<Ingestion> = {}, tables = 4, lakeFreshnessMinutes = 60): LakeBudgetInput {
  return {
    ingestion: { ...DEFAULTS, ...ingestion },
    slo: { lakeFreshnessMinutes },
    sources: [source(tables)],
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
  it('gives the prod-like fixture 46.6 minutes worst case', () => {
    // The fixture uses the defaults with 4 tables of readPartitions 4 in one source:
    //   table       = 2 attempts x (jobTimeout 5 + startup 2) + one retry wait 60 s  = 900 s (A)
    //   slots       = min(maxConcurrency 40, maxConnections 50 / (4 + 1))            = 10
    //   start       = (4 - 1) x expected 120 s / 10                                  = 36 s (W)
    //   ticks       = ceil((36 + 900) / 900)                                         = 2
    //   worst case  = 2 x 900 + 36 + 900 + commit lag 60                             = 2796 s
    expect(lakeBudget(validateConfig(prod, 'prod'))).toEqual({
      retryWaitSeconds: 60,
      tableMinutes: 15,
      sources: [
        {
          source: 'trackman-backend',
          tables: 4,
          connectionsPerTable: 5,
          slots: 10,
          startMinutes: 0.6,
          queueMinutes: 2.6,
          ticks: 2,
          worstCaseMinutes: 46.6,
          commitLagSeconds: 60,
        },
      ],
      runMinutes: 15,
      worstCaseMinutes: 46.6,
      sloMinutes: 60,
    });
  });

  it('waits one tick when the run of a table that started last still ends within it', () => {
    // One table: W = 0, A = 900 s = the interval: the next tick finds it idle. 900 + 0 + 900.
    expect(lakeBudget(input({}, 1)).worstCaseMinutes).toBe(30);
    // A 30-minute interval: ceil(936 / 1800) = 1 tick: 1800 + 36 + 900 = 2736 s.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 30 })).worstCaseMinutes).toBe(45.6);
    // A 5-minute interval: ceil(936 / 300) = 4 ticks: 1200 + 36 + 900 = 2136 s.
    expect(lakeBudget(input({ scheduleIntervalMinutes: 5 })).worstCaseMinutes).toBe(35.6);
  });

  it("spreads a source's tables over its slots at the expected pace (list scheduling)", () => {
    // 41 tables, 10 slots, 2 min each: the last starts within 40 x 2 / 10 = 8 min.
    expect(lakeBudget(input({}, 41)).sources[0]).toMatchObject({
      slots: 10,
      startMinutes: 8,
      queueMinutes: 10,
    });
    // Twice the expected time, twice the start.
    expect(lakeBudget(input({ expectedTableMinutes: 4 }, 41)).sources[0]).toMatchObject({ startMinutes: 16 });
  });

  it("takes the slots from the source's connections, each table holding its widest read and the horizon query", () => {
    const at = (changes: Partial<Source>, readPartitions = 4) =>
      lakeBudget({ ...input(), sources: [source(4, changes, readPartitions)] }).sources[0];
    expect(at({ maxConnections: 20 })).toMatchObject({ connectionsPerTable: 5, slots: 4 });
    expect(at({ maxConnections: 20 }, 1)).toMatchObject({ connectionsPerTable: 2, slots: 10 });
    expect(at({ maxConnections: 50 }, 9)).toMatchObject({ connectionsPerTable: 10, slots: 5 });
    // maxConcurrency caps it (a Step Functions inline Map runs at most 40 iterations at once).
    expect(at({ maxConnections: 1000 })).toMatchObject({ slots: 40 });
    expect(
      connectionsPerTable({
        ...source(2),
        tables: [{ lake: { readPartitions: 2 } }, { lake: { readPartitions: 8 } }],
      }),
    ).toBe(9);
  });

  it('budgets each source on its own and reports the worst', () => {
    const budget = lakeBudget({
      ...input(),
      sources: [
        source(4, { name: 'small' }),
        source(101, { name: 'large', maxConnections: 100, commitLagSeconds: 300 }),
      ],
    });
    // large: 20 slots, W = 100 x 120 / 20 = 600 s; ticks = ceil(1500 / 900) = 2: 1800 + 600 + 900 + 300 = 3600.
    expect(budget.sources.map((s) => [s.source, s.worstCaseMinutes])).toEqual([
      ['small', 45.6],
      ['large', 60],
    ]);
    expect(budget.worstCaseMinutes).toBe(60);
    // The workflow's timeout covers every table at its worst case: large's 101 tables in 6 rounds of 20.
    expect(budget.runMinutes).toBe(6 * 15);
  });

  it('times a run out only after every table could have taken its worst case, round after round', () => {
    // A source down or hanging makes every table slow: 41 tables at 10 a time are 5 rounds of 15 minutes.
    expect(lakeBudget(input({}, 41)).runMinutes).toBe(5 * 15);
    expect(lakeBudget(input({}, 40)).runMinutes).toBe(4 * 15);
    expect(lakeBudget(input({}, 0)).runMinutes).toBe(15);
  });

  it('adds every attempt and the capped retry waits to a table', () => {
    // 5 attempts x 7 min + waits 60 + 120 + 240 + 300 s (12 min) = 47 min.
    expect(lakeBudget(input({ maxAttempts: 5 }))).toMatchObject({ retryWaitSeconds: 720, tableMinutes: 47 });
    // No startup allowance, one attempt: the job timeout alone.
    expect(lakeBudget(input({ maxAttempts: 1, startupAllowanceMinutes: 0 }))).toMatchObject({
      retryWaitSeconds: 0,
      tableMinutes: 5,
    });
  });

  it('adds up in whole seconds, so float error cannot creep into the bound', () => {
    // expected 0.7 min = 42 s; 11 tables at 10 slots: W = ceil(10 x 42 / 10) = 42 s; A = 900 s.
    const budget = lakeBudget(input({ expectedTableMinutes: 0.7 }, 11));
    expect(budget.sources[0].startMinutes * 60).toBe(42);
    expect(budget.worstCaseMinutes * 60).toBe(2 * 900 + 42 + 900);
  });
});

describe('lakeBudgetIssues', () => {
  it('has nothing to say about the prod-like fixture', () => {
    expect(lakeBudgetIssues(validateConfig(prod, 'prod'))).toEqual([]);
  });

  it('asks for enough connections for one table when maxConnections is below its widest read', () => {
    expect(lakeBudgetIssues({ ...input(), sources: [source(4, { maxConnections: 4 })] })).toEqual([
      {
        path: ['sources', 0, 'maxConnections'],
        input: 4,
        message: "at least 5 connections: one table's widest read (readPartitions 4) and its horizon query",
      },
    ]);
  });

  it("asks for more connections when a source's tables cannot all be read within one interval", () => {
    // 80 tables, 50 connections = 10 slots: W = 79 x 2 / 10 = 15.8 min, queue 17.8 > 15.
    expect(lakeBudgetIssues(input({}, 80))).toEqual([
      {
        path: ['sources', 0, 'maxConnections'],
        input: 50,
        message:
          'settings that read the 80 tables of src within one schedule interval (15 min), or two runs would ' +
          'overlap and hold twice the connections; these take 17.8 min = (80 - 1) x expectedTableMinutes 2 / 10 at a time ' +
          '+ 2, where 10 = min(maxConcurrency 40, maxConnections 50 / 5 per table)',
      },
    ]);
  });

  it('points at expectedTableMinutes when maxConcurrency, not the connections, is the limit', () => {
    const [issue] = lakeBudgetIssues({ ...input({}, 400), sources: [source(400, { maxConnections: 1000 })] });
    expect(issue.path).toEqual(['ingestion', 'expectedTableMinutes']);
    expect(issue.message).toContain('maxConcurrency is at most 40 (a Step Functions inline Map)');
  });

  it('explains the worst source when the SLO is missed', () => {
    expect(lakeBudgetIssues(input({}, 4, 45))).toEqual([
      {
        path: ['ingestion', 'scheduleIntervalMinutes'],
        input: 15,
        message:
          'settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (45); these give 45.6 min for src = ' +
          '2 x interval 15 + latest start 0.6 + table 15 + commit lag 0, where table = 2 attempt(s) x (jobTimeoutMinutes 5 ' +
          '+ startupAllowanceMinutes 2) + retry waits 1 min and latest start = (4 - 1) x expectedTableMinutes 2 / 10 at a time',
      },
    ]);
  });
});

describe('the line between meeting the lake SLO and missing it', () => {
  it('accepts prod with an SLO at its worst case rounded up, and rejects one a minute below', () => {
    const config = structuredClone(prod);
    config.slo = { lakeFreshnessMinutes: 47 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(46.6);
    expect(prodProblemsAfter((c) => (c.slo = { lakeFreshnessMinutes: 46 }))).toEqual([
      'ingestion.scheduleIntervalMinutes: expected settings whose worst-case lake latency fits slo.lakeFreshnessMinutes (46); ' +
        'these give 46.6 min for trackman-backend = 2 x interval 15 + latest start 0.6 + table 15 + commit lag 1, ' +
        'where table = 2 attempt(s) x (jobTimeoutMinutes 5 + startupAllowanceMinutes 2) + retry waits 1 min and ' +
        'latest start = (4 - 1) x expectedTableMinutes 2 / 10 at a time; received 15',
    ]);
  });

  it('rejects a job timeout that adds a tick and pushes the worst case over', () => {
    // jobTimeout 6: A = 2 x 8 + 1 = 17 min; ceil((0.6 + 17) / 15) = 2: 30 + 0.6 + 17 + 1 = 48.6 fits.
    const config = structuredClone(prod);
    config.ingestion = { jobTimeoutMinutes: 6 };
    expect(lakeBudget(validateConfig(config, 'prod')).worstCaseMinutes).toBe(48.6);
    // jobTimeout 13: A = 2 x 15 + 1 = 31; ceil(31.6 / 15) = 3: 45 + 0.6 + 31 + 1 = 77.6.
    expect(prodProblemsAfter((c) => (c.ingestion = { jobTimeoutMinutes: 13 }))).toHaveLength(1);
  });

  it('rejects too few connections for the tables through validateConfig, naming the source field', () => {
    expect(
      prodProblemsAfter((c) => {
        c.sources[0].maxConnections = 3;
      }),
    ).toEqual([
      "sources[0].maxConnections: expected at least 5 connections: one table's widest read (readPartitions 4) and its horizon query; received 3",
    ]);
  });
});
