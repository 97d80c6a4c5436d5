/**
 * Source preflight: checks that each source database of an environment is
 * ready for the lake ingestion jobs and AWS DMS, and prints a pass/fail table.
 *
 *   npm run preflight -- --env dev [--source trackman-backend]
 *
 * Exit codes: 0 every check passed, 1 a check failed, 2 a usage or config
 * error. See README.md, "Source preflight", and scripts/preflight/.
 */
import { errorText } from './preflight/findings';
import { main } from './preflight/main';

main(process.argv.slice(2), {
  env: process.env,
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    console.error(`preflight: unexpected error: ${errorText(error)}`);
    process.exitCode = 1;
  });
