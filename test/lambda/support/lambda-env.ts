/**
 * Helpers for handler tests: a Lambda context, and an environment that is set
 * for a test file and put back afterwards.
 */
import { join, sep } from 'node:path';
import type { Context } from 'aws-lambda';

/**
 * Quiet, untraced Powertools for tests; metrics are recorded but not printed.
 * The SDK's warning about Node 20 (this machine's version, not the functions') is off.
 */
export const LAMBDA_TEST_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'eu-west-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'TrackmanLake',
};

/** Sets `vars` in process.env and returns a function that restores what was there. */
export function setEnv(vars: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply({ ...vars });
  return () => apply(saved);
}

export function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:111111111111:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2024/05/01/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const LAMBDA_ROOT = join(__dirname, '..', '..', '..', 'lambda');

/** The shared module that configures Powertools from process.env when it loads. */
const POWERTOOLS = join(LAMBDA_ROOT, 'shared', 'powertools.ts');

/**
 * Loads a function's module as a cold start would: the modules that read
 * process.env when they load (the function's directory, `lambda/<function>/`,
 * and `lambda/shared/powertools.ts`) are dropped from the require cache first,
 * so they read this file's environment now. Test files share one module cache
 * per worker process (jest-light-runner, see jest.config.js); without this a
 * file would get the handler, or the logger and metrics, that an earlier file
 * loaded under another environment. The rest of `lambda/shared` is kept: its
 * error classes must stay the ones the test imports. Take the logger and
 * metrics with `loaded('shared/powertools')` after the cold start.
 *
 * A cold start that throws (a test of a bad environment) puts the cache back
 * as it was, so the handler and Powertools instances the file loaded before
 * stay the ones `loaded()` returns.
 */
export function coldStart<T>(functionName: string): T {
  const directory = join(LAMBDA_ROOT, functionName) + sep;
  const dropped = Object.entries(require.cache).filter(
    ([id]) => id.startsWith(directory) || id === POWERTOOLS,
  );
  for (const [id] of dropped) delete require.cache[id];
  try {
    return loaded<T>(functionName);
  } catch (error) {
    for (const id of Object.keys(require.cache)) {
      if (id.startsWith(directory) || id === POWERTOOLS) delete require.cache[id];
    }
    for (const [id, module] of dropped) require.cache[id] = module;
    throw error;
  }
}

/** A module under lambda/, such as `shared/powertools`, as this worker loaded it. */
export function loaded<T>(relativePath: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a cold start works on Node's require cache
  return require(join(LAMBDA_ROOT, relativePath)) as T;
}
