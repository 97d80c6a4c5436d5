/**
 * Synthesizes the app twice without AWS credentials: at a git ref, in a
 * temporary worktree with that ref's own dependencies, and in the working
 * tree as it is (uncommitted changes included).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** A failure the user can act on: printed as one line, exit code 2. */
export class DiffError extends Error {}

/** The command that synthesizes every stage, as `npm run synth` does, into `output`. */
export function synthArgs(output: string): string[] {
  return ['cdk', 'synth', '**', '--quiet', '--no-notices', '--output', output];
}

/** Longest excerpt of a failed command's output a one-line error carries. */
export const EXCERPT_CHARACTERS = 300;

/**
 * The line of a failed command's output that says why: the first that names an error, else the
 * last one, cut to EXCERPT_CHARACTERS.
 */
export function failureExcerpt(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const line = lines.find((text) => /error|invalid|cannot|failed/i.test(text)) ?? lines.at(-1) ?? 'no output';
  return line.length > EXCERPT_CHARACTERS ? `${line.slice(0, EXCERPT_CHARACTERS - 3)}...` : line;
}

function git(repo: string, args: readonly string[]): { ok: boolean; stdout: string; stderr: string } {
  const run = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  return { ok: run.status === 0, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

/** The commit a ref names, or a DiffError naming the ref. */
export function resolveCommit(repo: string, ref: string): string {
  const run = git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!run.ok) {
    const remote = git(repo, ['rev-parse', '--verify', '--quiet', `origin/${ref}^{commit}`]).ok;
    throw new DiffError(
      `--base: ${JSON.stringify(ref)} names no commit of ${repo}; expected a branch, tag or SHA` +
        (remote ? ` (did you mean origin/${ref}?)` : ''),
    );
  }
  return run.stdout.trim();
}

/**
 * Whether the base can use the working tree's node_modules: only when its package-lock.json is the
 * same file (or both have none), which pins the same dependencies. Otherwise it installs its own.
 */
export function sameDependencies(repo: string, commit: string): boolean {
  const base = git(repo, ['show', `${commit}:package-lock.json`]);
  const lockFile = join(repo, 'package-lock.json');
  const current = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
  const baseLock = base.ok ? base.stdout : undefined;
  return baseLock === current && existsSync(join(repo, 'node_modules'));
}

function synthesize(cwd: string, output: string, what: string): void {
  const run = spawnSync('npx', synthArgs(output), { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) {
    throw new DiffError(
      `${what} does not synthesize: ${failureExcerpt(`${run.stderr ?? ''}\n${run.stdout ?? ''}`)}`,
    );
  }
}

/**
 * Where each side writes its cloud assembly: inside its own tree, at the same place. Bundled Lambda
 * code carries source maps, whose paths run from the assembly to the sources; the same layout on
 * both sides keeps the same code the same bytes, so it shows no difference.
 */
export const ASSEMBLY_DIRECTORY = 'cdk.out.diff';

export interface SynthesizedPair {
  /** Cloud assembly of the base ref. */
  readonly base: string;
  /** Cloud assembly of the working tree. */
  readonly head: string;
  readonly commit: string;
  /** Removes the temporary worktree and both assemblies. */
  readonly cleanup: () => void;
}

/** Temporary folders of a run start with this. */
const WORK_PREFIX = 'trackman-diff-';

/** A run's worktree older than this is one a killed run left behind (a real run takes minutes). */
export const STALE_WORKTREE_HOURS = 6;

/**
 * Removes worktrees that runs killed before their cleanup (Ctrl-C, a CI timeout) left registered, and
 * their temporary folders; a run still going elsewhere is younger than STALE_WORKTREE_HOURS.
 */
function removeStaleWorktrees(root: string, log: (line: string) => void): void {
  const listed = git(root, ['worktree', 'list', '--porcelain']).stdout;
  for (const line of listed.split('\n')) {
    const path = line.startsWith('worktree ') ? line.slice('worktree '.length) : '';
    if (!path.includes(`/${WORK_PREFIX}`) || !path.endsWith('/base')) continue;
    const work = dirname(path);
    const age = existsSync(work) ? (Date.now() - statSync(work).mtimeMs) / 3_600_000 : Infinity;
    if (age < STALE_WORKTREE_HOURS) continue;
    log(`diff: removing the worktree a killed run left at ${path}`);
    git(root, ['worktree', 'remove', '--force', path]);
    rmSync(work, { recursive: true, force: true });
  }
  git(root, ['worktree', 'prune']);
}

/**
 * Gives the base worktree its dependencies. With the working tree's lock file, a hard-linked copy of
 * its node_modules (a second, real tree: bundling follows no link out of the worktree, so source
 * paths match); where that fails (another file system), and with another lock file, `npm ci`.
 */
function installBase(
  root: string,
  worktree: string,
  commit: string,
  label: string,
  log: (line: string) => void,
) {
  if (sameDependencies(root, commit)) {
    const copy = spawnSync('cp', ['-al', join(root, 'node_modules'), join(worktree, 'node_modules')]);
    if (copy.status === 0) return;
    rmSync(join(worktree, 'node_modules'), { recursive: true, force: true });
    log(`diff: cannot hard-link node_modules into ${worktree}: npm ci there`);
  } else {
    log(`diff: ${label} pins other dependencies: npm ci in its worktree`);
  }
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: worktree,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (install.status !== 0) {
    throw new DiffError(`${label}: npm ci failed: ${failureExcerpt(`${install.stderr}\n${install.stdout}`)}`);
  }
}

/**
 * Synthesizes `ref` and the working tree of `repo`, each into its ASSEMBLY_DIRECTORY. Throws a
 * DiffError when the ref is unknown or either side does not synthesize; cleans up after itself then.
 * @param log where progress lines go (installs, synths)
 */
export function synthesizePair(repo: string, ref: string, log: (line: string) => void): SynthesizedPair {
  const root = resolve(repo);
  const commit = resolveCommit(root, ref);
  removeStaleWorktrees(root, log);
  const work = mkdtempSync(join(tmpdir(), WORK_PREFIX));
  const worktree = join(work, 'base');
  // A folder of this run's own on both sides, at the same depth: two runs in one checkout do not meet.
  const run = basename(work);
  const base = join(worktree, ASSEMBLY_DIRECTORY, run);
  const head = join(root, ASSEMBLY_DIRECTORY, run);
  const cleanup = () => {
    git(root, ['worktree', 'remove', '--force', worktree]);
    rmSync(work, { recursive: true, force: true });
    rmSync(head, { recursive: true, force: true });
    git(root, ['worktree', 'prune']);
  };
  try {
    const added = git(root, ['worktree', 'add', '--detach', '--quiet', worktree, commit]);
    if (!added.ok)
      throw new DiffError(`cannot check out ${ref} in a worktree: ${failureExcerpt(added.stderr)}`);
    const label = `base ${ref} (${commit.slice(0, 7)})`;
    installBase(root, worktree, commit, label, log);
    const date = git(root, ['show', '-s', '--format=%ci', commit]).stdout.trim();
    log(`diff: synthesizing ${label}, committed ${date}`);
    synthesize(worktree, base, label);
    log('diff: synthesizing the working tree');
    rmSync(head, { recursive: true, force: true });
    synthesize(root, head, 'the working tree');
    return { base, head, commit, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
