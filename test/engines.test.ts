/**
 * The Node.js versions the project declares are ones every locked dependency
 * accepts, so `npm ci` prints no EBADENGINE warning on any of them, and the
 * Node.js running the tests (CI's) is one of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';

interface LockedPackage {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
}

const ROOT = join(__dirname, '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};
const declared = manifest.engines.node;

/** Every locked package with a Node.js range: `[path in node_modules, version, range]`. */
const ranges = Object.entries(lock.packages).flatMap(([path, pkg]) => {
  const range = Array.isArray(pkg.engines) ? undefined : (pkg.engines as { node?: string } | undefined)?.node;
  return path === '' || range === undefined ? [] : [[path, pkg.version ?? '?', range] as const];
});

describe('Node.js engines', () => {
  test('package.json declares a valid range, and package-lock.json records the same', () => {
    expect(semver.validRange(declared)).not.toBeNull();
    expect((lock.packages[''].engines as { node?: string }).node).toBe(declared);
  });

  test('the Node.js running the tests is in the declared range', () => {
    expect(semver.satisfies(process.version, declared)).toBe(true);
  });

  test('every locked dependency accepts every declared version', () => {
    expect(ranges.length).toBeGreaterThan(50);
    const refusing = ranges
      .filter(([, , range]) => !semver.subset(declared, range))
      .map(
        ([path, version, range]) => `${path.replace(/^node_modules\//, '')}@${version} wants node ${range}`,
      );
    expect(refusing).toEqual([]);
  });
});
