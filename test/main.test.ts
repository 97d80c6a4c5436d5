import { join } from 'node:path';
import { ConfigError, configErrorLines } from '../lib/config';
import { main } from '../lib/main';
import { BROKEN_ENVIRONMENTS } from './fixtures/broken-configs';
import { runTsx } from './helpers/tsx';

const ROOT = join(__dirname, '..');

const SHARED_PROBLEM =
  'sources[0].tables[0].lake.bookmarkKeys[1]: expected a bookmark key not listed before in the same table ' +
  '(compared without regard to case); received "UPDATED_AT" (edit test/fixtures/shared-source.ts)';

/** One line per problem, the environment named; the shared problem once per environment. */
const EXPECTED_LINES = [
  'Invalid config for environment "dev": monthlyBudgetUsd: expected a budget greater than 0 USD; received 0 (edit test/fixtures/broken-configs.ts)',
  `Invalid config for environment "dev": ${SHARED_PROBLEM}`,
  'Invalid config for environment "prod": logRetentionDays: expected at least 365 days in a production environment ' +
    '(logs are what an incident or audit review reads); received 30 (edit test/fixtures/broken-configs.ts)',
  `Invalid config for environment "prod": ${SHARED_PROBLEM}`,
];

describe('main, the app entry, on invalid configs', () => {
  test('writes one line per problem of every environment and returns 1', () => {
    const lines: string[] = [];
    const code = main({
      build: { registry: BROKEN_ENVIRONMENTS, compliance: false },
      writeError: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines).toEqual(EXPECTED_LINES);
  });

  test('checks only the selected environments', () => {
    const lines: string[] = [];
    const code = main({
      build: { registry: BROKEN_ENVIRONMENTS, environments: ['prod'], compliance: false },
      writeError: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines).toEqual(EXPECTED_LINES.slice(2));
  });

  test('lets any other error through, stack and all', () => {
    expect(() =>
      main({ build: { registry: BROKEN_ENVIRONMENTS, environments: ['staging'], compliance: false } }),
    ).toThrow('Unknown environment "staging": expected one of dev, prod');
  });

  test('as a process: prints the lines on stderr, no stack trace, and exits 1', () => {
    const result = runTsx(['test/fixtures/broken-app.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).not.toContain('    at ');
    expect(result.stderr.trimEnd().split('\n')).toEqual(EXPECTED_LINES);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  }, 30_000);
});

describe('configErrorLines', () => {
  test('prints a problem reported twice in one environment once', () => {
    expect(
      configErrorLines([
        new ConfigError('dev', ['region: expected x; received "y"', 'region: expected x; received "y"']),
      ]),
    ).toEqual(['Invalid config for environment "dev": region: expected x; received "y"']);
  });
});
