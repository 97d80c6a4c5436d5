/**
 * How the preflight reaches a database: always over TLS with the server's
 * certificate checked (its chain against the trusted CAs, its name against
 * the configured host, also through a tunnel), except with --insecure-local,
 * which only reaches a server on this machine.
 */
import { isIP } from 'node:net';
import { errorText } from './findings';

export const CONNECT_TIMEOUT_MS = 10_000;
export const QUERY_TIMEOUT_MS = 30_000;

export interface TlsSettings {
  /** The name the certificate must carry: the configured host, even when connecting through a tunnel. */
  readonly serverName: string;
  /** Trusted CAs when --ca-file is given (Node's own plus the file's); undefined for Node's own. */
  readonly ca?: readonly string[];
}

export interface ConnectTarget {
  /** Where to connect: the configured host, or PREFLIGHT_<SOURCE>_HOST. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** undefined only with --insecure-local. */
  readonly tls?: TlsSettings;
}

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost']);

/** Whether a host is this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(name)) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return isIP(name) === 6 && (name === '::1' || name === '0:0:0:0:0:0:0:1');
}

export function describeTarget(target: ConnectTarget): string {
  const via =
    target.tls === undefined
      ? 'without TLS (--insecure-local)'
      : `over TLS, certificate of ${target.tls.serverName}`;
  return `${target.user}@${target.host}:${target.port}/${target.database} ${via}`;
}

const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** One line on why a connection failed, with what to do about the common causes. */
export function connectErrorText(error: unknown, target: ConnectTarget): string {
  const text = errorText(error);
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${target.host}:${target.port}`;
  if (code === 'ECONNREFUSED') return `connection refused at ${where}: is the server running there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${target.host} not found (${text})`;
  if (code === 'ETIMEDOUT' || /timeout/i.test(text)) {
    return `no answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000} s: is there a network path (VPN, tunnel, security group)?`;
  }
  // mysql2 wraps TLS errors in HANDSHAKE_SSL_ERROR and keeps only the message.
  if (
    (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)) ||
    /unable to verify|self[- ]signed certificate|unable to get (local )?issuer/i.test(text)
  ) {
    return `${text}: the server's certificate is not signed by a trusted CA; pass --ca-file with its CA bundle (for RDS, the global bundle)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/i.test(text)) {
    return `${text}: the certificate is not for ${target.tls?.serverName ?? target.host}`;
  }
  if (/does not support (SSL|secure)/i.test(text)) {
    return `${text}: the preflight requires TLS (a local test server without it needs --insecure-local)`;
  }
  return text;
}
