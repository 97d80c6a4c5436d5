/**
 * Database credentials from Secrets Manager: a JSON secret with `username` and
 * `password` (the shape docs/deploying.md asks for, and RDS-managed secrets
 * have). The SDK is loaded only when a secret is read, so a run with
 * credentials in the environment never loads it.
 */

import { fail, pass, type Finding } from './findings';

export interface SecretCredentials {
  readonly username: string;
  readonly password: string;
  /** The database host, when the secret names one (DMS endpoints take it from there). */
  readonly host?: string;
  readonly port?: number;
}

export type SecretReader = (arn: string) => Promise<SecretCredentials>;

/** The region of a secret, from its ARN (arn:aws:secretsmanager:<region>:...). */
export function secretRegion(arn: string): string {
  const region = arn.split(':')[3];
  if (region === undefined || region === '') {
    throw new Error(
      `secret ARN: expected arn:aws:secretsmanager:<region>:<account>:secret:<name>, got '${arn}'`,
    );
  }
  return region;
}

/** username and password from a secret's text. */
export function parseSecret(arn: string, text: string | undefined): SecretCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new Error(`secret ${arn} is not JSON; expected {"username": ..., "password": ...}`);
  }
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const { username, password } = record;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
    throw new Error(
      `secret ${arn} lacks a string username and password; expected {"username": ..., "password": ...}`,
    );
  }
  const port =
    typeof record.port === 'number'
      ? record.port
      : typeof record.port === 'string'
        ? Number(record.port)
        : undefined;
  return {
    username,
    password,
    host: typeof record.host === 'string' && record.host !== '' ? record.host : undefined,
    port: port !== undefined && Number.isInteger(port) ? port : undefined,
  };
}

/**
 * A DMS endpoint that takes its credentials from Secrets Manager also takes the
 * host and port from the secret, and cannot name a host of its own. CDC reads
 * the writer (a PostgreSQL read replica has no logical replication slots), so
 * the DMS secret must name the source's writer host.
 */
export function dmsSecretFinding(
  source: { readonly host: string; readonly port: number; readonly readReplicaHost?: string },
  arn: string,
  secret: SecretCredentials,
): Finding {
  const writer = `${source.host}:${source.port}`;
  if (secret.host === undefined) {
    return fail(
      'dms-secret',
      `secret ${arn} has no host; DMS takes host and port from it: add "host": "${source.host}", "port": ${source.port}`,
    );
  }
  if (secret.host.toLowerCase() !== source.host.toLowerCase()) {
    const replica =
      secret.host.toLowerCase() === source.readReplicaHost?.toLowerCase()
        ? ' (the read replica, which CDC cannot read)'
        : '';
    return fail(
      'dms-secret',
      `secret ${arn} names host ${secret.host}${replica}; DMS must read the writer ${source.host}`,
    );
  }
  if (secret.port !== undefined && secret.port !== source.port) {
    return fail(
      'dms-secret',
      `secret ${arn} names port ${secret.port}; the writer listens on ${source.port}`,
    );
  }
  return pass('dms-secret', `secret names the writer ${writer}`);
}

/** Reads a secret with the default AWS credentials chain (AWS_PROFILE, ...), in the secret's own region. */
export const readSecretFromSecretsManager: SecretReader = async (arn) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region: secretRegion(arn) });
  try {
    const result = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    return parseSecret(arn, result.SecretString);
  } finally {
    client.destroy();
  }
};
