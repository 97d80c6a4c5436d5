/**
 * `npm run preflight -- --env <name>`: checks every source of an environment
 * and prints one table. Returns the exit code: 0 when every check passed, 1
 * when one failed, 2 when the command line or the config is wrong.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  ConfigError,
  configErrorLines,
  ENVIRONMENTS,
  type EnvironmentConfig,
  type EnvironmentRegistry,
} from '../../lib/config';
import { environmentNamed, UsageError } from '../cli';
import { isLoopback } from './connection';
import { errorText, type CheckResult } from './findings';
import { parseOptions, USAGE } from './options';
import { renderReport } from './report';
import { preflightSource } from './runner';
import { readSecretFromSecretsManager, type SecretReader } from './secrets';
import { addressFromEnv } from './source-env';

export interface MainDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** @default - Secrets Manager, with the default AWS credentials chain */
  readonly readSecret?: SecretReader;
  /** @default ENVIRONMENTS */
  readonly registry?: EnvironmentRegistry;
}

export async function main(argv: readonly string[], deps: MainDeps): Promise<number> {
  const usage = (message: string): number => {
    deps.stderr(`preflight: ${message}`);
    deps.stderr('Run with --help for the usage.');
    return 2;
  };

  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
  if (options.help) {
    deps.stdout(USAGE);
    return 0;
  }

  let config: EnvironmentConfig;
  try {
    config = environmentNamed(options.env, deps.registry ?? ENVIRONMENTS);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (!(error instanceof ConfigError)) throw error;
    for (const line of configErrorLines([error])) deps.stderr(line);
    return 2;
  }

  const known = config.sources.map((source) => source.name);
  const unknown = options.sources.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    return usage(
      `unknown source ${unknown.join(', ')} in environment ${config.name}: expected one of ${known.join(', ')}`,
    );
  }
  const sources = config.sources.filter(
    (source) => options.sources.length === 0 || options.sources.includes(source.name),
  );

  for (const source of sources) {
    let host: string;
    try {
      host = addressFromEnv(deps.env, source.name, source).host;
    } catch (error) {
      return usage(errorText(error));
    }
    if (options.insecureLocal && !isLoopback(host)) {
      return usage(
        `--insecure-local connects without TLS, so only to this machine; source ${source.name} would connect to ${host}`,
      );
    }
  }

  let ca: string[] | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = [...rootCertificates, readFileSync(options.caFile, 'utf8')];
    } catch (error) {
      return usage(`--ca-file ${options.caFile}: ${errorText(error)}`);
    }
  }

  const results: CheckResult[] = [];
  const notes: string[] = [];
  for (const source of sources) {
    const report = await preflightSource(config, source, {
      env: deps.env,
      readSecret: deps.readSecret ?? readSecretFromSecretsManager,
      insecureLocal: options.insecureLocal,
      ca,
    });
    results.push(...report.results);
    notes.push(...report.notes);
  }
  for (const line of renderReport(results, notes)) deps.stdout(line);
  return results.some((result) => !result.passed) ? 1 : 0;
}
