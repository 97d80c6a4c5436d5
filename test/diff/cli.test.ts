/**
 * `npm run diff` end to end, on a git repository made for the test: a small
 * CDK app with the project's node_modules, synthesized by the real CDK CLI at
 * a base ref (in a worktree) and in the working tree.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDiffOptions } from '../../scripts/diff/main';
import { runTsx } from '../helpers/tsx';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'diff.ts');

function app(bucketId: string, broken = false): string {
  return [
    "const { App, RemovalPolicy, Stack, Stage } = require('aws-cdk-lib');",
    "const s3 = require('aws-cdk-lib/aws-s3');",
    broken ? "throw new Error('Config lake.bucketName: expected a bucket name');" : '',
    // Without aws-cdk-lib's built-in template validation: about 3 s of each synth here, and no part of the diff.
    'const app = new App({ builtinCloudFormationValidation: false });',
    "const stack = new Stack(new Stage(app, 'Dev'), 'Storage', { stackName: 'test-dev-storage' });",
    `new s3.Bucket(stack, '${bucketId}', { bucketName: 'test-lake', removalPolicy: RemovalPolicy.RETAIN });`,
    'app.synth();',
    '',
  ].join('\n');
}

let repo: string;
const git = (...args: string[]) => {
  const run = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trim();
};
const commit = (bucketId: string, broken = false) => {
  writeFileSync(join(repo, 'app.js'), app(bucketId, broken));
  git('add', '.');
  git(
    '-c',
    'user.name=test',
    '-c',
    'user.email=test@example.com',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    bucketId,
  );
  return git('rev-parse', 'HEAD');
};
const diff = (...args: string[]) =>
  runTsx([SCRIPT, ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'diff-cli-'));
  git('init', '-q');
  writeFileSync(join(repo, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
  writeFileSync(join(repo, '.gitignore'), 'node_modules\ncdk.out*\n');
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

test('HEAD against an unchanged working tree: no differences, exit 0, nothing left behind', () => {
  commit('Lake');
  const run = diff('--base', 'HEAD');
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.stdout).toContain('No differences: 1 stack(s) synthesize the same.');
  expect(run.status).toBe(0);
  expect(git('worktree', 'list').split('\n')).toHaveLength(1);
  expect(git('status', '--porcelain')).toBe('');
});

test('a change in the working tree shows up, flagged, and exits 1; markdown goes to a file', () => {
  commit('Lake');
  writeFileSync(join(repo, 'app.js'), app('LakeBucket'));
  const output = join(repo, 'diff.md');
  const run = diff('--base', 'HEAD', '--format', 'markdown', '--output', output);
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  const markdown = readFileSync(output, 'utf8');
  expect(markdown).toMatch(/^### Template diff: HEAD \([0-9a-f]{7}\) → the working tree/);
  expect(markdown).toMatch(/\[!CAUTION\][\s\S]*AWS::S3::Bucket \| Dev\/Storage\/Lake\/Resource/);
  expect(markdown).toMatch(/\| \+ \| AWS::S3::Bucket \| Dev\/Storage\/LakeBucket\/Resource \|/);
  rmSync(output);
  git('checkout', '--', 'app.js');
});

test('a base that does not synthesize: one line naming it, exit 2', () => {
  const broken = commit('Lake', true);
  commit('Lake');
  const run = diff('--base', broken);
  expect(run.status).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(
    new RegExp(`^diff: base ${broken} \\(${broken.slice(0, 7)}\\) does not synthesize: .*lake\\.bucketName`),
  );
  expect(lines.at(-1)?.length).toBeLessThan(500);
  expect(git('worktree', 'list').split('\n')).toHaveLength(1);
});

test('a branch only the remote has: the hint names origin/<branch>', () => {
  git('update-ref', 'refs/remotes/origin/release', 'HEAD');
  const run = diff('--base', 'release');
  expect(run.status).toBe(2);
  expect(run.stderr.trim()).toMatch(
    /names no commit of .*; expected a branch, tag or SHA \(did you mean origin\/release\?\)$/,
  );
});

test('a ref that names no commit: one line, exit 2', () => {
  const run = diff('--base', 'no-such-branch');
  expect(run.status).toBe(2);
  expect(run.stderr.trim()).toMatch(
    /^diff: --base: "no-such-branch" names no commit of .*; expected a branch, tag or SHA$/,
  );
});

test.each([
  [[], '--base: required; expected a git ref (branch, tag or commit)'],
  [['--base'], '--base: expected a git ref (branch, tag or commit)'],
  [['--base', 'HEAD', '--format', 'html'], '--format: expected one of text, markdown, received "html"'],
  [['--base', 'HEAD', '--output'], '--output: expected a file path'],
  [['--bass', 'HEAD'], 'unknown argument "--bass": expected --base, --format or --output'],
])('arguments %j are refused: %s', (args, message) => {
  expect(parseDiffOptions(args)).toBe(message);
});

test('arguments parse into options', () => {
  expect(parseDiffOptions(['--base', 'origin/main', '--format', 'markdown', '--output', 'd.md'])).toEqual({
    base: 'origin/main',
    format: 'markdown',
    output: 'd.md',
  });
});
