/**
 * The offline diff as a reviewer reads it: plain text for a terminal, or
 * Markdown for a pull-request comment. Stateful replacements and deletions
 * come first, then one line per changed stack, then each stack's details.
 */
import { losesState, type AssemblyDiff, type Impact, type ResourceChange, type StackDiff } from './compare';

/** What is compared with what, e.g. `main (1a2b3c4)` and `the working tree`. */
export interface DiffLabels {
  readonly base: string;
  readonly head: string;
}

/**
 * GitHub refuses a comment over 65,536 characters; stay below with room for the workflow's own
 * header. The details of the last stacks give way first, never the alerts or the stack summary.
 */
export const MARKDOWN_LIMIT = 60_000;

const SYMBOLS: Record<Impact, string> = {
  add: '+',
  remove: '-',
  replace: '-/+',
  'may-replace': '-/+?',
  update: '~',
  orphan: '- (kept)',
  import: '<-',
};

const WORDS: Record<Impact, string> = {
  add: 'added',
  remove: 'removed',
  replace: 'replaced',
  'may-replace': 'may be replaced',
  update: 'updated',
  orphan: 'removed from the stack, resource kept',
  import: 'imported',
};

const IMPACT_ORDER: readonly Impact[] = [
  'replace',
  'may-replace',
  'remove',
  'orphan',
  'add',
  'import',
  'update',
];

/** `2 added, 1 updated`, in IMPACT_ORDER; plus other template changes. */
export function counts(stack: StackDiff): string {
  const parts = IMPACT_ORDER.map((impact) => {
    const n = stack.resources.filter((change) => change.impact === impact).length;
    return n > 0 ? `${n} ${WORDS[impact]}` : undefined;
  }).filter((part): part is string => part !== undefined);
  if (stack.otherChanges > 0) parts.push(`${stack.otherChanges} other template change(s)`);
  if (stack.iamStatements.length > 0 || stack.managedPolicies.length > 0) {
    parts.push(stack.iamBroadened ? 'IAM grants added' : 'IAM changed');
  }
  if (stack.securityGroups.length > 0) parts.push('security groups changed');
  return parts.join(', ');
}

function stackTitle(stack: StackDiff): string {
  const whole = stack.status === 'changed' ? '' : ` [stack ${stack.status}]`;
  return `${stack.name}${stack.stackName ? ` (${stack.stackName})` : ''}${whole}`;
}

function where(change: ResourceChange): string {
  return change.path ?? change.logicalId;
}

function sorted(resources: readonly ResourceChange[]): ResourceChange[] {
  return [...resources].sort(
    (a, b) =>
      IMPACT_ORDER.indexOf(a.impact) - IMPACT_ORDER.indexOf(b.impact) || where(a).localeCompare(where(b)),
  );
}

export function renderText(diff: AssemblyDiff, labels: DiffLabels): string {
  const lines = [`Template diff: ${labels.base} -> ${labels.head}`];
  if (diff.stacks.length === 0) {
    lines.push(`No differences: ${diff.unchangedStacks} stack(s) synthesize the same.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${diff.stacks.length} stack(s) differ, ${diff.unchangedStacks} unchanged.`, '');
  if (diff.statefulAlerts.length > 0) {
    lines.push('!!! STATEFUL RESOURCES REPLACED OR DELETED: a deploy loses their data, keys or names.');
    for (const alert of diff.statefulAlerts) {
      const properties = alert.properties.length > 0 ? ` (${alert.properties.join(', ')})` : '';
      lines.push(
        `!!!   ${WORDS[alert.impact]}: ${alert.type} ${where(alert)} in ${alert.stack}${properties}`,
      );
    }
    lines.push('');
  }
  for (const stack of diff.stacks) lines.push(`${stackTitle(stack)}: ${counts(stack)}`);
  for (const stack of diff.stacks) {
    lines.push('', `== ${stackTitle(stack)}`);
    for (const change of sorted(stack.resources)) {
      const properties = change.properties.length > 0 ? `  (${change.properties.join(', ')})` : '';
      const flag = losesState(change) ? '  !!! stateful' : '';
      lines.push(`  [${SYMBOLS[change.impact]}] ${change.type} ${where(change)}${properties}${flag}`);
    }
    if (stack.iamStatements.length > 0) {
      lines.push(`  IAM statements${stack.iamBroadened ? ' (ADDS GRANTS)' : ''}:`);
      lines.push(...textTable(stack.iamStatements).map((row) => `    ${row}`));
    }
    if (stack.managedPolicies.length > 0) {
      lines.push('  IAM managed policies:', ...textTable(stack.managedPolicies).map((row) => `    ${row}`));
    }
    if (stack.securityGroups.length > 0) {
      lines.push('  Security group rules:', ...textTable(stack.securityGroups).map((row) => `    ${row}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function textTable(rows: readonly (readonly string[])[]): string[] {
  return rows.map((row) => row.map((cell) => oneLine(cell)).join(' | '));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * A table cell of text from the change under review (construct paths, types, policy text): escaped so
 * that it renders as text, never as HTML (`<!--` would hide the rest of the comment) nor as a mention.
 */
function cell(text: string): string {
  return escapeHtml(oneLine(text)).replace(/\|/g, '\\|').replace(/@/g, '&#64;');
}

function mdTable(rows: readonly (readonly string[])[]): string[] {
  const [header, ...body] = rows;
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

export function renderMarkdown(diff: AssemblyDiff, labels: DiffLabels, limit = MARKDOWN_LIMIT): string {
  const head = [`### Template diff: ${escapeHtml(labels.base)} → ${escapeHtml(labels.head)}`, ''];
  if (diff.stacks.length === 0) {
    head.push(`No differences: ${diff.unchangedStacks} stack(s) synthesize the same.`);
    return `${head.join('\n')}\n`;
  }
  if (diff.statefulAlerts.length > 0) {
    head.push(
      '> [!CAUTION]',
      '> **Stateful resources replaced or deleted.** A deploy loses their data, keys or names:',
      '>',
      ...mdTable([
        ['Change', 'Type', 'Resource', 'Stack', 'Properties'],
        ...diff.statefulAlerts
          .slice(0, MAX_ALERT_ROWS)
          .map((alert) => [
            WORDS[alert.impact],
            alert.type,
            where(alert),
            alert.stack,
            alert.properties.join(', '),
          ]),
      ]).map((row) => `> ${row}`),
      ...(diff.statefulAlerts.length > MAX_ALERT_ROWS
        ? [
            '>',
            `> ... and ${diff.statefulAlerts.length - MAX_ALERT_ROWS} more: run \`npm run diff\` to see them all.`,
          ]
        : []),
      '',
    );
  }
  head.push(
    `**${diff.stacks.length} stack(s) differ**, ${diff.unchangedStacks} unchanged.`,
    '',
    ...mdTable([['Stack', 'Changes'], ...diff.stacks.map((stack) => [stackTitle(stack), counts(stack)])]),
    '',
  );
  const out = [...head];
  let size = out.join('\n').length;
  const left: string[] = [];
  for (const stack of diff.stacks) {
    const section = stackSection(stack);
    const bytes = section.join('\n').length + 1;
    if (left.length > 0 || size + bytes > limit) {
      left.push(stack.name);
      continue;
    }
    out.push(...section);
    size += bytes;
  }
  if (left.length > 0) {
    const named = left
      .slice(0, 20)
      .map((name) => escapeHtml(name))
      .join(', ');
    out.push(
      `_Details of ${left.length} stack(s) left out to fit a comment (${named}${left.length > 20 ? ', ...' : ''}): ` +
        'run `npm run diff` locally to see them._',
    );
  }
  return `${out.join('\n')}\n`;
}

function stackSection(stack: StackDiff): string[] {
  const lines = [
    `<details><summary><b>${escapeHtml(stackTitle(stack))}</b>: ${escapeHtml(counts(stack))}</summary>`,
    '',
  ];
  if (stack.resources.length > 0) {
    lines.push(
      ...mdTable([
        ['', 'Type', 'Resource', 'Properties'],
        ...sorted(stack.resources).map((change) => [
          `${SYMBOLS[change.impact]}${losesState(change) ? ' ⚠️' : ''}`,
          change.type,
          where(change),
          change.properties.join(', '),
        ]),
      ]),
      '',
    );
  }
  if (stack.iamStatements.length > 0) {
    lines.push(
      `**IAM statements**${stack.iamBroadened ? ' (adds grants)' : ''}`,
      '',
      ...mdTable(stack.iamStatements),
      '',
    );
  }
  if (stack.managedPolicies.length > 0) {
    lines.push('**IAM managed policies**', '', ...mdTable(stack.managedPolicies), '');
  }
  if (stack.securityGroups.length > 0) {
    lines.push('**Security group rules**', '', ...mdTable(stack.securityGroups), '');
  }
  lines.push('</details>', '');
  return lines;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Most stateful alerts a comment lists; the rest are counted (the text report lists all). */
export const MAX_ALERT_ROWS = 100;
