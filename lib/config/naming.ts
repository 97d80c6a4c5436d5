/**
 * Names derived from config, in one place: the Glue jobs, the lake prefixes and
 * the catalog tables of a table entry. Operators type these names (`aws glue
 * start-job-run --job-name ...`, Athena queries), so they are stable and
 * readable rather than generated.
 */
import type { SourceConfig, TableConfig } from './schema';
import { tableGroupOf } from './table-groups';

/**
 * The zones of the lake, as key prefixes. Each has a lifecycle of its own:
 * raw data ages into Deep Archive, curated data stays queryable, and the
 * control records (watermarks) are never archived because the freshness probe
 * reads them every few minutes.
 */
export const LakeZone = {
  /** Data as landed from a source: raw/<source>/<table>/ingest_date=.../ingest_hour=.../ */
  RAW: 'raw/',
  /** Cleaned, deduplicated, modelled data built from raw/. */
  CURATED: 'curated/',
  /** Watermarks and run records of the ingestion jobs: _control/<source>/<table>/ */
  CONTROL: '_control/',
} as const;

/** `public_shots`: a table's schema and name as one lowercase identifier. */
export function tableSlug(table: Pick<TableConfig, 'schema' | 'name'>): string {
  return `${table.schema}_${table.name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** `public.shots`: how a table is named in triggers, alerts and the workflow input. */
export function qualifiedName(table: Pick<TableConfig, 'schema' | 'name'>): string {
  return `${table.schema}.${table.name}`;
}

/**
 * `trackman-dev-ingest-`: every lake ingestion job of an environment, and no other job, has a
 * name that starts with this. The workflow, the failure notifier and its event rule name the
 * jobs by it: hundreds of job ARNs or names would outgrow an IAM policy and an event pattern.
 */
export function ingestionJobNamePrefix(environment: string): string {
  return `trackman-${environment}-ingest-`;
}

/**
 * `trackman-dev-ingest-g3-trackman-backend-public-shots`, with the table's group stack (see
 * table-groups.ts; Glue allows 255 characters).
 */
export function ingestionJobName(
  environment: string,
  source: Pick<SourceConfig, 'name' | 'tableGroups'>,
  table: TableConfig,
): string {
  const group = tableGroupOf(table, source.tableGroups);
  return `${ingestionJobNamePrefix(environment)}g${group}-${source.name}-${tableSlug(table).replace(/_/g, '-')}`;
}

/** `raw/trackman-backend/public_shots/`: where a table's data lands. */
export function rawPrefix(source: Pick<SourceConfig, 'name'>, table: TableConfig): string {
  return `${LakeZone.RAW}${source.name}/${tableSlug(table)}/`;
}

/** `_control/trackman-backend/public_shots/`: a table's watermark and run records. */
export function controlPrefix(source: Pick<SourceConfig, 'name'>, table: TableConfig): string {
  return `${LakeZone.CONTROL}${source.name}/${tableSlug(table)}/`;
}

/** `trackman_dev_lake`: the lake's Glue Data Catalog database, the name analysts type in Athena. */
export function catalogDatabaseName(environment: string): string {
  return `trackman_${environment}_lake`;
}

/** `trackman_backend__public_shots`: the table's name in the lake's Glue Data Catalog database. */
export function catalogTableName(source: Pick<SourceConfig, 'name'>, table: TableConfig): string {
  return `${source.name.replace(/-/g, '_')}__${tableSlug(table)}`;
}

/**
 * The lake bucket's name: `lake.bucketName` when set (trackman-lake in prod),
 * else derived from the environment, account and region
 * (`trackman-dev-lake-111111111111-eu-west-1`), which is unique across AWS and
 * known at synth, so IAM policies in other stacks name their prefixes literally.
 */
export function lakeBucketName(config: {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly lake: { readonly bucketName?: string };
}): string {
  return config.lake.bucketName ?? `trackman-${config.name}-lake-${config.account}-${config.region}`;
}

/** Every lake table of an environment with its source, in config order. */
export function lakeTables(config: { readonly sources: readonly SourceConfig[] }): {
  source: SourceConfig;
  table: TableConfig;
}[] {
  return config.sources.flatMap((source) => source.tables.map((table) => ({ source, table })));
}

/** The Project cost-allocation tag value: every resource carries Project, Environment and Component. */
export const PROJECT_TAG = 'trackman-data-platform';
