import type { RuleIssue } from './issue';

interface CostInput {
  readonly ingestion: { readonly maxWorkers: number };
  readonly cost: { readonly glueWorkersPerRun: number };
}

/** The workers the estimate prices a table's run at are workers its job may have. */
export function costIssues(config: CostInput): RuleIssue[] {
  const { glueWorkersPerRun } = config.cost;
  const { maxWorkers } = config.ingestion;
  if (!Number.isInteger(maxWorkers) || glueWorkersPerRun <= maxWorkers) return [];
  return [
    {
      path: ['cost', 'glueWorkersPerRun'],
      input: glueWorkersPerRun,
      message: `at most ingestion.maxWorkers (${maxWorkers}): a run never has more workers than its job's ceiling`,
    },
  ];
}
