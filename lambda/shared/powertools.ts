/**
 * The one place where Powertools Logger, Metrics and Tracer are created.
 *
 * Service name and metrics namespace come from the standard Powertools
 * environment variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE),
 * which the CDK side sets per function. Every bundle gets its own copy of this
 * module, so each function has its own instances.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

export { MetricUnit } from '@aws-lambda-powertools/metrics';

export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

/**
 * Wraps a handler body with what every function needs and nothing it does not:
 * the Lambda context on log lines, a traced `## <name>` subsegment annotated with
 * cold start and service, the cold-start metric, and a flush of the metrics the
 * body recorded, whether it returned or threw. The event itself is never logged.
 */
export function instrumentHandler<TResult>(
  name: string,
  body: (event: unknown) => Promise<TResult>,
): (event: unknown, context: Context) => Promise<TResult> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric(context.functionName);
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = parent?.addNewSubsegment(`## ${name}`);
    if (subsegment !== undefined) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await body(event);
    } catch (error) {
      if (error instanceof Error) tracer.addErrorAsMetadata(error);
      throw error;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      else metrics.clearDimensions();
      if (subsegment !== undefined && parent !== undefined) {
        subsegment.close();
        tracer.setSegment(parent);
      }
    }
  };
}
