/**
 * What the project's command-line tools (`npm run cost`, `npm run preflight`) share: the error of a
 * command line that cannot run, and the config of the environment it names.
 */
import { loadConfig, type EnvironmentConfig, type EnvironmentRegistry } from '../lib/config';

/** A command line that cannot run: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The validated config of the environment a command line names.
 * @throws UsageError for a name the registry does not have
 * @throws ConfigError for an invalid config; any other error is a bug and propagates as it is
 */
export function environmentNamed(name: string, registry: EnvironmentRegistry): EnvironmentConfig {
  if (!Object.hasOwn(registry, name)) {
    throw new UsageError(
      `Unknown environment "${name}": expected one of ${Object.keys(registry).join(', ')}`,
    );
  }
  return loadConfig(name, registry);
}
