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
  // JSON.stringify gives undefined for functions and symbols.
  const json: string | undefined = JSON.stringify(value);
  const text = json ?? typeof value;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Lines for one issue: the field, what was expected, and the value received.
 * An unknown key becomes one line per key, naming the key itself.
 */
export function formatIssue(issue: z.core.$ZodIssue): string[] {
  const field = (path: readonly PropertyKey[]) => (path.length > 0 ? formatPath(path) : '(config)');
  if (issue.code === 'unrecognized_keys') {
    const parent: Record<string, unknown> =
      typeof issue.input === 'object' && issue.input !== null ? issue.input : {};
    return issue.keys.map(
      (key) =>
        `${field([...issue.path, key])}: expected no such field (misspelt or misplaced?); received ${formatValue(parent[key])}`,
    );
  }
  const expected =
    issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')
      ? issue.expected
      : issue.message.replace(/^Invalid input: /, '');
  return [`${field(issue.path)}: expected ${expected}; received ${formatValue(issue.input)}`];
}

/**
 * Validates an environment's config and fills in defaults.
 * @throws ConfigError listing every problem found, not just the first.
 */
export function validateConfig(input: unknown, environment: string): EnvironmentConfig {
  const result = EnvironmentConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(environment, result.error.issues.flatMap(formatIssue));
}
