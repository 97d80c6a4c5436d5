/**
 * `npm run cost`: the table and JSON outputs and the exit codes, through main() with fixture
 * environments and the test prices; one run as a process checks that an error is one line on
 * stderr, exit 2, with no stack trace.
 */
import { join } from 'node:path';
import type { EnvironmentConfigInput } from '../../lib/config';
import { estimateMonthlyCost } from '../../lib/cost/estimate';
import type { PriceBook } from '../../lib/cost/prices';
import { main, parseOptions, USAGE } from '../../scripts/cost/main';
import { copyOf, devLike, prodLike } from '../fixtures/configs';
import { runTsx } from '../helpers/tsx';
import { contextOf, TEST_PRICES } from './support/prices';

const ROOT = join(__dirname, '..', '..');
const registry: Record<string, EnvironmentConfigInput> = { dev: devLike, prod: prodLike };
const books: Readonly<Record<string, PriceBook>> = { 'eu-west-1': TEST_PRICES };

function run(
  argv: string[],
  deps: { registry?: Record<string, EnvironmentConfigInput>; books?: typeof books } = {},
) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = main(argv, {
    stdout: (line) => stdout.push(...line.split('\n')),
    stderr: (line) => stderr.push(line),
    registry: deps.registry ?? registry,
    books: deps.books ?? books,
  });
  return { code, stdout, stderr };
}

describe('the table', () => {
  const { code, stdout, stderr } = run(['--env', 'dev']);
  const total = estimateMonthlyCost(contextOf(devLike).config, { books }).totalUsd;

  test('exits 0 with nothing on stderr', () => {
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
  });

  test('names the environment, the region, the price book and how many of its figures are verified', () => {
    expect(stdout.slice(0, 2)).toEqual([
      'Monthly cost estimate of dev (eu-west-1), on-demand USD, from the price book compiled on 2000-01-01 (lib/cost/prices.ts)',
      // the dev-like fixture uses 31 figures; only dms.serverlessDcuHour is unverified in the test book
      '30 of the 31 prices and billing figures used are verified on their AWS pricing page for eu-west-1; the other 1 is listed below as unverified',
    ]);
  });

  test('one row per component with its monthly USD, then the total and the budget', () => {
    const header = stdout.indexOf(stdout.find((line) => line.startsWith('COMPONENT'))!);
    const rows = stdout.slice(header, header + 16);
    expect(rows[0]).toMatch(/^COMPONENT +USD\/MONTH$/);
    expect(rows[1]).toMatch(/^Glue job runs +389\.33$/);
    expect(rows[5]).toMatch(/^DMS replication +146\.00$/);
    expect(rows[6]).toMatch(/^RDS dataengineering-db +75\.00$/);
    expect(rows[13]).toMatch(/^CloudWatch Logs +\d+\.\d\d$/);
    expect(rows[14]).toMatch(new RegExp(`^Total +${total.toFixed(2).replace('.', '\\.')}$`));
    expect(rows[15]).toMatch(
      new RegExp(
        `^monthlyBudgetUsd +300\\.00  BELOW the estimate by ${(total - 300).toFixed(2)}: synth warns$`,
      ),
    );
  });

  test('then the working, the assumptions, the unverified prices and what is left out', () => {
    expect(stdout).toContain(
      '  Glue job runs: 2920 runs x 4 tables x 2 min billed (expectedTableMinutes 2, at least 1) x 2 DPU = ' +
        '778.667 DPU-hours x 0.5 USD/unit',
    );
    expect(stdout).toContain(
      '  hoursPerMonth = 730 hours: One month, as the AWS pricing pages count it (24 x 365 / 12)',
    );
    expect(stdout).toContain(
      '  cost.dailyLakeGiB = 1 GiB a day: Config: GiB the ingestion lands under raw/ a day (default 1; set it from the bucket metrics)',
    );
    const unverified = stdout.indexOf(
      'Prices not verified for eu-west-1 on their page (verified: false in lib/cost/prices.ts)',
    );
    expect(stdout[unverified + 1]).toBe(
      '  dms.serverlessDcuHour = 0.2 USD/unit: a test figure (https://aws.amazon.com/pricing/)',
    );
    expect(stdout).toContain('Not estimated');
  });

  test('a budget that covers the estimate says by how much', () => {
    const rich = { ...copyOf(devLike), monthlyBudgetUsd: 5000 };
    const line = run(['--env', 'dev'], { registry: { dev: rich } }).stdout.find((l) =>
      l.startsWith('monthlyBudgetUsd'),
    );
    expect(line).toMatch(
      new RegExp(
        `^monthlyBudgetUsd +5000\\.00  covers the estimate \\(${(5000 - total).toFixed(2)} to spare\\)$`,
      ),
    );
  });
});

describe('--format json', () => {
  const { code, stdout } = run(['--env', 'prod', '--format', 'json']);
  const data = JSON.parse(stdout.join('\n'));
  const estimate = estimateMonthlyCost(contextOf(prodLike).config, { books });

  test('the same figures as data, USD in cents', () => {
    expect(code).toBe(0);
    expect(data).toMatchObject({
      environment: 'prod',
      region: 'eu-west-1',
      currency: 'USD',
      prices: { file: 'lib/cost/prices.ts', compiledOn: '2000-01-01' },
      totalUsd: Math.round(estimate.totalUsd * 100) / 100,
      monthlyBudgetUsd: 2000,
      budgetCoversEstimate: estimate.totalUsd <= 2000,
    });
    expect(data.prices.verified).toHaveLength(30);
    expect(data.prices.verified).not.toContain('dms.serverlessDcuHour');
    expect(data.components).toHaveLength(13);
    expect(data.components[4]).toEqual({
      id: 'dms',
      name: 'DMS replication',
      monthlyUsd: 584,
      formula:
        '1 replication(s) x 2 DCU (minCapacityUnits) x 730 h x 2 (Multi-AZ) = 2920 DCU-hours x 0.2 USD/unit',
    });
    expect(data.assumptions).toContainEqual({
      name: 'hoursPerMonth',
      value: 730,
      unit: 'hours',
      description: 'One month, as the AWS pricing pages count it (24 x 365 / 12)',
    });
    expect(data.unverifiedPrices).toEqual([
      {
        name: 'dms.serverlessDcuHour',
        usd: 0.2,
        per: 1,
        unit: 'unit',
        source: 'https://aws.amazon.com/pricing/',
        verified: false,
        note: 'a test figure',
      },
    ]);
    expect(data.notEstimated.length).toBeGreaterThan(0);
  });
});

describe('errors exit 2 with one line naming the argument or value and what was expected', () => {
  test.each([
    [['--env', 'staging'], 'cost: Unknown environment "staging": expected one of dev, prod'],
    [[], 'cost: --env <name> is required: expected one of dev, prod'],
    [['--env'], 'cost: --env: expected an environment name (one of dev, prod), received nothing'],
    [['--env', 'dev', '--format', 'xml'], 'cost: --format: expected table or json, received "xml"'],
    [['--env', 'dev', '--format'], 'cost: --format: expected table or json, received nothing'],
    [
      ['--env', 'dev', '--verbose'],
      'cost: unknown argument "--verbose": expected --env <name>, --format table|json or --help',
    ],
  ])('%j', (argv, message) => {
    expect(run(argv)).toEqual({ code: 2, stdout: [], stderr: [message] });
  });

  test('an environment in a region without prices', () => {
    expect(run(['--env', 'dev'], { books: { 'us-east-1': TEST_PRICES } })).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        'cost: environment dev: no prices for region eu-west-1 in lib/cost/prices.ts: expected one of us-east-1 (add a price book for eu-west-1)',
      ],
    });
  });

  test('an invalid config: its problem lines', () => {
    const broken = { ...copyOf(devLike), cost: { dailyLakeGiB: 0 } };
    expect(run(['--env', 'dev'], { registry: { dev: broken } })).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        'cost: Invalid config for environment "dev": cost.dailyLakeGiB: expected more than 0 GiB; received 0',
      ],
    });
  });

  test('an error other than a config error while loading the config is not exit 2: it is thrown', () => {
    const broken: Record<string, EnvironmentConfigInput> = {};
    Object.defineProperty(broken, 'dev', {
      enumerable: true,
      get: () => {
        throw new TypeError('a registry that cannot be read');
      },
    });
    expect(() => run(['--env', 'dev'], { registry: broken })).toThrow(
      new TypeError('a registry that cannot be read'),
    );
  });

  test('--env=dev and --format=json are accepted too; --help prints the usage and exits 0', () => {
    expect(parseOptions(['--env=dev', '--format=json'], ['dev'])).toEqual({
      env: 'dev',
      format: 'json',
      help: false,
    });
    expect(run(['--help'])).toEqual({ code: 0, stdout: USAGE.split('\n'), stderr: [] });
  });

  test('as a process: one line on stderr, no stack trace, exit 2', () => {
    const result = runTsx(['scripts/cost.ts', '--env', 'staging'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 2,
      stdout: '',
      stderr: 'cost: Unknown environment "staging": expected one of dev, prod\n',
    });
  }, 30_000);
});
