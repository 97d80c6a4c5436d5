import { dev } from './environments/dev';
import { prod } from './environments/prod';
import type { EnvironmentConfig, EnvironmentConfigInput } from './schema';
import { ConfigError, ConfigErrors, validateConfig } from './validate';

export * from './schema';
export { ConfigError, ConfigErrors, configErrorLines, validateConfig } from './validate';
export { lakeBudget, type LakeBudget } from './slo-budget';
export * from './naming';
export * from './table-groups';

/** Every environment the app knows, in deployment order. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfigInput>> = { dev, prod };

/** Environment configs by the key each is registered under (its `name` must equal the key). */
export type EnvironmentRegistry = Readonly<Record<string, EnvironmentConfigInput>>;

/** The validated config of one environment. */
export function loadConfig(name: string, registry: EnvironmentRegistry = ENVIRONMENTS): EnvironmentConfig {
  const input = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (input === undefined) {
    throw new Error(`Unknown environment "${name}": expected one of ${Object.keys(registry).join(', ')}`);
  }
  return validateConfig(input, name);
}

/**
 * The validated configs of several environments. Every one is checked before
 * anything is thrown, so one run reports the problems of all of them.
 * @throws ConfigErrors with one ConfigError per invalid environment
 */
export function loadConfigs(
  names: readonly string[],
  registry: EnvironmentRegistry = ENVIRONMENTS,
): EnvironmentConfig[] {
  const configs: EnvironmentConfig[] = [];
  const errors: ConfigError[] = [];
  for (const name of names) {
    try {
      configs.push(loadConfig(name, registry));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return configs;
}
