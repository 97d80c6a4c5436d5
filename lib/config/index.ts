import { dev } from './environments/dev';
import { prod } from './environments/prod';
import type { EnvironmentConfig, EnvironmentConfigInput } from './schema';
import { validateConfig } from './validate';

export * from './schema';
export { ConfigError, validateConfig } from './validate';
export { lakeBudget, type LakeBudget } from './slo-budget';
export * from './naming';

/** Every environment the app knows, in deployment order. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfigInput>> = { dev, prod };

/** The validated config of one environment. */
export function loadConfig(name: string): EnvironmentConfig {
  const input = Object.hasOwn(ENVIRONMENTS, name) ? ENVIRONMENTS[name] : undefined;
  if (input === undefined) {
    throw new Error(`Unknown environment "${name}": expected one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  return validateConfig(input, name);
}
