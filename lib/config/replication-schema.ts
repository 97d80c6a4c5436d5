/**
 * Config of the replication to dataengineering-db (AWS DMS, full load + CDC).
 * Part of the environment schema (lib/config/schema.ts); kept apart because it
 * is its own concern and grows with the replication stack.
 */
import { z } from 'zod';

const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

const SECRET_ARN_EXPECTED =
  'the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>)';
const secretArn = (what: string) =>
  z.string({ error: SECRET_ARN_EXPECTED }).regex(SECRET_ARN, { error: SECRET_ARN_EXPECTED }).describe(what);

/** A string field whose missing and malformed values get the same message. */
const text = (pattern: RegExp, expected: string) =>
  z.string({ error: expected }).regex(pattern, { error: expected });
const databaseName = () =>
  text(SQL_IDENTIFIER, 'a database name: letters, digits, _ or $, at most 63 characters');
const securityGroupId = () => text(SECURITY_GROUP, 'a security group id (sg-...)');

const kmsKeyArn = (what: string) =>
  z.string().regex(KMS_KEY_ARN, { error: 'the ARN of a KMS key' }).optional().describe(what);

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .int({ error: `a whole number of ${what}` })
    .min(min, { error: `at least ${min} ${what}` })
    .max(max, { error: `at most ${max} ${what}` });

/** Replication settings of one source: how DMS logs in and where its tables land. */
export const SourceReplicationSchema = z
  .strictObject({
    credentialsSecretArn: secretArn(
      'Secrets Manager secret (username, password) of the DMS source user: a user with replication ' +
        'privileges (rds_replication on RDS PostgreSQL; REPLICATION CLIENT and REPLICATION SLAVE on MySQL), not ' +
        'the lake reader.',
    ),
    credentialsKmsKeyArn: kmsKeyArn(
      'Customer-managed KMS key of that secret. @default - the secret uses the AWS managed key',
    ),
    targetSchema: z
      .string()
      .regex(SQL_IDENTIFIER, { error: 'a schema name: letters, digits, _ or $, at most 63 characters' })
      .optional()
      .describe(
        "Schema in dataengineering-db that receives this source's tables. @default - each table keeps its source schema",
      ),
  })
  .describe('How AWS DMS reads this source. Required when the source has a table with replicate: true.');

/** The freshness probe's own read-only user of dataengineering-db, in either database mode. */
const probeReaderFields = {
  probeCredentialsSecretArn: z
    .string({ error: SECRET_ARN_EXPECTED })
    .regex(SECRET_ARN, { error: SECRET_ARN_EXPECTED })
    .optional()
    .describe(
      'Secrets Manager secret (username, password) of a read-only user the freshness probe reads the replicated ' +
        'tables with (docs/runbook.md, "A read-only user for the probe"). @default - the user DMS writes with: the ' +
        'probe then holds write credentials it never uses',
    ),
  probeCredentialsKmsKeyArn: kmsKeyArn(
    'Customer-managed KMS key of that secret. @default - the secret uses the AWS managed key',
  ),
};

const CreateDatabaseSchema = z.strictObject({
  mode: z.literal('create').describe('Create dataengineering-db as an RDS for PostgreSQL instance.'),
  engineVersion: z
    .enum(['16', '17'], { error: "a PostgreSQL major version: '16' or '17'" })
    .default('17')
    .describe('PostgreSQL major version. @default "17"'),
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'an RDS instance class such as db.r7g.large' })
    .default('db.t4g.medium')
    .describe('Instance class. @default "db.t4g.medium"'),
  allocatedStorageGiB: wholeNumber('GiB', 20, 65536)
    .default(100)
    .describe('Initial gp3 storage. @default 100'),
  maxAllocatedStorageGiB: wholeNumber('GiB', 20, 65536)
    .default(500)
    .describe('Storage autoscaling ceiling; at least allocatedStorageGiB. @default 500'),
  multiAz: z.boolean().default(true).describe('A standby in another Availability Zone. @default true'),
  databaseName: databaseName()
    .default('dataengineering')
    .describe('Database the replicated tables land in. @default "dataengineering"'),
  backupRetentionDays: wholeNumber('days', 1, 35)
    .default(7)
    .describe('Automated backup retention (point-in-time restore window). @default 7'),
  credentialsRotationDays: wholeNumber('days', 1, 365)
    .default(30)
    .describe('Rotation interval of the Secrets Manager-managed master credentials. @default 30'),
  applicationSecurityGroupIds: z
    .array(securityGroupId())
    .default([])
    .describe(
      'Security groups of the internal application; with DMS, the only ones the database admits. @default [] - only DMS',
    ),
  ...probeReaderFields,
});

const ExistingDatabaseSchema = z.strictObject({
  mode: z.literal('existing').describe('Replicate into a PostgreSQL database that exists already.'),
  host: text(HOST, 'a DNS host name').describe('Writer endpoint host name.'),
  port: wholeNumber('port', 1, 65535).default(5432).describe('Port. @default 5432'),
  databaseName: databaseName().describe('Database the replicated tables land in.'),
  credentialsSecretArn: secretArn('Secrets Manager secret (username, password) of the user DMS writes with.'),
  credentialsKmsKeyArn: kmsKeyArn(
    'Customer-managed KMS key of that secret. @default - the secret uses the AWS managed key',
  ),
  securityGroupId: securityGroupId().describe(
    'Security group of the database; it gets an ingress rule that admits DMS.',
  ),
  ...probeReaderFields,
});

export const ReplicaDatabaseSchema = z
  .discriminatedUnion('mode', [CreateDatabaseSchema, ExistingDatabaseSchema], {
    error: "a database: { mode: 'create', ... } or { mode: 'existing', host, databaseName, ... }",
  })
  .describe('dataengineering-db, the target of the replication.');

/** The DCU values DMS Serverless accepts (API reference, ComputeConfig). */
export const DMS_CAPACITY_UNITS = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384] as const;
const capacityUnits = () =>
  z.union(
    DMS_CAPACITY_UNITS.map((n) => z.literal(n)),
    { error: `a DMS capacity in DCUs: one of ${DMS_CAPACITY_UNITS.join(', ')}` },
  );

const ServerlessDmsSchema = z.strictObject({
  mode: z.literal('serverless').describe('DMS Serverless: capacity scales between the two bounds.'),
  minCapacityUnits: capacityUnits().default(1).describe('Lowest DMS capacity units. @default 1'),
  maxCapacityUnits: capacityUnits().default(16).describe('Highest DMS capacity units. @default 16'),
  multiAz: z
    .boolean()
    .default(true)
    .describe('A standby replication in another Availability Zone. @default true'),
});

const InstanceDmsSchema = z.strictObject({
  mode: z.literal('instance').describe('A provisioned replication instance.'),
  instanceClass: z
    .string()
    .regex(/^dms\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'a DMS instance class such as dms.r6i.large' })
    .default('dms.r6i.large')
    .describe('Replication instance class. @default "dms.r6i.large"'),
  allocatedStorageGiB: wholeNumber('GiB', 5, 6144).default(100).describe('Instance storage. @default 100'),
  multiAz: z
    .boolean()
    .default(true)
    .describe('A standby instance in another Availability Zone. @default true'),
});

export const DmsSchema = z
  .discriminatedUnion('mode', [ServerlessDmsSchema, InstanceDmsSchema], {
    error: "a DMS capacity: { mode: 'serverless', ... } or { mode: 'instance', ... }",
  })
  .describe('How DMS runs.');

export const ReplicationSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('false leaves the replication and dataengineering-db out of the environment. @default true'),
    database: ReplicaDatabaseSchema.prefault({ mode: 'create' }),
    dms: DmsSchema.prefault({ mode: 'serverless' }),
    lobMaxSizeKiB: wholeNumber('KiB', 1, 102_400)
      .default(1024)
      .describe(
        'Largest LOB (text, bytea, json) DMS copies from a PostgreSQL source in limited LOB mode; a larger one ' +
          'fails the task instead of being truncated. MySQL sources copy LOBs in full mode (their endpoint cannot ' +
          'fail on truncation). @default 1024',
      ),
  })
  .prefault({})
  .describe(
    'Replication of the tables with replicate: true into dataengineering-db (AWS DMS, full load + CDC).',
  );

export type SourceReplicationConfig = z.output<typeof SourceReplicationSchema>;
export type ReplicationConfig = z.output<typeof ReplicationSchema>;
export type ReplicaDatabaseConfig = z.output<typeof ReplicaDatabaseSchema>;
export type DmsConfig = z.output<typeof DmsSchema>;
