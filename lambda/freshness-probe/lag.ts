/**
 * Lag arithmetic, pure. Times from the databases arrive as UTC text with
 * microseconds ("2024-05-01T12:00:00.123456", see queries.ts) and go back to
 * them as text, so no precision is lost on the way; they are turned into
 * milliseconds only to subtract.
 */
import type { Watermark } from './watermark';

/** How far a measured lag can be trusted. */
export type LagBound = 'exact' | 'lower-bound';

export interface Lag {
  readonly seconds: number;
  readonly bound: LagBound;
  /** Why it is a bound, or why the value is what it is; for the log. */
  readonly note?: string;
}

const UTC_TEXT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]00(?::?00)?)?$/;

/**
 * Milliseconds since the epoch of a UTC timestamp text (ISO 8601 with or without
 * `Z`, `T` or a space between date and time, up to nine fraction digits).
 * @throws Error naming the text and the expected form.
 */
export function utcMillis(text: string, what: string): number {
  const match = UTC_TEXT.exec(text);
  if (match === null) {
    throw new Error(
      `${what}: expected a UTC timestamp such as 2024-05-01T12:00:00.123456Z; received ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
  const [, y, mo, d, h, mi, s, fraction = '0'] = match;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return whole + Number(`0.${fraction}`) * 1000;
}

/** Seconds from `then` to `now`, never negative (clocks of two servers may disagree by a little). */
export function secondsBetween(thenMs: number, nowMs: number): number {
  return Math.max(0, Math.round((nowMs - thenMs) / 10) / 100);
}

/**
 * Lake lag of a table from its latest watermark: how old the newest data is of which
 * every row is in the lake.
 * - `complete_as_of` set: now minus it, exact.
 * - Horizon held (`complete_as_of` null): an update-timestamp table is complete up to its
 *   `position` (the range did not move), so now minus the position is exact. An
 *   increasing-key table's position is a key, not a time: the run that was held started at
 *   `started_at`, and nothing newer than the previous run landed, so now minus `started_at`
 *   is a lower bound.
 */
export function lakeLag(watermark: Watermark, nowMs: number): Lag {
  if (watermark.completeAsOf !== null) {
    return {
      seconds: secondsBetween(utcMillis(watermark.completeAsOf, 'complete_as_of'), nowMs),
      bound: 'exact',
    };
  }
  const held = watermark.heldReason ?? 'complete_as_of is null';
  if (watermark.bookmarkKind === 'update-timestamp' && typeof watermark.position === 'string') {
    return {
      seconds: secondsBetween(utcMillis(watermark.position, 'position'), nowMs),
      bound: 'exact',
      note: `horizon held (${held}); complete up to its position`,
    };
  }
  return {
    seconds: secondsBetween(utcMillis(watermark.startedAt, 'started_at'), nowMs),
    bound: 'lower-bound',
    note: `horizon held (${held}); at least as old as the held run's start`,
  };
}

/**
 * Replica lag of a table timed by a column (an update timestamp, or an insert time):
 * the age, on the source's clock, of the oldest source change newer than the newest
 * change the replica has. That is how long the row a user of dataengineering-db has waited
 * longest for has been committed; 0 when the replica has the source's newest change.
 * @param sourceNow the source's clock when it was asked
 * @param oldestMissing the oldest source change newer than the replica's newest; null for none
 * @param replicaInWindow whether the replica has any change in the bounded window searched; when
 *   it has none, older changes may be missing too and the lag is a lower bound
 */
export function timedReplicaLag(
  sourceNow: string,
  oldestMissing: string | null,
  replicaInWindow: boolean,
): Lag {
  if (oldestMissing === null) return { seconds: 0, bound: 'exact' };
  const seconds = secondsBetween(
    utcMillis(oldestMissing, 'oldest missing change'),
    utcMillis(sourceNow, 'source clock'),
  );
  return replicaInWindow
    ? { seconds, bound: 'exact' }
    : { seconds, bound: 'lower-bound', note: 'the replica has no change of the searched window' };
}

/** Compares two non-negative integer keys given as text, exactly (keys may exceed 2^53). */
export function compareKeys(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Replica lag of an increasing-key table without a time column, against the lake's
 * watermark: the watermark says every row with a key up to `position` was committed by
 * `complete_as_of`.
 * - The replica holds the source's greatest key: 0, exact.
 * - The replica lacks keys the lake already holds: it is at least as old as the lake's
 *   `complete_as_of` (a lower bound; the replica is behind the lake, which a healthy
 *   replication never is).
 * - Otherwise the missing rows are newer than the lake's watermark: 0 as a lower bound.
 */
export function keyedReplicaLag(
  sourceMaxKey: string | null,
  replicaMaxKey: string | null,
  watermark: Pick<Watermark, 'position' | 'completeAsOf'> | undefined,
  nowMs: number,
): Lag {
  if (sourceMaxKey === null) return { seconds: 0, bound: 'exact', note: 'the source table is empty' };
  if (replicaMaxKey !== null && compareKeys(replicaMaxKey, sourceMaxKey) >= 0)
    return { seconds: 0, bound: 'exact' };
  const position = watermark?.position;
  if (
    watermark?.completeAsOf != null &&
    (typeof position === 'string' || typeof position === 'number') &&
    (replicaMaxKey === null || compareKeys(replicaMaxKey, String(position)) < 0)
  ) {
    return {
      seconds: secondsBetween(utcMillis(watermark.completeAsOf, 'complete_as_of'), nowMs),
      bound: 'lower-bound',
      note: 'the replica lacks rows the lake already holds',
    };
  }
  return {
    seconds: 0,
    bound: 'lower-bound',
    note: 'the rows the replica lacks are newer than the lake watermark',
  };
}
