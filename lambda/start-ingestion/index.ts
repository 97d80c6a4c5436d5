/**
 * start-ingestion: starts one run of the ingestion workflow on demand, for an
 * operator, an EventBridge rule or the source database's insert trigger.
 * See docs/triggers.md for the event contract.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { bundledOrEnvironment } from '../shared/bundled';
import { instrumentHandler, logger, metrics, MetricUnit, tracer } from '../shared/powertools';
import { ValidationError } from '../shared/validation';
import { parseConfig } from './config';
import { START_INGESTION_ENV } from './contract';
import { executionArn, executionName, workflowInput } from './execution';
import { planIngestion, type IngestionPlan } from './request';

const config = parseConfig({
  ...process.env,
  [START_INGESTION_ENV.tables]: bundledOrEnvironment(START_INGESTION_ENV.tables, process.env),
});
const sfn = tracer.captureAWSv3Client(new SFNClient({}));

/** What the function returns to a direct invoker. */
export interface StartIngestionResult {
  readonly status: 'started' | 'already-started';
  readonly executionArn: string;
  readonly executionName: string;
  /** `schema.name` of each table the execution covers. */
  readonly tables: readonly string[];
}

function isExecutionAlreadyExists(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExecutionAlreadyExists';
}

export const handler = instrumentHandler('start-ingestion', async (event): Promise<StartIngestionResult> => {
  let plan: IngestionPlan;
  try {
    plan = planIngestion(event, config.tables);
  } catch (error) {
    if (error instanceof ValidationError) {
      metrics.addMetric('IngestionTriggerRejected', MetricUnit.Count, 1);
      logger.warn('Rejected ingestion trigger', { problems: error.problems });
    }
    throw error;
  }

  const name = executionName(plan.source, plan.tables, Date.now(), config.dedupWindowSeconds);
  const tables = plan.tables.map((entry) => entry.table);
  metrics.addDimension('trigger', plan.trigger);
  try {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: config.stateMachineArn,
        name,
        input: JSON.stringify(workflowInput(plan.trigger, plan.tables)),
      }),
    );
    metrics.addMetric('IngestionTriggered', MetricUnit.Count, 1);
    const arn = started.executionArn ?? executionArn(config.stateMachineArn, name);
    logger.info('Started ingestion workflow', {
      trigger: plan.trigger,
      source: plan.source,
      tables,
      executionArn: arn,
    });
    return { status: 'started', executionArn: arn, executionName: name, tables };
  } catch (error) {
    if (!isExecutionAlreadyExists(error)) throw error;
    metrics.addMetric('IngestionTriggerDeduplicated', MetricUnit.Count, 1);
    const arn = executionArn(config.stateMachineArn, name);
    logger.info('Ingestion workflow already started in this window', {
      trigger: plan.trigger,
      executionArn: arn,
    });
    return { status: 'already-started', executionArn: arn, executionName: name, tables };
  }
});
