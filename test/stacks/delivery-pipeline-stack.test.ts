/**
 * The delivery pipeline (lib/stacks/delivery-pipeline-stack.ts), built by
 * buildApp from the test delivery config and the dev-like and prod-like
 * fixtures, synthesized once. Bundling is skipped (test/helpers/synth.ts): the
 * pipeline's shape does not depend on the bundles' contents.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, Stage, type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parse } from 'yaml';
import { buildApp, type BuildAppOptions } from '../../lib/app';
import {
  installedCdkCliVersion,
  SYNTH_COMMANDS,
  SYNTH_INSTALL_COMMANDS,
  type DeliveryPipelineStack,
} from '../../lib/stacks/delivery-pipeline-stack';
import type { EnvironmentStage } from '../../lib/stages/environment-stage';
import { devLike, FIXTURE_LOOKUPS, PROD_ACCOUNT, prodLike, REGION } from '../fixtures/configs';
import { CONNECTION_ARN, PIPELINE_ACCOUNT, testDelivery } from '../fixtures/delivery';
import { projectContext } from '../helpers/synth';

interface PipelineAction {
  Name: string;
  RunOrder: number;
  RoleArn?: unknown;
  ActionTypeId: { Category: string; Provider: string };
  Configuration?: Record<string, any>;
}
interface PipelineStage {
  Name: string;
  Actions: PipelineAction[];
}

function appOptions(outdir?: string): BuildAppOptions {
  return {
    registry: { dev: devLike, prod: prodLike },
    compliance: false,
    appProps: {
      outdir,
      context: { ...projectContext(), ...FIXTURE_LOOKUPS },
      builtinCloudFormationValidation: false,
    },
  };
}

/** The stacks of a stage. */
function stacksOf(stage: EnvironmentStage): Stack[] {
  return stage.node.children.filter((child): child is Stack => child instanceof Stack);
}

describe('delivery pipeline (test delivery config)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'delivery-pipeline-'));
  let app: App;
  let stages: EnvironmentStage[];
  let pipeline: DeliveryPipelineStack;
  let assembly: CloudAssembly;
  let template: Template;
  let pipelineStages: PipelineStage[];
  const stage = (name: string): PipelineStage => pipelineStages.find((s) => s.Name === name)!;

  beforeAll(() => {
    const built = buildApp({ ...appOptions(outdir), delivery: testDelivery });
    app = built.app;
    stages = built.stages;
    pipeline = built.pipeline!;
    assembly = app.synth();
    template = Template.fromStack(pipeline);
    const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
    expect(pipelines).toHaveLength(1);
    pipelineStages = pipelines[0].Properties.Stages;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  describe('the app', () => {
    test('holds each environment once, as a top-level stage beside the pipeline stack', () => {
      const topLevel = app.node.children.filter((child) => Stage.isStage(child) || Stack.isStack(child));
      expect(topLevel.map((child) => child.node.id)).toEqual(['Dev', 'Prod', 'Pipeline']);
      expect(pipeline.stackName).toBe('trackman-delivery-pipeline');
      expect(pipeline.account).toBe(PIPELINE_ACCOUNT);
      const names = assembly.stacksRecursively.map((stack) => stack.stackName);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(
        expect.arrayContaining([
          'trackman-delivery-pipeline',
          ...stages.flatMap((s) => stacksOf(s).map((stack) => stack.stackName)),
        ]),
      );
    });

    test('writes the same templates for every environment as an app without a pipeline', () => {
      const plainOutdir = mkdtempSync(join(tmpdir(), 'delivery-pipeline-none-'));
      try {
        const plain = buildApp({ ...appOptions(plainOutdir), delivery: false }).app.synth();
        const templates = (of: CloudAssembly) =>
          Object.fromEntries(
            of.stacksRecursively
              .filter((stack) => stack.stackName !== pipeline.stackName)
              .map((stack) => [stack.hierarchicalId, stack.template]),
          );
        const environments = templates(plain);
        expect(Object.keys(environments).sort()).toEqual(
          stages.flatMap((s) => stacksOf(s).map((stack) => stack.node.path)).sort(),
        );
        expect(templates(assembly)).toEqual(environments);
      } finally {
        rmSync(plainOutdir, { recursive: true, force: true });
      }
    });
  });

  describe('the pipeline', () => {
    test('has the stages Source, Build, UpdatePipeline, Assets, Dev and Prod, in that order', () => {
      expect(pipelineStages.map((s) => s.Name)).toEqual([
        'Source',
        'Build',
        'UpdatePipeline',
        'Assets',
        'Dev',
        'Prod',
      ]);
      expect(stage('Build').Actions.map((action) => action.Name)).toEqual(['Synth']);
      expect(stage('UpdatePipeline').Actions.map((action) => action.Name)).toEqual(['SelfMutate']);
    });

    test('takes its source from the configured repository and branch, through the connection', () => {
      expect(stage('Source').Actions).toEqual([
        expect.objectContaining({
          ActionTypeId: expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }),
          Configuration: {
            ConnectionArn: CONNECTION_ARN,
            FullRepositoryId: 'trackman/data-platform',
            BranchName: 'main',
          },
        }),
      ]);
    });

    test('lets its source action use the connection under the connection’s own service prefix', () => {
      // IAM matches the action's prefix with the ARN's: a codeconnections ARN needs codeconnections:UseConnection.
      const [source] = stage('Source').Actions;
      const roleId = (source.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
        .flatMap(
          (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
        );
      const uses = statements.filter((statement) =>
        [statement.Action].flat().includes('codeconnections:UseConnection'),
      );
      expect(uses).toEqual([expect.objectContaining({ Resource: CONNECTION_ARN })]);
    });

    test('stops for a manual approval before any of Prod’s deploy actions, and not before Dev’s', () => {
      const [approval, ...deploys] = [...stage('Prod').Actions].sort((a, b) => a.RunOrder - b.RunOrder);
      expect(approval).toMatchObject({
        Name: 'PromoteToProd',
        ActionTypeId: { Category: 'Approval', Provider: 'Manual' },
      });
      expect(deploys.length).toBeGreaterThan(0);
      for (const deploy of deploys) {
        expect(deploy.ActionTypeId.Category).toBe('Deploy');
        expect(deploy.RunOrder).toBeGreaterThan(approval.RunOrder);
      }
      expect(stage('Dev').Actions.map((action) => action.ActionTypeId.Category)).not.toContain('Approval');
    });

    test.each([
      ['Dev', 0],
      ['Prod', 1],
    ])('%s deploys every stack of its stage from the template file npm run synth writes', (name, index) => {
      const environmentStage = stages[index];
      const templatePaths = Object.fromEntries(
        stage(name)
          .Actions.filter((action) => action.Configuration?.TemplatePath !== undefined)
          .map((action) => [action.Configuration!.StackName, action.Configuration!.TemplatePath]),
      );
      const expected = Object.fromEntries(
        stacksOf(environmentStage).map((stack) => [
          stack.stackName,
          `Synth_Output::${environmentStage.artifactId}/${stack.templateFile}`,
        ]),
      );
      expect(templatePaths).toEqual(expected);
    });

    test("deploys Prod through the prod account's bootstrap deploy role", () => {
      const roleArns = stage('Prod')
        .Actions.filter((action) => action.ActionTypeId.Category === 'Deploy')
        .map((action) => JSON.stringify(action.RoleArn));
      expect(roleArns.length).toBeGreaterThan(0);
      for (const roleArn of roleArns) {
        expect(roleArn).toContain(
          `:iam::${PROD_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${PROD_ACCOUNT}-${REGION}`,
        );
      }
    });
  });

  describe('the builds', () => {
    const buildSpecOf = (logicalIdPrefix: string): any => {
      const [project] = Object.entries(template.findResources('AWS::CodeBuild::Project')).filter(([id]) =>
        id.startsWith(logicalIdPrefix),
      );
      return JSON.parse(project[1].Properties.Source.BuildSpec);
    };

    test('the synth installs the test services, runs npm ci, the tests and the synth, and hands on cdk.out', () => {
      const buildSpec = buildSpecOf('PipelineBuildSynthCdkBuildProject');
      expect(buildSpec.phases.install).toEqual({
        'runtime-versions': { nodejs: '20', python: '3.11' },
        commands: [...SYNTH_INSTALL_COMMANDS],
      });
      expect(buildSpec.phases.build.commands).toEqual(['npm ci', 'npm test', 'npm run synth']);
      expect(buildSpec.phases.build.commands).toEqual([...SYNTH_COMMANDS]);
      expect(buildSpec.artifacts['base-directory']).toBe('cdk.out');
    });

    test("every project runs the Node.js of package.json's engines, not the image's default", () => {
      // A large buildspec (asset publishing) is a file of the cloud assembly, named in its place.
      const specs = Object.values(template.findResources('AWS::CodeBuild::Project')).map((project) => {
        const spec = project.Properties.Source.BuildSpec as string;
        return (
          spec.startsWith('{')
            ? JSON.parse(spec)
            : parse(readFileSync(join(assembly.directory, spec), 'utf8'))
        ) as any;
      });
      expect(specs.length).toBeGreaterThanOrEqual(3);
      for (const spec of specs) expect(spec.phases.install['runtime-versions'].nodejs).toBe('20');
    });

    test('self-mutation deploys this stack with the CDK CLI version the synth ran', () => {
      const buildSpec = buildSpecOf('PipelineUpdatePipelineSelfMutation');
      expect(buildSpec.phases.install.commands).toEqual([
        `npm install -g aws-cdk@${installedCdkCliVersion()}`,
      ]);
      expect(buildSpec.phases.install['runtime-versions']).toEqual({ nodejs: '20' });
      expect(buildSpec.phases.build.commands).toEqual([
        'cdk -a . deploy Pipeline --require-approval=never --verbose',
      ]);
    });

    test('no project runs privileged, and every one encrypts its output with the artifact key', () => {
      const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
      // Synth, self-mutation and one project that publishes every file asset.
      expect(projects).toHaveLength(3);
      for (const project of projects) {
        expect(project.Properties.Environment.PrivilegedMode).toBe(false);
        expect(project.Properties.EncryptionKey).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^PipelineArtifactsBucketEncryptionKey/), 'Arn'],
        });
      }
    });
  });

  describe('the artifacts', () => {
    test('are encrypted with a customer-managed key that rotates', () => {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
        ArtifactStore: Match.objectLike({ EncryptionKey: Match.objectLike({ Type: 'KMS' }) }),
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: {
                  'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineArtifactsBucketEncryptionKey'), 'Arn'],
                },
              },
            },
          ],
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogBucket') },
          LogFilePrefix: 'artifacts/',
        },
      });
    });

    test('their access logs may be written by the S3 logging service for the artifact bucket only', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp('^AccessLogBucket') },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineArtifactsBucket'), 'Arn'],
                  },
                },
                StringEquals: { 'aws:SourceAccount': PIPELINE_ACCOUNT },
              },
            }),
          ]),
        },
      });
    });
  });

  test('the AwsSolutions checks find nothing unacknowledged on the pipeline stack', () => {
    const report = new AwsSolutionsChecks(pipeline).validateScope(pipeline);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('no pipeline', () => {
  test('without a delivery config: the app holds the environment stages only', () => {
    const { app, pipeline } = buildApp({ ...appOptions(), delivery: false });
    expect(pipeline).toBeUndefined();
    expect(app.node.children.map((child) => child.node.id)).toEqual(['Dev', 'Prod']);
  });

  test('a synth of some environments (-c env=dev) leaves the pipeline out rather than drop the others', () => {
    const { app, pipeline } = buildApp({ ...appOptions(), environments: ['dev'], delivery: testDelivery });
    expect(pipeline).toBeUndefined();
    expect(app.node.children.map((child) => child.node.id)).toEqual(['Dev']);
  });
});
