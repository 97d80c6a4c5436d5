/**
 * Data bundled next to a handler (NodeFunction's `bundledFiles`): the table
 * catalogs, which outgrow Lambda's 4 KB environment long before a backend's
 * hundreds of tables. The bundle is one file, so `__dirname` is the function's
 * code directory at runtime.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The value of a catalog variable: the bundled `<name>.json` when the code
 * has one (every deployed function), else the environment variable of the
 * same name (tests and local runs of the unbundled source).
 */
export function bundledOrEnvironment(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  dir: string = __dirname,
): string | undefined {
  try {
    return readFileSync(join(dir, `${name}.json`), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return env[name];
  }
}
