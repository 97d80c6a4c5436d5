// `npm run synth:scale -- --tables N`: synthesizes the prod environment with a generated config of
// N tables over two sources (scripts/scale/config.ts) into cdk.out.scale/, through the same CLI,
// app runner, cdk-nag pack and validation as `npm run synth`. Only the table list differs.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { scaleSynthArgs } from './scale/command';

const ROOT = resolve(__dirname, '..');
const SCALE_OUTPUT = 'cdk.out.scale';

const USAGE = `Usage: npm run synth:scale -- --tables <N> [--output <dir>]

  --tables N      how many tables to generate (at least 2); default 300
  --output DIR    cloud assembly directory; default ${SCALE_OUTPUT}`;

interface Options {
  readonly tables: number;
  readonly output: string;
}

function parseOptions(argv: readonly string[]): Options | string {
  let tables = 300;
  let output = SCALE_OUTPUT;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--tables') {
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 2) {
        return `--tables: expected a whole number of at least 2, received ${JSON.stringify(value ?? null)}`;
      }
      tables = Number(value);
      i++;
    } else if (flag === '--output') {
      if (value === undefined || value.startsWith('--')) return '--output: expected a directory';
      output = value;
      i++;
    } else {
      return `unknown argument ${JSON.stringify(flag)}: expected --tables or --output`;
    }
  }
  return { tables, output };
}

function main(argv: readonly string[]): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parseOptions(argv);
  if (typeof options === 'string') {
    process.stderr.write(`synth:scale: ${options}\n${USAGE}\n`);
    return 2;
  }
  process.stderr.write(`synth:scale: prod with ${options.tables} generated tables into ${options.output}/\n`);
  const run = spawnSync('npx', scaleSynthArgs(options.tables, options.output), {
    cwd: ROOT,
    stdio: 'inherit',
  });
  return run.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
