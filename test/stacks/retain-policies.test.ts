import { Stack } from 'aws-cdk-lib';
import { buildStage, withNestedStacks } from '../helpers/synth';

type Resources = Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

const resourcesOf = (environment: string) => {
  const stage = buildStage(environment);
  return stage.node.children
    .filter((child): child is Stack => child instanceof Stack)
    .map((stack) => [stack.node.id, withNestedStacks(stack).toJSON().Resources as Resources] as const);
};

/**
 * A retained resource is RETAIN_ON_UPDATE_OR_DELETE, which CDK renders as
 * `DeletionPolicy: RetainExceptOnCreate` with `UpdateReplacePolicy: Retain`
 * (aws-cdk-lib RemovalPolicy): kept on delete and replacement, deleted when its
 * own creation rolls back, so a failed first deploy can be retried.
 */
describe('retained resources in prod', () => {
  const stacks = resourcesOf('prod');
  const retained = stacks.flatMap(([stack, resources]) =>
    Object.entries(resources)
      .filter(
        ([, r]) =>
          (r.DeletionPolicy ?? 'Delete') !== 'Delete' || (r.UpdateReplacePolicy ?? 'Delete') !== 'Delete',
      )
      .map(([id, r]) => ({
        resource: `${stack}/${id}`,
        deletion: r.DeletionPolicy,
        replace: r.UpdateReplacePolicy,
      })),
  );

  test('the stateful resources are among them (the check below sees something)', () => {
    const types = new Set(
      stacks.flatMap(([, resources]) =>
        Object.values(resources)
          .filter((r) => (r.DeletionPolicy ?? 'Delete') !== 'Delete')
          .map((r) => r.Type),
      ),
    );
    expect([...types]).toEqual(
      expect.arrayContaining([
        'AWS::S3::Bucket',
        'AWS::KMS::Key',
        'AWS::Logs::LogGroup',
        'AWS::Glue::Database',
      ]),
    );
  });

  test('every one is RetainExceptOnCreate on delete and Retain on replacement', () => {
    const other = retained.filter((r) => r.deletion !== 'RetainExceptOnCreate' || r.replace !== 'Retain');
    expect(other).toEqual([]);
  });

  test('no resource has DeletionPolicy Retain', () => {
    expect(retained.filter((r) => r.deletion === 'Retain')).toEqual([]);
  });
});

describe('dev removes what it creates', () => {
  test('no resource is retained', () => {
    const retained = resourcesOf('dev').flatMap(([stack, resources]) =>
      Object.entries(resources)
        .filter(
          ([, r]) =>
            (r.DeletionPolicy ?? 'Delete') !== 'Delete' || (r.UpdateReplacePolicy ?? 'Delete') !== 'Delete',
        )
        .map(([id]) => `${stack}/${id}`),
    );
    expect(retained).toEqual([]);
  });
});
