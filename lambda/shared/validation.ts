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

/**
 * Everything a message echoes from its input is bounded, whatever the input's
 * size: at most MAX_PROBLEMS problems are listed (the rest are only counted),
 * and each received value or field name taken from the input is cut to
 * MAX_ECHO_LENGTH characters. A 3 MB list of unknown table names so makes an
 * error of about 2 KB, not one ten times the size of the request.
 */
export const MAX_PROBLEMS = 10;
/** Longest rendering of one received value, or of one field name taken from the input. */
export const MAX_ECHO_LENGTH = 120;

/** `text`, or its first `max - 3` characters and `...`. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

/**
 * Thrown when an event or the environment is invalid. Lists the first
 * MAX_PROBLEMS problems, one a line, and counts the others.
 */
export class ValidationError extends Error {
  /** The listed problems: at most MAX_PROBLEMS. */
  readonly problems: readonly string[];
  /** How many more problems were found and not listed. */
  readonly omitted: number;

  /**
   * @param problems every problem found, or the first of them
   * @param omitted problems found beyond those in `problems` (a caller that stopped collecting)
   */
  constructor(
    readonly subject: string,
    problems: readonly string[],
    omitted = 0,
  ) {
    const listed = problems.slice(0, MAX_PROBLEMS);
    const more = omitted + problems.length - listed.length;
    const lines = listed.map((p) => `  - ${p}`);
    if (more > 0) lines.push(`  - ... and ${more} more ${more === 1 ? 'problem' : 'problems'}, not listed`);
    super(`${subject}:\n${lines.join('\n')}`);
    this.name = 'ValidationError';
    this.problems = listed;
    this.omitted = more;
  }
}

/** `detail.tables[1]`, the way the field is written in the JSON; a name from the input is cut. */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) =>
      typeof part === 'number'
        ? `[${part}]`
        : `${i === 0 ? '' : '.'}${truncate(String(part), MAX_ECHO_LENGTH)}`,
    )
    .join('');
}

/** A short rendering of a received value; long values are cut so a message stays one readable line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? `a ${typeof value}`;
  return truncate(json, MAX_ECHO_LENGTH);
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
  return issues.flatMap((issue) => describeIssue(issue, root));
}

/** How many lines describeIssues makes of an issue, without making them. */
function lineCount(issue: z.core.$ZodIssue): number {
  return issue.code === 'unrecognized_keys' ? issue.keys.length : 1;
}

/**
 * The first MAX_PROBLEMS lines of describeIssues, and how many lines are left
 * out: a list of 300,000 wrong values is counted, not rendered.
 */
export function describeFirstIssues(
  issues: readonly z.core.$ZodIssue[],
  root: string,
): { problems: string[]; omitted: number } {
  const problems: string[] = [];
  let omitted = 0;
  for (const issue of issues) {
    if (problems.length >= MAX_PROBLEMS) {
      omitted += lineCount(issue);
      continue;
    }
    const room = MAX_PROBLEMS - problems.length;
    const lines = describeIssue(issue, root, room);
    problems.push(...lines);
    omitted += lineCount(issue) - lines.length;
  }
  return { problems, omitted };
}

/** The lines of one issue; of an issue with many unexpected fields, the first `limit`. */
function describeIssue(issue: z.core.$ZodIssue, root: string, limit = Infinity): string[] {
  const expected = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .slice(0, limit)
      .map(
        (key) =>
          `${formatPath([...issue.path, key], root)}: expected ${expected}; received an unexpected field`,
      );
  }
  return [problem(formatPath(issue.path, root), expected, issue.input)];
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
  let result: ReturnType<typeof z.safeParse<T>>;
  try {
    result = z.safeParse(schema, input, { reportInput: true });
  } catch (error) {
    // zod gathers issues with push(...issues): an input with a few hundred thousand wrong values
    // overflows the stack. Reject it as what it is, without echoing any of it.
    if (!(error instanceof RangeError)) throw error;
    throw new ValidationError(subject, [
      `${root}: expected an input of a sensible size; received one with too many problems to check (${error.message})`,
    ]);
  }
  if (result.success) return result.data;
  const { problems, omitted } = describeFirstIssues(result.error.issues, root);
  throw new ValidationError(subject, problems, omitted);
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
