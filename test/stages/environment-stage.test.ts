import { Stack } from 'aws-cdk-lib';
import { buildApp, selectedEnvironments, stageId } from '../../lib/app';
import { ENVIRONMENTS, loadConfig } from '../../lib/config';
import { buildStage, projectContext, withNestedStacks } from '../helpers/synth';

// Over the shipped environments, asserting only what holds whatever their settings (invariants).
describe.each(Object.keys(ENVIRONMENTS))('%s stage', (env) => {
  const stage = buildStage(env);
  const config = loadConfig(env);
  const stacks = stage.node.children.filter((child): child is Stack => child instanceof Stack);

  test('deploys every stack to the configured account and region, named trackman-<env>-<component>', () => {
    const where = [config.account, config.region];
    expect(stacks.map((stack) => [stack.stackName, stack.account, stack.region])).toEqual([
      [`trackman-${env}-network`, ...where],
      [`trackman-${env}-lake-storage`, ...where],
      ...(config.replication.enabled ? [[`trackman-${env}-replica-database`, ...where]] : []),
      [`trackman-${env}-alerting`, ...where],
      ...(config.replication.enabled ? [[`trackman-${env}-replication`, ...where]] : []),
      [`trackman-${env}-ingestion`, ...where],
      [`trackman-${env}-operations`, ...where],
    ]);
  });

  test('termination protection on retained environments only', () => {
    for (const stack of stacks) expect(stack.terminationProtection).toBe(config.removalPolicy === 'retain');
  });

  test.each([
    ['network', 'network'],
    ['lakeStorage', 'lake-storage'],
    ['replicaDatabase', 'replica-database'],
    ['alerting', 'alerting'],
    ['replication', 'replication'],
    ['ingestion', 'ingestion'],
    ['operations', 'operations'],
  ] as const)(
    '%s: stack tags and every taggable resource carry Project, Environment and Component',
    (key, component) => {
      const stack = stage[key];
      // Optional stacks (replicaDatabase) exist exactly when their feature is on.
      if (stack === undefined) {
        expect(config.replication.enabled).toBe(false);
        return;
      }
      const expected = { Project: 'trackman-data-platform', Environment: env, Component: component };
      const resources = withNestedStacks(stack).toJSON().Resources as Record<
        string,
        { Properties?: { Tags?: unknown } }
      >;
      let tagged = 0;
      for (const [id, resource] of Object.entries(resources)) {
        const tags = resource.Properties?.Tags;
        if (!Array.isArray(tags)) continue;
        tagged++;
        const values = Object.fromEntries(
          (tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
        );
        expect({ id, ...values }).toMatchObject({ id, ...expected });
      }
      expect(tagged).toBeGreaterThan(0);
      // Stack tags (applied at synth): CloudFormation propagates them to every resource that supports tags.
      expect(stack.tags.tagValues()).toEqual(expected);
    },
  );
});

describe('environment selection', () => {
  test('no env context selects every environment', () => {
    expect(selectedEnvironments(undefined)).toEqual(['dev', 'prod']);
  });

  test('-c env=prod selects one, -c env=dev,prod both', () => {
    expect(selectedEnvironments('prod')).toEqual(['prod']);
    expect(selectedEnvironments('dev, prod')).toEqual(['dev', 'prod']);
  });

  test('an unknown environment fails with the known ones named', () => {
    expect(() => selectedEnvironments('staging')).toThrow(
      'Context env="staging": expected one or more of dev, prod separated by commas',
    );
    expect(() => selectedEnvironments('')).toThrow('Context env="": expected one or more of dev, prod');
  });

  test('the env context reaches buildApp: -c env=prod builds the Prod stage alone', () => {
    const { app, stages } = buildApp({
      compliance: false,
      appProps: { context: { ...projectContext(), env: 'prod' }, builtinCloudFormationValidation: false },
    });
    expect(stages.map((stage) => stage.stageName)).toEqual(['Prod']);
    expect(app.node.children.map((child) => child.node.id)).toEqual(['Prod']);
  });

  test('stage ids', () => {
    expect(stageId('prod')).toBe('Prod');
  });
});
