/**
 * The function's environment, read and checked once at cold start. A wrong
 * value fails the function's initialisation with a message naming the
 * variable, the value and what was expected.
 */
import * as z from 'zod/mini';
import { jsonText, parseOrThrow } from '../shared/validation';
import { START_INGESTION_ENV, type IngestionTable } from './contract';

/** Source ids as the app config allows them (3-40 characters), which keeps execution names short. */
export const SOURCE_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
/** `schema.name` with SQL identifiers as the app config allows them. */
export const QUALIFIED_TABLE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}\.[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

const JOB_NAME_LENGTH = 'a Glue job name of 1-255 characters';
const DEDUP_WINDOW = 'a whole number of seconds from 1 to 86400';

const IngestionTableSchema = z.strictObject(
  {
    source: z
      .string({ error: 'a source name as a string' })
      .check(
        z.regex(SOURCE_NAME, { error: 'a source name of 3-40 characters: lowercase letters, digits and -' }),
      ),
    table: z
      .string({ error: 'a table name as a string' })
      .check(z.regex(QUALIFIED_TABLE, { error: 'a table name "schema.name", e.g. "public.shots"' })),
    jobName: z
      .string({ error: 'a Glue job name as a string' })
      .check(z.minLength(1, { error: JOB_NAME_LENGTH }), z.maxLength(255, { error: JOB_NAME_LENGTH })),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'only the fields source, table, jobName'
        : 'an object { source, table, jobName }',
  },
);

const IngestionTablesSchema = z
  .array(IngestionTableSchema, { error: 'a JSON array of { source, table, jobName }' })
  .check(
    z.minLength(1, { error: 'at least one table' }),
    z.superRefine((tables, ctx) => {
      const seen = new Map<string, number>();
      tables.forEach((entry, i) => {
        const key = `${entry.source}/${entry.table.toLowerCase()}`;
        const first = seen.get(key);
        if (first === undefined) {
          seen.set(key, i);
          return;
        }
        ctx.addIssue({
          code: 'custom',
          path: [i, 'table'],
          input: entry.table,
          message: `each table of a source once (entry [${first}] names the same table, compared case-insensitively)`,
        });
      });
    }),
  );

const EnvironmentSchema = z.strictObject({
  [START_INGESTION_ENV.stateMachineArn]: z.string({ error: 'the ARN of the ingestion state machine' }).check(
    z.regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, {
      error: 'the ARN of a state machine (arn:aws:states:<region>:<account>:stateMachine:<name>)',
    }),
  ),
  [START_INGESTION_ENV.tables]: z.pipe(
    z.pipe(
      z.string({ error: 'a JSON array of the configured lake tables' }),
      jsonText('the configured lake tables'),
    ),
    IngestionTablesSchema,
  ),
  [START_INGESTION_ENV.dedupWindowSeconds]: z.pipe(
    z.pipe(
      z.string({ error: 'a whole number of seconds' }).check(z.regex(/^\d{1,5}$/, { error: DEDUP_WINDOW })),
      z.transform(Number),
    ),
    z
      .int({ error: DEDUP_WINDOW })
      .check(z.minimum(1, { error: DEDUP_WINDOW }), z.maximum(86_400, { error: DEDUP_WINDOW })),
  ),
});

/** The checked environment. */
export interface StartIngestionConfig {
  readonly stateMachineArn: string;
  /** Every configured lake table, in configuration order. */
  readonly tables: readonly IngestionTable[];
  readonly dedupWindowSeconds: number;
}

/**
 * Reads the function's variables out of `env` (only those: the rest of the
 * environment never reaches a message) and checks them.
 * @throws ValidationError listing every problem.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): StartIngestionConfig {
  const parsed = parseOrThrow(
    EnvironmentSchema,
    {
      [START_INGESTION_ENV.stateMachineArn]: env[START_INGESTION_ENV.stateMachineArn],
      [START_INGESTION_ENV.tables]: env[START_INGESTION_ENV.tables],
      [START_INGESTION_ENV.dedupWindowSeconds]: env[START_INGESTION_ENV.dedupWindowSeconds],
    },
    'Invalid environment of the start-ingestion function',
    '(environment)',
  );
  return {
    stateMachineArn: parsed[START_INGESTION_ENV.stateMachineArn],
    tables: parsed[START_INGESTION_ENV.tables],
    dedupWindowSeconds: parsed[START_INGESTION_ENV.dedupWindowSeconds],
  };
}
