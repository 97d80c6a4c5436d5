/**
 * Cross-field rules of an environment's config, one concern per file. The
 * schema's superRefine reports every issue these return.
 */
import { auditIssues } from './audit';
import { backupIssues } from './backup';
import { columnIssues } from './columns';
import { costIssues } from './cost';
import { credentialsIssues } from './credentials';
import type { RuleIssue } from './issue';
import { productionIssues } from './production';
import { readHorizonIssues } from './read-horizon';
import { replicationIssues } from './replication';

export type { RuleIssue } from './issue';
export { JOB_ADDED_COLUMNS } from './columns';
export { AWS_REGIONS, isAwsRegion, type AwsRegion } from './regions';
export { checkIpv4Cidr, ipv4CidrProblem } from './cidr';
export * from './production';
export {
  PRODUCTION_MIN_DAILY_BACKUP_RETENTION_DAYS,
  PRODUCTION_MIN_MONTHLY_BACKUP_RETENTION_DAYS,
} from './backup';

type RulesInput = Parameters<typeof productionIssues>[0] &
  Parameters<typeof credentialsIssues>[0] &
  Parameters<typeof columnIssues>[0] &
  Parameters<typeof readHorizonIssues>[0] &
  Parameters<typeof replicationIssues>[0] &
  Parameters<typeof auditIssues>[0] &
  Parameters<typeof backupIssues>[0] &
  Parameters<typeof costIssues>[0];

/** Every issue the rules of this folder find, in a stable order. */
export function ruleIssues(config: RulesInput): RuleIssue[] {
  return [
    ...productionIssues(config),
    ...credentialsIssues(config),
    ...columnIssues(config),
    ...readHorizonIssues(config),
    ...replicationIssues(config),
    ...auditIssues(config),
    ...backupIssues(config),
    ...costIssues(config),
  ];
}
