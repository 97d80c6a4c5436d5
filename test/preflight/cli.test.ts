/**
 * The command line, credentials, the report and the exit codes. The checks
 * themselves are tested in table-checks, server-checks, postgres and mysql.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { connectErrorText, isLoopback } from '../../scripts/preflight/connection';
import { errorText } from '../../scripts/preflight/findings';
import { parseOptions, USAGE } from '../../scripts/preflight/options';
import { renderReport } from '../../scripts/preflight/report';
import {
  dmsSecretFinding,
  parseSecret,
  readSecretFromSecretsManager,
  secretRegion,
} from '../../scripts/preflight/secrets';
import { addressFromEnv, credentialsFromEnv, envPrefix } from '../../scripts/preflight/source-env';
import { copyOf, devLike } from '../fixtures/configs';
import { environmentWith, envFor, incremental, runMain, snapshot } from './support/preflight-config';
import { freePort } from './support/throwaway-servers';

const READER_SECRET = devLike.sources[0].credentialsSecretArn;
const DMS_SECRET = devLike.sources[0].replication!.credentialsSecretArn;
const config = environmentWith({
  name: 'trackman-backend',
  engine: 'postgres',
  database: 'trackman',
  tables: [
    incremental('sessions', 'public', ['updated_at', 'id'], { replicate: true }),
    snapshot('facilities', 'public'),
  ],
});

let closedPort: number;
beforeAll(async () => {
  closedPort = await freePort();
});

describe('options', () => {
  test('--env is required; --source repeats; flags have defaults', () => {
    expect(() => parseOptions([])).toThrow('--env <name> is required');
    expect(parseOptions(['--env', 'dev'])).toEqual({
      env: 'dev',
      sources: [],
      insecureLocal: false,
      caFile: undefined,
      help: false,
    });
    expect(
      parseOptions([
        '--env',
        'dev',
        '--source',
        'a',
        '--source',
        'b',
        '--insecure-local',
        '--ca-file',
        'x.pem',
      ]),
    ).toEqual({
      env: 'dev',
      sources: ['a', 'b'],
      insecureLocal: true,
      caFile: 'x.pem',
      help: false,
    });
    expect(() => parseOptions(['--env', 'dev', '--verbose'])).toThrow(/Unknown option '--verbose'/);
  });
});

describe('usage and config errors exit 2 with a one-line reason', () => {
  test.each([
    [['--env', 'nope'], {}, 'preflight: Unknown environment "nope": expected one of dev'],
    [
      ['--env', 'dev', '--source', 'billing'],
      {},
      'preflight: unknown source billing in environment dev: expected one of trackman-backend',
    ],
    [
      ['--env', 'dev', '--insecure-local'],
      {},
      '--insecure-local connects without TLS, so only to this machine; source trackman-backend would connect to db.preflight.test',
    ],
    [
      ['--env', 'dev'],
      { PREFLIGHT_TRACKMAN_BACKEND_PORT: '70000' },
      "PREFLIGHT_TRACKMAN_BACKEND_PORT must be a TCP port from 1 to 65535, got '70000'",
    ],
    [
      ['--env', 'dev', '--ca-file', '/nonexistent/ca.pem'],
      {},
      'preflight: --ca-file /nonexistent/ca.pem: ENOENT',
    ],
    [['--env'], {}, "preflight: Option '--env <value>' argument missing"],
  ])('%j', async (argv, env, message) => {
    const run = await runMain(config, argv, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toEqual([]);
    expect(run.stderr[0]).toContain(message);
    expect(run.stderr[1]).toBe('Run with --help for the usage.');
  });

  test('an invalid config prints one line per problem, as synth does', async () => {
    const broken = copyOf(config);
    broken.sources[0].port = 0;
    const run = await runMain(broken, ['--env', 'dev'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual([
      'Invalid config for environment "dev": sources[0].port: expected a TCP port from 1 to 65535; received 0',
    ]);
  });

  test('--help prints the usage and exits 0', async () => {
    const run = await runMain(config, ['--help'], {});
    expect(run).toEqual({ code: 0, stdout: [USAGE], stderr: [] });
  });
});

describe('credentials', () => {
  test('credentials in the environment win: Secrets Manager is never asked', async () => {
    const readSecret = jest.fn(() => Promise.reject(new Error('must not be called')));
    const env = envFor('trackman-backend', { port: closedPort }, { user: 'lake' }, { user: 'dms' });
    const run = await runMain(config, ['--env', 'dev', '--insecure-local'], env, readSecret);
    expect(readSecret).not.toHaveBeenCalled();
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([]);
    expect(run.stdout).toContainEqual(
      `reader-connect  trackman-backend  -      FAIL    lake reader lake: connection refused at 127.0.0.1:${closedPort}: is the server running there?`,
    );
  });

  test("without them, each role's secret is read: the source's for the reader, its replication secret for DMS", async () => {
    const readSecret = jest.fn((arn: string) =>
      Promise.resolve({
        username: arn === READER_SECRET ? 'from_reader_secret' : 'from_dms_secret',
        password: 'pw',
      }),
    );
    const run = await runMain(
      config,
      ['--env', 'dev', '--insecure-local'],
      envFor('trackman-backend', { port: closedPort }),
      readSecret,
    );
    expect(readSecret.mock.calls).toEqual([[READER_SECRET], [DMS_SECRET]]);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/ FAIL +lake reader from_reader_secret: connection refused/),
    );
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^dms-connect .* FAIL +DMS user from_dms_secret: connection refused/),
    );
    // DMS takes the host from its secret; this one names none.
    expect(run.stdout).toContainEqual(
      expect.stringMatching(/^dms-secret .* FAIL +secret .* has no host; DMS takes host and port from it/),
    );
  });

  test('a secret that cannot be read is a failed connect row', async () => {
    const readSecret = () =>
      Promise.reject(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const run = await runMain(
      config,
      ['--env', 'dev', '--insecure-local'],
      envFor('trackman-backend', { port: closedPort }),
      readSecret,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContainEqual(
      `reader-connect  trackman-backend  -      FAIL    could not read the lake reader's secret ${READER_SECRET}: User is not authorized`,
    );
  });

  test('environment variable names follow the source name', () => {
    expect(envPrefix('trackman-backend')).toBe('PREFLIGHT_TRACKMAN_BACKEND');
    const env = { PREFLIGHT_TRACKMAN_BACKEND_DMS_USER: 'dms', PREFLIGHT_TRACKMAN_BACKEND_DMS_PASSWORD: 'pw' };
    expect(credentialsFromEnv(env, 'trackman-backend', 'dms')).toEqual({
      username: 'dms',
      password: 'pw',
      from: 'PREFLIGHT_TRACKMAN_BACKEND_DMS_USER',
    });
    expect(credentialsFromEnv(env, 'trackman-backend', 'reader')).toBeUndefined();
    expect(credentialsFromEnv({ PREFLIGHT_X_Y_READER_USER: 'r' }, 'x-y', 'reader')?.password).toBe('');
    expect(addressFromEnv({}, 'x-y', { host: 'db', port: 5432 })).toEqual({ host: 'db', port: 5432 });
    expect(
      addressFromEnv({ PREFLIGHT_X_Y_HOST: 'localhost', PREFLIGHT_X_Y_PORT: '15432' }, 'x-y', {
        host: 'db',
        port: 5432,
      }),
    ).toEqual({
      host: 'localhost',
      port: 15432,
    });
  });
});

describe('Secrets Manager', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());
  // The worker runs other files after this one (jest.config.js): give them the real client back.
  afterAll(() => secretsManager.restore());

  test('reads username and password from the JSON secret, in the region of its ARN', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'lake', password: 'pw', host: 'x' }) });
    await expect(readSecretFromSecretsManager(READER_SECRET)).resolves.toEqual({
      username: 'lake',
      password: 'pw',
      host: 'x',
    });
    const calls = secretsManager.commandCalls(GetSecretValueCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ SecretId: READER_SECRET }]);
    expect(secretRegion(READER_SECRET)).toBe('eu-west-1');
  });

  test('an SDK error reaches the caller', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new Error('Secrets Manager can not find the specified secret'));
    await expect(readSecretFromSecretsManager(READER_SECRET)).rejects.toThrow(
      'can not find the specified secret',
    );
  });

  test.each([
    [undefined, 'is not JSON'],
    ['plain text', 'is not JSON'],
    ['{"username": "lake"}', 'lacks a string username and password'],
    ['{"user": "lake", "password": "pw"}', 'lacks a string username and password'],
  ])('a secret %j is refused: %s', (text, message) => {
    expect(() => parseSecret('arn:x', text)).toThrow(
      `secret arn:x ${message}; expected {"username": ..., "password": ...}`,
    );
  });
});

describe('the DMS secret names the writer', () => {
  const source = { host: 'writer.example', port: 5432, readReplicaHost: 'reader.example' };
  const secret = (extra: object) => ({ username: 'dms', password: 'pw', ...extra });

  test.each([
    [{ host: 'writer.example', port: 5432 }, true, 'secret names the writer writer.example:5432'],
    [{ host: 'WRITER.example' }, true, 'secret names the writer writer.example:5432'],
    [
      {},
      false,
      'secret arn:s has no host; DMS takes host and port from it: add "host": "writer.example", "port": 5432',
    ],
    [
      { host: 'reader.example', port: 5432 },
      false,
      'secret arn:s names host reader.example (the read replica, which CDC cannot read); DMS must read the writer writer.example',
    ],
    [
      { host: 'writer.example', port: 6432 },
      false,
      'secret arn:s names port 6432; the writer listens on 5432',
    ],
  ])('%j: passed %s', (extra, passed, detail) => {
    expect(dmsSecretFinding(source, 'arn:s', secret(extra))).toEqual({
      check: 'dms-secret',
      table: undefined,
      passed,
      detail,
    });
  });

  test('parseSecret keeps host and port, a port given as text too', () => {
    expect(parseSecret('arn:s', '{"username": "u", "password": "p", "host": "h", "port": "3306"}')).toEqual({
      username: 'u',
      password: 'p',
      host: 'h',
      port: 3306,
    });
  });
});

describe('which checks run', () => {
  test('DMS checks are skipped, with a note, when replication is off or nothing is replicated', async () => {
    const off = copyOf(config);
    off.replication = { ...off.replication, enabled: false };
    const env = envFor('trackman-backend', { port: closedPort }, { user: 'lake' }, { user: 'dms' });
    const run = await runMain(off, ['--env', 'dev', '--insecure-local'], env);
    expect(run.stdout.some((line) => line.startsWith('dms-connect'))).toBe(false);
    expect(run.stdout).toContain('note: trackman-backend: DMS checks not run: replication.enabled is false');

    const lakeOnly = environmentWith({
      name: 'trackman-backend',
      engine: 'postgres',
      database: 'trackman',
      tables: [snapshot('facilities', 'public')],
    });
    const lakeRun = await runMain(lakeOnly, ['--env', 'dev', '--insecure-local'], env);
    expect(lakeRun.stdout).toContain(
      'note: trackman-backend: DMS checks not run: no table has replicate: true',
    );
  });
});

describe('report', () => {
  test('an aligned table with - for server checks, then notes and the counts', () => {
    const lines = renderReport(
      [
        { check: 'wal-senders', source: 'pg', passed: true, detail: '9 of max_wal_senders 10 free' },
        {
          check: 'primary-key',
          source: 'pg',
          table: 'public.shots',
          passed: false,
          detail: 'no primary key',
        },
      ],
      ['pg: something was skipped'],
    );
    expect(lines).toEqual([
      'CHECK        SOURCE  TABLE         RESULT  DETAIL',
      'wal-senders  pg      -             PASS    9 of max_wal_senders 10 free',
      'primary-key  pg      public.shots  FAIL    no primary key',
      '',
      'note: pg: something was skipped',
      'preflight: 2 checks, 1 passed, 1 failed',
    ]);
  });
});

describe('errors become one line', () => {
  const target = { host: 'db', port: 5432, database: 'd', user: 'u', password: '' };
  test.each([
    [
      'unknown host',
      Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }),
      'host db not found (getaddrinfo ENOTFOUND db)',
    ],
    [
      'timeout',
      new Error('timeout expired'),
      'no answer from db:5432 within 10 s: is there a network path (VPN, tunnel, security group)?',
    ],
    [
      'no TLS',
      new Error('The server does not support SSL connections'),
      /requires TLS \(a local test server without it needs --insecure-local\)$/,
    ],
    [
      'untrusted CA',
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      /pass --ca-file/,
    ],
    ['several lines', new Error('first line\n    at stack frame'), 'first line'],
  ])('%s', (_label, error, expected) => {
    const text = connectErrorText(error, target);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
    expect(text).not.toContain('\n');
  });

  test('the code goes first unless the message has it; an AggregateError reports its first error', () => {
    expect(errorText(Object.assign(new Error('role "x" does not exist'), { code: '28000' }))).toBe(
      '28000: role "x" does not exist',
    );
    expect(
      errorText(
        new AggregateError([
          Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
        ]),
      ),
    ).toBe('connect ECONNREFUSED ::1:5432');
  });

  test.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['::1', true],
    ['[::1]', true],
    ['LOCALHOST', true],
    ['10.0.0.1', false],
    ['db.preflight.test', false],
    ['localhost.example.com', false],
  ])('isLoopback(%s) is %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});

test('the npm entry point exits 1 with a FAIL row, not a stack trace, when the server is unreachable', () => {
  const result = spawnSync(
    join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'),
    [join(__dirname, '..', '..', 'scripts', 'preflight.ts'), '--env', 'dev', '--insecure-local'],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        ...envFor('trackman-backend', { port: closedPort }, { user: 'lake' }, { user: 'dms' }),
      },
      timeout: 20_000,
    },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(
    /^reader-connect +trackman-backend +- +FAIL +lake reader lake: connection refused at 127\.0\.0\.1:\d+/m,
  );
  expect(result.stdout).toMatch(/^preflight: 2 checks, 0 passed, 2 failed$/m);
});
