/**
 * The delivery config (lib/config/delivery-schema.ts): what it accepts, and
 * every way synth rejects it, each with its exact one-line message, printed
 * by the app entry like an environment's problems.
 */
import { ConfigError } from '../../lib/config';
import { isBranchName, validateDelivery, type DeliveryConfigInput } from '../../lib/config/delivery-schema';
import { definedIn } from '../../lib/config/provenance';
import { AWS_REGIONS } from '../../lib/config/rules';
import { main } from '../../lib/main';
import { BROKEN_ENVIRONMENTS } from '../fixtures/broken-configs';
import { devLike } from '../fixtures/configs';
import { CONNECTION_ARN, testDelivery } from '../fixtures/delivery';

const ARN_EXPECTED =
  'expected the ARN of a CodeConnections connection: arn:aws:codeconnections:<region>:<account>:connection/<uuid> ' +
  '(or the older arn:aws:codestar-connections:... form)';
const BRANCH_EXPECTED =
  "expected a branch name such as main: not refs/heads/...; no spaces, '..', '~', '^', ':', '?', '*', '[', '\\' or '@{'; " +
  "not starting with '-' or '/', nor ending in '/', '.' or '.lock'";

/** The problem lines synth prints for the test delivery config after one change; [] when it validates. */
function problemsWith(change: Record<string, unknown>): readonly string[] {
  try {
    validateDelivery({ ...testDelivery, ...change });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('delivery config: what validates', () => {
  test('the test config, unchanged', () => {
    expect(validateDelivery(testDelivery)).toEqual(testDelivery);
  });

  test.each<[string, Partial<DeliveryConfigInput>]>([
    [
      'a connection ARN of the older CodeStar Connections form',
      { connectionArn: CONNECTION_ARN.replace(':codeconnections:', ':codestar-connections:') },
    ],
    ['a release branch with a slash and dots', { branch: 'release/2024.06' }],
    ['a repository name with dots and underscores', { repository: 'trackman-golf/data_platform.infra' }],
    [
      'the pipeline and its connection in an environment account',
      { account: '111111111111', connectionArn: CONNECTION_ARN.replace(':333333333333:', ':111111111111:') },
    ],
  ])('%s', (_name, change) => {
    expect(problemsWith(change)).toEqual([]);
  });
});

describe('delivery config: what synth rejects, one line each', () => {
  test.each<[string, Record<string, unknown>, string]>([
    [
      'the ARN of a CodeCommit repository instead of a connection',
      { connectionArn: 'arn:aws:codecommit:eu-west-1:333333333333:data-platform' },
      `connectionArn: ${ARN_EXPECTED}; received "arn:aws:codecommit:eu-west-1:333333333333:data-platform"`,
    ],
    [
      'a connection id that is not a UUID',
      { connectionArn: 'arn:aws:codeconnections:eu-west-1:333333333333:connection/my-github' },
      `connectionArn: ${ARN_EXPECTED}; received "arn:aws:codeconnections:eu-west-1:333333333333:connection/my-github"`,
    ],
    [
      'a connection ARN with an account of 11 digits',
      { connectionArn: CONNECTION_ARN.replace(':333333333333:', ':33333333333:') },
      `connectionArn: ${ARN_EXPECTED}; received "${CONNECTION_ARN.replace(':333333333333:', ':33333333333:')}"`,
    ],
    [
      'a repository without its owner',
      { repository: 'data-platform' },
      'repository: expected a repository as owner/name, such as trackman/data-platform; received "data-platform"',
    ],
    [
      'a repository URL',
      { repository: 'https://github.com/trackman/data-platform' },
      'repository: expected a repository as owner/name, such as trackman/data-platform; ' +
        'received "https://github.com/trackman/data-platform"',
    ],
    ['a branch ref', { branch: 'refs/heads/main' }, `branch: ${BRANCH_EXPECTED}; received "refs/heads/main"`],
    [
      'a branch name with a space',
      { branch: 'my branch' },
      `branch: ${BRANCH_EXPECTED}; received "my branch"`,
    ],
    ['an empty branch name', { branch: '' }, `branch: ${BRANCH_EXPECTED}; received ""`],
    ['no branch', { branch: undefined }, 'branch: expected a branch name; received nothing'],
    [
      'an account of 11 digits',
      { account: '33333333333' },
      'account: expected a 12-digit AWS account id; received "33333333333"',
    ],
    [
      'an account as a number',
      { account: 333333333333 },
      'account: expected a 12-digit AWS account id as a string; received 333333333333',
    ],
    [
      'a region that does not exist',
      { region: 'eu-middle-9' },
      `region: expected an AWS region name such as eu-west-1 (one of the ${AWS_REGIONS.length} in AWS_REGIONS, ` +
        'lib/config/rules/regions.ts); received "eu-middle-9"',
    ],
    [
      'a connection in another account than the pipeline',
      { account: '444444444444' },
      "connectionArn: expected a connection in the pipeline's own account and region (444444444444, eu-west-1); " +
        `received "${CONNECTION_ARN}"`,
    ],
    [
      'a field the config does not have',
      { pipelineName: 'trackman' },
      'pipelineName: expected no such field (misspelt or misplaced?); received "trackman"',
    ],
  ])('%s', (_name, change, line) => {
    expect(problemsWith(change)).toEqual([line]);
  });

  test('names the file to edit when the config comes from one', () => {
    const input = definedIn('lib/config/delivery.ts', { ...testDelivery, branch: 'refs/heads/main' });
    expect(() => validateDelivery(input)).toThrow(
      `branch: ${BRANCH_EXPECTED}; received "refs/heads/main" (edit lib/config/delivery.ts)`,
    );
  });
});

describe('branch names', () => {
  test.each(['main', 'develop', 'release/2024.06', 'feature/ABC-12_x', 'v1.2'])('%s is one', (name) => {
    expect(isBranchName(name)).toBe(true);
  });

  test.each([
    'refs/heads/main',
    'feature..x',
    'a~1',
    'a^',
    'a:b',
    'wh?',
    'st*r',
    'br[acket',
    'back\\slash',
    'at@{1}',
    'double//slash',
    '-dash',
    '/lead',
    'trail/',
    'dot.',
    'x.lock',
    'a/.hidden',
    '@',
    'tab\there',
  ])('%s is not', (name) => {
    expect(isBranchName(name)).toBe(false);
  });
});

describe('main, the app entry, on an invalid delivery config', () => {
  const badDelivery = { ...testDelivery, branch: 'refs/heads/main' };
  const deliveryLine = `Invalid delivery config: branch: ${BRANCH_EXPECTED}; received "refs/heads/main"`;

  test('writes one line for the problem, builds nothing and returns 1', () => {
    const lines: string[] = [];
    const code = main({
      build: { registry: { dev: devLike }, delivery: badDelivery, compliance: false },
      writeError: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines).toEqual([deliveryLine]);
  });

  test('refuses a pipeline in another region than the environments it deploys', () => {
    const lines: string[] = [];
    const elsewhere = {
      ...testDelivery,
      region: 'eu-central-1',
      connectionArn: CONNECTION_ARN.replace(':eu-west-1:', ':eu-central-1:'),
    };
    const code = main({
      build: { registry: { dev: devLike }, delivery: elsewhere, compliance: false },
      writeError: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines).toEqual([
      'Invalid delivery config: region: expected the region of every environment the pipeline deploys ' +
        '(dev is in eu-west-1); received "eu-central-1"',
    ]);
  });

  test("reports it after the environments' problems, in the same run", () => {
    const lines: string[] = [];
    const code = main({
      build: { registry: BROKEN_ENVIRONMENTS, delivery: badDelivery, compliance: false },
      writeError: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe(deliveryLine);
    expect(lines.slice(0, -1).every((line) => line.startsWith('Invalid config for environment "'))).toBe(
      true,
    );
    expect(lines.length).toBeGreaterThan(1);
  });
});
