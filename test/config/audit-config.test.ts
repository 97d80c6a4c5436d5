/**
 * The audit and cost config (lib/config/audit-schema.ts, rules in
 * lib/config/rules/audit.ts): its defaults, and every way synth rejects it,
 * each with its exact message.
 */
import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { copyOf, devLike, prodLike } from '../fixtures/configs';
import { problemsAfter } from '../helpers/config-problems';

type AuditInput = NonNullable<EnvironmentConfigInput['audit']>;

/** Problems listed after setting `audit` on a copy of a fixture; [] when it validates. */
function problemsWith(audit: unknown, base: EnvironmentConfigInput = devLike): readonly string[] {
  return problemsAfter((config) => (config.audit = audit as AuditInput), base);
}

describe('audit config: defaults', () => {
  test('an environment that says nothing creates a trail, and gets the 80% / 100% budget and a 100 USD anomaly threshold', () => {
    const config = copyOf(devLike);
    delete config.audit;
    expect(validateConfig(config, 'dev').audit).toEqual({
      trail: {
        mode: 'create',
        bucketRetentionDays: 365,
        cloudWatchLogs: true,
        lakeDataEvents: 'reads-and-writes',
      },
      budget: { actualThresholdPercent: 80, forecastThresholdPercent: 100, scope: 'account' },
      costAnomalies: { thresholdUsd: 100 },
    });
  });

  test.each([
    ['an organization trail', { trail: { mode: 'organization' } }, devLike],
    ['no trail, outside production', { trail: { mode: 'off' } }, devLike],
    ['an organization trail in production', { trail: { mode: 'organization' } }, prodLike],
    [
      'lake reads and writes, a year kept, in production',
      { trail: { mode: 'create', lakeDataEvents: 'reads-and-writes' } },
      prodLike,
    ],
    ['an anomaly threshold just below the budget', { costAnomalies: { thresholdUsd: 299.99 } }, devLike],
  ])('%s validates', (_name, audit, base) => {
    expect(problemsWith(audit, base)).toEqual([]);
  });
});

describe('audit config: what synth rejects, one line each', () => {
  test.each<[string, unknown, string, EnvironmentConfigInput?]>([
    [
      'an unknown trail mode',
      { trail: { mode: 'cloudtrail' } },
      `audit.trail.mode: expected a trail: { mode: 'create', ... }, { mode: 'organization' } or { mode: 'off' }; received {"mode":"cloudtrail"}`,
    ],
    [
      'an unknown lake data events choice',
      { trail: { mode: 'create', lakeDataEvents: 'all' } },
      `audit.trail.lakeDataEvents: expected 'none', 'writes' or 'reads-and-writes'; received "all"`,
    ],
    [
      'lake data events on an organization trail, which is configured elsewhere',
      { trail: { mode: 'organization', lakeDataEvents: 'writes' } },
      'audit.trail.lakeDataEvents: expected no such field (misspelt or misplaced?); received "writes"',
    ],
    [
      'no days of trail files',
      { trail: { mode: 'create', bucketRetentionDays: 0 } },
      'audit.trail.bucketRetentionDays: expected at least 1 days; received 0',
    ],
    [
      'part of a day',
      { trail: { mode: 'create', bucketRetentionDays: 1.5 } },
      'audit.trail.bucketRetentionDays: expected a whole number of days; received 1.5',
    ],
    [
      'CloudWatch Logs delivery as a string',
      { trail: { mode: 'create', cloudWatchLogs: 'yes' } },
      'audit.trail.cloudWatchLogs: expected true or false; received "yes"',
    ],
    [
      'a 0% actual threshold',
      { budget: { actualThresholdPercent: 0 } },
      'audit.budget.actualThresholdPercent: expected at least 1 percent; received 0',
    ],
    [
      'a forecast threshold above 1000%',
      { budget: { forecastThresholdPercent: 1001 } },
      'audit.budget.forecastThresholdPercent: expected at most 1000 percent; received 1001',
    ],
    [
      'a fractional percentage',
      { budget: { actualThresholdPercent: 80.5 } },
      'audit.budget.actualThresholdPercent: expected a whole number of percent; received 80.5',
    ],
    [
      'an unknown budget scope',
      { budget: { scope: 'tags' } },
      `audit.budget.scope: expected 'environment-tags' or 'account'; received "tags"`,
    ],
    [
      'a zero anomaly threshold',
      { costAnomalies: { thresholdUsd: 0 } },
      'audit.costAnomalies.thresholdUsd: expected a threshold greater than 0 USD; received 0',
    ],
    [
      'an anomaly threshold as a string',
      { costAnomalies: { thresholdUsd: '100' } },
      'audit.costAnomalies.thresholdUsd: expected a number of US dollars; received "100"',
    ],
    [
      'an anomaly threshold as large as the monthly budget',
      { costAnomalies: { thresholdUsd: 300 } },
      "audit.costAnomalies.thresholdUsd: expected less than monthlyBudgetUsd (300): an anomaly that large is caught by the budget's notifications first; received 300",
    ],
    [
      'a misspelt section',
      { trial: {} },
      'audit.trial: expected no such field (misspelt or misplaced?); received {}',
    ],
    [
      'no trail in production',
      { trail: { mode: 'off' } },
      `audit.trail.mode: expected 'create' or 'organization' in a production environment (the trail is the record of who did what, which an incident or audit review reads; the event history keeps only 90 days of management events); received "off"`,
      prodLike,
    ],
    [
      'trail files kept less than a year in production',
      { trail: { mode: 'create', bucketRetentionDays: 90 } },
      'audit.trail.bucketRetentionDays: expected at least 365 days in a production environment (trail files are what an incident or audit review reads); received 90',
      prodLike,
    ],
  ])('%s', (_name, audit, message, base = devLike) => {
    expect(problemsWith(audit, base)).toEqual([message]);
  });
});
