/**
 * The failure reasons the function hands to CloudFormation: they name the
 * replication and carry DMS's own words, cut so that a stack event stays
 * readable and the response stays under CloudFormation's 4 KB.
 */
import { truncate } from '../shared/validation';
import { MAX_REASON_LENGTH, type ReplicationKind } from './contract';
import type { Goal } from './event';
import type { ReplicationState } from './replication';

/** Longest part of a reason taken from DMS (its failure messages and stop reason together). */
export const MAX_DMS_TEXT = 600;

const KIND_LABEL: Readonly<Record<ReplicationKind, string>> = {
  serverless: 'DMS Serverless replication',
  instance: 'DMS replication task',
};

/** How messages name a replication: its kind and identifier, e.g. "DMS Serverless replication trackman-prod-dedb". */
export function subjectOf(kind: ReplicationKind, identifier: string): { name: string; kindLabel: string } {
  return { name: truncate(identifier, 255), kindLabel: KIND_LABEL[kind] };
}

type Subject = ReturnType<typeof subjectOf>;

function named(subject: Subject): string {
  return `${subject.kindLabel} ${subject.name}`;
}

/** DMS's failure messages and stop reason, one line, bounded. */
export function dmsWords(state: ReplicationState): string {
  const parts = [...state.failureMessages, ...(state.stopReason ? [`stop reason: ${state.stopReason}`] : [])]
    .map((part) => part.replace(/\s+/g, ' ').trim())
    .filter((part) => part.length > 0);
  return parts.length === 0
    ? 'DMS gives no failure message'
    : truncate(`DMS says: ${parts.join(' | ')}`, MAX_DMS_TEXT);
}

function bounded(reason: string): string {
  return truncate(reason, MAX_REASON_LENGTH);
}

export function failedToStart(subject: Subject, state: ReplicationState): string {
  return bounded(
    `${named(subject)} did not start: its status is '${truncate(state.status, 40)}'. ${dmsWords(state)}. ` +
      'Fix the cause (see the runbook, "Starting and stopping the replication"), then deploy again.',
  );
}

export function notFound(subject: Subject): string {
  return bounded(`${named(subject)} was not found in DMS, so it cannot be started.`);
}

export function timedOut(subject: Subject, goal: Goal, state: ReplicationState, seconds: number): string {
  const wanted = goal === 'running' ? 'start' : 'stop';
  return bounded(
    `${named(subject)} did not ${wanted} within ${Math.round(seconds / 60)} minutes: DMS still reports ` +
      `'${truncate(state.status, 40)}'. ${dmsWords(state)}. Check it in the DMS console; the runbook's ` +
      '"Starting and stopping the replication" says how to finish by hand.',
  );
}

/** A DMS error that is not one of the expected ones, as one bounded line. */
export function dmsError(subject: Subject, action: string, error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return bounded(
    `${action} of ${named(subject)} failed: ${truncate(text.replace(/\s+/g, ' '), MAX_DMS_TEXT)}`,
  );
}
