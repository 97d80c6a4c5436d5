// `npm run diff -- --base <git-ref>`: the offline template diff (scripts/diff/main.ts).
import { runDiff } from './diff/main';

process.exitCode = runDiff(process.argv.slice(2), process.cwd(), {
  stdout: (text) => process.stdout.write(text),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
