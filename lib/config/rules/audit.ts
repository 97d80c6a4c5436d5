import type { RuleIssue } from './issue';
import { PRODUCTION_MIN_LOG_RETENTION_DAYS } from './production';

interface AuditInput {
  readonly production: boolean;
  readonly monthlyBudgetUsd: number;
  readonly audit: {
    readonly trail:
      | { readonly mode: 'off' }
      | { readonly mode: 'organization' }
      | {
          readonly mode: 'create';
          readonly bucketRetentionDays: number;
        };
    readonly costAnomalies: { readonly thresholdUsd: number };
  };
}

/**
 * A production environment is audited: a trail records its API activity (its own, or the
 * organization's), and the trail's files are kept as long as the other logs, a year, one
 * full audit cycle (PRODUCTION_MIN_LOG_RETENTION_DAYS).
 */
export function auditTrailIssues(config: Pick<AuditInput, 'production' | 'audit'>): RuleIssue[] {
  if (!config.production) return [];
  const trail = config.audit.trail;
  if (trail.mode === 'off') {
    return [
      {
        path: ['audit', 'trail', 'mode'],
        input: 'off',
        message:
          "'create' or 'organization' in a production environment (the trail is the record of who did what, " +
          'which an incident or audit review reads; the event history keeps only 90 days of management events)',
      },
    ];
  }
  if (trail.mode === 'create' && trail.bucketRetentionDays < PRODUCTION_MIN_LOG_RETENTION_DAYS) {
    return [
      {
        path: ['audit', 'trail', 'bucketRetentionDays'],
        input: trail.bucketRetentionDays,
        message: `at least ${PRODUCTION_MIN_LOG_RETENTION_DAYS} days in a production environment (trail files are what an incident or audit review reads)`,
      },
    ];
  }
  return [];
}

/**
 * An anomaly as large as the whole month's budget would reach the budget's notifications
 * first: the anomaly threshold must be below monthlyBudgetUsd to add anything.
 */
export function costAnomalyIssues(config: Pick<AuditInput, 'monthlyBudgetUsd' | 'audit'>): RuleIssue[] {
  const threshold = config.audit.costAnomalies.thresholdUsd;
  // A budget of 0 or less is reported by its own field.
  if (!(config.monthlyBudgetUsd > 0) || threshold < config.monthlyBudgetUsd) return [];
  return [
    {
      path: ['audit', 'costAnomalies', 'thresholdUsd'],
      input: threshold,
      message: `less than monthlyBudgetUsd (${config.monthlyBudgetUsd}): an anomaly that large is caught by the budget's notifications first`,
    },
  ];
}

/** Every issue of the audit and cost rules. */
export function auditIssues(config: AuditInput): RuleIssue[] {
  return [...auditTrailIssues(config), ...costAnomalyIssues(config)];
}
