import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, NestedStack, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { EnvironmentStage } from '../../lib/stages/environment-stage';
import { FIXTURE_LOOKUPS, frozen } from '../fixtures/configs';

const ROOT = join(__dirname, '..', '..');

/**
 * The context the CLI gives the app: cdk.json feature flags plus the committed
 * lookups, with two savings:
 * - Asset bundling is skipped (`aws:cdk:bundling-stacks: []`), about a second
 *   of esbuild per stage: template tests assert function properties, not
 *   bundle contents. The real bundling runs in `npm run synth` (CI runs it) and
 *   in `npm run bench`, which reports every bundle's size.
 * - Creation and metadata stack traces are off: under Jest's source-map support
 *   capturing them took about an eighth of a template suite's CPU, and no test
 *   reads them. The CLI keeps them, for a person reading a synth error.
 */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const lookups = JSON.parse(readFileSync(join(ROOT, 'cdk.context.json'), 'utf8')) as Record<string, unknown>;
  return {
    ...cdkJson.context,
    ...lookups,
    'aws:cdk:bundling-stacks': [],
    'aws:cdk:disable-creation-stack-traces': true,
    'aws:cdk:disable-stack-trace': true,
  };
}

/**
 * Builds one environment's stage as the CLI would, without the compliance
 * plugin (tests run the pack with validateScope) and without the built-in
 * CloudFormation validation (slow, and run by the real synth).
 */
export function buildStage(environment: string): EnvironmentStage {
  const { stages } = buildApp({
    environments: [environment],
    compliance: false,
    appProps: { context: projectContext(), builtinCloudFormationValidation: false },
  });
  return stages[0];
}

/**
 * Stages of the frozen fixtures (test/fixtures/configs.ts: devLike, prodLike,
 * twoSources), by fixture and environment name, for the life of the worker
 * process. Test files share a worker's module cache (jest.config.js), and the
 * template suites built devLike 17 times and prodLike 14 times a run, each
 * build and synth costing a few tenths of a second. A stage is synthesized
 * when it is kept and its templates are frozen, so a test that changes one
 * throws instead of changing what other files read, and CDK refuses a
 * construct added to a synthesized stage. Aspects, tags and overrides added
 * later are not caught: a test that changes what it builds takes
 * buildFreshStageWith.
 */
const sharedStages = new WeakMap<EnvironmentConfigInput, Map<string, EnvironmentStage>>();

/**
 * A stage from a config that is not one of the shipped environments, such as
 * a fixture of test/fixtures/configs.ts (validated first, registered under its
 * own name). A frozen fixture gives the same stage every time (sharedStages);
 * any other config, such as a copyOf() changed by the test, a new one.
 */
export function buildStageWith(input: EnvironmentConfigInput, environment = input.name): EnvironmentStage {
  if (!Object.isFrozen(input)) return buildFreshStageWith(input, environment);
  const byEnvironment = sharedStages.get(input) ?? new Map<string, EnvironmentStage>();
  sharedStages.set(input, byEnvironment);
  let stage = byEnvironment.get(environment);
  if (stage === undefined) {
    stage = buildFreshStageWith(input, environment);
    for (const stack of stage.synth().stacksRecursively) frozen(stack.template);
    byEnvironment.set(environment, stage);
  }
  return stage;
}

/** A new stage from a config, like buildStageWith, for a test that changes what it builds. */
export function buildFreshStageWith(
  input: EnvironmentConfigInput,
  environment = input.name,
): EnvironmentStage {
  const app = new App({
    context: { ...projectContext(), ...FIXTURE_LOOKUPS },
    builtinCloudFormationValidation: false,
  });
  return new EnvironmentStage(app, 'Custom', { config: validateConfig(input, environment) });
}

/** Templates of one stage's stacks, synthesized once. */
export function templatesOf(stage: EnvironmentStage): Record<string, Template> {
  const stacks: Record<string, Stack> = { network: stage.network, lakeStorage: stage.lakeStorage };
  return Object.fromEntries(Object.entries(stacks).map(([name, stack]) => [name, Template.fromStack(stack)]));
}

/** Logical ids of a template's resources of one type. */
export function logicalIdsOf(template: Template, type: string): string[] {
  return Object.keys(template.findResources(type)).sort();
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * A template for a snapshot: asset hashes replaced by a placeholder and lists
 * that name assets sorted by their normalised text, because IAM policy
 * minimization sorts resources by the raw ARN, so an edited script would
 * otherwise reorder them.
 */
export function snapshotOf(template: Template): unknown {
  const normalise = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(ASSET_HASH, '[ASSET HASH]');
    if (Array.isArray(value)) {
      const items = value.map(normalise);
      const namesAssets = items.some((item) => typeof item === 'string' && item.includes('[ASSET HASH]'));
      return namesAssets && items.every((item) => typeof item === 'string')
        ? [...(items as string[])].sort()
        : items;
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalise(item)]));
    }
    return value;
  };
  return normalise(template.toJSON());
}

/**
 * A stack's template with the resources of its nested stacks merged in, each
 * nested parameter replaced by the value the parent passes: the ingestion
 * stack's table jobs sit in nested group stacks (lib/stacks/table-group-stack.ts),
 * and tests read them as if they were the parent's own.
 */
export function withNestedStacks(stack: Stack): Template {
  // A copy: Template.fromStack may hand out the same object to every caller.
  const parent = structuredClone(Template.fromStack(stack).toJSON()) as { Resources: Record<string, any> };
  const nestedStacks = stack.node
    .findAll()
    .filter(
      (child): child is NestedStack => NestedStack.isNestedStack(child) && child.nestedStackParent === stack,
    );
  for (const nested of nestedStacks) {
    const resourceId = stack.resolve((nested.nestedStackResource as CfnElement).logicalId) as string;
    const passed = (parent.Resources[resourceId]?.Properties?.Parameters ?? {}) as Record<string, unknown>;
    const substitute = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(substitute);
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 1 && entries[0][0] === 'Ref' && typeof entries[0][1] === 'string') {
        const name = entries[0][1];
        if (Object.hasOwn(passed, name)) return passed[name];
      }
      return Object.fromEntries(entries.map(([key, inner]) => [key, substitute(inner)]));
    };
    const template = withNestedStacks(nested).toJSON() as { Resources: Record<string, unknown> };
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (Object.hasOwn(parent.Resources, id))
        throw new Error(`${id}: in both ${stack.node.path} and ${nested.node.path}`);
      parent.Resources[id] = substitute(resource);
    }
  }
  return Template.fromJSON(parent);
}
