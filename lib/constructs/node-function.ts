import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { esbuildAlias, NODE_FUNCTION_EXTERNALS, type ModuleSubstitutions } from './bundle-settings';
import type { LogsKey } from './logs-key';

/** The repository root; handlers live in lambda/<name>/index.ts. */
const ROOT = path.join(__dirname, '..', '..');

/**
 * The installed Powertools version (logger, metrics and tracer are released
 * together). The functions run against the Powertools layer of exactly this
 * version, so the code that was type-checked and tested is the code that runs.
 */
export function powertoolsVersion(): string {
  const versions = ['logger', 'metrics', 'tracer'].map((pkg) => {
    const manifest = path.join(ROOT, 'node_modules', '@aws-lambda-powertools', pkg, 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  });
  if (new Set(versions).size !== 1) {
    throw new Error(
      `@aws-lambda-powertools logger, metrics and tracer: expected one version, found ${versions.join(', ')}`,
    );
  }
  return versions[0];
}

/** The public SSM parameter AWS keeps with the ARN of the Powertools layer of a version, per region. */
export function powertoolsLayerParameter(version: string): string {
  return `/aws/service/powertools/typescript/generic/all/${version}`;
}

/** Memory of every function (MiB); the cost estimate prices their GB-seconds with it. */
export const FUNCTION_MEMORY_MIB = 256;

export interface NodeFunctionProps {
  /** Folder under lambda/ that holds the handler's index.ts. */
  readonly handlerDir: string;
  readonly description: string;
  /** Function-specific environment; the Powertools variables are added here. */
  readonly environment: Record<string, string>;
  /** Powertools service name and metrics namespace. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logsKey: LogsKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency. Unset by default: reserving any takes it from the account's unreserved pool,
   * and a new account (quota 10) cannot reserve at all. 0 stops all invocations.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * JSON documents bundled next to the handler, by variable name: `{ INGESTION_TABLES: '[...]' }`
   * becomes `INGESTION_TABLES.json` in the code asset (read with lambda/shared/bundled.ts). For
   * data that outgrows Lambda's 4 KB environment, such as the table catalogs. The asset hash is
   * taken over the bundle's output, so a changed document deploys new code.
   * @default - none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /**
   * Packages the bundle replaces with a file under lambda/ (esbuild's `alias`): for a dependency
   * of a dependency that is large and that the handler never needs, such as mysql2's character
   * tables. Only the bundle changes; tests that import the handler's modules load the real package.
   * @default - none: every package is bundled as installed
   */
  readonly moduleSubstitutions?: ModuleSubstitutions;
}

/** Names a bundled document may have: an environment-variable-like name. */
const BUNDLED_FILE_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** A package name as npm allows it, scoped or not; esbuild aliases whole packages. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** A substitute: a TypeScript file under lambda/, given from the repository root. */
const SUBSTITUTE_FILE = /^lambda\/(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ts$/;

/** `text` as one shell word (POSIX single quotes). */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Where bundled documents are staged: the project's own cache, not a directory other users share. */
const STAGING_DIR = path.join(ROOT, 'node_modules', '.cache', 'trackman-bundled-files');

/**
 * Writes `content` to a content-addressed file in the project's cache and returns its path: the
 * bundling hook copies it into the asset (a file, because a 40 KB catalog is no command line).
 * Written to a file of its own, then renamed into place, so a synth running at the same time never
 * sees half a document; a file already there is used only if its content is the one asked for.
 */
function stagedFile(content: string): string {
  const digest = createHash('sha256').update(content).digest('hex');
  const file = path.join(STAGING_DIR, `${digest}.json`);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current !== content) {
    mkdirSync(STAGING_DIR, { recursive: true });
    const partial = `${file}.${process.pid}.${randomUUID()}`;
    writeFileSync(partial, content);
    renameSync(partial, file);
  }
  return file;
}

/**
 * A TypeScript handler as the project runs them: bundled by esbuild (no
 * Docker), minified with source maps, Node.js 24 on arm64, Powertools from its
 * layer at the version the tests ran against, X-Ray active, its
 * own KMS-encrypted log group with retention, and a role that starts with no
 * managed policy: only what its log group needs, plus what callers grant.
 */
export class NodeFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The documents bundled next to the handler, by variable name (see `NodeFunctionProps.bundledFiles`). */
  public readonly bundledFiles: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.bundledFiles = props.bundledFiles ?? {};
    for (const [name, content] of Object.entries(this.bundledFiles)) {
      if (!BUNDLED_FILE_NAME.test(name)) {
        throw new Error(
          `${this.node.path}: bundled file ${JSON.stringify(name)}: expected a name such as JOB_TABLES`,
        );
      }
      try {
        JSON.parse(content);
      } catch {
        throw new Error(`${this.node.path}: bundled file ${JSON.stringify(name)}: expected JSON`);
      }
    }
    const substitutions = props.moduleSubstitutions ?? {};
    for (const [name, file] of Object.entries(substitutions)) {
      if (!PACKAGE_NAME.test(name)) {
        throw new Error(
          `${this.node.path}: module substitution ${JSON.stringify(name)}: expected a package name such as iconv-lite`,
        );
      }
      if (
        !SUBSTITUTE_FILE.test(file) ||
        file.split('/').includes('..') ||
        !existsSync(path.join(ROOT, file))
      ) {
        throw new Error(
          `${this.node.path}: module substitution for ${name}: ${JSON.stringify(file)}: expected an existing .ts file ` +
            'under lambda/, from the repository root',
        );
      }
    }
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.logsKey.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Confused deputy: only Lambda acting for this account may assume the role; the Lambda guide
    // names aws:SourceAccount for execution role trust policies
    // (https://docs.aws.amazon.com/lambda/latest/dg/permissions-managed-policies.html).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    // Powertools comes from its AWS-published layer (resolved at deploy from the public SSM
    // parameter of the pinned version): bundled, the Tracer's X-Ray SDK alone is ~130 KB.
    const powertools = lambda.LayerVersion.fromLayerVersionArn(
      this,
      'PowertoolsLayer',
      ssm.StringParameter.valueForStringParameter(this, powertoolsLayerParameter(powertoolsVersion())),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(ROOT, 'lambda', props.handlerDir, 'index.ts'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MIB,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      layers: [powertools],
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
      projectRoot: ROOT,
      depsLockFilePath: path.join(ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        // The Node.js 24 runtime provides AWS SDK v3; the layer provides Powertools.
        externalModules: NODE_FUNCTION_EXTERNALS,
        forceDockerBundling: false,
        // One `--alias:<package>=<file>` flag each; the targets are relative to projectRoot, which
        // is where local bundling runs esbuild.
        esbuildArgs: {
          '--alias': Object.entries(esbuildAlias(substitutions)).map(([name, file]) => `${name}=${file}`),
        },
        // The documents are copied from a host temp file, so this needs local bundling (esbuild is a
        // dev dependency): in Docker bundling the copy fails, loudly, rather than ship without them.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            Object.entries(this.bundledFiles).map(
              ([name, content]) =>
                `cp ${shellWord(stagedFile(content))} ${shellWord(path.join(outputDir, `${name}.json`))}`,
            ),
        },
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray trace upload (xray:PutTraceSegments, xray:PutTelemetryRecords) has no resource-level permissions.',
    });
  }
}
