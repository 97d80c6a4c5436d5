/**
 * What the environment says about a source: credentials for the lake reader
 * and the DMS user, and an address to reach the database at when it is not
 * the configured host (a tunnel).
 *
 *   PREFLIGHT_<SOURCE>_READER_USER / _READER_PASSWORD   the lake reader
 *   PREFLIGHT_<SOURCE>_DMS_USER / _DMS_PASSWORD         the DMS source user
 *   PREFLIGHT_<SOURCE>_HOST / _PORT                     where to connect instead of host and port
 *
 * <SOURCE> is the source name in upper case with - as _ (trackman-backend:
 * TRACKMAN_BACKEND). A user set in the environment wins over the source's
 * Secrets Manager secret; its password may be unset (trust authentication).
 */

export type Role = 'reader' | 'dms';

export const ROLE_NAMES: Readonly<Record<Role, string>> = { reader: 'lake reader', dms: 'DMS user' };

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Where they came from, for the report: an environment variable or a secret ARN. */
  readonly from: string;
}

export interface Address {
  readonly host: string;
  readonly port: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function envPrefix(sourceName: string): string {
  return `PREFLIGHT_${sourceName.toUpperCase().replace(/-/g, '_')}`;
}

export function credentialsFromEnv(env: Env, sourceName: string, role: Role): Credentials | undefined {
  const name = `${envPrefix(sourceName)}_${role.toUpperCase()}_USER`;
  const username = env[name];
  if (username === undefined || username === '') return undefined;
  return {
    username,
    password: env[`${envPrefix(sourceName)}_${role.toUpperCase()}_PASSWORD`] ?? '',
    from: name,
  };
}

/**
 * The configured address, or the one PREFLIGHT_<SOURCE>_HOST / _PORT give.
 * @throws Error naming the variable when the port is not a TCP port
 */
export function addressFromEnv(env: Env, sourceName: string, configured: Address): Address {
  const prefix = envPrefix(sourceName);
  const host = env[`${prefix}_HOST`];
  const portText = env[`${prefix}_PORT`];
  let port = configured.port;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new Error(`${prefix}_PORT must be a TCP port from 1 to 65535, got '${portText}'`);
    }
  }
  return { host: host !== undefined && host !== '' ? host : configured.host, port };
}
