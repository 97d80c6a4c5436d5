import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, NestedStack, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { readAssembly, type StackTemplate } from '../../scripts/diff/assembly';
import { compareAssemblies, compareStacks } from '../../scripts/diff/compare';
import { exitCode } from '../../scripts/diff/main';
import { MAX_ALERT_ROWS, renderMarkdown, renderText } from '../../scripts/diff/render';

/** What a test app may vary: each knob is one kind of change a reviewer must see. */
interface Shape {
  readonly bucketId?: string;
  readonly bucketName?: string;
  readonly readWrite?: boolean;
  readonly noGrant?: boolean;
  readonly openPort?: number;
  readonly extraStack?: boolean;
  readonly nestedQueue?: boolean;
  readonly noNested?: boolean;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A small app shaped like the project's: a stage with stacks, one of them with a nested stack. */
function synth(shape: Shape = {}): Map<string, StackTemplate> {
  const outdir = mkdtempSync(join(tmpdir(), 'diff-test-'));
  dirs.push(outdir);
  // The metadata the CDK CLI turns on: construct paths, and the asset paths that name nested templates.
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true },
    builtinCloudFormationValidation: false,
  });
  const stage = new Stage(app, 'Dev');
  const storage = new Stack(stage, 'Storage', { stackName: 'test-dev-storage' });
  const bucket = new s3.Bucket(storage, shape.bucketId ?? 'Lake', {
    bucketName: shape.bucketName ?? 'test-lake',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(storage, 'Reader', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  if (shape.readWrite) bucket.grantReadWrite(role);
  else if (!shape.noGrant) bucket.grantRead(role);
  const vpc = new ec2.Vpc(storage, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [] });
  const group = new ec2.SecurityGroup(storage, 'Database', { vpc, allowAllOutbound: false });
  if (shape.openPort !== undefined)
    group.addIngressRule(ec2.Peer.ipv4('10.0.0.0/16'), ec2.Port.tcp(shape.openPort));
  if (shape.noNested) {
    app.synth();
    return readAssembly(outdir);
  }
  const group0 = new NestedStack(storage, 'Group0');
  new iam.Role(group0, 'JobRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  if (shape.nestedQueue)
    new iam.Role(group0, 'SecondJobRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  if (shape.extraStack) {
    new iam.Role(new Stack(stage, 'Extra'), 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
    });
  }
  app.synth();
  return readAssembly(outdir);
}

const labels = { base: 'main (abc1234)', head: 'the working tree' };
const base = synth();

describe('readAssembly', () => {
  test('names stacks by display name and nested stacks by construct path', () => {
    expect([...base.keys()].sort()).toEqual(['Dev/Storage', 'Dev/Storage/Group0']);
    expect(base.get('Dev/Storage')?.stackName).toBe('test-dev-storage');
    expect(
      Object.values(base.get('Dev/Storage/Group0')?.template.Resources ?? {}).map((r) => r.Type),
    ).toContain('AWS::IAM::Role');
  });

  test('refuses a directory without a cloud assembly', () => {
    expect(() => readAssembly(tmpdir())).toThrow(/no cloud assembly/);
  });
});

describe('compareAssemblies', () => {
  test('the same app twice: no differences, exit code 0', () => {
    const diff = compareAssemblies(base, synth());
    expect(diff.stacks).toEqual([]);
    expect(diff.unchangedStacks).toBe(2);
    expect(exitCode(diff)).toBe(0);
    expect(renderText(diff, labels)).toContain('No differences: 2 stack(s)');
    expect(renderMarkdown(diff, labels)).toContain('No differences');
  });

  test('a renamed construct id replaces a retained bucket: flagged loudly', () => {
    const diff = compareAssemblies(base, synth({ bucketId: 'LakeBucket' }));
    expect(exitCode(diff)).toBe(1);
    const storage = diff.stacks.find((stack) => stack.name === 'Dev/Storage');
    const buckets = storage?.resources.filter((change) => change.type === 'AWS::S3::Bucket');
    expect(buckets?.map((change) => change.impact).sort()).toEqual(['add', 'orphan']);
    expect(diff.statefulAlerts).toEqual([
      expect.objectContaining({ type: 'AWS::S3::Bucket', impact: 'orphan', stack: 'Dev/Storage' }),
    ]);
    expect(renderText(diff, labels)).toMatch(
      /!!! STATEFUL RESOURCES REPLACED OR DELETED[\s\S]*AWS::S3::Bucket Dev\/Storage\/Lake\/Resource/,
    );
    expect(renderMarkdown(diff, labels)).toMatch(
      /\[!CAUTION\][\s\S]*AWS::S3::Bucket \| Dev\/Storage\/Lake\/Resource/,
    );
  });

  test('a property that forces replacement of a stateful resource is flagged with the property', () => {
    const diff = compareAssemblies(base, synth({ bucketName: 'test-lake-2' }));
    expect(diff.statefulAlerts).toEqual([
      expect.objectContaining({ type: 'AWS::S3::Bucket', impact: 'replace', properties: ['BucketName'] }),
    ]);
    expect(renderText(diff, labels)).toContain(
      'replaced: AWS::S3::Bucket Dev/Storage/Lake/Resource in Dev/Storage (BucketName)',
    );
  });

  test('an IAM widening is reported as grants added, with the statements', () => {
    const diff = compareAssemblies(base, synth({ readWrite: true }));
    const [storage] = diff.stacks;
    expect(storage.iamBroadened).toBe(true);
    expect(storage.iamStatements[0]).toEqual(['', 'Resource', 'Effect', 'Action', 'Principal', 'Condition']);
    expect(storage.iamStatements.some((row) => row[0] === '+' && row[3].includes('s3:PutObject'))).toBe(true);
    expect(diff.statefulAlerts).toEqual([]);
    expect(renderText(diff, labels)).toContain('IAM statements (ADDS GRANTS):');
    expect(renderMarkdown(diff, labels)).toContain('**IAM statements** (adds grants)');
  });

  test('a grant taken away is an IAM change but not a broadening', () => {
    const diff = compareAssemblies(base, synth({ noGrant: true }));
    expect(diff.stacks[0].iamStatements.length).toBeGreaterThan(1);
    expect(diff.stacks[0].iamBroadened).toBe(false);
  });

  test('a security-group rule added is reported', () => {
    const diff = compareAssemblies(base, synth({ openPort: 5432 }));
    expect(diff.stacks[0].securityGroups.some((row) => row.join(' ').includes('5432'))).toBe(true);
    expect(renderText(diff, labels)).toContain('Security group rules:');
  });

  test('a change inside a nested stack is reported under it; the parent only points at the new template', () => {
    const diff = compareAssemblies(base, synth({ nestedQueue: true }));
    expect(diff.stacks.map((stack) => stack.name)).toEqual(['Dev/Storage', 'Dev/Storage/Group0']);
    expect(diff.stacks[0].resources).toEqual([
      expect.objectContaining({
        impact: 'update',
        type: 'AWS::CloudFormation::Stack',
        properties: ['TemplateURL'],
      }),
    ]);
    expect(diff.stacks[1].resources).toEqual([
      expect.objectContaining({
        impact: 'add',
        type: 'AWS::IAM::Role',
        path: 'Dev/Storage/Group0/SecondJobRole/Resource',
      }),
    ]);
  });

  test('a stack added, then removed, is reported as a whole', () => {
    const added = compareAssemblies(base, synth({ extraStack: true }));
    expect(added.stacks.map((stack) => [stack.name, stack.status])).toEqual([['Dev/Extra', 'added']]);
    const removed = compareAssemblies(synth({ extraStack: true }), base);
    expect(removed.stacks.map((stack) => [stack.name, stack.status])).toEqual([['Dev/Extra', 'removed']]);
  });
});

describe('what counts as a difference', () => {
  test("CDK's analytics metadata alone is none", () => {
    const template = (analytics: string) => ({
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic' },
        CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: analytics } },
      },
    });
    expect(
      compareStacks('Dev/Storage', template('v2:deflate64:A'), template('v2:deflate64:B')),
    ).toBeUndefined();
  });
});

describe('what the alerts cover', () => {
  test('removing a nested stack is flagged: it deletes every resource in it', () => {
    const diff = compareAssemblies(base, synth({ noNested: true }));
    expect(diff.statefulAlerts).toEqual([
      expect.objectContaining({ type: 'AWS::CloudFormation::Stack', impact: 'remove', stack: 'Dev/Storage' }),
    ]);
    expect(diff.stacks.find((stack) => stack.name === 'Dev/Storage/Group0')?.status).toBe('removed');
  });
});

describe('renderMarkdown', () => {
  test('renders names from the change as text, never as HTML or mentions', () => {
    const diff = compareAssemblies(base, synth({ bucketId: 'Lake<!--hide @team' }));
    const markdown = renderMarkdown(diff, labels);
    expect(markdown).not.toContain('<!--');
    expect(markdown).not.toContain('@team');
    expect(markdown).toContain('Lake&lt;!--hide &#64;team');
  });

  test('lists at most MAX_ALERT_ROWS alerts and counts the rest', () => {
    const diff = compareAssemblies(base, synth({ bucketName: 'test-lake-2' }));
    const many = {
      ...diff,
      statefulAlerts: Array.from({ length: MAX_ALERT_ROWS + 7 }, () => diff.statefulAlerts[0]),
    };
    const markdown = renderMarkdown(many, labels);
    expect(markdown.split('\n').filter((line) => line.startsWith('> | replaced |'))).toHaveLength(
      MAX_ALERT_ROWS,
    );
    expect(markdown).toContain('... and 7 more: run `npm run diff` to see them all.');
  });

  test('keeps alerts and the stack summary, and leaves details out past the limit', () => {
    const diff = compareAssemblies(base, synth({ bucketId: 'Renamed', readWrite: true, nestedQueue: true }));
    const full = renderMarkdown(diff, labels);
    const short = renderMarkdown(diff, labels, 1_500);
    expect(short.length).toBeLessThan(full.length);
    expect(short).toContain('[!CAUTION]');
    expect(short).toMatch(/\| Dev\/Storage \(test-dev-storage\) \|/);
    expect(short).toMatch(/Details of \d stack\(s\) left out/);
  });

  test('escapes table cells', () => {
    const diff = compareAssemblies(base, synth({ readWrite: true }));
    const markdown = renderMarkdown(diff, labels);
    for (const line of markdown.split('\n').filter((text) => text.startsWith('| '))) {
      expect(line.endsWith(' |')).toBe(true);
    }
  });
});
