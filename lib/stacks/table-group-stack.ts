import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { qualifiedName, type TableGroup } from '../config';
import { TableIngestionJob, type TableIngestionJobProps } from '../constructs/table-ingestion-job';

export interface TableGroupStackProps {
  readonly group: TableGroup;
  /** What every job of the environment shares: connection, scripts, keys, catalog, log groups. */
  readonly jobs: Omit<TableIngestionJobProps, 'source' | 'table'>;
}

/**
 * A nested stack of the ingestion stack holding one group of a source's
 * table jobs (lib/config/table-groups.ts), so hundreds of tables stay within
 * CloudFormation's 500 resources and 1 MB per stack. It deploys, updates and
 * deletes with its parent: `cdk diff` and `cdk deploy` of the ingestion stack
 * cover it, and a group that loses its last table is deleted with it.
 */
export class TableGroupStack extends NestedStack {
  public readonly jobs: TableIngestionJob[];

  constructor(scope: Construct, id: string, props: TableGroupStackProps) {
    const { group } = props;
    super(scope, id, {
      description: `Trackman lake ingestion jobs of ${group.source.name}, group ${group.group} (${group.tables.length} tables)`,
    });
    this.jobs = group.tables.map(
      (table) =>
        new TableIngestionJob(this, `Table-${group.source.name}-${qualifiedName(table)}`, {
          ...props.jobs,
          source: group.source,
          table,
        }),
    );
  }
}
