/**
 * The GitHub Actions workflows: valid against the workflow schema (action-validator,
 * which checks SchemaStore's github-workflow schema), and doing what the README promises:
 * its two quick-start commands on every pull request, and the offline diff as a comment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file));

interface Step {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly if?: string;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<
    string,
    { readonly steps: Step[]; readonly if?: string; readonly permissions?: Record<string, string> }
  >;
}
const workflow = parse(readFileSync(join(WORKFLOWS, 'pull-request.yml'), 'utf8')) as Workflow;
const runs = (job: string) => workflow.jobs[job].steps.flatMap((step) => (step.run ? [step.run] : []));

test.each(files)('%s passes the workflow schema', (file) => {
  expect(validateWorkflow(readFileSync(join(WORKFLOWS, file), 'utf8')).errors).toEqual([]);
});

test('the validator rejects a workflow that breaks the schema', () => {
  const broken = 'on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps: not-a-list\n';
  expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
});

test("pull requests run the README's two quick-start commands, as written there", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  const commands = quickStart?.trim().split('\n') ?? [];
  expect(commands).toEqual(['npm ci && npm run synth', 'npm test']);
  expect(Object.keys(workflow.on)).toContain('pull_request');
  expect(runs('test')).toEqual(expect.arrayContaining(commands));
});

test('pull requests get the offline diff against their base branch, posted with a write token only there', () => {
  expect(workflow.permissions).toEqual({ contents: 'read' });
  const diffJob = workflow.jobs['template-diff'];
  expect(diffJob.if).toBe("github.event_name == 'pull_request'");
  expect(diffJob.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  // The merge commit's first parent: the base as the merge was made, not a base branch that moved since.
  expect(runs('template-diff').join('\n')).toMatch(
    /npm run --silent diff -- --base HEAD\^1 --format markdown --output template-diff\.md/,
  );
  // Nothing from the event is spliced into a script.
  expect(runs('template-diff').join('\n')).not.toContain('${{');
  const checkout = diffJob.steps.find((step) => step.uses?.startsWith('actions/checkout@')) as Step & {
    with?: Record<string, unknown>;
  };
  expect(checkout.with).toMatchObject({ 'fetch-depth': 2, 'persist-credentials': false });
  const comment = diffJob.steps.find((step) => step.uses?.startsWith('actions/github-script@'));
  // Posted even when the diff failed (saying so), never with a fork's read-only token.
  expect(comment?.if).toBe('always() && github.event.pull_request.head.repo.full_name == github.repository');
});
