import { definedIn } from '../provenance';
import type { EnvironmentConfigInput } from '../schema';
import { trackmanBackend } from './trackman-backend';

/** Development: a smaller network, short retention, everything removable. */
export const dev: EnvironmentConfigInput = definedIn(__filename, {
  name: 'dev',
  production: false,
  account: '111111111111',
  region: 'eu-west-1',
  removalPolicy: 'destroy',
  logRetentionDays: 14,
  network: {
    mode: 'create',
    cidr: '10.40.0.0/20',
    maxAzs: 2,
    // The VPC trackman-backend lives in; its database subnets route back through the peering.
    sourceVpcPeering: {
      vpcId: 'vpc-0a1b2c3d4e5f60001',
      cidr: '10.20.0.0/16',
      routeTableIds: ['rtb-0a1b2c3d4e5f60001'],
    },
  },
  sources: [
    trackmanBackend({
      host: 'trackman-backend-dev.cluster-example.eu-west-1.rds.amazonaws.com',
      credentialsSecretArn:
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:trackman-backend/lake-reader-AbCdEf',
      securityGroupId: 'sg-0123456789abcdef0',
      replication: {
        credentialsSecretArn:
          'arn:aws:secretsmanager:eu-west-1:111111111111:secret:trackman-backend/dms-source-StUvWx',
      },
    }),
  ],
  lake: {
    // removalPolicy 'destroy' would delete the lake key the account-wide catalog encryption points at.
    manageCatalogEncryption: false,
    accessLogExpirationDays: 30,
    noncurrentVersionExpirationDays: 7,
    athena: { bytesScannedCutoffPerQuery: 10 * 1024 ** 3, resultsExpirationDays: 7 },
  },
  ingestion: { maxWorkers: 4 },
  // One Availability Zone and the smallest capacity: dev replicates to test the pipeline, not to serve the app.
  replication: {
    database: { mode: 'create', multiAz: false, allocatedStorageGiB: 20, maxAllocatedStorageGiB: 100 },
    dms: { mode: 'serverless', minCapacityUnits: 1, maxCapacityUnits: 4, multiAz: false },
  },
  alarmEmails: ['data-platform-dev@trackman.example'],
  // Above `npm run cost -- --env dev` (about 825 USD, two fifths of it the table jobs every 15 minutes), so the
  // budget alerts on a change in spend, not every month; synth warns whenever the estimate passes it.
  monthlyBudgetUsd: 900,
});
