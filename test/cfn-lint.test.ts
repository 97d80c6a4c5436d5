import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildApp } from '../lib/app';
import { projectContext } from './helpers/synth';

/**
 * cfn-lint (AWS's CloudFormation linter, `pip install cfn-lint`) over every
 * template of every environment, synthesized here so a fresh clone needs no
 * `npm run synth` first. Any error fails the test with cfn-lint's report.
 *
 * Excluded rules, each with its evidence:
 * - none for the whole run. One rule is ignored on one resource type, by
 *   `cfn-lint` metadata beside the construct that makes it: E3002 on the
 *   AWS::Glue::Connection resources (lib/constructs/source-connection.ts),
 *   whose Tags property cfn-lint 1.51's schema lacks but CloudFormation documents.
 */
const IGNORED_CHECKS: readonly string[] = [];

describe('cfn-lint', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('reports no error on any template of dev and prod', () => {
    const { app } = buildApp({
      compliance: false,
      // The environments' templates only, whatever lib/config/delivery.ts says (the pipeline stack's own
      // tests are in test/stacks/delivery-pipeline-stack.test.ts).
      delivery: false,
      appProps: { outdir, context: projectContext(), builtinCloudFormationValidation: false },
    });
    const assembly = app.synth();
    const stacks = assembly.stacksRecursively.map((stack) => stack.templateFullPath);
    // Network, lake storage, replica database, alerting, replication, ingestion and operations, in dev and prod.
    expect(stacks.length).toBe(14);
    // And the nested table-group stacks of the ingestion stacks (lib/stacks/table-group-stack.ts).
    const directories = [...new Set(stacks.map((template) => dirname(template)))];
    const nested = directories.flatMap((directory) =>
      readdirSync(directory)
        .filter((name) => name.endsWith('.nested.template.json'))
        .map((name) => join(directory, name)),
    );
    expect(nested.length).toBeGreaterThan(0);
    const templates = [...stacks, ...nested];
    expect(readdirSync(outdir).length).toBeGreaterThan(0);

    // The package has no __main__; its console script is cfnlint.runner.main (as `cfn-lint` runs it).
    const result = spawnSync(
      'python3',
      [
        '-c',
        'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())',
        '--format',
        'parseable',
        ...(IGNORED_CHECKS.length > 0 ? ['--ignore-checks', ...IGNORED_CHECKS] : []),
        '--',
        ...templates,
      ],
      { encoding: 'utf8' },
    );
    if (result.error !== undefined) throw result.error;
    // Exit code: 0 clean; bit 2 errors, bit 4 warnings, bit 8 informational (cfn-lint docs).
    const errors = result.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect({ errors, stderr: result.stderr.trim() }).toEqual({ errors: [], stderr: '' });
    expect(result.status! & 2).toBe(0);
  });
});
