/**
 * Parsing and checking of the three event shapes the function accepts, and
 * their resolution against the configured tables. Everything here is pure.
 *
 * Table names are matched case-insensitively ("PUBLIC.Shots" is public.shots):
 * PostgreSQL folds unquoted identifiers to lower case, MySQL compares table
 * names case-insensitively on common platforms, and the app config already
 * rejects two tables of a source that differ only in case. What the workflow
 * receives is always the configured spelling.
 */
import * as z from 'zod/mini';
import { MAX_PROBLEMS, parseOrThrow, problem, ValidationError } from '../shared/validation';
import { QUALIFIED_TABLE } from './config';
import type { IngestionTable, TriggerKind } from './contract';

const SUBJECT = 'Invalid ingestion trigger';
const SHAPE: Readonly<Record<TriggerKind, string>> = {
  manual: 'direct invocation',
  event: 'EventBridge event',
  database: 'database trigger',
};

const sourceField = z.string({ error: 'a source name as a string, e.g. "trackman-backend"' });
/**
 * The elements are checked by resolveTables, not here: zod collects one issue per
 * wrong element and, for a list of some 100,000, overflows the stack while doing it.
 */
const tableList = z.array(z.unknown(), {
  error: 'a list of table names "schema.name", e.g. ["public.shots"]',
});
const TABLE_AS_STRING = 'a table name "schema.name" as a string';

function onlyFields(fields: string, shape: string) {
  return (issue: { code?: string }) =>
    issue.code === 'unrecognized_keys' ? `only the fields ${fields}` : shape;
}

/** `{ source, tables? }`: a direct invocation, or the `detail` of an EventBridge event. */
const RequestSchema = z.strictObject(
  { source: sourceField, tables: z.optional(tableList) },
  { error: onlyFields('source, tables', 'an object { "source": ..., "tables"?: [...] }') },
);

/** An EventBridge event: its own `source` is the event source, ours is in `detail`. */
const EventBridgeSchema = z.looseObject(
  {
    'detail-type': z.string({ error: 'the EventBridge detail-type as a string' }),
    source: z.string({ error: 'the EventBridge event source as a string' }),
    detail: RequestSchema,
  },
  { error: 'an EventBridge event' },
);

/** What the trigger installed by sql/postgres/install-ingestion-trigger.sql sends. */
const DatabaseSchema = z.strictObject(
  {
    source: sourceField,
    tables: tableList,
    origin: z.literal('database', { error: '"database"' }),
    operation: z.literal('INSERT', { error: '"INSERT"' }),
    at: z.iso.datetime({ offset: true, error: 'an ISO 8601 timestamp, e.g. "2024-05-01T12:00:00.000000Z"' }),
  },
  { error: onlyFields('source, tables, origin, operation, at', 'an object from the database trigger') },
);

/** A parsed trigger, before it is checked against the configured tables. */
export interface TriggerRequest {
  readonly trigger: TriggerKind;
  readonly source: string;
  /** As received (elements not yet checked); undefined means every table of the source. */
  readonly tables?: readonly unknown[];
  /** Where `source` and `tables` sit in the event, for messages (`detail.` for EventBridge). */
  readonly fieldPrefix: string;
}

/** A checked trigger: what to run. */
export interface IngestionPlan {
  readonly trigger: TriggerKind;
  readonly source: string;
  /** Configured entries of the requested tables, in configuration order. */
  readonly tables: readonly IngestionTable[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Which of the three shapes an event claims to be; the matching schema then checks it in full. */
export function triggerKind(event: unknown): TriggerKind {
  if (isRecord(event) && ('detail' in event || 'detail-type' in event)) return 'event';
  if (isRecord(event) && 'origin' in event) return 'database';
  return 'manual';
}

/**
 * Checks the shape of an event.
 * @throws ValidationError naming each wrong field, its value and what was expected.
 */
export function parseTrigger(event: unknown): TriggerRequest {
  const trigger = triggerKind(event);
  switch (trigger) {
    case 'event': {
      const { detail } = parseOrThrow(EventBridgeSchema, event, `${SUBJECT} (${SHAPE.event})`, '(event)');
      return { trigger, source: detail.source, tables: detail.tables, fieldPrefix: 'detail.' };
    }
    case 'database': {
      const request = parseOrThrow(DatabaseSchema, event, `${SUBJECT} (${SHAPE.database})`, '(event)');
      return { trigger, source: request.source, tables: request.tables, fieldPrefix: '' };
    }
    case 'manual': {
      const request = parseOrThrow(RequestSchema, event, `${SUBJECT} (${SHAPE.manual})`, '(event)');
      return { trigger, source: request.source, tables: request.tables, fieldPrefix: '' };
    }
  }
}

/**
 * Resolves a request against the configured tables: the source must be known,
 * and every requested table must be one of its tables, named once.
 * @throws ValidationError listing every problem.
 */
export function resolveTables(request: TriggerRequest, configured: readonly IngestionTable[]): IngestionPlan {
  const subject = `${SUBJECT} (${SHAPE[request.trigger]})`;
  const field = (name: string) => `${request.fieldPrefix}${name}`;
  const ofSource = configured.filter((entry) => entry.source === request.source);
  if (ofSource.length === 0) {
    const sources = [...new Set(configured.map((entry) => entry.source))].map((s) => JSON.stringify(s));
    throw new ValidationError(subject, [
      problem(field('source'), `one of ${sources.join(', ')}`, request.source),
    ]);
  }
  if (request.tables === undefined) {
    return { trigger: request.trigger, source: request.source, tables: ofSource };
  }
  if (request.tables.length === 0) {
    throw new ValidationError(subject, [
      problem(
        field('tables'),
        'at least one table (leave "tables" out to ingest every table of the source)',
        [],
      ),
    ]);
  }

  const byName = new Map(ofSource.map((entry) => [entry.table.toLowerCase(), entry]));
  const known = ofSource.map((entry) => entry.table).join(', ');
  const firstIndex = new Map<string, number>();
  // The first MAX_PROBLEMS problems are rendered; the rest only counted, so a request of
  // 300,000 unknown names costs neither a huge error nor the memory to build one.
  const problems: string[] = [];
  let omitted = 0;
  const report = (line: () => string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(line());
    else omitted += 1;
  };
  request.tables.forEach((name, i) => {
    const at = field(`tables[${i}]`);
    if (typeof name !== 'string') {
      report(() => problem(at, TABLE_AS_STRING, name));
      return;
    }
    if (!QUALIFIED_TABLE.test(name)) {
      report(() => problem(at, 'a table name "schema.name", e.g. "public.shots"', name));
      return;
    }
    const key = name.toLowerCase();
    if (!byName.has(key)) {
      report(() => problem(at, `a table of source ${request.source} (${known})`, name));
    } else if (firstIndex.has(key)) {
      report(() =>
        problem(
          at,
          `each table once (the same table as tables[${firstIndex.get(key)}], compared case-insensitively)`,
          name,
        ),
      );
    } else {
      firstIndex.set(key, i);
    }
  });
  if (problems.length > 0) throw new ValidationError(subject, problems, omitted);

  return {
    trigger: request.trigger,
    source: request.source,
    tables: ofSource.filter((entry) => firstIndex.has(entry.table.toLowerCase())),
  };
}

/**
 * The whole check of an event: its shape, then its tables.
 * @throws ValidationError; nothing may be started when it throws.
 */
export function planIngestion(event: unknown, configured: readonly IngestionTable[]): IngestionPlan {
  return resolveTables(parseTrigger(event), configured);
}
