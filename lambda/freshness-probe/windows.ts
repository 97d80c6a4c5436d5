/**
 * Reconciliation windows, pure: which closed range of a table's rows is counted on
 * each side, and when a difference counts as a gap rather than rows still in flight.
 *
 * - Source against dataengineering-db, update-timestamp tables: the last complete hour of
 *   the column that ended at least one replication SLO ago. A row committed in that hour
 *   must have reached the replica by now, whatever the replication did in between, so
 *   the in-flight window is the SLO itself.
 * - Source against the lake, incremental tables: the range of the latest watermark. The job
 *   closed it at its read horizon (no transaction that could still commit into it was open),
 *   so nothing is in flight: a row the source has in that range now and the lake did not
 *   land was skipped.
 * - Source against dataengineering-db, increasing-key tables: the same watermark range, once
 *   the replica is past it (it holds a key above the range, so the changes committed before
 *   the range closed have been applied) or the range closed a replication SLO ago.
 */
import { compareKeys, utcMillis } from './lag';
import type { Watermark } from './watermark';

/** A range of the column's values; bounds are UTC timestamp text or integer keys as text. */
export interface Window {
  readonly lower: string;
  readonly upper: string;
  readonly lowerInclusive: boolean;
  readonly upperInclusive: boolean;
}

export type WindowChoice = { readonly window: Window } | { readonly skipped: string };

const HOUR_MS = 3_600_000;

/** `2024-05-01 12:00:00.000000`: the form every engine reads as a timestamp (the session is UTC). */
export function sqlTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.000000`;
}

/** A watermark's timestamp text (`2024-05-01T06:44:02.000000Z`) in the same form, digits kept as they are. */
export function sqlTimestampText(text: string): string {
  utcMillis(text, 'timestamp'); // validates
  return text.replace('T', ' ').replace(/(Z|[+-]00(:?00)?)$/, '');
}

/** The last complete hour of the column that ended at least `inFlightMinutes` before `nowMs`. */
export function closedHour(nowMs: number, inFlightMinutes: number): Window {
  const end = Math.floor((nowMs - inFlightMinutes * 60_000) / HOUR_MS) * HOUR_MS;
  return {
    lower: sqlTimestamp(end - HOUR_MS),
    upper: sqlTimestamp(end),
    lowerInclusive: true,
    upperInclusive: false,
  };
}

/** The closed range of the latest watermark, or why there is none to reconcile. */
export function watermarkWindow(watermark: Watermark): WindowChoice {
  const range = watermark.range;
  if (range === null) return { skipped: 'a snapshot table: its watermark has no range' };
  if (watermark.heldReason !== null) return { skipped: 'the horizon was held: the range is empty' };
  if (range.lower === null) return { skipped: 'the first load: the range has no lower end' };
  if (range.upper === null) return { skipped: 'the range has no upper end' };
  const timed = watermark.bookmarkKind === 'update-timestamp';
  const lower = timed ? sqlTimestampText(range.lower) : range.lower;
  const upper = timed ? sqlTimestampText(range.upper) : range.upper;
  if (lower === upper) return { skipped: 'the range is empty' };
  return {
    window: { lower, upper, lowerInclusive: range.lowerInclusive, upperInclusive: range.upperInclusive },
  };
}

/**
 * Whether the replica can be held to an increasing-key watermark range: it holds a key
 * above the range, or the range closed at least one replication SLO ago.
 */
export function replicaPastRange(
  window: Window,
  replicaMaxKey: string | null,
  completeAsOf: string | null,
  nowMs: number,
  replicaSloMinutes: number,
): boolean {
  if (replicaMaxKey !== null && compareKeys(replicaMaxKey, window.upper) > 0) return true;
  return (
    completeAsOf !== null && nowMs - utcMillis(completeAsOf, 'complete_as_of') >= replicaSloMinutes * 60_000
  );
}

/**
 * Rows the source has in the window and the destination lacks, as far as counts can tell.
 * Rows deleted or moved out of the window (updated again) on the source make the source
 * count smaller, never larger, so a positive difference is rows lost.
 */
export function gapRows(sourceCount: number, destinationCount: number): number {
  return Math.max(0, sourceCount - destinationCount);
}
