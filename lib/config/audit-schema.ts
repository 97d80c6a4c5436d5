/**
 * Config of the audit trail (AWS CloudTrail) and the cost guards (AWS Budgets,
 * Cost Anomaly Detection) of an environment. Part of the environment schema
 * (lib/config/schema.ts); kept apart because it is its own concern. The budget
 * amount itself is the environment's `monthlyBudgetUsd`; the trail's CloudWatch
 * log group keeps the environment's `logRetentionDays` like every other log group.
 */
import { z } from 'zod';

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .int({ error: `a whole number of ${what}` })
    .min(min, { error: `at least ${min} ${what}` })
    .max(max, { error: `at most ${max} ${what}` });

/** What the trail records of the lake bucket's objects (S3 data events, billed per event). */
export const LAKE_DATA_EVENTS = ['none', 'writes', 'reads-and-writes'] as const;

const CreateTrailSchema = z.strictObject({
  mode: z
    .literal('create')
    .describe(
      'The environment creates its own multi-Region trail (management events, log file validation, KMS) ' +
        'with a hardened bucket of its own.',
    ),
  bucketRetentionDays: wholeNumber('days', 1, 36_500)
    .default(365)
    .describe('Days trail log files are kept in the trail bucket before they expire. @default 365'),
  cloudWatchLogs: z
    .boolean({ error: 'true or false' })
    .default(true)
    .describe(
      'Also deliver the trail to a CloudWatch Logs group (kept logRetentionDays), where metric filters and ' +
        'Logs Insights can read it. @default true',
    ),
  lakeDataEvents: z
    .enum(LAKE_DATA_EVENTS, { error: "'none', 'writes' or 'reads-and-writes'" })
    .default('reads-and-writes')
    .describe(
      "S3 data events of the lake bucket's objects, selected by advanced event selectors: 'writes' records " +
        "PutObject, DeleteObject and the like; 'reads-and-writes' also every GetObject, which the ingestion " +
        'jobs and Athena make in bulk, so who read which lake data is on record. Data events cost per 100,000 ' +
        'events: see the README. @default "reads-and-writes"',
    ),
});

const OrganizationTrailSchema = z.strictObject({
  mode: z
    .literal('organization')
    .describe(
      "An organization trail (AWS Organizations' management or delegated administrator account) already " +
        'records this account; the environment creates no trail. Its data events are configured there.',
    ),
});

const NoTrailSchema = z.strictObject({
  mode: z.literal('off').describe('No trail: only the 90-day CloudTrail event history. Not in production.'),
});

export const AuditTrailSchema = z
  .discriminatedUnion('mode', [CreateTrailSchema, OrganizationTrailSchema, NoTrailSchema], {
    error: "a trail: { mode: 'create', ... }, { mode: 'organization' } or { mode: 'off' }",
  })
  .describe('The CloudTrail trail that records API activity in the environment account.');

export const BudgetSchema = z
  .strictObject({
    actualThresholdPercent: wholeNumber('percent', 1, 1000)
      .default(80)
      .describe('Alert when the actual cost of the month passes this share of monthlyBudgetUsd. @default 80'),
    forecastThresholdPercent: wholeNumber('percent', 1, 1000)
      .default(100)
      .describe("Alert when the month's forecast cost passes this share of monthlyBudgetUsd. @default 100"),
    scope: z
      .enum(['environment-tags', 'account'], { error: "'environment-tags' or 'account'" })
      .default('account')
      .describe(
        "'account': every cost of the account; right when each environment has an account of its own, as dev " +
          'and prod do, and it counts what cannot be tagged (custom metrics, data transfer) and needs no tag ' +
          "activation. 'environment-tags': only costs tagged Project and Environment with this environment's " +
          'values, for a shared account; the cost allocation tags must be activated in the Billing console first ' +
          '(see the README), or the budget reads 0. @default "account"',
      ),
  })
  .prefault({})
  .describe('The monthly AWS Budget of monthlyBudgetUsd and its two notifications to the alarm topic.');

export const CostAnomaliesSchema = z
  .strictObject({
    thresholdUsd: z
      .number({ error: 'a number of US dollars' })
      .positive({ error: 'a threshold greater than 0 USD' })
      .default(100)
      .describe(
        'Alert on an anomaly whose total cost impact reaches this many US dollars; less than monthlyBudgetUsd. ' +
          '@default 100',
      ),
  })
  .prefault({})
  .describe(
    'A Cost Anomaly Detection monitor of the costs tagged with the Project tag, and an immediate alert ' +
      'subscription to the alarm topic.',
  );

export const AuditSchema = z
  .strictObject({
    trail: AuditTrailSchema.prefault({ mode: 'create' }),
    budget: BudgetSchema,
    costAnomalies: CostAnomaliesSchema,
  })
  .prefault({})
  .describe('Audit trail (CloudTrail), monthly budget (AWS Budgets) and cost anomaly detection.');

export type AuditConfig = z.output<typeof AuditSchema>;
export type AuditTrailConfig = z.output<typeof AuditTrailSchema>;
export type BudgetConfig = z.output<typeof BudgetSchema>;
export type CostAnomaliesConfig = z.output<typeof CostAnomaliesSchema>;
export type LakeDataEvents = (typeof LAKE_DATA_EVENTS)[number];
