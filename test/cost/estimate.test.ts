/**
 * The estimate as a whole: the total of its components, what it lists as resting on assumptions
 * and unverified prices, the budget warning, and the price books themselves.
 */
import { ENVIRONMENTS, loadConfig, validateConfig } from '../../lib/config';
import {
  BUDGET_BELOW_ESTIMATE,
  budgetWarning,
  estimateMonthlyCost,
  NO_COST_ESTIMATE,
} from '../../lib/cost/estimate';
import { CostEstimateError, PRICE_BOOKS, priceBookFor, type Price } from '../../lib/cost/prices';
import { copyOf, devLike } from '../fixtures/configs';
import { contextOf, TEST_PRICES } from './support/prices';

const books = { 'eu-west-1': TEST_PRICES };

describe('estimateMonthlyCost', () => {
  const estimate = estimateMonthlyCost(contextOf(devLike).config, { books });

  test('one row per component, in order, and their total', () => {
    expect(estimate.components.map((item) => item.id)).toEqual([
      'glue',
      'stepFunctions',
      'lambda',
      'scheduler',
      'dms',
      'rds',
      's3',
      'backup',
      'cloudTrail',
      'network',
      'kms',
      'cloudWatch',
      'cloudWatchLogs',
    ]);
    expect(estimate.totalUsd).toBeCloseTo(
      estimate.components.reduce((sum, item) => sum + item.monthlyUsd, 0),
      9,
    );
    expect(estimate).toMatchObject({
      environment: 'dev',
      region: 'eu-west-1',
      pricesFile: 'lib/cost/prices.ts',
      pricesCompiledOn: '2000-01-01',
      monthlyBudgetUsd: 300,
    });
  });

  test('lists each assumption a priced component used once, with its value', () => {
    const names = estimate.assumptions.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect(estimate.assumptions.find((a) => a.name === 'hoursPerMonth')).toMatchObject({
      value: 730,
      unit: 'hours',
    });
    expect(estimate.assumptions.find((a) => a.name === 'cost.dailyLakeGiB')).toMatchObject({ value: 1 });
    expect(names).toContain('databaseDailyChangeShare');
    expect(names).not.toContain('natGatewayGiBPerMonth');
  });

  test('leaves out the assumptions of what is not deployed', () => {
    const lean = contextOf(devLike, (c) => {
      c.replication = { enabled: false };
      c.backup = { restoreTesting: { enabled: false } };
    });
    const names = estimateMonthlyCost(lean.config, { books }).assumptions.map((a) => a.name);
    expect(names).not.toContain('databaseDailyChangeShare');
    expect(names).not.toContain('restoreTestHours');
  });

  test('the whole dev-like environment at the test prices: the sum of its components, worked by hand', () => {
    // Each figure is worked out in test/cost/components.test.ts; here they are added up by hand.
    //   Glue            2920 runs x 4 tables x 2 min / 60 x 2 DPU x 0.5        = 389.333333
    //   Step Functions  37960 transitions x 0.02 / 1000                         =   0.7592
    //   Lambda          9490 x 0.2 / 1e6 + 11862.5 GB-s x 0.00001               =   0.120523
    //   Scheduler       12410 x 1 / 1e6                                         =   0.01241
    //   DMS             1 DCU x 730 h x 0.2                                     = 146
    //   RDS             730 h x 0.1 + 20 GiB x 0.1                              =  75
    //   S3              storage 3.145 + monitoring 0.3216 + transitions 0.7008
    //                   + PUTs 0.1752 + GETs 0.033872                           =   4.376472
    //   AWS Backup      730 x 0.05 + 385 x 0.1 + 4.345238 tests x 1 h x 0.1     =  75.434524
    //   CloudTrail      119720 events x 0.1 / 100000                            =   0.11972
    //   Network         16 endpoint-AZs x 730 h x 0.01 + 5 GiB x 0.01           = 116.85
    //   KMS             14 keys x 1 + 164250 requests x 0.03 / 10000            =  14.49275
    //   CloudWatch      37 alarms x 0.1 + 16 metrics x 0.3 + 1 dashboard x 3    =  11.5
    //   CloudWatch Logs 8.150074 GiB x 0.5 + 0.750253 GiB stored x 0.03         =   4.097545
    //   Total                                                                   = 838.096477
    expect(estimate.totalUsd).toBeCloseTo(838.096477, 5);
  });

  test('lists the verified and the unverified prices it used, and only those', () => {
    expect(estimate.unverifiedPrices.map((use) => use.name)).toEqual(['dms.serverlessDcuHour']);
    // glue 2, Step Functions 1, Lambda 2, Scheduler 1, RDS 2, S3 10, backup 2 more, CloudTrail 1, network 2,
    // KMS 2, CloudWatch 3, logs 2
    expect(estimate.verifiedPrices).toHaveLength(30);
    expect(estimate.verifiedPrices.map((use) => use.name)).not.toContain('dms.serverlessDcuHour');
    const noDms = contextOf(devLike, (c) => {
      c.replication = { enabled: false };
      c.backup = { restoreTesting: { enabled: false } };
    });
    expect(estimateMonthlyCost(noDms.config, { books }).unverifiedPrices).toEqual([]);
  });

  test('an environment in a region without a price book fails with the region and the regions there are', () => {
    expect(() =>
      estimateMonthlyCost(contextOf(devLike).config, { books: { 'us-east-1': TEST_PRICES } }),
    ).toThrow(
      new CostEstimateError(
        'no prices for region eu-west-1 in lib/cost/prices.ts: expected one of us-east-1 (add a price book for eu-west-1)',
      ),
    );
  });
});

describe('budgetWarning', () => {
  test('warns when monthlyBudgetUsd is below the estimate, naming both and the largest component', () => {
    const config = validateConfig(
      { ...copyOf(devLike), monthlyBudgetUsd: 100, audit: { costAnomalies: { thresholdUsd: 50 } } },
      'dev',
    );
    const total = estimateMonthlyCost(config, { books }).totalUsd;
    expect(budgetWarning(config, { books })).toEqual({
      id: BUDGET_BELOW_ESTIMATE,
      message:
        `monthlyBudgetUsd 100 is below the estimated monthly cost of ${total.toFixed(2)} USD ` +
        '(npm run cost -- --env dev; docs/cost.md): the budget alerts every month. Raise it, or lower what ' +
        'costs most (Glue job runs: 389.33 USD).',
    });
  });

  test('is silent when the budget covers the estimate', () => {
    const config = validateConfig({ ...copyOf(devLike), monthlyBudgetUsd: 100_000 }, 'dev');
    expect(budgetWarning(config, { books })).toBeUndefined();
  });

  test('says so when there is no estimate to compare with', () => {
    const config = validateConfig(devLike, 'dev');
    expect(budgetWarning(config, { books: {} })).toEqual({
      id: NO_COST_ESTIMATE,
      message:
        'monthlyBudgetUsd 300 cannot be checked against a cost estimate: no prices for region eu-west-1 in ' +
        'lib/cost/prices.ts: expected a price book, and there is none (add a price book for eu-west-1)',
    });
  });
});

describe('the price books (lib/cost/prices.ts)', () => {
  const entries = Object.values(PRICE_BOOKS).flatMap((book) => {
    const walk = (node: unknown, path: string): [string, Price][] =>
      typeof node === 'object' && node !== null && 'source' in node
        ? [[path, node as Price]]
        : typeof node === 'object' && node !== null
          ? Object.entries(node).flatMap(([key, child]) => walk(child, `${path}.${key}`))
          : [];
    return walk(book, book.region);
  });

  test('every figure names its AWS pricing page, and an unverified one says what it rests on', () => {
    expect(entries.length).toBeGreaterThan(30);
    for (const [path, figure] of entries) {
      expect({ path, source: figure.source }).toEqual({
        path,
        source: expect.stringMatching(/^https:\/\/aws\.amazon\.com\/[a-z0-9/-]+\/pricing\/$/),
      });
      if (!figure.verified) expect({ path, note: figure.note }).toEqual({ path, note: expect.any(String) });
      if ('usd' in figure)
        expect({ path, usd: figure.usd > 0 && figure.per > 0 }).toEqual({ path, usd: true });
    }
  });

  test('each book is keyed by its region and dated', () => {
    for (const [region, book] of Object.entries(PRICE_BOOKS)) {
      expect(book.region).toBe(region);
      expect(book.compiledOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(priceBookFor(region)).toBe(book);
    }
  });

  // Invariant over the shipped environments: whatever their settings, they can be estimated.
  test.each(Object.keys(ENVIRONMENTS))(
    'the shipped %s environment has prices for its region and classes',
    (name) => {
      expect(estimateMonthlyCost(loadConfig(name)).totalUsd).toBeGreaterThan(0);
    },
  );
});
