/**
 * The parts of a table's `watermark.json` (docs/ingestion-job.md, "Watermark",
 * schema_version 2) the probe uses, checked with zod/mini. Other fields are
 * allowed and ignored, so the job may add some without breaking the probe.
 */
import * as z from 'zod/mini';
import { parseOrThrow } from '../shared/validation';

/** `_control/<source>/<schema>_<table>/watermark.json`, as lib/config/naming.ts names the prefix. */
export function watermarkKey(source: string, schema: string, table: string): string {
  const slug = `${schema}_${table}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `_control/${source}/${slug}/watermark.json`;
}

const timestamp = z.string({ error: 'an ISO 8601 UTC timestamp' });
const nullableTimestamp = z.nullable(timestamp);
const key = z.union([z.string(), z.number()], { error: 'a key or timestamp as text or number' });

const WatermarkSchema = z.looseObject(
  {
    schema_version: z.literal(2, {
      error: 'schema_version 2 (a job older than the watermark format the probe reads)',
    }),
    source: z.string({ error: 'the source name' }),
    schema: z.string({ error: 'the schema name' }),
    table: z.string({ error: 'the table name' }),
    bookmark_kind: z.nullable(z.string({ error: 'the bookmark kind' })),
    rows: z.int({ error: 'a whole number of rows' }).check(z.minimum(0, { error: 'a whole number of rows' })),
    started_at: timestamp,
    finished_at: timestamp,
    position: z.nullable(key),
    complete_as_of: nullableTimestamp,
    range: z.nullable(
      z.looseObject(
        {
          lower: z.nullable(key),
          upper: z.nullable(key),
          lower_inclusive: z.boolean({ error: 'true or false' }),
          upper_inclusive: z.boolean({ error: 'true or false' }),
        },
        { error: 'a range { lower, upper, lower_inclusive, upper_inclusive } or null' },
      ),
    ),
    horizon: z.nullable(
      z.looseObject(
        { held_reason: z.nullable(z.string({ error: 'a reason or null' })) },
        { error: 'a horizon { held_reason } or null' },
      ),
    ),
  },
  { error: 'a watermark document (a JSON object)' },
);

export interface KeyRange {
  readonly lower: string | null;
  readonly upper: string | null;
  readonly lowerInclusive: boolean;
  readonly upperInclusive: boolean;
}

export interface Watermark {
  readonly bookmarkKind: string | null;
  /** Rows the run landed. */
  readonly rows: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly position: string | number | null;
  readonly completeAsOf: string | null;
  readonly range: KeyRange | null;
  readonly heldReason: string | null;
}

/**
 * Parses a watermark and checks that it belongs to the table it was read for.
 * @throws ValidationError (bad document) or Error (another table's document).
 */
export function parseWatermark(
  text: string,
  expected: { source: string; schema: string; table: string },
): Watermark {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`watermark is not JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  const doc = parseOrThrow(WatermarkSchema, json, 'Invalid watermark', '(watermark)');
  const found = `${doc.source}/${doc.schema}.${doc.table}`;
  const wanted = `${expected.source}/${expected.schema}.${expected.table}`;
  if (found.toLowerCase() !== wanted.toLowerCase()) {
    throw new Error(`watermark belongs to ${found.slice(0, 200)}, expected ${wanted}`);
  }
  const text_ = (value: string | number | null) => (value === null ? null : String(value));
  return {
    bookmarkKind: doc.bookmark_kind,
    rows: doc.rows,
    startedAt: doc.started_at,
    finishedAt: doc.finished_at,
    position: doc.position,
    completeAsOf: doc.complete_as_of,
    range:
      doc.range === null
        ? null
        : {
            lower: text_(doc.range.lower),
            upper: text_(doc.range.upper),
            lowerInclusive: doc.range.lower_inclusive,
            upperInclusive: doc.range.upper_inclusive,
          },
    heldReason: doc.horizon?.held_reason ?? null,
  };
}
