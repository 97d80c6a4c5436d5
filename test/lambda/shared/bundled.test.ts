import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledOrEnvironment } from '../../../lambda/shared/bundled';

describe('bundledOrEnvironment', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundled-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('the bundled file wins over the environment variable of the same name', () => {
    writeFileSync(join(dir, 'JOB_TABLES.json'), '{"from":"file"}');
    expect(bundledOrEnvironment('JOB_TABLES', { JOB_TABLES: '{"from":"env"}' }, dir)).toBe('{"from":"file"}');
  });

  test('without a bundled file, the environment variable (tests and local runs)', () => {
    expect(bundledOrEnvironment('JOB_TABLES', { JOB_TABLES: '{"from":"env"}' }, dir)).toBe('{"from":"env"}');
    expect(bundledOrEnvironment('JOB_TABLES', {}, dir)).toBeUndefined();
  });

  test('a bundled file that cannot be read is an error, not a silent fallback', () => {
    // A directory in the file's place: unreadable for every user (root reads files whatever their mode).
    mkdirSync(join(dir, 'JOB_TABLES.json'));
    expect(() => bundledOrEnvironment('JOB_TABLES', { JOB_TABLES: '{}' }, dir)).toThrow(/EISDIR/);
  });
});
