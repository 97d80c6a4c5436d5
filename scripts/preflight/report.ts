/** The pass/fail table the preflight prints. */
import type { CheckResult } from './findings';

const HEADER = ['CHECK', 'SOURCE', 'TABLE', 'RESULT', 'DETAIL'] as const;

/** Lines of an aligned table (check, source, table, result, detail), then notes and a summary line. */
export function renderReport(results: readonly CheckResult[], notes: readonly string[] = []): string[] {
  const rows = results.map((r) => [r.check, r.source, r.table ?? '-', r.passed ? 'PASS' : 'FAIL', r.detail]);
  const widths = HEADER.slice(0, 4).map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]) : cell))
      .join('  ')
      .trimEnd();
  const failed = results.filter((r) => !r.passed).length;
  return [
    line(HEADER),
    ...rows.map(line),
    '',
    ...notes.map((note) => `note: ${note}`),
    `preflight: ${results.length} checks, ${results.length - failed} passed, ${failed} failed`,
  ];
}
