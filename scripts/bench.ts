// `npm run bench`: measures synth time against an empty app, test suite time and Lambda bundle
// sizes, prints a table and writes .bench/results.json. A measurement, not a gate: it exits 0
// on a missed target unless run with --strict. See docs/benchmark.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { benchBundles } from './bench/bundles';
import { parseOptions, USAGE } from './bench/options';
import { renderReport } from './bench/report';
import { checkTargets, machineInfo, toolVersions, type BenchResults } from './bench/results';
import { benchScale } from './bench/scale';
import { benchSynth } from './bench/synth';
import { benchTests } from './bench/tests';

const ROOT = resolve(__dirname, '..');
const RESULTS_FILE = join(ROOT, '.bench', 'results.json');

/** Progress goes to stderr so stdout carries only the report (or only JSON with --json). */
function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const date = new Date();
  const loadAtStart = loadavg();
  const started = performance.now();

  // Bundles first: they take a second, and a broken handler shows up before the long part.
  const bundles = await benchBundles(ROOT, progress);
  const synth = await benchSynth(ROOT, options.runs, progress);
  const scale = options.skipScale ? null : await benchScale(ROOT, options.runs, progress);
  const tests = options.skipTests ? null : await benchTests(ROOT, progress);

  const targets = checkTargets(synth, tests, bundles, scale);
  const results: BenchResults = {
    schemaVersion: 1,
    date: date.toISOString(),
    durationSeconds: (performance.now() - started) / 1000,
    machine: machineInfo(loadAtStart),
    tools: toolVersions(ROOT),
    options: { runs: options.runs, skipTests: options.skipTests, skipScale: options.skipScale },
    synth,
    scale,
    tests,
    bundles,
    targets,
  };

  const json = `${JSON.stringify(results, null, 2)}\n`;
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(RESULTS_FILE, json);
  process.stdout.write(options.json ? json : `${renderReport(results, relative(ROOT, RESULTS_FILE))}\n`);

  const failed = targets.filter((check) => check.status === 'MISS' || check.status === 'ERROR');
  if (options.strict && failed.length > 0) {
    progress(`--strict: ${failed.map((check) => `${check.name} ${check.status}`).join(', ')}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    progress(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  },
);
