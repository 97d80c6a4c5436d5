import { parseArgs } from 'node:util';

/** What `npm run bench -- <flags>` asked for. */
export interface BenchOptions {
  /** Synth runs per app (project and empty baseline). */
  readonly runs: number;
  /** Skip timing `npm test` and `npx jest`. */
  readonly skipTests: boolean;
  /** Skip the scale harness synths (4, 100 and 300 tables). */
  readonly skipScale: boolean;
  /** Print only the JSON results on stdout. */
  readonly json: boolean;
  /** Exit 1 when a target is missed or a measurement fails. */
  readonly strict: boolean;
  readonly help: boolean;
}

export const DEFAULT_RUNS = 3;

export const USAGE = `Usage: npm run bench -- [--runs N] [--skip-tests] [--skip-scale] [--json] [--strict]

  --runs N       synth runs per app, project and empty baseline (default ${DEFAULT_RUNS})
  --skip-tests   do not time \`npm test\` and \`npx jest\`
  --skip-scale   do not synthesize the scale harness at 4, 100 and 300 tables
  --json         print only the JSON results (progress still goes to stderr)
  --strict       exit 1 when a target is missed or a measurement fails
  -h, --help     show this text

Results are also written to .bench/results.json. See docs/benchmark.md.`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string' },
      'skip-tests': { type: 'boolean' },
      'skip-scale': { type: 'boolean' },
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
    strict: true,
  });

  const runsText = values.runs ?? String(DEFAULT_RUNS);
  const runs = Number(runsText);
  if (!/^\d+$/.test(runsText) || runs < 1) {
    throw new Error(`--runs must be a whole number of at least 1, got '${runsText}'`);
  }

  return {
    runs,
    skipTests: values['skip-tests'] ?? false,
    skipScale: values['skip-scale'] ?? false,
    json: values.json ?? false,
    strict: values.strict ?? false,
    help: values.help ?? false,
  };
}
