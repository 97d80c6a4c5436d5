import { definedIn } from '../provenance';
import type { EnvironmentConfigInput } from '../schema';
import { trackmanBackend } from './trackman-backend';

/** Production: three AZs, the existing trackman-lake bucket, everything retained. */
export const prod: EnvironmentConfigInput = definedIn(__filename, {
  name: 'prod',
  production: true,
  account: '222222222222',
  region: 'eu-west-1',
  removalPolicy: 'retain',
  logRetentionDays: 365,
  network: {
    mode: 'create',
    cidr: '10.41.0.0/20',
    maxAzs: 3,
    // The VPC trackman-backend lives in; its database subnets route back through the peering.
    sourceVpcPeering: {
      vpcId: 'vpc-0a1b2c3d4e5f60002',
      cidr: '10.10.0.0/16',
      routeTableIds: ['rtb-0a1b2c3d4e5f60002'],
    },
  },
  sources: [
    trackmanBackend({
      host: 'trackman-backend.cluster-example.eu-west-1.rds.amazonaws.com',
      // No readReplicaHost: trackman-backend is an Aurora cluster, whose readers cannot report how far
      // they have replayed the writer, so the lake reads the writer (indexed range scans of one interval's
      // rows; snapshots of small tables). An RDS read replica's instance endpoint would do.
      credentialsSecretArn:
        'arn:aws:secretsmanager:eu-west-1:222222222222:secret:trackman-backend/lake-reader-GhIjKl',
      securityGroupId: 'sg-0fedcba9876543210',
      // 40 tables at a time, each up to readPartitions 4 + its horizon query: enough to read hundreds of
      // tables within one 15-minute interval (lib/config/slo-budget.ts). The lake reader's connection
      // limit on the database is set to match (docs/runbook.md).
      maxConnections: 200,
      // DMS reads the writer (host): logical replication slots exist only there.
      replication: {
        credentialsSecretArn:
          'arn:aws:secretsmanager:eu-west-1:222222222222:secret:trackman-backend/dms-source-YzAbCd',
      },
    }),
  ],
  lake: { bucketName: 'trackman-lake' },
  replication: {
    database: {
      mode: 'create',
      instanceClass: 'db.r7g.large',
      multiAz: true,
      backupRetentionDays: 14,
      applicationSecurityGroupIds: ['sg-0a1b2c3d4e5f60003'],
    },
    // A provisioned Multi-AZ task, not DMS Serverless: a task takes a new table in place (stop, modify,
    // resume, reload of that table only), where a started serverless replication cannot be modified and is
    // replaced, reloading every replicated table of the source (README, "On adding a table").
    dms: { mode: 'instance', instanceClass: 'dms.r6i.large', allocatedStorageGiB: 100, multiAz: true },
  },
  alarmEmails: ['data-platform@trackman.example'],
  monthlyBudgetUsd: 2000,
});
