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
import { LogsKey } from '../../lib/constructs/logs-key';
import { NodeFunction } from '../../lib/constructs/node-function';
import { projectContext } from '../helpers/synth';

/**
 * The one test that runs the real bundling (esbuild, about a second): the other
 * template tests skip it, so this is where a bundled catalog is seen in the asset.
 */
describe('NodeFunction bundled files', () => {
  const outdirs: string[] = [];
  afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** The code asset directory of a start-ingestion function bundled with `catalog`. */
  function bundle(catalog: string): string {
    const outdir = mkdtempSync(join(tmpdir(), 'node-function-'));
    outdirs.push(outdir);
    const context = { ...projectContext() };
    delete context['aws:cdk:bundling-stacks'];
    const app = new App({ outdir, context });
    const stack = new Stack(app, 'Functions', { env: { account: '111111111111', region: 'eu-west-1' } });
    const fn = new NodeFunction(stack, 'StartIngestion', {
      handlerDir: 'start-ingestion',
      serviceName: 'start-ingestion',
      metricsNamespace: 'Test',
      description: 'bundling test',
      environment: {},
      logsKey: new LogsKey(stack, 'LogsKey', { purpose: 'test', removalPolicy: RemovalPolicy.DESTROY }),
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      bundledFiles: { INGESTION_TABLES: catalog },
    });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const code = assets.find((name) => existsSync(join(outdir, name, 'index.js')));
    expect(code).toBeDefined();
    expect(fn.bundledFiles).toEqual({ INGESTION_TABLES: catalog });
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
    const asset = bundle(catalog);
    expect(readFileSync(join(asset, 'INGESTION_TABLES.json'), 'utf8')).toBe(catalog);
    expect(readFileSync(join(asset, 'index.js'), 'utf8')).toContain('INGESTION_TABLES');
  });

  test('a document that is not JSON, or a name that is not a variable name, fails synth', () => {
    const stack = new Stack(new App({ context: projectContext() }), 'Bad');
    const props = {
      handlerDir: 'start-ingestion',
      serviceName: 'start-ingestion',
      metricsNamespace: 'Test',
      description: 'bad',
      environment: {},
      logsKey: new LogsKey(stack, 'LogsKey', { purpose: 'test', removalPolicy: RemovalPolicy.DESTROY }),
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    };
    expect(() => new NodeFunction(stack, 'A', { ...props, bundledFiles: { 'tables.json': '[]' } })).toThrow(
      /bundled file "tables.json": expected a name such as JOB_TABLES/,
    );
    expect(() => new NodeFunction(stack, 'B', { ...props, bundledFiles: { JOB_TABLES: '{' } })).toThrow(
      /bundled file "JOB_TABLES": expected JSON/,
    );
  });
});
