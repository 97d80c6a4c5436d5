/**
 * Measurements as metric records, pure, and their emission through Powertools
 * Metrics (EMF), one EMF document per record.
 *
 * - One record per table and destination with a measured lag, dimensions (source, table,
 *   destination), LagSeconds only: the dashboard's per-table freshness. A custom metric is
 *   billed per name and dimension set, so the figures nothing graphs per table (gaps,
 *   failures, unknown lag) go to the log records instead (index.ts), not to ~1,800 metrics
 *   at 300 tables.
 * - One summary record per destination, dimension (destination): the worst lag, the
 *   total gap and the number of failed measurements of the run. The alarms watch these,
 *   so they cover every table without naming one (hundreds of tables, a handful of alarms).
 * Powertools adds the `service` dimension to both.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '../shared/powertools';
import { PROBE_METRIC, type Destination } from './contract';
import type { Measurement } from './probe';

export interface MetricValue {
  readonly name: string;
  readonly unit: 'Seconds' | 'Count';
  readonly value: number;
}

export interface MetricRecord {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly MetricValue[];
}

/**
 * The records of a run: the lag per table, then one summary per destination that was measured.
 * A summary has LagSeconds only when some table's lag was measured, so a run in which
 * every measurement failed leaves the lag alarms without data (breaching) as well as
 * raising ProbeFailures.
 */
export function metricRecords(
  measurements: readonly Measurement[],
  mode: 'freshness' | 'reconciliation' = 'freshness',
): MetricRecord[] {
  const perTable = measurements.flatMap((m) =>
    m.lag === undefined
      ? []
      : [
          {
            dimensions: { source: m.source, table: m.table, destination: m.destination },
            values: [{ name: PROBE_METRIC.lagSeconds, unit: 'Seconds' as const, value: m.lag.seconds }],
          },
        ],
  );
  const destinations = [...new Set(measurements.map((m) => m.destination))] as Destination[];
  const summaries = destinations.map((destination) => {
    const of = measurements.filter((m) => m.destination === destination);
    const lags = of.flatMap((m) => (m.lag === undefined ? [] : [m.lag.seconds]));
    const unknown = of.flatMap((m) => (m.lagUnknown === undefined ? [] : [m.lagUnknown]));
    const gaps = of.flatMap((m) => (m.gapRows === undefined ? [] : [m.gapRows]));
    const values: MetricValue[] = [];
    if (lags.length > 0)
      values.push({ name: PROBE_METRIC.lagSeconds, unit: 'Seconds', value: Math.max(...lags) });
    if (unknown.length > 0)
      values.push({ name: PROBE_METRIC.lakeLagUnknown, unit: 'Count', value: Math.max(...unknown) });
    if (gaps.length > 0) {
      values.push({
        name: PROBE_METRIC.reconciliationGapRows,
        unit: 'Count',
        value: gaps.reduce((a, b) => a + b, 0),
      });
    }
    const failed = of.filter((m) => m.failures.length > 0).length;
    values.push({ name: PROBE_METRIC.probeFailures, unit: 'Count', value: failed });
    if (mode === 'reconciliation') {
      values.push({ name: PROBE_METRIC.reconciliationRuns, unit: 'Count', value: 1 });
    }
    return { dimensions: { destination }, values };
  });
  return [...perTable, ...summaries];
}

/** Publishes each record as its own EMF document. */
export function publishRecords(metrics: Metrics, records: readonly MetricRecord[]): void {
  for (const record of records) {
    metrics.addDimensions({ ...record.dimensions });
    for (const { name, unit, value } of record.values) {
      metrics.addMetric(name, unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
    }
    metrics.publishStoredMetrics();
  }
}
