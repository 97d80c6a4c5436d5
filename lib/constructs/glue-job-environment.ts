import * as path from 'node:path';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { GlueObjectCode } from './glue-object-code';
import { LogsKey } from './logs-key';
import type { IngestionScripts } from './table-ingestion-job';

const GLUE_SCRIPTS = path.join(__dirname, '..', '..', 'glue-scripts');

export interface GlueJobEnvironmentProps {
  readonly environment: string;
  /** The lake key: Glue's S3 writes are SSE-KMS with it. */
  readonly lakeKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What every ingestion job shares: the security configuration that encrypts
 * its S3 output (lake key), its CloudWatch logs and its bookmarks (a key of its
 * own), the log groups the jobs write to, with retention, and the script assets.
 */
export class GlueJobEnvironment extends Construct {
  public readonly securityConfiguration: glue.SecurityConfiguration;
  /** Its name, a literal (ingestionSecurityConfigurationName). */
  public readonly securityConfigurationName: string;
  /** Encrypts job logs and bookmarks. */
  public readonly jobKey: LogsKey;
  /** `<prefix>/output` and `<prefix>/error`, passed to jobs as --custom-logGroup-prefix. */
  public readonly logGroupPrefix: string;
  public readonly logGroups: logs.LogGroup[];
  public readonly scripts: IngestionScripts;

  constructor(scope: Construct, id: string, props: GlueJobEnvironmentProps) {
    super(scope, id);
    this.jobKey = new LogsKey(this, 'JobKey', {
      purpose: 'Glue ingestion job (and their bookmarks)',
      removalPolicy: props.removalPolicy,
    });
    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      // A literal name: the jobs in the nested table-group stacks then see it as it is, in their
      // encrypted log group ARNs and in the acknowledgements that name those, not as a parameter.
      securityConfigurationName: ingestionSecurityConfigurationName(props.environment),
      s3Encryption: glue.S3Encryption.kms(props.lakeKey),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(this.jobKey.key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(this.jobKey.key),
    });
    this.securityConfigurationName = ingestionSecurityConfigurationName(props.environment);
    // The L2 retains it by default; it holds no data, so it follows the environment like the rest.
    this.securityConfiguration.applyRemovalPolicy(props.removalPolicy);

    this.logGroupPrefix = `/aws-glue/trackman-${props.environment}-ingestion`;
    this.logGroups = ['output', 'error'].map(
      (stream) =>
        new logs.LogGroup(this, `${stream === 'output' ? 'Output' : 'Error'}LogGroup`, {
          logGroupName: `${this.logGroupPrefix}/${stream}`,
          encryptionKey: this.jobKey.key,
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
        }),
    );

    // pylib/ as a zip asset: Glue puts an --extra-py-files zip on sys.path, so the script
    // imports ingest_helpers by its own name (a lone .py asset would be named by its hash).
    const helpers = new s3assets.Asset(this, 'HelpersAsset', { path: path.join(GLUE_SCRIPTS, 'pylib') });
    const script = new s3assets.Asset(this, 'ScriptAsset', {
      path: path.join(GLUE_SCRIPTS, 'ingest_table.py'),
    });
    // Each job role may read exactly these two objects, not the CDK asset bucket (GlueObjectCode).
    this.scripts = {
      script: GlueObjectCode.fromS3Asset(script),
      helpers: GlueObjectCode.fromS3Asset(helpers),
    };
  }
}

/**
 * The jobs' security configuration name, `trackman-<env>-ingestion`: a literal, so the jobs in the
 * nested table-group stacks name it as it is in their encrypted log group ARNs (the L2's
 * securityConfigurationName is a Ref, which would reach them as a stack parameter).
 */
export function ingestionSecurityConfigurationName(environment: string): string {
  return `trackman-${environment}-ingestion`;
}
