/**
 * The numbers the cost estimate uses that neither the config nor a price page gives: how the
 * infrastructure behaves (what a run writes, how long the probe runs) and how AWS meters it. Each
 * is named, so the estimate can list the ones a component used (`npm run cost` prints them) and a
 * test can replace one. docs/cost.md explains them; prices are in lib/cost/prices.ts.
 */

export interface Assumption {
  readonly value: number;
  readonly unit: string;
  /** Why this value: what it stands for and what it rests on. */
  readonly description: string;
}

export const ASSUMPTIONS = {
  hoursPerMonth: {
    value: 730,
    unit: 'hours',
    description: 'One month, as the AWS pricing pages count it (24 x 365 / 12)',
  },
  dpuPerWorker: {
    value: 1,
    unit: 'DPU per worker',
    description: 'The ingestion jobs run G.1X workers (lib/constructs/table-ingestion-job.ts), 1 DPU each',
  },
  workflowTransitionsPerRun: {
    value: 4,
    unit: 'state transitions',
    description:
      'States a workflow run enters once whatever its tables: IngestSources, Summarise, AnyTableFailed, IngestionSucceeded (no table failed)',
  },
  workflowTransitionsPerSource: {
    value: 1,
    unit: 'state transitions',
    description: "Each source's branch enters its IngestTables Map once a run",
  },
  workflowTransitionsPerTable: {
    value: 2,
    unit: 'state transitions',
    description: 'Each table enters RunTableJob and TableSucceeded once: no retry, skip or failure',
  },
  onDemandInvocationsPerMonth: {
    value: 0,
    unit: 'invocations',
    description:
      'start-ingestion (runs asked for on demand) and the Glue failure notifier (failed runs) are not counted',
  },
  probeSecondsPerInvocation: {
    value: 5,
    unit: 'seconds',
    description: 'Average run of the freshness probe (its timeout is 240 s)',
  },
  lakeObjectsPerTableRun: {
    value: 1,
    unit: 'objects under raw/',
    description: "A table's run lands one Parquet file, which ages through the lifecycle rules",
  },
  lakeWritesPerTableRun: {
    value: 3,
    unit: 'S3 write requests',
    description: "A table's run writes its Parquet file, its watermark and a commit object",
  },
  lakeReadsPerTableRun: {
    value: 4,
    unit: 'S3 read requests',
    description:
      "A table's run lists and reads its watermark and Spark reads back its commit; AWS Backup reads the new file",
  },
  probeWatermarkReadsPerTable: {
    value: 1,
    unit: 'S3 reads per lake table and probe run',
    description:
      "A probe run reads each lake table's watermark object once (a GetObject), which the trail records as one data event when it records reads",
  },
  lakeMinTransitionObjectKiB: {
    value: 128,
    unit: 'KiB',
    description:
      'The lake bucket keeps the lifecycle default TransitionDefaultMinimumObjectSize all_storage_classes_128K (buckets created since September 2024): objects under 128 KB stay in Standard, so a lake whose average object is smaller is priced all in Standard, with no transitions',
  },
  intelligentTieringInfrequentAfterDays: {
    value: 30,
    unit: 'days in Intelligent-Tiering',
    description:
      'Intelligent-Tiering moves an object not accessed for 30 days to Infrequent Access; raw/ objects are assumed not read once landed',
  },
  intelligentTieringArchiveInstantAfterDays: {
    value: 90,
    unit: 'days in Intelligent-Tiering',
    description: 'and one not accessed for 90 days to Archive Instant Access',
  },
  intelligentTieringMinObjectKiB: {
    value: 128,
    unit: 'KiB',
    description: 'Intelligent-Tiering monitors (and bills monitoring for) objects of 128 KiB or more only',
  },
  databaseDailyChangeShare: {
    value: 1,
    unit: 'x cost.dailyLakeGiB',
    description:
      'dataengineering-db changes by as many GiB a day as the lake takes in, so each retained daily snapshot adds that much',
  },
  restoreTestHours: {
    value: 1,
    unit: 'hours',
    description: "A restore test's instance runs this long (Single-AZ) before AWS Backup deletes it",
  },
  interfaceEndpointGiBPerMonth: {
    value: 5,
    unit: 'GiB',
    description:
      'Traffic through the interface endpoints: AWS API calls and logs of the jobs, the probe and DMS',
  },
  natGatewayGiBPerMonth: {
    value: 5,
    unit: 'GiB',
    description:
      'Traffic through the NAT gateways when there are any (the AWS APIs go through the endpoints)',
  },
  kmsRequestsPerTableRun: {
    value: 10,
    unit: 'KMS requests',
    description:
      "A table's run decrypts its credentials and the lake data key (S3 Bucket Keys) and encrypts its logs",
  },
  kmsRequestsPerProbeInvocation: {
    value: 5,
    unit: 'KMS requests',
    description: 'A probe run decrypts the credentials it reads and the watermarks (S3 Bucket Keys)',
  },
  glueLogMiBPerTableRun: {
    value: 0.5,
    unit: 'MiB',
    description: "Driver and executor logs of a table's run (continuous logging is off)",
  },
  workflowLogKiBPerTransition: {
    value: 2,
    unit: 'KiB',
    description: 'The workflow logs every state event with its data (level ALL)',
  },
  probeLogKiBPerTable: {
    value: 1,
    unit: 'KiB per table and invocation',
    description: "The probe's metric documents (EMF) and log lines, per table it measures",
  },
  flowLogGiBPerAzMonth: {
    value: 1,
    unit: 'GiB per Availability Zone',
    description: 'VPC flow logs (all traffic) of a created VPC',
  },
  trailEventKiB: {
    value: 1.5,
    unit: 'KiB',
    description: 'One CloudTrail event in the CloudWatch Logs group of the trail',
  },
  managementEventsPerTableRun: {
    value: 10,
    unit: 'events',
    description:
      "Management events of a table's run: StartJobRun, the workflow polling GetJobRun, secret reads",
  },
  logsStoredShare: {
    value: 0.2,
    unit: 'of ingested bytes',
    description: 'CloudWatch Logs bills storage on compressed bytes; logs are kept logRetentionDays',
  },
} as const satisfies Record<string, Assumption>;

export type AssumptionName = keyof typeof ASSUMPTIONS;
/** The assumptions an estimate uses: ASSUMPTIONS, or a test's changed copy. */
export type Assumptions = Readonly<Record<AssumptionName, Assumption>>;
