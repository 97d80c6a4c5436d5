/**
 * One synth of the scale harness's config per table count, shared by the
 * tests of test/scale/scale.test.ts, which synthesizes what it reads once. The same buildApp as the real synth, without the
 * cdk-nag plugin, bundling and the built-in validation (the real synth and
 * `npm run synth:scale` run those), into a temporary directory.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { scaleConfig } from '../../scripts/scale/config';
import { projectContext } from '../helpers/synth';

export interface ScaleTemplate {
  readonly file: string;
  readonly bytes: number;
  readonly json: {
    Resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
    Parameters?: Record<string, unknown>;
    Outputs?: Record<string, unknown>;
    Mappings?: Record<string, unknown>;
  };
}

/** Every template of the prod stage, nested ones included, by file name. */
export function synthScale(tables: number): {
  templates: Record<string, ScaleTemplate>;
  /** The cloud assembly, for readers that take one (the offline diff). */
  outdir: string;
  cleanup: () => void;
} {
  const outdir = mkdtempSync(join(tmpdir(), `scale-${tables}-`));
  const { app, stages } = buildApp({
    registry: { prod: scaleConfig(tables) },
    environments: ['prod'],
    compliance: false,
    // The limits are the environment's: no pipeline, whatever lib/config/delivery.ts says.
    delivery: false,
    appProps: {
      outdir,
      // As the CDK CLI runs the app: construct paths, and the asset paths that name nested templates.
      context: {
        ...projectContext(),
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:enable-asset-metadata': true,
      },
      builtinCloudFormationValidation: false,
    },
  });
  // The harness keeps prod's budget, which its generated tables outgrow: the limits are what these tests
  // read. `npm run synth:scale` still warns, and docs/architecture.md ("What 300 tables cost") says why.
  Annotations.of(stages[0]).acknowledgeWarning(
    'trackman-cost:budget-below-estimate',
    "The scale harness's generated tables outgrow prod's budget; the tests check limits, not cost.",
  );
  app.synth();
  const dir = join(outdir, 'assembly-Prod');
  const templates = Object.fromEntries(
    readdirSync(dir)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [
        file,
        {
          file,
          bytes: statSync(join(dir, file)).size,
          json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as ScaleTemplate['json'],
        },
      ]),
  );
  return { templates, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * Characters a template value takes once CloudFormation has resolved it. An
 * intrinsic (Ref, Fn::GetAtt, Fn::Join, ...) counts as INTRINSIC_CHARACTERS,
 * more than any ARN or name it stands for here; Fn::Join counts its literal
 * parts as they are.
 */
export const INTRINSIC_CHARACTERS = 200;
export function resolvedText(value: unknown): string {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === 'Fn::Join') {
      const [separator, parts] = entries[0][1] as [string, unknown[]];
      return parts
        .map((part) => (typeof part === 'string' ? part : 'x'.repeat(INTRINSIC_CHARACTERS)))
        .join(separator);
    }
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return 'x'.repeat(INTRINSIC_CHARACTERS);
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, walk(inner)]));
  };
  const resolved = walk(value);
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}
