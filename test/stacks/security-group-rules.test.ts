/**
 * The security group rules of a whole stage, read as EC2 will take them: no two stacks (or two
 * sources) create the same rule, which EC2 refuses with InvalidPermission.Duplicate and which
 * fails the deploy; every rule's description uses only the characters EC2 accepts; and sources
 * that share a group, a port or a destination range are still reached by every client.
 */
import { Stack } from 'aws-cdk-lib';
import type { EnvironmentConfigInput } from '../../lib/config';
import type { EnvironmentStage } from '../../lib/stages/environment-stage';
import { copyOf, devLike } from '../fixtures/configs';
import { buildStage, buildStageWith, withNestedStacks } from '../helpers/synth';

type Rule = { stack: string; id: string; type: string; props: Record<string, unknown> };

/** Rule descriptions, per the EC2 API: up to 255 of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$* */
const EC2_RULE_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]{0,255}$/;

function rulesOf(stage: EnvironmentStage): Rule[] {
  const stacks = stage.node.children.filter((child): child is Stack => child instanceof Stack);
  return stacks.flatMap((stack) => {
    const resources = withNestedStacks(stack).toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    return Object.entries(resources)
      .filter(
        ([, r]) => r.Type === 'AWS::EC2::SecurityGroupIngress' || r.Type === 'AWS::EC2::SecurityGroupEgress',
      )
      .map(([id, r]) => ({ stack: stack.stackName, id, type: r.Type, props: r.Properties ?? {} }));
  });
}

/** What EC2 compares to call two rules the same: group, direction, protocol, ports and peer (not the description). */
function ruleKey({ type, props }: Rule): string {
  const peer =
    props.CidrIp ??
    props.SourceSecurityGroupId ??
    props.SourcePrefixListId ??
    props.DestinationSecurityGroupId ??
    props.DestinationPrefixListId;
  return JSON.stringify([props.GroupId, type, props.IpProtocol, props.FromPort, props.ToPort, peer]);
}

function duplicatesIn(rules: Rule[]): string[] {
  const byKey = new Map<string, string[]>();
  for (const rule of rules)
    byKey.set(ruleKey(rule), [...(byKey.get(ruleKey(rule)) ?? []), `${rule.stack}/${rule.id}`]);
  return [...byKey.values()].filter((ids) => ids.length > 1).map((ids) => ids.join(' = '));
}

/** Dev-like with a second PostgreSQL database behind the same group and port, whose replica has its own group. */
function sharedGroup(): EnvironmentConfigInput {
  const config = copyOf(devLike);
  const first = config.sources[0];
  config.sources.push({
    ...structuredClone(first),
    name: 'billing-db',
    database: 'billing',
    readReplicaSecurityGroupId: 'sg-0b1b2b3b4b5b6b7b8',
    replication: { ...first.replication!, targetSchema: 'billing' },
  });
  first.readReplicaSecurityGroupId = 'sg-0b1b2b3b4b5b6b7b8';
  return config;
}

function acrossTransitGateway(
  config: EnvironmentConfigInput,
  gateway: Record<string, string>,
): EnvironmentConfigInput {
  return {
    ...config,
    network: { mode: 'create', cidr: '10.40.0.0/20', maxAzs: 2, sourceTransitGateway: gateway },
  } as EnvironmentConfigInput;
}

/** Each stage is synthesized once and read by every test that needs it. */
const once = <T>(build: () => T): (() => T) => {
  let built: T | undefined;
  return () => (built ??= build());
};
const peered = once(() => rulesOf(buildStageWith(sharedGroup())));
const byRange = once(() =>
  rulesOf(buildStageWith(acrossTransitGateway(sharedGroup(), { sourceCidr: '10.20.0.0/16' }))),
);

const stages: Record<string, () => Rule[]> = {
  'shipped dev': () => rulesOf(buildStage('dev')),
  'shipped prod': () => rulesOf(buildStage('prod')),
  'two databases behind one group, peered': peered,
  'two databases behind one group, across a transit gateway (range)': byRange,
  'two databases behind one group, across a transit gateway (prefix list)': () =>
    rulesOf(
      buildStageWith(acrossTransitGateway(sharedGroup(), { sourcePrefixListId: 'pl-0123456789abcdef0' })),
    ),
};

describe.each(Object.entries(stages))('security group rules: %s', (_name, rulesOfStage) => {
  const rules = rulesOfStage();

  test('no rule is created twice, in one stack or across stacks', () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(duplicatesIn(rules)).toEqual([]);
  });

  test('every description is one EC2 accepts', () => {
    const refused = rules
      .map((rule) => String(rule.props.Description ?? ''))
      .filter((description) => !EC2_RULE_DESCRIPTION.test(description));
    expect(refused).toEqual([]);
  });
});

describe('sources that share a group are still reached by every client', () => {
  const source = 'sg-0123456789abcdef0';
  const replica = 'sg-0b1b2b3b4b5b6b7b8';
  const admitted = (rules: Rule[], group: string) =>
    rules
      .filter(
        (r) =>
          r.type === 'AWS::EC2::SecurityGroupIngress' &&
          r.props.GroupId === group &&
          r.props.FromPort === 5432,
      )
      .map((r) => `${r.stack.split('-').pop()} ${r.props.CidrIp ?? 'group'}`)
      .sort();

  test('peered: the writer admits the jobs, DMS and the probe by group; the replica admits the jobs', () => {
    const rules = peered();
    expect(admitted(rules, source)).toEqual(['ingestion group', 'operations group', 'replication group']);
    expect(admitted(rules, replica)).toEqual(['ingestion group']);
  });

  test("across a transit gateway: each group admits the data VPC's range once, from the network stack", () => {
    const rules = rulesOf(
      buildStageWith(acrossTransitGateway(sharedGroup(), { sourceCidr: '10.20.0.0/16' })),
    );
    expect(admitted(rules, source)).toEqual(['network 10.40.0.0/20']);
    expect(admitted(rules, replica)).toEqual(['network 10.40.0.0/20']);
  });
});
