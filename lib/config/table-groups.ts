/**
 * Which table-group stack holds each table's job (issue 9: hundreds of tables).
 *
 * CloudFormation allows 500 resources and 1 MB of template per stack, and a
 * table's job, role and policies take 4 resources and about 16.5 KB, so the jobs
 * are spread over nested stacks, `tableGroups` per source. A table's group is
 * a hash of its name modulo that count: it never depends on the other tables,
 * so adding or removing a table never moves another one, and a new table
 * changes only its own group's stack.
 *
 * The group is part of the job name (`...-ingest-g3-...`). CloudFormation
 * creates before it deletes, and Glue job names are unique per account, so a
 * job that moved between stacks under the same name would fail to create;
 * with the group in its name, a move (a changed `tableGroups`) is a new job in
 * the new stack and the removal of the old one.
 */
import type { SourceConfig, TableConfig } from './schema';

/**
 * Most tables one group stack may hold: 4 resources and about 16.5 KB of template each (role,
 * its two policies and the job), which leaves room under 500 resources and 1 MB (test/scale/ measures it).
 */
export const MAX_TABLES_PER_GROUP = 50;

/** 32-bit FNV-1a of a string's UTF-16 code units: small, fast and stable across Node versions. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The group (0-based) of a table among `groups`, from its schema and name (case-insensitive). */
export function tableGroupOf(table: Pick<TableConfig, 'schema' | 'name'>, groups: number): number {
  return fnv1a32(`${table.schema}.${table.name}`.toLowerCase()) % groups;
}

/** One group stack's tables. */
export interface TableGroup {
  readonly source: SourceConfig;
  /** 0-based, below source.tableGroups. */
  readonly group: number;
  /** In config order. */
  readonly tables: readonly TableConfig[];
}

/** The non-empty table groups of every source, by source (config order) then group number. */
export function tableGroups(config: { readonly sources: readonly SourceConfig[] }): TableGroup[] {
  return config.sources.flatMap((source) => {
    const byGroup = new Map<number, TableConfig[]>();
    for (const table of source.tables) {
      const group = tableGroupOf(table, source.tableGroups);
      byGroup.set(group, [...(byGroup.get(group) ?? []), table]);
    }
    return [...byGroup.entries()]
      .sort(([a], [b]) => a - b)
      .map(([group, tables]) => ({ source, group, tables }));
  });
}

/** Groups over MAX_TABLES_PER_GROUP, as config issues on the source's tableGroups. */
export function tableGroupIssues(config: {
  readonly sources: readonly SourceConfig[];
}): { path: (string | number)[]; input: unknown; message: string }[] {
  return config.sources.flatMap((source, s) => {
    const largest = tableGroups({ sources: [source] }).reduce(
      (max, group) => (group.tables.length > max.tables.length ? group : max),
      { tables: [] as readonly TableConfig[], group: -1 } as Pick<TableGroup, 'tables' | 'group'>,
    );
    if (largest.tables.length <= MAX_TABLES_PER_GROUP) return [];
    const needed = Math.ceil((source.tables.length / MAX_TABLES_PER_GROUP) * 1.5);
    return [
      {
        path: ['sources', s, 'tableGroups'],
        input: source.tableGroups,
        message:
          `enough groups that none holds more than ${MAX_TABLES_PER_GROUP} of the source's ${source.tables.length} tables ` +
          `(group ${largest.group} holds ${largest.tables.length}; try ${needed})`,
      },
    ];
  });
}
