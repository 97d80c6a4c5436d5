/**
 * The probe's environment and its scheduled input, checked with zod/mini. A wrong
 * environment fails the cold start; a wrong input fails the invocation before any
 * database is touched. Messages name the field, what was expected and the value,
 * and stay short however large the input (lambda/shared/validation.ts).
 */
import * as z from 'zod/mini';
import { parseOrThrow, problem, ValidationError } from '../shared/validation';
import { FRESHNESS_PROBE_ENV, type ProbeInput } from './contract';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const SOURCE_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const SUBJECT = 'Invalid input of the freshness probe';

/** More tables than this would not fit a Scheduler input anyway; the bound keeps a bad input cheap to reject. */
export const MAX_TABLES_PER_SOURCE = 2000;
export const MAX_SOURCES = 20;

const identifier = (what: string) =>
  z
    .string({ error: `a ${what} as a string` })
    .check(z.regex(IDENTIFIER, { error: `a ${what}: letters, digits, _ or $, at most 63 characters` }));
const wholeNumber = (what: string, min: number, max: number) =>
  z
    .int({ error: `${what}: a whole number from ${min} to ${max}` })
    .check(
      z.minimum(min, { error: `${what}: a whole number from ${min} to ${max}` }),
      z.maximum(max, { error: `${what}: a whole number from ${min} to ${max}` }),
    );
const text = (pattern: RegExp, expected: string) =>
  z.string({ error: expected }).check(z.regex(pattern, { error: expected }));
const onlyFields = (fields: string, shape: string) => (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys' ? `only the fields ${fields}` : shape;

const TableSchema = z
  .strictObject(
    {
      schema: identifier('schema name'),
      name: identifier('table name'),
      kind: z.enum(['update-timestamp', 'increasing-key', 'snapshot'], {
        error: "'update-timestamp', 'increasing-key' or 'snapshot'",
      }),
      column: z.optional(identifier('column name')),
      timeColumn: z.optional(identifier('column name')),
      replicaSchema: z.optional(identifier('schema name')),
    },
    {
      error: onlyFields(
        'schema, name, kind, column, timeColumn, replicaSchema',
        'a table { schema, name, kind, column?, timeColumn?, replicaSchema? }',
      ),
    },
  )
  .check(
    z.refine((table) => (table.kind === 'snapshot') === (table.column === undefined), {
      error:
        'a column for an incremental table (its update timestamp or increasing key), none for a snapshot',
      path: ['column'],
    }),
    z.refine((table) => table.timeColumn === undefined || table.kind === 'increasing-key', {
      error:
        'no timeColumn except on an increasing-key table (an update-timestamp table is timed by its column)',
      path: ['timeColumn'],
    }),
  );

const SourceSchema = z.strictObject(
  {
    name: text(SOURCE_NAME, 'a source name of 3-40 characters: lowercase letters, digits and -'),
    engine: z.enum(['postgres', 'mysql'], { error: "'postgres' or 'mysql'" }),
    host: text(HOST, 'a DNS host name'),
    port: wholeNumber('a TCP port', 1, 65535),
    database: identifier('database name'),
    secretArn: text(SECRET_ARN, 'the ARN of a Secrets Manager secret'),
    tables: z
      .array(TableSchema, { error: 'a list of tables' })
      .check(
        z.minLength(1, { error: 'at least one table' }),
        z.maxLength(MAX_TABLES_PER_SOURCE, { error: `at most ${MAX_TABLES_PER_SOURCE} tables` }),
      ),
  },
  {
    error: onlyFields(
      'name, engine, host, port, database, secretArn, tables',
      'a source { name, engine, host, port, database, secretArn, tables }',
    ),
  },
);

const ReplicaSchema = z.strictObject(
  {
    host: text(HOST, 'a DNS host name'),
    port: wholeNumber('a TCP port', 1, 65535),
    database: identifier('database name'),
    secretArn: text(SECRET_ARN, 'the ARN of a Secrets Manager secret'),
  },
  {
    error: onlyFields(
      'host, port, database, secretArn',
      'dataengineering-db { host, port, database, secretArn }',
    ),
  },
);

export const ProbeInputSchema = z.strictObject(
  {
    mode: z.enum(['freshness', 'reconciliation'], { error: "'freshness' or 'reconciliation'" }),
    slo: z.strictObject(
      {
        lakeMinutes: wholeNumber('minutes', 1, 1440),
        replicaMinutes: wholeNumber('minutes', 1, 1440),
      },
      { error: onlyFields('lakeMinutes, replicaMinutes', 'the SLOs { lakeMinutes, replicaMinutes }') },
    ),
    sources: z
      .array(SourceSchema, { error: 'a list of sources' })
      .check(
        z.minLength(1, { error: 'at least one source' }),
        z.maxLength(MAX_SOURCES, { error: `at most ${MAX_SOURCES} sources` }),
      ),
    replica: z.optional(ReplicaSchema),
  },
  {
    error: onlyFields(
      'mode, slo, sources, replica',
      'the probe input { mode, slo, sources, replica? } of its schedule',
    ),
  },
);

/**
 * Checks a scheduled input.
 * @throws ValidationError listing at most MAX_PROBLEMS problems, each value cut short.
 */
export function parseProbeInput(event: unknown): ProbeInput {
  const input = parseOrThrow(ProbeInputSchema, event, SUBJECT, '(input)');
  const replicated = input.sources.some((source) => source.tables.some((t) => t.replicaSchema !== undefined));
  if (replicated && input.replica === undefined) {
    throw new ValidationError(SUBJECT, [
      problem(
        'replica',
        'dataengineering-db { host, port, database, secretArn }, since tables name a replicaSchema',
        undefined,
      ),
    ]);
  }
  return input;
}

const EnvironmentSchema = z.strictObject({
  [FRESHNESS_PROBE_ENV.lakeBucket]: text(BUCKET, 'the name of the lake bucket'),
});

export interface ProbeConfig {
  readonly lakeBucket: string;
}

/**
 * Reads the function's own variables out of `env` and checks them.
 * @throws ValidationError naming the variable, the value and what was expected.
 */
export function parseProbeConfig(env: Readonly<Record<string, string | undefined>>): ProbeConfig {
  const parsed = parseOrThrow(
    EnvironmentSchema,
    { [FRESHNESS_PROBE_ENV.lakeBucket]: env[FRESHNESS_PROBE_ENV.lakeBucket] },
    'Invalid environment of the freshness probe',
    '(environment)',
  );
  return { lakeBucket: parsed[FRESHNESS_PROBE_ENV.lakeBucket] };
}
