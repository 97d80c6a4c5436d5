import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  build,
  type BuildFailure,
  type BuildOptions,
  type Format,
  type Message,
  type Metafile,
  type Platform,
} from 'esbuild';
import {
  esbuildAlias,
  FRESHNESS_PROBE_SUBSTITUTIONS,
  NODE_FUNCTION_EXTERNALS,
  type ModuleSubstitutions,
} from '../../lib/constructs/bundle-settings';

/** Per-bundle size target: 150 KB of minified output. */
export const BUNDLE_LIMIT_BYTES = 150 * 1024;

/** Directories under lambda/ that hold shared modules, not a function. */
const NOT_FUNCTIONS = new Set(['shared']);

/**
 * Left out of the bundle exactly as lib/constructs/node-function.ts does: the Node 24 runtime
 * provides the AWS SDK v3, the Powertools layer provides Powertools.
 */
const RUNTIME_EXTERNALS = NODE_FUNCTION_EXTERNALS;

/** The packages a function's construct replaces in its bundle (`moduleSubstitutions`), by directory. */
const MODULE_SUBSTITUTIONS: Readonly<Record<string, ModuleSubstitutions>> = {
  'freshness-probe': FRESHNESS_PROBE_SUBSTITUTIONS,
};

/** How many of a bundle's largest contributors the results keep. */
const LARGEST_CONTRIBUTORS = 8;

/** A package (or, for the project's own code, a file) and the bytes it adds to a bundle. */
export interface BundleContributor {
  readonly name: string;
  readonly bytesInOutput: number;
}

export type BundleResult =
  | {
      readonly name: string;
      readonly entry: string;
      readonly status: 'ok';
      readonly minifiedBytes: number;
      readonly gzipBytes: number;
      readonly buildMilliseconds: number;
      /** Packages replaced by a file of the project, as the function's construct replaces them. */
      readonly substituted: readonly string[];
      /** Packages that contribute most to the minified output: where to look on a MISS. */
      readonly largestContributors: readonly BundleContributor[];
    }
  | { readonly name: string; readonly entry: string; readonly status: 'error'; readonly error: string }
  | { readonly name: string; readonly entry: string; readonly status: 'no-entry' };

/** The esbuild settings every bundle shares. */
export interface BundleSettings {
  readonly target: string;
  readonly format: Format;
  readonly platform: Platform;
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly external: readonly string[];
}

export interface BundlesResult {
  readonly limitBytes: number;
  /** The esbuild settings used, as NodejsFunction would pass them for Node 24 on arm64. */
  readonly settings: BundleSettings;
  readonly bundles: readonly BundleResult[];
}

/**
 * As lib/constructs/node-function.ts has NodejsFunction bundle, but without a source map: it is a
 * file of its own and does not change the code.
 */
const SETTINGS: BundleSettings = {
  target: 'node24',
  format: 'cjs',
  platform: 'node',
  minify: true,
  sourcemap: false,
  external: RUNTIME_EXTERNALS,
};

/**
 * The esbuild options of lambda/`name`'s bundle, from `entry` (its index.ts, or one of its modules
 * for a test that loads part of it): the shared settings and the function's module substitutions.
 */
export function bundleOptions(root: string, name: string, entry: string): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    minify: SETTINGS.minify,
    platform: SETTINGS.platform,
    target: SETTINGS.target,
    format: SETTINGS.format,
    external: [...SETTINGS.external],
    alias: esbuildAlias(MODULE_SUBSTITUTIONS[name] ?? {}),
    sourcemap: SETTINGS.sourcemap,
  };
}

/** `node_modules/@scope/pkg/...` -> `@scope/pkg` (innermost node_modules); a project file keeps its path. */
export function contributorName(inputPath: string): string {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath);
  return match ? match[1] : inputPath;
}

function largestContributors(metafile: Metafile): BundleContributor[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = contributorName(path);
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals]
    .map(([name, bytesInOutput]) => ({ name, bytesInOutput }))
    .sort((a, b) => b.bytesInOutput - a.bytesInOutput)
    .slice(0, LARGEST_CONTRIBUTORS);
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

function describeMessage(message: Message): string {
  const where = message.location ? `${message.location.file}:${message.location.line}: ` : '';
  return `${where}${message.text}`;
}

function describeError(error: unknown): string {
  if (isBuildFailure(error)) {
    const shown = error.errors.slice(0, 3).map(describeMessage);
    const more = error.errors.length > shown.length ? ` (+${error.errors.length - shown.length} more)` : '';
    return shown.join('; ') + more;
  }
  return error instanceof Error ? error.message : String(error);
}

async function bundleOne(root: string, name: string, entry: string): Promise<BundleResult> {
  const entryPath = relative(root, entry);
  const started = performance.now();
  try {
    const result = await build({
      ...bundleOptions(root, name, entry),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const buildMilliseconds = performance.now() - started;
    const code = result.outputFiles.find((file) => !file.path.endsWith('.map'));
    if (!code) {
      return { name, entry: entryPath, status: 'error', error: 'esbuild produced no output file' };
    }
    return {
      name,
      entry: entryPath,
      status: 'ok',
      minifiedBytes: code.contents.byteLength,
      gzipBytes: gzipSync(code.contents, { level: 9 }).byteLength,
      buildMilliseconds,
      substituted: Object.keys(MODULE_SUBSTITUTIONS[name] ?? {}),
      largestContributors: largestContributors(result.metafile),
    };
  } catch (error) {
    return { name, entry: entryPath, status: 'error', error: describeError(error) };
  }
}

/**
 * Bundles every `lambda/<function>/index.ts` (not `lambda/shared`) one at a time. A function
 * directory without an index.ts is listed as such; a bundle that fails is reported, not thrown.
 */
export async function benchBundles(
  root: string,
  progress: (message: string) => void,
): Promise<BundlesResult> {
  const lambdaDir = join(root, 'lambda');
  const names = existsSync(lambdaDir)
    ? readdirSync(lambdaDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && !NOT_FUNCTIONS.has(entry.name))
        .map((entry) => entry.name)
        .sort()
    : [];

  const bundles: BundleResult[] = [];
  for (const name of names) {
    const entry = join(lambdaDir, name, 'index.ts');
    if (!existsSync(entry)) {
      bundles.push({ name, entry: relative(root, entry), status: 'no-entry' });
      continue;
    }
    progress(`bundle lambda/${name} ...`);
    bundles.push(await bundleOne(root, name, entry));
  }
  return { limitBytes: BUNDLE_LIMIT_BYTES, settings: SETTINGS, bundles };
}
