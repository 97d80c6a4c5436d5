import type { z } from 'zod';
import { EnvironmentConfigSchema, type EnvironmentConfig } from './schema';

/** Thrown when an environment's config is invalid; lists every problem, one a line. */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid config for environment "${environment}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `sources[0].tables[2].primaryKey`, the way a user finds the field in their config file. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** One line per issue: the field, what was expected, and the value received. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? formatPath(issue.path) : '(config)';
  const expected = issue.message.replace(/^Invalid input: /, '');
  return `${field}: expected ${expected}; received ${formatValue(issue.input)}`;
}

/**
 * Validates an environment's config and fills in defaults.
 * @throws ConfigError listing every problem found, not just the first.
 */
export function validateConfig(input: unknown, environment: string): EnvironmentConfig {
  const result = EnvironmentConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(environment, result.error.issues.map(formatIssue));
}
