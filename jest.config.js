/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.ts'],
  // Template synthesis is CPU-bound; two workers match the two cores CI has.
  maxWorkers: 2,
};
