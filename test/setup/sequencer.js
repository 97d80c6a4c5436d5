/**
 * Jest's own order, except that the four longest files start first: three
 * wait on child processes (CDK CLI synths, cfn-lint, esbuild), one synthesizes
 * 300 and 301 tables. Jest orders by the durations it cached from the last run
 * and, with no cache (a fresh CI machine), by file size; these files are
 * small, so they started last and ran on alone at the end: about 10 s of a
 * cold run spent on one core. Together they take about 30 s.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = [
  'test/diff/cli.test.ts', // the offline diff end to end: CDK CLI synths in a git repository
  'test/cfn-lint.test.ts', // cfn-lint (Python) over every template
  'test/scale/scale.test.ts', // the 300- and 301-table synths
  'test/constructs/node-function.test.ts', // esbuild bundles
].map((file) => join(__dirname, '..', '..', file));

for (const file of FIRST) {
  if (!existsSync(file)) throw new Error(`test/setup/sequencer.js: ${file} does not exist; update FIRST`);
}

class HeavyFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = FIRST.indexOf(test.path);
      return index === -1 ? FIRST.length : index;
    };
    return [...super.sort(tests)].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = HeavyFirstSequencer;
