/**
 * Config of the optional delivery pipeline (CDK Pipelines on AWS CodePipeline):
 * where the source comes from and where the pipeline itself lives. App-level,
 * not per environment: one pipeline deploys every environment in
 * ENVIRONMENTS order (lib/config/index.ts). The value is in
 * lib/config/delivery.ts; `validateDelivery` checks it at synth time and
 * reports problems the way environment configs do, one line each.
 */
import { z } from 'zod';
import { AWS_REGIONS, isAwsRegion } from './rules';
import { ConfigError, formatIssue } from './validate';

/**
 * A CodeConnections connection, in the current ARN form or the older
 * CodeStar Connections one (connections created before the rename keep it).
 */
const CONNECTION_ARN =
  /^arn:aws(-cn|-us-gov)?:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d+:\d{12}:connection\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `owner/name` as GitHub, GitLab or Bitbucket spell them; `.` and `..` are not repository names. */
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$/;

/**
 * Whether `name` is a branch name git accepts (the rules of `git check-ref-format`)
 * and is written the way the CodePipeline source action wants it: `main`, not
 * `refs/heads/main`.
 */
export function isBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === '@' || name.startsWith('refs/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\//.test(name)) return false;
  if (/^[-/]|[/.]$|\.lock$/.test(name)) return false;
  return name.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

export const DeliveryConfigSchema = z
  .strictObject({
    connectionArn: z
      .string({ error: 'the ARN of a CodeConnections connection as a string' })
      .regex(CONNECTION_ARN, {
        error:
          'the ARN of a CodeConnections connection: arn:aws:codeconnections:<region>:<account>:connection/<uuid> ' +
          '(or the older arn:aws:codestar-connections:... form)',
      })
      .describe(
        'The CodeConnections (formerly CodeStar Connections) connection to the Git host, created in the pipeline ' +
          'account and region and approved in the console (docs/deploying.md).',
      ),
    repository: z
      .string({ error: 'a repository as owner/name' })
      .regex(REPOSITORY, { error: 'a repository as owner/name, such as trackman/data-platform' })
      .describe('The repository the pipeline builds, as owner/name on the Git host of the connection.'),
    branch: z
      .string({ error: 'a branch name' })
      .refine(isBranchName, {
        error:
          "a branch name such as main: not refs/heads/...; no spaces, '..', '~', '^', ':', '?', '*', '[', '\\' or '@{'; " +
          "not starting with '-' or '/', nor ending in '/', '.' or '.lock'",
      })
      .describe(
        'The branch whose pushes start the pipeline, by its name (main), not its ref (refs/heads/main); ' +
          "git's rules for branch names apply.",
      ),
    account: z
      .string({ error: 'a 12-digit AWS account id as a string' })
      .regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' })
      .describe(
        "AWS account the pipeline stack deploys to; each environment's account trusts it " +
          '(cdk bootstrap --trust, docs/deploying.md). It may be an environment account or one of its own.',
      ),
    region: z
      .string({ error: 'an AWS region name' })
      .refine(isAwsRegion, {
        error: `an AWS region name such as eu-west-1 (one of the ${AWS_REGIONS.length} in AWS_REGIONS, lib/config/rules/regions.ts)`,
      })
      .describe(
        'AWS region the pipeline stack deploys to; one of AWS_REGIONS in lib/config/rules/regions.ts.',
      ),
  })
  .superRefine((delivery, ctx) => {
    // A connection is used from its own account and region: the pipeline must live there.
    // Only once each of the three is valid on its own: a wrong one already has its line.
    const valid =
      CONNECTION_ARN.test(delivery.connectionArn) &&
      /^\d{12}$/.test(delivery.account) &&
      isAwsRegion(delivery.region);
    const [, , , region, account] = delivery.connectionArn.split(':');
    if (valid && (region !== delivery.region || account !== delivery.account)) {
      ctx.addIssue({
        code: 'custom',
        path: ['connectionArn'],
        input: delivery.connectionArn,
        message: `a connection in the pipeline's own account and region (${delivery.account}, ${delivery.region})`,
      });
    }
  })
  .describe('The delivery pipeline (app-level, lib/config/delivery.ts).');

/**
 * The environments a pipeline deploys must be in its region: a pipeline that deploys to another
 * region needs a replication bucket there, which this stack does not set up (or harden).
 * @returns one problem line per environment elsewhere
 */
export function deliveryRegionProblems(
  delivery: DeliveryConfig,
  environments: readonly { readonly name: string; readonly region: string }[],
): string[] {
  return environments
    .filter((environment) => environment.region !== delivery.region)
    .map(
      (environment) =>
        `region: expected the region of every environment the pipeline deploys (${environment.name} is in ` +
        `${environment.region}); received ${JSON.stringify(delivery.region)}`,
    );
}

/** Delivery config as written in lib/config/delivery.ts. */
export type DeliveryConfigInput = z.input<typeof DeliveryConfigSchema>;
/** Delivery config after validation. */
export type DeliveryConfig = z.output<typeof DeliveryConfigSchema>;

/** The name the problem lines of the delivery config carry. */
export const DELIVERY_CONFIG_NAME = 'delivery';

/**
 * Validates the delivery config.
 * @throws ConfigError listing every problem, one line each, as `Invalid delivery config: <field>: ...`
 */
export function validateDelivery(input: unknown): DeliveryConfig {
  const result = DeliveryConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => formatIssue(issue, input));
  throw new ConfigError(DELIVERY_CONFIG_NAME, [...new Set(problems)], `${DELIVERY_CONFIG_NAME} config`);
}
