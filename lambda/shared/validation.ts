/**
 * Turns zod issues into messages a person can act on: the field, what was
 * expected and the value received, one line per problem. Shared by the
 * environment and event parsers of every function.
 *
 * Lambda code uses `zod/mini`, the tree-shakeable API of the same package: the
 * classic API's methods (and its locales) cannot be shaken out and would make
 * every bundle more than ten times larger. Mini loads no locale, so a schema
 * without its own `error` would report a bare "Invalid input": every schema gives one.
 */
import * as z from 'zod/mini';

/** Thrown when an event or the environment is invalid; lists every problem found, one a line. */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super(`${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}

/** `detail.tables[1]`, the way the field is written in the JSON. */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** A short rendering of a received value; long values are cut so a message stays one readable line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? `a ${typeof value}`;
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** One problem line: `<field>: expected <expected>; received <value>`. */
export function problem(field: string, expected: string, received: unknown): string {
  return `${field}: expected ${expected}; received ${formatValue(received)}`;
}

/**
 * One line per issue. Issues must come from a parse with `reportInput: true`.
 * Unexpected fields are named but their values are not echoed: they are not ours
 * to print, and may carry data that must not reach the logs.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): string[] {
  return issues.flatMap((issue) => {
    const expected = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map(
        (key) =>
          `${formatPath([...issue.path, key], root)}: expected ${expected}; received an unexpected field`,
      );
    }
    return [problem(formatPath(issue.path, root), expected, issue.input)];
  });
}

/**
 * Parses `input` with `schema`, or throws a ValidationError that lists every issue.
 * @param subject first line of the error, e.g. "Invalid environment of start-ingestion"
 * @param root how to name the input itself when an issue is about the whole of it
 */
export function parseOrThrow<T extends z.core.$ZodType>(
  schema: T,
  input: unknown,
  subject: string,
  root: string,
): z.output<T> {
  const result = z.safeParse(schema, input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(subject, describeIssues(result.error.issues, root));
}

/**
 * A pipe stage that parses a JSON string, reporting malformed JSON as an issue
 * rather than throwing: `z.pipe(z.pipe(z.string(), jsonText('the tables')), TablesSchema)`.
 */
export function jsonText(what: string) {
  return z.transform<string, unknown>((text, payload) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      payload.issues.push({
        code: 'custom',
        input: text,
        message: `${what} as JSON (${error instanceof Error ? error.message : String(error)})`,
      });
      return undefined;
    }
  });
}
