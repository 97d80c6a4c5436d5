import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Stack, Tags, Validations, type Stage, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery-schema';
import { PROJECT_TAG } from '../config/naming';
import { PRODUCTION_MIN_ACCESS_LOG_DAYS } from '../config/rules';
import { accessLogBucket } from '../constructs/access-log-bucket';

/** The repository root. */
const ROOT = path.join(__dirname, '..', '..');

/**
 * The installed CDK CLI version (the aws-cdk dev dependency). The self-mutation
 * step installs exactly this one, so the pipeline updates itself with the CLI
 * the synth ran (`npx cdk`), not whatever `aws-cdk@2` is newest that day.
 */
export function installedCdkCliVersion(): string {
  const manifest = path.join(ROOT, 'node_modules', 'aws-cdk', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * What the synth step runs, in order: what a person runs before deploying by
 * hand. `npm run synth` is `cdk synth '**' --quiet` (package.json), so the
 * pipeline deploys the cloud assembly that command writes, cdk-nag included.
 */
export const SYNTH_COMMANDS = ['npm ci', 'npm test', 'npm run synth'] as const;

/**
 * Prepares the build container for `npm test`: the PostgreSQL and MariaDB
 * servers and cfn-lint, which the project's own machines have before a session
 * starts and CodeBuild's standard image does not (scripts/codebuild-test-services.sh).
 */
/** The Node.js major every CodeBuild project of the pipeline runs (package.json engines: ^20.19). */
export const BUILD_NODE_VERSION = '20';

export const SYNTH_INSTALL_COMMANDS = ['bash scripts/codebuild-test-services.sh'] as const;

/** One stage the pipeline deploys. */
export interface DeliveredStage {
  readonly stage: Stage;
  /** Whether a person approves in the pipeline before the stage deploys. */
  readonly approval: boolean;
}

export interface DeliveryPipelineStackProps extends StackProps {
  readonly delivery: DeliveryConfig;
  /** The stages to deploy, in this order; each must name its account and region. */
  readonly stages: readonly DeliveredStage[];
}

/**
 * The delivery pipeline (CDK Pipelines on AWS CodePipeline): on every push to
 * the configured branch it builds the repository, runs the tests and the
 * synth, updates itself, publishes the assets and deploys the stages one after
 * the other, stopping for a manual approval before each stage that asks for one.
 *
 * It deploys the Stage objects it is given, the ones `npm run synth` writes
 * (lib/app.ts): it builds no stages of its own.
 */
export class DeliveryPipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  /** Server access logs of the artifact bucket. */
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DeliveryPipelineStackProps) {
    const { delivery } = props;
    // It serves every environment, so it belongs to none of them.
    const tags = { Project: PROJECT_TAG, Environment: 'shared', Component: 'delivery-pipeline' };
    super(scope, id, {
      ...props,
      env: { account: delivery.account, region: delivery.region },
      tags: { ...tags, ...props.tags },
    });
    for (const { stage } of props.stages) {
      if (stage.account === undefined || stage.region === undefined) {
        throw new Error(`${stage.node.path}: expected a stage with an account and region to deliver to`);
      }
    }
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      selfMutation: true,
      // A customer-managed key (rotated yearly) for the artifacts, whether or not an environment is in
      // another account: the environments' deploy roles need it to read the artifacts across accounts
      // (dev and prod are in their own accounts), and the CodeBuild projects encrypt their output with it
      // (cdk-nag CB4) even when every environment shares the pipeline's account.
      crossAccountKeys: true,
      enableKeyRotation: true,
      cliVersion: installedCdkCliVersion(),
      // One CodeBuild project publishes every file asset in turn, instead of a project (and a build
      // start-up) per asset: the assets are small, and the count grows with the tables.
      publishAssetsInParallel: false,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
          connectionArn: delivery.connectionArn,
        }),
        installCommands: [...SYNTH_INSTALL_COMMANDS],
        commands: [...SYNTH_COMMANDS],
        primaryOutputDirectory: 'cdk.out',
      }),
      // No step runs privileged: nothing here builds a container image. The Lambda handlers are bundled
      // by esbuild inside the build container (lib/constructs/node-function.ts, forceDockerBundling
      // false) and the Glue scripts are plain file assets, so no step needs Docker.
      // Every project (synth, self-mutation, asset publishing) on the Node.js that package.json's engines
      // name, not the image's default, which may be older than the CDK CLI accepts.
      codeBuildDefaults: {
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: BUILD_NODE_VERSION } } },
        }),
      },
      synthCodeBuildDefaults: {
        buildEnvironment: {
          // The type check, the tests and the synth of every environment in one build: MEDIUM's 7 GB
          // of memory rather than SMALL's 3 GB.
          computeType: codebuild.ComputeType.MEDIUM,
        },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          // Python for cfn-lint and the Glue script tests.
          phases: { install: { 'runtime-versions': { nodejs: BUILD_NODE_VERSION, python: '3.11' } } },
        }),
      },
    });

    for (const { stage, approval } of props.stages) {
      this.pipeline.addStage(stage, {
        pre: approval
          ? [
              new pipelines.ManualApprovalStep(`PromoteTo${stage.stageName}`, {
                comment:
                  `Deploys ${stage.stageName} (account ${stage.account}, ${stage.region}). The stages before ` +
                  'it have deployed this commit: check them before approving.',
              }),
            ]
          : [],
      });
    }
    // Built now rather than at synth, so that its bucket and roles exist to be configured and acknowledged.
    this.pipeline.buildPipeline();
    this.allowConnectionUse(delivery.connectionArn);

    this.accessLogBucket = this.logArtifactAccess();
    this.acknowledgeGeneratedPolicies();

    for (const [key, value] of Object.entries(this.tags.tagValues())) Tags.of(this).add(key, value);
  }

  /**
   * CDK Pipelines grants its source action `codestar-connections:UseConnection` on the connection.
   * Connections created since the service was renamed have `codeconnections` ARNs, and IAM matches
   * the action's service prefix with the resource's (CodeConnections User Guide, "IAM permissions"):
   * grant the action under the connection's own prefix too.
   */
  private allowConnectionUse(connectionArn: string): void {
    const prefix = connectionArn.split(':')[2];
    // CodePipeline gives the source action a role of its own, under the Source stage's scope.
    const sourceStage = this.pipeline.pipeline.node.tryFindChild('Source');
    const roles = (sourceStage?.node.findAll() ?? []).filter(
      (child): child is iam.Role => child instanceof iam.Role,
    );
    if (roles.length === 0)
      throw new Error(`${this.node.path}: expected the Source stage to have its action role`);
    for (const role of roles) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [`${prefix}:UseConnection`], resources: [connectionArn] }),
      );
    }
  }

  /**
   * Server access logs for the artifact bucket, which holds the source and the
   * cloud assembly of every run. CDK Pipelines creates the bucket and offers no
   * option for its logging, so it is set on the bucket's CloudFormation resource.
   */
  private logArtifactAccess(): s3.Bucket {
    const artifactBucket = this.pipeline.pipeline.artifactBucket;
    // The pipeline deploys production: its record of access is kept as long as production's.
    const accessLogs = accessLogBucket(this, 'AccessLogBucket', {
      expirationDays: PRODUCTION_MIN_ACCESS_LOG_DAYS,
    });
    const prefix = 'artifacts/';
    // What the L2 bucket writes for serverAccessLogsBucket: the logging service may write under the
    // prefix, for this source bucket and account only.
    accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [accessLogs.arnForObjects(`${prefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': artifactBucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    const cfnArtifactBucket = artifactBucket.node.defaultChild as s3.CfnBucket;
    cfnArtifactBucket.loggingConfiguration = {
      destinationBucketName: accessLogs.bucketName,
      logFilePrefix: prefix,
    };
    return accessLogs;
  }

  /**
   * The cdk-nag findings on the policies CDK Pipelines writes for its own
   * roles, acknowledged on each policy by the exact finding. Every one is a
   * grant on the pipeline's own artifact bucket and key, on the CodeBuild
   * project's own logs and reports, or one the pipeline needs to deploy itself.
   */
  private acknowledgeGeneratedPolicies(): void {
    const artifactBucket = this.pipeline.pipeline.artifactBucket;
    const bucketObjects = `Resource::<${this.logicalIdOf(artifactBucket)}.Arn>/*`;
    const why = {
      artifacts:
        "CDK Pipelines' grant on the pipeline's own artifact bucket (bucket.grantRead/grantReadWrite): the " +
        "objects are the runs' source and cloud assembly, named by CodePipeline at run time.",
      key:
        "CDK Pipelines' grant on the artifact bucket's own KMS key (key.grantEncryptDecrypt): data keys for " +
        'the artifacts the role reads and writes.',
    };
    const read = {
      'Action::s3:GetBucket*': why.artifacts,
      'Action::s3:GetObject*': why.artifacts,
      'Action::s3:List*': why.artifacts,
      [bucketObjects]: why.artifacts,
    };
    const readWrite = {
      ...read,
      'Action::s3:DeleteObject*': why.artifacts,
      'Action::s3:Abort*': why.artifacts,
    };
    const key = { 'Action::kms:GenerateDataKey*': why.key, 'Action::kms:ReEncrypt*': why.key };
    /** A finding on a resource of this stack's account and region, as cdk-nag names it. */
    const resource = (service: string, name: string) =>
      `Resource::arn:${this.partition}:${service}:${this.region}:${this.account}:${name}`;
    const ownBuildLogs = (project: codebuild.IProject): Record<string, string> => {
      const name = `<${this.logicalIdOf(project)}>`;
      const reason = "CodeBuild's grant on the project's own log group streams and report groups.";
      return {
        [resource('logs', `log-group:/aws/codebuild/${name}:*`)]: reason,
        [resource('codebuild', `report-group/${name}-*`)]: reason,
      };
    };

    const sourceStage = this.pipeline.pipeline.node.findChild('Source');
    const sourceRoles = sourceStage.node.findAll().filter((child) => child instanceof iam.Role);
    const assetRole = this.pipeline.node.findChild('Assets').node.findChild('FileRole');
    const acknowledgements: [IConstruct, Record<string, string>][] = [
      [this.pipeline.pipeline.role, { ...readWrite, ...key }],
      ...sourceRoles.map((role): [IConstruct, Record<string, string>] => [role, { ...readWrite, ...key }]),
      [
        this.pipeline.synthProject.role!,
        { ...readWrite, ...key, ...ownBuildLogs(this.pipeline.synthProject) },
      ],
      [
        this.pipeline.selfMutationProject.role!,
        {
          ...read,
          ...key,
          ...ownBuildLogs(this.pipeline.selfMutationProject),
          [`Resource::arn:*:iam::${this.account}:role/*`]:
            "Self-mutation assumes the pipeline account's CDK bootstrap roles (deploy, file and image " +
            'publishing), selected by their aws-cdk:bootstrap-role tag in the policy condition; their names ' +
            'depend on the bootstrap qualifier.',
          'Resource::*':
            "CDK Pipelines grants the self-mutation build cloudformation:DescribeStacks and s3:ListBucket on '*' " +
            'for the `cdk deploy` of this stack it runs: reads of stack descriptions and object names, no ' +
            'object contents and no changes.',
        },
      ],
      [
        assetRole,
        {
          ...read,
          [resource('logs', 'log-group:/aws/codebuild/*')]:
            'The asset role is shared by the asset publishing projects, whose generated names are not known ' +
            'when CDK Pipelines writes the grant on their log groups.',
          [resource('codebuild', 'report-group/*')]:
            'The asset role is shared by the asset publishing projects, whose generated names are not known ' +
            'when CDK Pipelines writes the grant on their report groups.',
          'Resource::*':
            'codebuild:StartBuild, BatchGetBuilds and StopBuild on every CodeBuild project of the account: CDK ' +
            "Pipelines' shared asset role writes them on '*' rather than on its asset projects. Narrowing it would " +
            'mean replacing the generated policy; the role is assumed only by the pipeline.',
        },
      ],
    ];
    for (const [role, findings] of acknowledgements) {
      const policy = role.node.tryFindChild('DefaultPolicy') ?? role;
      for (const [finding, reason] of Object.entries(findings)) {
        Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      }
    }
  }

  /** The logical id of a construct's CloudFormation resource, as a string at construction time. */
  private logicalIdOf(construct: IConstruct): string {
    const resource = construct.node.defaultChild;
    if (!(resource instanceof CfnElement)) {
      throw new Error(`${construct.node.path}: expected a construct with a CloudFormation resource`);
    }
    return this.resolve(resource.logicalId) as string;
  }
}
