import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENVIRONMENTS, loadConfig } from '../lib/config';
import { buildStage } from './helpers/synth';

/**
 * The AwsSolutions pack over every stack of every environment. The app
 * registers the same pack as a validation plugin, so `npm run synth` fails on
 * the same findings; here they are listed by rule and construct path.
 */
describe.each(Object.keys(ENVIRONMENTS))('AwsSolutions checks (%s)', (environment) => {
  const stage = buildStage(environment);
  // Synthesized first, as the plugin sees it: synthesis turns references into nested stacks into
  // parameters, which is what acknowledgements must name there.
  stage.synth();
  const stacks = stage.node.children.filter((child): child is Stack => child instanceof Stack);

  test('covers every stack of the stage', () => {
    expect(stacks.map((stack) => stack.node.id).sort()).toEqual([
      'Alerting',
      'Ingestion',
      'LakeStorage',
      'Network',
      'Operations',
      ...(loadConfig(environment).replication.enabled ? ['ReplicaDatabase', 'Replication'] : []),
    ]);
  });

  test.each(stacks.map((stack) => [stack.node.id, stack] as const))(
    '%s has no unacknowledged finding',
    (_id, stack) => {
      const report = new AwsSolutionsChecks(stack).validateScope(stack);
      const findings = report.violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} at ${resource.resourceLogicalId}`,
        ),
      );
      expect(findings).toEqual([]);
      expect(report.success).toBe(true);
    },
  );
});

test('the pack reports a finding on a non-compliant bucket (the check above can fail)', () => {
  const stack = new Stack(new App(), 'NonCompliant');
  new s3.Bucket(stack, 'Plain', { enforceSSL: false });
  const report = new AwsSolutionsChecks(stack).validateScope(stack);
  expect(report.success).toBe(false);
  expect(report.violations.map((violation) => violation.ruleName)).toEqual(
    expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
  );
});
