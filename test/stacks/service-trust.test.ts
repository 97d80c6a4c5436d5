import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfigInput } from '../../lib/config';
import { devLike } from '../fixtures/configs';
import { buildStage, buildStageWith, withNestedStacks } from '../helpers/synth';

type Statement = { Principal?: { Service?: string }; Condition?: Record<string, Record<string, unknown>> };

/**
 * Confused deputy: each service role's trust policy names the account (and the
 * source ARN where the service sends one), per service, as its documentation
 * says the service sends them. Glue documents no such keys for the roles it
 * assumes, so its job roles carry none (lib/constructs/table-ingestion-job.ts).
 */
const EXPECTED: Record<string, string[]> = {
  'states.amazonaws.com': ['ArnLike:aws:SourceArn', 'StringEquals:aws:SourceAccount'],
  'scheduler.amazonaws.com': ['ArnLike:aws:SourceArn', 'StringEquals:aws:SourceAccount'],
  // DMS documents aws:SourceAccount for its Secrets Manager access role, and no source ARN.
  'dms.eu-west-1.amazonaws.com': ['StringEquals:aws:SourceAccount'],
  'vpc-flow-logs.amazonaws.com': ['ArnLike:aws:SourceArn', 'StringEquals:aws:SourceAccount'],
  'lambda.amazonaws.com': ['StringEquals:aws:SourceAccount'],
  'rds.amazonaws.com': ['StringEquals:aws:SourceAccount'],
  // Enhanced monitoring of dataengineering-db (lib/constructs/replica-database.ts).
  'monitoring.rds.amazonaws.com': ['ArnLike:aws:SourceArn', 'StringEquals:aws:SourceAccount'],
  'glue.amazonaws.com': [],
  // AWS Backup's and CloudTrail's log-delivery role: their guides name no confused-deputy keys for the
  // roles they assume, and a condition the service does not send would stop every backup or log delivery.
  'backup.amazonaws.com': [],
  'cloudtrail.amazonaws.com': [],
};
/** Roles of CDK's own custom resource providers (singletons aws-cdk-lib creates, not configurable here). */
const CDK_PROVIDER_ROLE = /^Custom.*CustomResourceProviderRole/;

describe.each(['dev', 'prod'])('service role trust policies (%s)', (environment) => {
  const stage = buildStage(environment);
  const roles = stage.node.children
    .filter((child): child is Stack => child instanceof Stack)
    .flatMap((stack) =>
      Object.entries(withNestedStacks(stack).findResources('AWS::IAM::Role'))
        .filter(([id]) => !CDK_PROVIDER_ROLE.test(id))
        .flatMap(([id, role]) =>
          (role.Properties.AssumeRolePolicyDocument.Statement as Statement[]).map((s) => ({
            id,
            statement: s,
          })),
        ),
    );

  test('every kind of service role is there', () => {
    expect(new Set(roles.map((r) => r.statement.Principal?.Service))).toEqual(new Set(Object.keys(EXPECTED)));
  });

  test.each(roles.map((r) => [r.id, r.statement] as const))('%s', (_id, statement) => {
    const service = statement.Principal?.Service ?? '(no service principal)';
    const keys = Object.entries(statement.Condition ?? {})
      .flatMap(([operator, conditions]) => Object.keys(conditions).map((key) => `${operator}:${key}`))
      .sort();
    expect({ service, keys }).toEqual({ service, keys: EXPECTED[service] });
    for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
      if (operator === 'StringEquals') expect(conditions['aws:SourceAccount']).toBe(stage.account);
      if (operator === 'ArnLike') {
        expect(conditions['aws:SourceArn']).toEqual(
          expect.stringMatching(`^arn:aws:[a-z0-9-]+:${stage.region}:${stage.account}:`),
        );
      }
    }
  });
});

describe('sources without peering', () => {
  const config = {
    ...structuredClone(devLike),
    network: {
      mode: 'create',
      cidr: '10.40.0.0/20',
      maxAzs: 2,
      sourceTransitGateway: { sourceCidr: '10.20.0.0/16' },
    },
  } as EnvironmentConfigInput;
  const template = withNestedStacks(buildStageWith(config).ingestion);

  test("the source admits the jobs' VPC range (the network stack's rule), not their security group", () => {
    Template.fromStack(buildStageWith(config).network).hasResourceProperties(
      'AWS::EC2::SecurityGroupIngress',
      {
        CidrIp: '10.40.0.0/20',
        SourceSecurityGroupId: Match.absent(),
        FromPort: 5432,
      },
    );
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test("the jobs reach the source's range", () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      CidrIp: '10.20.0.0/16',
      DestinationSecurityGroupId: Match.absent(),
      FromPort: 5432,
    });
  });

  test('or its prefix list', () => {
    const withList = structuredClone(config);
    if (withList.network.mode === 'create') {
      withList.network.sourceTransitGateway = { sourcePrefixListId: 'pl-0123456789abcdef0' };
    }
    withNestedStacks(buildStageWith(withList).ingestion).hasResourceProperties(
      'AWS::EC2::SecurityGroupEgress',
      {
        DestinationPrefixListId: 'pl-0123456789abcdef0',
        CidrIp: Match.absent(),
      },
    );
  });

  test('with peering, both rules name security groups', () => {
    const peered = withNestedStacks(buildStage('dev').ingestion);
    peered.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: Match.anyValue(),
      CidrIp: Match.absent(),
    });
    peered.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationSecurityGroupId: Match.anyValue(),
      CidrIp: Match.absent(),
    });
  });
});
