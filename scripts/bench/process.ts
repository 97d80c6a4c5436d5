import { spawn } from 'node:child_process';

/** Characters of combined stdout/stderr kept from a run, for reporting failures. */
const OUTPUT_TAIL_CHARS = 4000;

/** One timed child process. */
export interface TimedRun {
  /** The command line, for the report. */
  readonly command: string;
  /** Wall time from spawn to exit, in seconds. */
  readonly seconds: number;
  /** Exit code; null when the process was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last characters of stdout and stderr together. */
  readonly outputTail: string;
}

export function succeeded(run: TimedRun): boolean {
  return run.exitCode === 0;
}

/**
 * Runs a command without a shell and measures its wall time.
 *
 * The child stays in this process group, so Ctrl-C ends it together with the benchmark.
 */
export function runTimed(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TimedRun> {
  const display = [command, ...args]
    .map((part) => (/^[\w./:=@-]+$/.test(part) ? part : `'${part}'`))
    .join(' ');

  return new Promise((resolve) => {
    let tail = '';
    const keep = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };

    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    const finish = (exitCode: number | null, signal: string | null): void => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ command: display, seconds, exitCode, signal, outputTail: tail });
    };
    child.on('error', (error) => {
      keep(Buffer.from(`could not start '${command}': ${error.message}`));
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
