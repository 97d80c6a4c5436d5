/**
 * The SQL of the indexes the freshness probe needs on dataengineering-db:
 *
 *   npm run replica-indexes -- --env prod > replica-indexes.sql
 *
 * Exit codes: 0 printed, 2 a usage, environment or config error (one line, no stack trace),
 * 1 anything unexpected (printed with its stack). See scripts/replica-indexes/main.ts.
 */
import { main } from './replica-indexes/main';

process.exitCode = main(process.argv.slice(2), {
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});
