/**
 * Throwaway PostgreSQL and MariaDB servers for the preflight tests, in a
 * temporary directory on a free port, started with the server-wide settings a
 * test needs (wal_level, log_bin, ...) and restarted with others. Settings
 * that cannot differ per database are tested here, so the machine's shared
 * servers are never reconfigured and nothing global is left behind.
 *
 * They use the binaries of the packages that provide the shared servers
 * (initdb and pg_ctl, mariadb-install-db and mariadbd): no download. Each
 * starts in well under a second. As root, the servers run as the postgres
 * and mysql users, like the shared ones. Any failure throws, so a test that
 * needs a server fails instead of skipping.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A program in PATH or in one of the extra directories (newest PostgreSQL first). */
function findProgram(name: string, extraDirs: readonly string[] = []): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs, '/usr/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(
    `${name} not found in PATH or ${extraDirs.join(', ')}: install the database server package`,
  );
}

function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}

function idOf(user: string, flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}

/** A temporary directory the server's OS user owns. */
function serverDirectory(prefix: string, osUser: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot) chownSync(dir, idOf(osUser, '-u'), idOf(osUser, '-g'));
  return dir;
}

function asUser(osUser: string, program: string, args: readonly string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', osUser, '--', program, ...args]] : [program, [...args]];
}

/** A CA and a certificate for `serverName` signed by it, readable by the server's OS user. */
export interface TestCertificates {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export function makeCertificates(dir: string, serverName: string, osUser: string): TestCertificates {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=preflight test CA',
  );
  openssl(
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${serverName}`,
  );
  writeFileSync(file('server.ext'), `subjectAltName=DNS:${serverName}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  );
  if (isRoot) {
    for (const name of ['server.key', 'server.crt', 'ca.crt'])
      chownSync(file(name), idOf(osUser, '-u'), idOf(osUser, '-g'));
  }
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

export class ThrowawayPostgres {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb into a new temporary directory (trust authentication, superuser postgres). */
  static async create(): Promise<ThrowawayPostgres> {
    const dir = serverDirectory('preflight-pg-', 'postgres');
    const server = new ThrowawayPostgres(dir, await freePort());
    const initdb = findProgram('initdb', postgresBinDirs());
    const [program, args] = asUser('postgres', initdb, [
      '-D',
      join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
    await run(program, args);
    return server;
  }

  /** Starts with these settings (-c name=value), stopping first if it runs. Values must not contain spaces. */
  async start(settings: Readonly<Record<string, string>>): Promise<void> {
    if (this.running) await this.stop();
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    const pgCtl = findProgram('pg_ctl', postgresBinDirs());
    const [program, args] = asUser('postgres', pgCtl, [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '20',
      'start',
    ]);
    await run(program, args);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const pgCtl = findProgram('pg_ctl', postgresBinDirs());
    const [program, args] = asUser('postgres', pgCtl, [
      '-D',
      join(this.dir, 'data'),
      '-m',
      'fast',
      '-w',
      'stop',
    ]);
    await run(program, args);
    this.running = false;
  }

  /** Stops the server and deletes its directory. */
  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  client(database = 'postgres', user = 'postgres'): Client {
    return new Client({ host: '127.0.0.1', port: this.port, user, database });
  }
}

export class ThrowawayMariadb {
  private process: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** mariadb-install-db into a new temporary directory (root without a password). */
  static async create(): Promise<ThrowawayMariadb> {
    const dir = serverDirectory('preflight-my-', 'mysql');
    const server = new ThrowawayMariadb(dir, await freePort());
    await run(findProgram('mariadb-install-db'), [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      ...(isRoot ? ['--user=mysql'] : []),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    return server;
  }

  /** Starts mariadbd with these extra options (--log-bin=..., --binlog-format=ROW ...), stopping first if it runs. */
  async start(options: readonly string[]): Promise<void> {
    await this.stop();
    const child = spawn(
      findProgram('mariadbd'),
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        `--log-error=${join(this.dir, 'error.log')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=16M',
        ...(isRoot ? ['--user=mysql'] : []),
        ...options,
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`mariadbd exited with ${code}; see ${this.dir}/error.log`)),
      ),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const connection = await Promise.race([
          createConnection({ host: '127.0.0.1', port: this.port, user: 'root' }),
          exited,
        ]);
        await connection.end();
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  connect(database?: string) {
    return createConnection({
      host: '127.0.0.1',
      port: this.port,
      user: 'root',
      database,
      multipleStatements: true,
    });
  }
}
