/**
 * Monthly cost estimate of an environment, from its config and lib/cost/prices.ts:
 *
 *   npm run cost -- --env prod [--format json]
 *
 * Exit codes: 0 printed, 2 a usage, environment or config error (one line, no stack trace),
 * 1 anything unexpected: it is not caught, so Node prints it with its stack.
 * See docs/cost.md and scripts/cost/main.ts.
 */
import { main } from './cost/main';

process.exitCode = main(process.argv.slice(2), {
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});
