import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleSynthArgs } from '../scale/command';
import { runTimed, succeeded, type TimedRun } from './process';
import { median, min } from './stats';
import type { SynthSeries } from './synth';

/** The table counts the scale harness is synthesized at (issue 9: 4, 100 and 300). */
export const SCALE_TABLES = [4, 100, 300] as const;

export interface ScaleResult {
  readonly runs: number;
  readonly series: readonly { readonly tables: number; readonly series: SynthSeries }[];
  /** Median synth at the most tables over the median at the fewest; null when either failed. */
  readonly ratioLargestToSmallest: number | null;
}

/** `npm run synth:scale -- --tables N` as the CLI runs it, into a fresh output directory. */
async function scaleOnce(root: string, tables: number): Promise<TimedRun> {
  const output = mkdtempSync(join(tmpdir(), `bench-scale-${tables}-`));
  try {
    return await runTimed('npx', scaleSynthArgs(tables, output), root);
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

/**
 * Synthesizes the scale harness (scripts/scale/) at each table count `runs` times, the counts
 * interleaved and their order alternating per run, so a change in load falls on all of them.
 */
export async function benchScale(
  root: string,
  runs: number,
  progress: (message: string) => void,
): Promise<ScaleResult> {
  const results = new Map<number, TimedRun[]>(SCALE_TABLES.map((tables) => [tables, []]));
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 === 1 ? [...SCALE_TABLES] : [...SCALE_TABLES].reverse();
    for (const tables of order) {
      progress(`synth scale harness at ${tables} tables, run ${run}/${runs} ...`);
      const result = await scaleOnce(root, tables);
      results.get(tables)!.push(result);
      progress(
        `  ${result.seconds.toFixed(2)} s${succeeded(result) ? '' : ` (failed, exit ${result.exitCode})`}`,
      );
    }
  }
  const series = SCALE_TABLES.map((tables) => {
    const timed = results.get(tables)!;
    const samplesSeconds = timed.filter(succeeded).map((r) => r.seconds);
    return {
      tables,
      series: {
        command: `npm run synth:scale -- --tables ${tables}`,
        samplesSeconds,
        minSeconds: min(samplesSeconds),
        medianSeconds: median(samplesSeconds),
        failures: timed.flatMap((r, index) =>
          succeeded(r) ? [] : [{ run: index + 1, exitCode: r.exitCode, outputTail: r.outputTail }],
        ),
      },
    };
  });
  const smallest = series[0].series.medianSeconds;
  const largest = series[series.length - 1].series.medianSeconds;
  return {
    runs,
    series,
    ratioLargestToSmallest:
      smallest === null || largest === null || smallest === 0 ? null : largest / smallest,
  };
}
