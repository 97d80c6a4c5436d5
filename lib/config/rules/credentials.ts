import type { RuleIssue } from './issue';
import { isAwsRegion } from './regions';

interface CredentialsInput {
  readonly account: string;
  readonly region: string;
  readonly sources: readonly {
    readonly credentialsSecretArn: string;
    readonly credentialsKmsKeyArn?: string;
    readonly credentialsCrossAccount: boolean;
  }[];
  readonly replication?: {
    readonly database?: {
      readonly probeCredentialsSecretArn?: string;
      readonly probeCredentialsKmsKeyArn?: string;
    };
  };
}

/** Region and account of an ARN (`arn:partition:service:region:account:resource`). */
function arnParts(arn: string): { region: string; account: string } | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 ? { region: parts[3], account: parts[4] } : undefined;
}

/**
 * A source's credentials secret and its KMS key are in the environment's
 * region, and in its account unless the source declares
 * `credentialsCrossAccount: true`. Another region is never allowed: the jobs
 * reach Secrets Manager and KMS through the VPC's interface endpoints, which
 * serve their own region only. Another account is allowed only on purpose,
 * because it also needs a resource policy on the secret and the key there.
 */
export function credentialsIssues(config: CredentialsInput): RuleIssue[] {
  // An unknown region or a malformed account is reported by its own field; comparing ARNs with it would only add noise.
  if (!isAwsRegion(config.region) || !/^\d{12}$/.test(config.account)) return [];
  const issues: RuleIssue[] = [];
  config.sources.forEach((source, s) => {
    const fields = [
      ['credentialsSecretArn', source.credentialsSecretArn],
      ['credentialsKmsKeyArn', source.credentialsKmsKeyArn],
    ] as const;
    for (const [field, arn] of fields) {
      const parts = arn === undefined ? undefined : arnParts(arn);
      if (parts === undefined) continue;
      const path = ['sources', s, field];
      if (parts.region !== config.region) {
        issues.push({
          path,
          input: arn,
          message: `an ARN in the environment's region ${config.region} (the jobs reach it through this region's VPC endpoints)`,
        });
      } else if (parts.account !== config.account && !source.credentialsCrossAccount) {
        issues.push({
          path,
          input: arn,
          message:
            `an ARN in the environment's account ${config.account}, ` +
            `or sources[${s}].credentialsCrossAccount: true to read it from account ${parts.account} on purpose`,
        });
      }
    }
  });
  // The probe's reader of dataengineering-db: the same region (the probe's VPC endpoints), the same account.
  const database = config.replication?.database;
  for (const field of ['probeCredentialsSecretArn', 'probeCredentialsKmsKeyArn'] as const) {
    const arn = database?.[field];
    const parts = arn === undefined ? undefined : arnParts(arn);
    if (parts === undefined) continue;
    if (parts.region !== config.region || parts.account !== config.account) {
      issues.push({
        path: ['replication', 'database', field],
        input: arn,
        message: `an ARN in the environment's account ${config.account} and region ${config.region} (the probe reads it through this region's VPC endpoints)`,
      });
    }
  }
  return issues;
}
