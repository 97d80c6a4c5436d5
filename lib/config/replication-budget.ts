/**
 * The replication freshness SLO as arithmetic over the alarm and batch-apply settings.
 *
 * AWS DMS promises no latency, so the replication is watched instead: CloudWatch
 * alarms on CDCLatencySource and CDCLatencyTarget page a person while there is
 * still time to act. Both metrics are the age, in seconds, of the oldest change
 * not yet read from the source or not yet committed on the target, so they
 * measure the freshness of dataengineering-db directly.
 *
 * When the replication stalls, the latency grows one second per second. The
 * alarm fires once `evaluationPeriods` one-minute datapoints in a row are at or
 * over the threshold, and the datapoints reach CloudWatch some time after the
 * minute they describe. So the oldest waiting row is, when the page goes out,
 *
 *   threshold + evaluationPeriods x period + metric delay allowance
 *
 * old. That must leave `actFraction` of the SLO to act (fail over, resume,
 * scale up), which gives the threshold:
 *
 *   threshold = SLO x (1 - actFraction) - evaluationPeriods x period - metric delay allowance
 *
 * With the 30-minute SLO: 1800 x 0.5 - 5 x 60 - 120 = 480 s (8 minutes). A healthy
 * replication with batch apply holds changes for up to BatchApplyTimeoutMax
 * seconds before it commits them, so its target latency reaches that much on a
 * good day; a threshold under twice that would page on healthy batching. A
 * config whose SLO leaves no such threshold fails synth.
 */
import type { BudgetIssue } from './slo-budget';

/** How the latency alarms evaluate (lib/constructs/replication-alarms.ts uses exactly these). */
export const REPLICATION_ALARM = {
  /** DMS publishes its metrics per minute; one datapoint per period. */
  periodSeconds: 60,
  /** Datapoints in a row over the threshold before the alarm fires: a sustained lag, not a blip. */
  evaluationPeriods: 5,
  /**
   * Allowance for a datapoint to reach CloudWatch and be evaluated after its minute. A margin
   * chosen here, not a figure AWS documents.
   */
  metricDelayAllowanceSeconds: 120,
  /** Share of the SLO left to the person paged. */
  actFraction: 0.5,
} as const;

/**
 * Batch apply (ChangeProcessingTuning): DMS waits at least `timeoutMinSeconds` and at most
 * `timeoutMaxSeconds` between two applications of a batch. A minute at most costs 1/30 of the
 * SLO and lets DMS group a minute of changes into one commit per table on dataengineering-db.
 */
export const BATCH_APPLY = {
  timeoutMinSeconds: 1,
  timeoutMaxSeconds: 60,
} as const;

/** The parts of an environment's config the replication budget reads. */
export interface ReplicationBudgetInput {
  readonly slo: { readonly replicationFreshnessMinutes: number };
  readonly replication: { readonly enabled: boolean };
}

export interface ReplicationBudget {
  readonly sloMinutes: number;
  /** Age of the oldest waiting row by which the alarm must have paged (seconds). */
  readonly pageBySeconds: number;
  /** evaluationPeriods x period (seconds). */
  readonly evaluationSeconds: number;
  readonly metricDelayAllowanceSeconds: number;
  /** The CDCLatencySource / CDCLatencyTarget alarm threshold (seconds). */
  readonly thresholdSeconds: number;
  /** The least threshold that keeps a healthy, batching replication out of ALARM (seconds). */
  readonly minimumThresholdSeconds: number;
  /** Minutes left to act when the alarm pages in the worst case. */
  readonly timeToActMinutes: number;
}

export function replicationBudget(config: Pick<ReplicationBudgetInput, 'slo'>): ReplicationBudget {
  const sloSeconds = config.slo.replicationFreshnessMinutes * 60;
  // Whole seconds, so the threshold is a round number in the template and the message.
  const pageBySeconds = Math.floor(sloSeconds * (1 - REPLICATION_ALARM.actFraction));
  const evaluationSeconds = REPLICATION_ALARM.evaluationPeriods * REPLICATION_ALARM.periodSeconds;
  const thresholdSeconds = pageBySeconds - evaluationSeconds - REPLICATION_ALARM.metricDelayAllowanceSeconds;
  return {
    sloMinutes: config.slo.replicationFreshnessMinutes,
    pageBySeconds,
    evaluationSeconds,
    metricDelayAllowanceSeconds: REPLICATION_ALARM.metricDelayAllowanceSeconds,
    thresholdSeconds,
    minimumThresholdSeconds: 2 * BATCH_APPLY.timeoutMaxSeconds,
    timeToActMinutes: (sloSeconds - pageBySeconds) / 60,
  };
}

/** Why the replication SLO cannot be guarded by the alarms, as config issues (empty when it can). */
export function replicationBudgetIssues(config: ReplicationBudgetInput): BudgetIssue[] {
  const slo = config.slo.replicationFreshnessMinutes;
  // An out-of-range SLO is reported by its own field; a budget over it would only add noise.
  if (!config.replication.enabled || !Number.isInteger(slo) || slo < 1) return [];
  const budget = replicationBudget(config);
  if (budget.thresholdSeconds >= budget.minimumThresholdSeconds) return [];
  const actPercent = Math.round(REPLICATION_ALARM.actFraction * 100);
  return [
    {
      path: ['slo', 'replicationFreshnessMinutes'],
      input: slo,
      message:
        `a replication SLO whose CDC latency alarms can page with ${actPercent}% of it left to act; ` +
        `${slo} min gives a threshold of ${budget.thresholdSeconds} s = ${100 - actPercent}% of the SLO ${budget.pageBySeconds} s ` +
        `- evaluation ${REPLICATION_ALARM.evaluationPeriods} x ${REPLICATION_ALARM.periodSeconds} s ` +
        `- metric delay allowance ${REPLICATION_ALARM.metricDelayAllowanceSeconds} s, ` +
        `under ${budget.minimumThresholdSeconds} s = 2 x BatchApplyTimeoutMax ${BATCH_APPLY.timeoutMaxSeconds} s, the latency of a healthy replication`,
    },
  ];
}
