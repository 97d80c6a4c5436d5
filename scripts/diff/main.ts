/**
 * `npm run diff -- --base <git-ref> [--format text|markdown] [--output <file>]`:
 * what deploying the working tree would change against the templates of a git
 * ref, with no AWS credentials. Exit 0: no differences; 1: differences; 2: an
 * error (one line on stderr).
 */
import { writeFileSync } from 'node:fs';
import { readAssembly } from './assembly';
import { compareAssemblies, type AssemblyDiff } from './compare';
import { renderMarkdown, renderText } from './render';
import { DiffError, synthesizePair } from './synth';

export const USAGE = `Usage: npm run diff -- --base <git-ref> [--format text|markdown] [--output <file>]

  --base REF       branch, tag or commit to compare with (synthesized in a temporary worktree)
  --format FORMAT  text (default) or markdown, for a pull-request comment
  --output FILE    write the report to FILE instead of stdout

Exit codes: 0 no differences, 1 differences, 2 error.`;

export interface DiffOptions {
  readonly base: string;
  readonly format: 'text' | 'markdown';
  readonly output?: string;
}

const FORMATS = ['text', 'markdown'] as const;

export function parseDiffOptions(argv: readonly string[]): DiffOptions | string {
  let base: string | undefined;
  let format: DiffOptions['format'] = 'text';
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const missing = value === undefined || value.startsWith('--');
    if (flag === '--base') {
      if (missing || value.trim() === '') return '--base: expected a git ref (branch, tag or commit)';
      base = value;
    } else if (flag === '--format') {
      if (missing || !(FORMATS as readonly string[]).includes(value)) {
        return `--format: expected one of ${FORMATS.join(', ')}, received ${JSON.stringify(value ?? null)}`;
      }
      format = value as DiffOptions['format'];
    } else if (flag === '--output') {
      if (missing) return '--output: expected a file path';
      output = value;
    } else {
      return `unknown argument ${JSON.stringify(flag)}: expected --base, --format or --output`;
    }
    i++;
  }
  if (base === undefined) return '--base: required; expected a git ref (branch, tag or commit)';
  return { base, format, output };
}

export interface DiffIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (line: string) => void;
}

/** The exit code of the whole run: 0 same, 1 different, 2 error. */
export function exitCode(diff: AssemblyDiff): 0 | 1 {
  return diff.stacks.length === 0 ? 0 : 1;
}

export function runDiff(argv: readonly string[], repo: string, io: DiffIo): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const options = parseDiffOptions(argv);
  if (typeof options === 'string') {
    io.stderr(`diff: ${options}`);
    return 2;
  }
  let pair;
  try {
    pair = synthesizePair(repo, options.base, io.stderr);
  } catch (error) {
    if (!(error instanceof DiffError)) throw error;
    io.stderr(`diff: ${error.message}`);
    return 2;
  }
  try {
    const diff = compareAssemblies(readAssembly(pair.base), readAssembly(pair.head));
    const labels = { base: `${options.base} (${pair.commit.slice(0, 7)})`, head: 'the working tree' };
    const report = options.format === 'markdown' ? renderMarkdown(diff, labels) : renderText(diff, labels);
    if (options.output === undefined) io.stdout(report);
    else writeFileSync(options.output, report);
    return exitCode(diff);
  } catch (error) {
    // Exit 1 means "differences": an unexpected failure must not read as one.
    io.stderr(
      `diff: the comparison failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 2;
  } finally {
    pair.cleanup();
  }
}
