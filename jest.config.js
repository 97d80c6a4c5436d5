/**
 * Jest runs the test files through jest-light-runner, in worker processes that
 * keep one module cache across the files they run. Jest's own runner gives
 * every file a fresh module registry, so each of the ~80 files paid again for
 * evaluating aws-cdk-lib, building its first stage and Jest's per-file
 * environment: about half of the suite's CPU (docs/benchmark.md). What that
 * costs the tests: no jest.mock and no jest.isolateModules, and a file must
 * put back what it changes in shared modules and globals (process.env, spies,
 * SDK client mocks) in afterAll. Lambda handlers are loaded per file with
 * coldStart() (test/lambda/support/lambda-env.ts). The runner does not
 * enforce per-test timeouts either: a test that hangs holds the run, and
 * .ci/run bounds the whole suite instead.
 *
 * Child processes rather than worker threads: CDK's local bundling passes
 * process.stdout to spawnSync, which a worker thread's stdout is not.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  runner: 'jest-light-runner/child-process',
  // TypeScript is compiled by tsx's loader (esbuild), registered once per worker.
  setupFiles: ['<rootDir>/test/setup/register-tsx.mjs', '<rootDir>/test/setup/quiet-sdk.mjs'],
  // The files that take longest start first, cache or no cache.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.ts'],
  // Template synthesis is CPU-bound; two workers match the two cores CI has.
  maxWorkers: 2,
};
