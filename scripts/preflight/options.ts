/** The command line of `npm run preflight`. */
import { parseArgs } from 'node:util';
import { UsageError } from '../cli';

export interface PreflightOptions {
  readonly env: string;
  /** Only these sources; empty for all of the environment's. */
  readonly sources: readonly string[];
  /** Connect without TLS, to a server on this machine only (the local test servers). */
  readonly insecureLocal: boolean;
  /** PEM file of CAs to trust besides Node's own (the RDS certificate bundle). */
  readonly caFile?: string;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run preflight -- --env <name> [--source <name>]... [--ca-file <pem>] [--insecure-local]

Checks that each source database of an environment is ready for the lake ingestion jobs and AWS DMS.

  --env <name>       the environment whose sources to check (lib/config/index.ts ENVIRONMENTS)
  --source <name>    only this source; repeat for several (default: every source)
  --ca-file <pem>    also trust these CAs, such as the RDS global certificate bundle
  --insecure-local   connect without TLS, only to 127.0.0.1, ::1 or localhost (local test servers)
  -h, --help         show this text

Credentials: PREFLIGHT_<SOURCE>_READER_USER/_PASSWORD and PREFLIGHT_<SOURCE>_DMS_USER/_PASSWORD, else
the source's Secrets Manager secrets. PREFLIGHT_<SOURCE>_HOST/_PORT connect through a tunnel.
Exit codes: 0 every check passed, 1 a check failed, 2 the command line or config is wrong.`;

export function parseOptions(argv: readonly string[]): PreflightOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        env: { type: 'string' },
        source: { type: 'string', multiple: true },
        'ca-file': { type: 'string' },
        'insecure-local': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const help = values.help ?? false;
  if (!help && (values.env === undefined || values.env === '')) {
    throw new UsageError('--env <name> is required');
  }
  return {
    env: values.env ?? '',
    sources: values.source ?? [],
    insecureLocal: values['insecure-local'] ?? false,
    caFile: values['ca-file'],
    help,
  };
}
