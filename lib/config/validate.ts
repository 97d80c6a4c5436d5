import type { z } from 'zod';
import { fileOf } from './provenance';
import { EnvironmentConfigSchema, type EnvironmentConfig } from './schema';

/**
 * Thrown when an environment's config is invalid; lists every problem, one a
 * line: the field, what was expected, the value received and, when the field
 * comes from a config module, the file to edit. An app-level config (the
 * delivery pipeline's, lib/config/delivery.ts) is reported the same way under
 * its own name and `subject`.
 */
export class ConfigError extends Error {
  constructor(
    /** The environment whose config is invalid, or the name of the app-level config. */
    readonly environment: string,
    readonly problems: readonly string[],
    /** What the lines say is invalid. @default - `config for environment "<environment>"` */
    readonly subject: string = `config for environment "${environment}"`,
  ) {
    super(`Invalid ${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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
 * Lines for one issue: the field, what was expected, and the value received;
 * then the file to edit, when `root` (the config input) marks where the field
 * is written (lib/config/provenance.ts). An unknown key becomes one line per
 * key, naming the key itself.
 */
export function formatIssue(issue: z.core.$ZodIssue, root?: unknown): string[] {
  const field = (path: readonly PropertyKey[]) => (path.length > 0 ? formatPath(path) : '(config)');
  const where = (path: readonly PropertyKey[]) => {
    const file = root === undefined ? undefined : fileOf(root, path);
    return file === undefined ? '' : ` (edit ${file})`;
  };
  if (issue.code === 'unrecognized_keys') {
    const parent: Record<string, unknown> =
      typeof issue.input === 'object' && issue.input !== null ? issue.input : {};
    return issue.keys.map(
      (key) =>
        `${field([...issue.path, key])}: expected no such field (misspelt or misplaced?); received ${formatValue(parent[key])}` +
        where([...issue.path, key]),
    );
  }
  const expected =
    issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')
      ? issue.expected
      : issue.message.replace(/^Invalid input: /, '');
  return [
    `${field(issue.path)}: expected ${expected}; received ${formatValue(issue.input)}${where(issue.path)}`,
  ];
}

/** The problem of a config whose `name` is not the key it is registered under (ENVIRONMENTS). */
function nameProblem(input: unknown, environment: string): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const name: unknown = (input as { name?: unknown }).name;
  if (typeof name !== 'string' || name === environment) return [];
  const file = fileOf(input, ['name']);
  return [
    `name: expected ${JSON.stringify(environment)}, the key this config is registered under in ENVIRONMENTS ` +
      `(lib/config/index.ts); received ${formatValue(name)}${file === undefined ? '' : ` (edit ${file})`}`,
  ];
}

/**
 * Validates an environment's config and fills in defaults.
 * @throws ConfigError listing every problem found, not just the first.
 */
export function validateConfig(input: unknown, environment: string): EnvironmentConfig {
  const result = EnvironmentConfigSchema.safeParse(input, { reportInput: true });
  const problems = [
    ...nameProblem(input, environment),
    ...(result.success ? [] : result.error.issues.flatMap((issue) => formatIssue(issue, input))),
  ];
  // A problem zod reaches twice (through union variants, say) is listed once.
  if (problems.length > 0) throw new ConfigError(environment, [...new Set(problems)]);
  return result.data!;
}

/** The config errors of several environments, thrown when any of them is invalid. */
export class ConfigErrors extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(configErrorLines(errors).join('\n'));
    this.name = 'ConfigErrors';
  }
}

/** One line per problem, each naming its environment: what `npm run synth` prints. */
export function configErrorLines(errors: readonly ConfigError[]): string[] {
  return errors.flatMap((error) =>
    [...new Set(error.problems)].map((problem) => `Invalid ${error.subject}: ${problem}`),
  );
}
