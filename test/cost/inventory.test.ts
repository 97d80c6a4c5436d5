/**
 * The probe's custom metrics the estimate prices (lib/cost/inventory.ts) against the metric series
 * the probe publishes (lambda/freshness-probe/metrics.ts): CloudWatch bills one custom metric per
 * name and dimension set, so the count is the number of distinct (name, dimensions) pairs of a run
 * in which every measurement succeeds, over both destinations, in reconciliation mode (whose
 * summaries carry every metric). A probe change that adds or drops a series fails here until the
 * inventory follows it.
 */
import type { Destination } from '../../lambda/freshness-probe/contract';
import { metricRecords } from '../../lambda/freshness-probe/metrics';
import type { Measurement } from '../../lambda/freshness-probe/probe';
import { validateConfig, type EnvironmentConfig, type EnvironmentConfigInput } from '../../lib/config';
import { inventoryOf } from '../../lib/cost/inventory';
import { copyOf, devLike, twoSources } from '../fixtures/configs';

/**
 * What a reconciliation run measures for `config`, every measurement successful: each table's lag
 * in the lake, and in dataengineering-db for each table DMS replicates there.
 */
function measurementsOf(config: EnvironmentConfig): Measurement[] {
  const measured = (source: string, table: string, destination: Destination): Measurement => ({
    source,
    table,
    destination,
    lag: { seconds: 120, bound: 'exact' },
    ...(destination === 'lake' ? { lagUnknown: 0 as const } : {}),
    gapRows: 0,
    failures: [],
    notes: [],
  });
  return config.sources.flatMap((source) =>
    source.tables.flatMap((table) => {
      const name = `${table.schema}.${table.name}`;
      return [
        measured(source.name, name, 'lake'),
        ...(config.replication.enabled && table.replicate
          ? [measured(source.name, name, 'dataengineering-db')]
          : []),
      ];
    }),
  );
}

/** The distinct metric series of the records: name and dimension set. */
function seriesOf(config: EnvironmentConfig): Set<string> {
  return new Set(
    metricRecords(measurementsOf(config), 'reconciliation').flatMap((record) =>
      record.values.map((value) =>
        JSON.stringify([
          value.name,
          Object.entries(record.dimensions).sort(([a], [b]) => a.localeCompare(b)),
        ]),
      ),
    ),
  );
}

const replicationOff = (): EnvironmentConfigInput => {
  const config = copyOf(devLike);
  config.replication = { enabled: false };
  config.backup = { restoreTesting: { enabled: false } };
  return config;
};

describe.each([
  // 4 lake lags + 3 replica lags + the lake summary (LagSeconds, LakeLagUnknown, ReconciliationGapRows,
  // ProbeFailures, ReconciliationRuns) 5 + the replica summary (the same but LakeLagUnknown) 4
  ['dev-like: 4 tables, 3 replicated', devLike, 16],
  // 6 lake lags + 3 replica lags + 5 + 4
  ['two sources: 6 tables, 3 replicated', twoSources, 18],
  // 4 lake lags + the lake summary 5: no replica destination
  ['replication off', replicationOff(), 9],
])('custom metrics of %s', (_name, input, expected) => {
  const config = validateConfig(input, input.name);

  test(`the inventory counts ${expected}`, () => {
    expect(inventoryOf(config).customMetrics).toBe(expected);
  });

  test("as many as the probe's records of a full reconciliation run have distinct series", () => {
    expect(seriesOf(config).size).toBe(inventoryOf(config).customMetrics);
  });
});
