import { runTimed, succeeded } from './process';

/** One timed test command. */
export interface TestTiming {
  readonly command: string;
  readonly seconds: number;
  readonly passed: boolean;
  readonly exitCode: number | null;
  /** Last lines of output, kept only when the command failed. */
  readonly outputTail?: string;
}

export interface TestsResult {
  /** `npm test`: typecheck, lint, jest and the Python tests, as CI runs them. */
  readonly npmTest: TestTiming;
  /** `npx jest` alone, to see how much of the suite is the unit tests. */
  readonly jest: TestTiming;
}

async function timeCommand(root: string, command: string, args: readonly string[]): Promise<TestTiming> {
  const run = await runTimed(command, args, root);
  const passed = succeeded(run);
  return {
    command: run.command,
    seconds: run.seconds,
    passed,
    exitCode: run.exitCode,
    ...(passed ? {} : { outputTail: run.outputTail }),
  };
}

/** Times the whole suite once, then jest alone once; one after the other, never in parallel. */
export async function benchTests(root: string, progress: (message: string) => void): Promise<TestsResult> {
  progress('npm test ...');
  const npmTest = await timeCommand(root, 'npm', ['test']);
  progress(`  ${npmTest.seconds.toFixed(2)} s${npmTest.passed ? '' : ` (failed, exit ${npmTest.exitCode})`}`);
  progress('npx jest ...');
  const jest = await timeCommand(root, 'npx', ['jest']);
  progress(`  ${jest.seconds.toFixed(2)} s${jest.passed ? '' : ` (failed, exit ${jest.exitCode})`}`);
  return { npmTest, jest };
}
