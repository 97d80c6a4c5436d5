import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTimed, succeeded, type TimedRun } from './process';
import { median, min } from './stats';

/** The synth command the project documents (`npm run synth`); `--output` is added per run. */
const SYNTH_ARGS = ['cdk', 'synth', '**', '--quiet'] as const;

/** Runner used when cdk.json's app entry does not end in a `.ts` file. */
const FALLBACK_RUNNER = 'npx tsx';

/** A failed run, kept so the report can say why. */
export interface SynthFailure {
  readonly run: number;
  readonly exitCode: number | null;
  readonly outputTail: string;
}

/** Timings of one app over all runs; failed runs are left out of min and median. */
export interface SynthSeries {
  readonly command: string;
  readonly samplesSeconds: readonly number[];
  readonly minSeconds: number | null;
  readonly medianSeconds: number | null;
  readonly failures: readonly SynthFailure[];
}

export interface SynthResult {
  readonly runs: number;
  /** The project's own app, every environment. */
  readonly project: SynthSeries;
  /** An app with one empty stack, synthesized by the same CLI, runner and node_modules. */
  readonly empty: SynthSeries;
  /** Median project time over median empty-app time; null when either side has no successful run. */
  readonly ratioOfMedians: number | null;
  readonly ratioOfMins: number | null;
}

/**
 * The part of cdk.json's `app` command before the entry file (`npx tsx` for `npx tsx bin/app.ts`),
 * so the empty app goes through the same runner as the project.
 */
export function appRunner(root: string): string {
  const parsed: unknown = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8'));
  const app = (parsed as { app?: unknown }).app;
  if (typeof app !== 'string') {
    return FALLBACK_RUNNER;
  }
  const parts = app.trim().split(/\s+/);
  const entry = parts.pop() ?? '';
  return parts.length > 0 && entry.endsWith('.ts') ? parts.join(' ') : FALLBACK_RUNNER;
}

/**
 * Writes the baseline app outside the project, so no linter or type-check sees it, and imports
 * aws-cdk-lib by the absolute path the project itself resolves, so both apps load the same copy.
 */
function writeEmptyApp(root: string, dir: string): string {
  const cdkLib = createRequire(join(root, 'package.json')).resolve('aws-cdk-lib');
  const file = join(dir, 'app.ts');
  writeFileSync(
    file,
    [
      `import { App, Stack } from ${JSON.stringify(cdkLib)};`,
      '',
      'const app = new App();',
      "new Stack(app, 'Empty');",
      'app.synth();',
      '',
    ].join('\n'),
  );
  return file;
}

/** One synth into a fresh output directory, which is removed afterwards. */
async function synthOnce(root: string, extraArgs: readonly string[]): Promise<TimedRun> {
  const output = mkdtempSync(join(tmpdir(), 'bench-cdk-out-'));
  try {
    return await runTimed('npx', [...SYNTH_ARGS, '--output', output, ...extraArgs], root);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

function summarise(command: string, runs: readonly TimedRun[]): SynthSeries {
  const samplesSeconds = runs.filter(succeeded).map((run) => run.seconds);
  const failures = runs.flatMap((run, index) =>
    succeeded(run) ? [] : [{ run: index + 1, exitCode: run.exitCode, outputTail: run.outputTail }],
  );
  return {
    command,
    samplesSeconds,
    minSeconds: min(samplesSeconds),
    medianSeconds: median(samplesSeconds),
    failures,
  };
}

function ratio(numerator: number | null, denominator: number | null): number | null {
  return numerator === null || denominator === null || denominator === 0 ? null : numerator / denominator;
}

/**
 * Synthesizes the project and the empty baseline `runs` times each, interleaved and in alternating
 * order, so a change in machine load during the benchmark falls on both sides alike.
 */
export async function benchSynth(
  root: string,
  runs: number,
  progress: (message: string) => void,
): Promise<SynthResult> {
  const emptyDir = mkdtempSync(join(tmpdir(), 'bench-empty-app-'));
  try {
    const emptyApp = `${appRunner(root)} ${JSON.stringify(writeEmptyApp(root, emptyDir))}`;
    const sides = {
      project: { extraArgs: [] as string[], results: [] as TimedRun[] },
      empty: { extraArgs: ['--app', emptyApp], results: [] as TimedRun[] },
    };

    for (let run = 1; run <= runs; run++) {
      const order = run % 2 === 1 ? (['project', 'empty'] as const) : (['empty', 'project'] as const);
      for (const side of order) {
        progress(`synth ${side} app, run ${run}/${runs} ...`);
        const result = await synthOnce(root, sides[side].extraArgs);
        sides[side].results.push(result);
        progress(
          `  ${result.seconds.toFixed(2)} s${succeeded(result) ? '' : ` (failed, exit ${result.exitCode})`}`,
        );
      }
    }

    const command = `npx ${SYNTH_ARGS.join(' ').replace('**', "'**'")} --output <fresh tmp dir>`;
    const project = summarise(command, sides.project.results);
    const empty = summarise(`${command} --app '${emptyApp}'`, sides.empty.results);
    return {
      runs,
      project,
      empty,
      ratioOfMedians: ratio(project.medianSeconds, empty.medianSeconds),
      ratioOfMins: ratio(project.minSeconds, empty.minSeconds),
    };
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
}
