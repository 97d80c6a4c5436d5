/**
 * The execution a plan maps to. Its name is deterministic per source, set of
 * tables and time bucket, so a burst of triggers for the same tables within
 * one bucket names one execution, and Step Functions refuses the duplicates.
 */
import { createHash } from 'node:crypto';
import type { IngestionTable, TriggerKind, WorkflowInput } from './contract';

/**
 * `<source>-<bucket start, UTC>-<hash of the sorted tables>`, e.g.
 * `trackman-backend-20240501T120000Z-3f2a9c0d1e4b5a69`: at most 74 characters
 * (sources have at most 40), only [a-z0-9TZ-], within the 80 that Step Functions allows.
 * The hash (16 hex digits of SHA-256) keeps a long table list short.
 */
export function executionName(
  source: string,
  tables: readonly IngestionTable[],
  nowMs: number,
  windowSeconds: number,
): string {
  const windowMs = windowSeconds * 1000;
  const bucketStart = new Date(Math.floor(nowMs / windowMs) * windowMs);
  const stamp = bucketStart
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  const tableKey = tables
    .map((entry) => entry.table.toLowerCase())
    .sort()
    .join(',');
  const hash = createHash('sha256').update(`${source}\n${tableKey}`).digest('hex').slice(0, 16);
  return `${source}-${stamp}-${hash}`;
}

/** The ARN of an execution of `stateMachineArn` with this name. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The state machine input: the configured entries, unchanged. */
export function workflowInput(trigger: TriggerKind, tables: readonly IngestionTable[]): WorkflowInput {
  return { trigger, tables: tables.map(({ source, table, jobName }) => ({ source, table, jobName })) };
}
