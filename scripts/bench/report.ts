import type { BundlesResult } from './bundles';
import { formatBytes, type BenchResults } from './results';
import type { SynthSeries } from './synth';
import type { TestTiming } from './tests';

/** Lines of a failed command's output shown in the text report (all of it is in results.json). */
const FAILURE_LINES = 15;

/** Renders rows as aligned columns; columns listed in `right` are right-aligned. */
function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        right.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((text) => `  ${text}`);
}

const seconds = (value: number | null): string => (value === null ? '-' : `${value.toFixed(2)} s`);
const times = (value: number | null): string => (value === null ? '-' : `${value.toFixed(2)}x`);

function lastLines(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .slice(-FAILURE_LINES)
    .map((line) => `    | ${line}`);
}

function synthSection(results: BenchResults): string[] {
  const { synth } = results;
  const synthTarget = results.targets.find((check) => check.name.startsWith('synth'));
  const row = (name: string, series: SynthSeries): string[] => [
    name,
    seconds(series.minSeconds),
    seconds(series.medianSeconds),
    `${series.samplesSeconds.length}/${synth.runs}`,
    series.samplesSeconds.map((value) => value.toFixed(2)).join(', '),
  ];
  return [
    `Synth time: npx cdk synth '**' --quiet, fresh --output dir per run, ${synth.runs} run(s) per app`,
    ...table(
      ['app', 'min', 'median', 'ok', 'all runs (s)'],
      [
        row('project (all environments)', synth.project),
        row('empty one-stack app', synth.empty),
        ['ratio project/empty', times(synth.ratioOfMins), times(synth.ratioOfMedians), '', ''],
      ],
      [1, 2],
    ),
    `  target: project/empty ${synthTarget?.target ?? ''} -> ${synthTarget?.status ?? '-'}`,
  ];
}

function scaleSection(results: BenchResults): string[] {
  const { scale } = results;
  if (scale === null) return ['Scale harness: skipped (--skip-scale)'];
  const target = results.targets.find((check) => check.name.startsWith('scale'));
  return [
    `Scale harness: npm run synth:scale -- --tables N (prod, generated tables), ${scale.runs} run(s) per count`,
    ...table(
      ['tables', 'min', 'median', 'ok', 'all runs (s)'],
      scale.series.map(({ tables, series }) => [
        String(tables),
        seconds(series.minSeconds),
        seconds(series.medianSeconds),
        `${series.samplesSeconds.length}/${scale.runs}`,
        series.samplesSeconds.map((value) => value.toFixed(2)).join(', '),
      ]),
      [1, 2],
    ),
    `  target: ${target?.name ?? ''} ${target?.target ?? ''}: ${target?.measured ?? ''} -> ${target?.status ?? '-'}`,
  ];
}

function testsSection(results: BenchResults): string[] {
  if (results.tests === null) {
    return ['Test suite: skipped (--skip-tests)'];
  }
  const row = (timing: TestTiming): string[] => [
    timing.command,
    seconds(timing.seconds),
    timing.passed ? 'passed' : `failed (exit ${timing.exitCode})`,
  ];
  const suiteTarget = results.targets.find((check) => check.name.startsWith('npm test'));
  return [
    'Test suite: one run each',
    ...table(['command', 'wall time', 'result'], [row(results.tests.npmTest), row(results.tests.jest)], [1]),
    `  target: npm test ${suiteTarget?.target ?? ''} -> ${suiteTarget?.status ?? '-'}`,
  ];
}

function bundlesSection({ limitBytes, settings, bundles }: BundlesResult): string[] {
  const heading =
    `Lambda bundles: esbuild ${settings.platform}/${settings.target}/${settings.format}, minified, ` +
    `no source map, external ${settings.external.join(', ')}`;
  if (bundles.length === 0) {
    return [heading, '  no lambdas yet (no lambda/<function>/ directory besides lambda/shared)'];
  }
  const rows = bundles.map((bundle) => {
    switch (bundle.status) {
      case 'ok':
        return [
          `lambda/${bundle.name}`,
          formatBytes(bundle.minifiedBytes),
          formatBytes(bundle.gzipBytes),
          bundle.minifiedBytes <= limitBytes ? 'PASS' : 'MISS',
        ];
      case 'error':
        return [`lambda/${bundle.name}`, '-', '-', 'ERROR: bundle failed'];
      case 'no-entry':
        return [`lambda/${bundle.name}`, '-', '-', 'no index.ts yet'];
    }
  });
  const substitutions = bundles.flatMap((bundle) =>
    bundle.status === 'ok' && bundle.substituted.length > 0
      ? [`  lambda/${bundle.name}: ${bundle.substituted.join(', ')} replaced, as its construct replaces them`]
      : [],
  );
  return [
    heading,
    ...table(['function', 'minified', 'gzip -9', `<= ${formatBytes(limitBytes)}`], rows, [1, 2]),
    ...substitutions,
  ];
}

function failuresSection(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, series] of [
    ['project synth', results.synth.project],
    ['empty app synth', results.synth.empty],
  ] as const) {
    for (const failure of series.failures) {
      lines.push(
        `  ${name}, run ${failure.run}, exit ${failure.exitCode}:`,
        ...lastLines(failure.outputTail),
      );
    }
  }
  for (const { tables, series } of results.scale?.series ?? []) {
    for (const failure of series.failures) {
      lines.push(
        `  scale harness at ${tables} tables, run ${failure.run}, exit ${failure.exitCode}:`,
        ...lastLines(failure.outputTail),
      );
    }
  }
  for (const timing of results.tests ? [results.tests.npmTest, results.tests.jest] : []) {
    if (!timing.passed) {
      lines.push(`  ${timing.command}, exit ${timing.exitCode}:`, ...lastLines(timing.outputTail ?? ''));
    }
  }
  for (const bundle of results.bundles.bundles) {
    if (bundle.status === 'error') {
      lines.push(`  lambda/${bundle.name}: ${bundle.error}`);
    }
    if (bundle.status === 'ok' && bundle.minifiedBytes > results.bundles.limitBytes) {
      lines.push(
        `  lambda/${bundle.name} is over the limit; largest contributors:`,
        ...bundle.largestContributors.map(
          (contributor) => `    ${formatBytes(contributor.bytesInOutput).padStart(9)}  ${contributor.name}`,
        ),
      );
    }
  }
  return lines.length === 0 ? [] : ['Problems', ...lines];
}

/** The human-readable report printed to stdout. */
export function renderReport(results: BenchResults, resultsFile: string): string {
  const { machine } = results;
  const sections = [
    [
      `Benchmark ${results.date} (took ${results.durationSeconds.toFixed(0)} s)`,
      `  ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemoryMiB} MiB, node ${machine.node}, ` +
        `${machine.platform}/${machine.arch}`,
      `  load average at start ${machine.loadAverageAtStart.join(' / ')}, at end ${machine.loadAverageAtEnd.join(' / ')}`,
    ],
    synthSection(results),
    scaleSection(results),
    testsSection(results),
    bundlesSection(results.bundles),
    [
      'Targets',
      ...table(
        ['figure', 'target', 'measured', 'status'],
        results.targets.map((check) => [check.name, check.target, check.measured, check.status]),
      ),
    ],
    failuresSection(results),
    [`Results written to ${resultsFile}`],
  ];
  return sections
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'))
    .join('\n\n');
}
