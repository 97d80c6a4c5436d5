import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BundlesResult } from './bundles';
import type { ScaleResult } from './scale';
import type { SynthResult } from './synth';
import type { TestsResult } from './tests';

/** Synth of the project may take at most this many times the empty app's synth. */
export const SYNTH_RATIO_LIMIT = 2;

/** `npm test` must finish within this many seconds on 2 cores. */
export const TEST_SUITE_LIMIT_SECONDS = 60;

/** Synth of the scale harness at 300 tables may take at most this many times its synth at 4 (issue 9). */
export const SCALE_RATIO_LIMIT = 3;

export type TargetStatus = 'PASS' | 'MISS' | 'ERROR' | 'SKIPPED';

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryMiB: number;
  readonly platform: string;
  readonly arch: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages: a busy machine explains slow figures. */
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
}

export interface BenchResults {
  readonly schemaVersion: 1;
  /** When the benchmark started, ISO 8601. */
  readonly date: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  /** Installed versions of the tools that shape the figures. */
  readonly tools: Readonly<Record<string, string | null>>;
  readonly options: { readonly runs: number; readonly skipTests: boolean; readonly skipScale: boolean };
  readonly synth: SynthResult;
  /** The scale harness at 4, 100 and 300 tables; null with --skip-scale. */
  readonly scale: ScaleResult | null;
  /** Null when run with --skip-tests. */
  readonly tests: TestsResult | null;
  readonly bundles: BundlesResult;
  readonly targets: readonly TargetCheck[];
}

const TOOL_PACKAGES = [
  'aws-cdk',
  'aws-cdk-lib',
  'esbuild',
  'tsx',
  'typescript',
  'typescript-7',
  'jest',
  'jest-light-runner',
] as const;

export function machineInfo(loadAverageAtStart: readonly number[]): MachineInfo {
  const cores = cpus();
  const round = (values: readonly number[]): number[] => values.map((value) => Math.round(value * 100) / 100);
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    platform: platform(),
    arch: arch(),
    node: process.version,
    loadAverageAtStart: round(loadAverageAtStart),
    loadAverageAtEnd: round(loadavg()),
  };
}

export function toolVersions(root: string): Record<string, string | null> {
  const versions: Record<string, string | null> = {};
  for (const name of TOOL_PACKAGES) {
    const manifest = join(root, 'node_modules', name, 'package.json');
    const parsed: unknown = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')) : null;
    const version = (parsed as { version?: unknown } | null)?.version;
    versions[name] = typeof version === 'string' ? version : null;
  }
  return versions;
}

export function formatBytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Compares every figure that has a target with that target. */
export function checkTargets(
  synth: SynthResult,
  tests: TestsResult | null,
  bundles: BundlesResult,
  scale: ScaleResult | null = null,
): TargetCheck[] {
  const checks: TargetCheck[] = [];

  // A failed run means the app changed or broke during the benchmark: the figure is not trustworthy.
  const ratio = synth.ratioOfMedians;
  const failedRuns = synth.project.failures.length + synth.empty.failures.length;
  const okRuns = `${synth.project.samplesSeconds.length}/${synth.runs} project, ${synth.empty.samplesSeconds.length}/${synth.runs} empty runs ok`;
  checks.push({
    name: 'synth time vs empty app',
    target: `<= ${SYNTH_RATIO_LIMIT.toFixed(1)}x (ratio of medians)`,
    measured: `${ratio === null ? 'no ratio' : `${ratio.toFixed(2)}x`}${failedRuns > 0 ? ` (${okRuns})` : ''}`,
    status: ratio === null || failedRuns > 0 ? 'ERROR' : ratio <= SYNTH_RATIO_LIMIT ? 'PASS' : 'MISS',
  });

  if (scale === null) {
    checks.push({
      name: 'scale synth 300 vs 4 tables',
      target: `<= ${SCALE_RATIO_LIMIT.toFixed(1)}x`,
      measured: 'skipped',
      status: 'SKIPPED',
    });
  } else {
    const failed = scale.series.some((entry) => entry.series.failures.length > 0);
    const scaleRatio = scale.ratioLargestToSmallest;
    checks.push({
      name: 'scale synth 300 vs 4 tables',
      target: `<= ${SCALE_RATIO_LIMIT.toFixed(1)}x (ratio of medians)`,
      measured: `${scaleRatio === null ? 'no ratio' : `${scaleRatio.toFixed(2)}x`}${failed ? ' (a run failed)' : ''}`,
      status: scaleRatio === null || failed ? 'ERROR' : scaleRatio <= SCALE_RATIO_LIMIT ? 'PASS' : 'MISS',
    });
  }

  if (tests === null) {
    checks.push({
      name: 'npm test wall time',
      target: `< ${TEST_SUITE_LIMIT_SECONDS} s`,
      measured: 'skipped',
      status: 'SKIPPED',
    });
  } else {
    const { npmTest } = tests;
    checks.push({
      name: 'npm test wall time',
      target: `< ${TEST_SUITE_LIMIT_SECONDS} s`,
      measured: `${npmTest.seconds.toFixed(1)} s${npmTest.passed ? '' : ` (suite failed, exit ${npmTest.exitCode})`}`,
      status: !npmTest.passed ? 'ERROR' : npmTest.seconds < TEST_SUITE_LIMIT_SECONDS ? 'PASS' : 'MISS',
    });
  }

  for (const bundle of bundles.bundles) {
    if (bundle.status === 'no-entry') {
      continue;
    }
    checks.push({
      name: `bundle lambda/${bundle.name}`,
      target: `<= ${formatBytes(bundles.limitBytes)} minified`,
      measured: bundle.status === 'ok' ? formatBytes(bundle.minifiedBytes) : 'bundle failed',
      status:
        bundle.status === 'error' ? 'ERROR' : bundle.minifiedBytes <= bundles.limitBytes ? 'PASS' : 'MISS',
    });
  }
  return checks;
}
