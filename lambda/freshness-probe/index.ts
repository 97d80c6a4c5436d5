/**
 * freshness-probe: every 5 minutes measures, per configured table, how far the lake
 * and dataengineering-db are behind the source, and hourly reconciles row counts
 * of closed windows (README, "Freshness and reconciliation probe"). The table list
 * comes in the schedule's input (contract.ts says why).
 */
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { instrumentHandler, logger, metrics, tracer } from '../shared/powertools';
import { RUN_BUDGET_SECONDS } from './contract';
import { openDatabase } from './databases';
import { parseProbeConfig, parseProbeInput } from './input';
import { metricRecords, publishRecords } from './metrics';
import { runProbe, type ProbeDeps } from './probe';
import { parseCredentials, type Credentials } from './secrets';
import { parseWatermark, watermarkKey } from './watermark';

const config = parseProbeConfig(process.env);
const s3 = tracer.captureAWSv3Client(new S3Client({}));
const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));

/** What the function returns to a direct invoker: counts only, never row data. */
export interface ProbeResult {
  readonly mode: string;
  readonly measurements: number;
  readonly failures: number;
}

function isMissing(error: unknown): boolean {
  return error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey');
}

export const handler = instrumentHandler('freshness-probe', async (event): Promise<ProbeResult> => {
  const input = parseProbeInput(event);
  // Secrets are read once per run (a rotation takes effect at the next run).
  const secrets = new Map<string, Promise<Credentials>>();
  const credentials = (arn: string) => {
    let found = secrets.get(arn);
    if (found === undefined) {
      found = secretsManager
        .send(new GetSecretValueCommand({ SecretId: arn }))
        .then((result) => parseCredentials(arn, result.SecretString));
      secrets.set(arn, found);
    }
    return found;
  };
  const deps: ProbeDeps = {
    now: () => Date.now(),
    deadline: Date.now() + RUN_BUDGET_SECONDS * 1000,
    readWatermark: async (source, table) => {
      try {
        const object = await s3.send(
          new GetObjectCommand({
            Bucket: config.lakeBucket,
            Key: watermarkKey(source, table.schema, table.name),
          }),
        );
        const text = (await object.Body?.transformToString('utf-8')) ?? '';
        return parseWatermark(text, { source, schema: table.schema, table: table.name });
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    openSource: async (source) => {
      const { username, password } = await credentials(source.secretArn);
      return openDatabase({ ...source, user: username, password, tls: true });
    },
    openReplica: async (replica) => {
      const { username, password } = await credentials(replica.secretArn);
      return openDatabase({ engine: 'postgres', ...replica, user: username, password, tls: true });
    },
  };

  const measurements = await runProbe(input, deps);
  publishRecords(metrics, metricRecords(measurements, input.mode));
  let failures = 0;
  for (const m of measurements) {
    if (m.failures.length > 0) {
      failures += 1;
      logger.warn('Probe failure', {
        source: m.source,
        table: m.table,
        destination: m.destination,
        failures: m.failures,
      });
    } else if (m.notes.length > 0 || (m.gapRows ?? 0) > 0 || (m.lagUnknown ?? 0) > 0) {
      // Per table, these figures live here (Logs Insights), not as metrics: see metrics.ts.
      logger.info('Probe note', {
        source: m.source,
        table: m.table,
        destination: m.destination,
        notes: m.notes,
        ...(m.gapRows !== undefined ? { gapRows: m.gapRows } : {}),
        ...(m.lagUnknown !== undefined ? { lagUnknown: m.lagUnknown } : {}),
      });
    }
  }
  logger.info('Probe run finished', { mode: input.mode, measurements: measurements.length, failures });
  return { mode: input.mode, measurements: measurements.length, failures };
});
