/**
 * What a check says. The pure check modules return Findings; the runner adds
 * the source's name to make the CheckResults the report prints.
 */

export interface Finding {
  /** Check name, as listed in the README's "Source preflight" section (`wal-senders`, `primary-key`, ...). */
  readonly check: string;
  /** `schema.table` for a table check; undefined for a server or user check. */
  readonly table?: string;
  readonly passed: boolean;
  /** What was found and, on a failure, what to change. One line. */
  readonly detail: string;
}

export interface CheckResult extends Finding {
  readonly source: string;
}

export function pass(check: string, detail: string, table?: string): Finding {
  return { check, table, passed: true, detail };
}

export function fail(check: string, detail: string, table?: string): Finding {
  return { check, table, passed: false, detail };
}

/** One line from anything thrown: the driver's code (if any) and the first line of its message. */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node's happy-eyeballs connect rejects with one error per address tried.
    return errorText(error.errors[0]);
  }
  // Not `instanceof Error`: errors from another realm (Node's own under jest, say) fail that test.
  const raw = (error as { message?: unknown } | null)?.message;
  const message = typeof raw === 'string' ? raw : String(error);
  const firstLine = message.split('\n')[0].trim();
  const code = (error as { code?: unknown } | null)?.code;
  const text = firstLine.length > 0 ? firstLine : 'no message';
  return typeof code === 'string' && code.length > 0 && !text.includes(code) ? `${code}: ${text}` : text;
}
