import type { DeliveryConfigInput } from './delivery-schema';

/**
 * The delivery pipeline: unset, so `npm run synth` builds the environments'
 * stages only and they are deployed by hand (docs/deploying.md). Set it to add
 * a `Pipeline` stack (lib/stacks/delivery-pipeline-stack.ts) that builds this
 * repository on every push to `branch` and deploys every environment in
 * ENVIRONMENTS order, with a manual approval before each production one.
 *
 * It lives here, in its own file, and not as a field of each environment's
 * config, because there is one pipeline for all environments: it deploys dev
 * and prod, so neither of their files can own it. Written as a plain value, like
 * the environment files, and validated when the app is built (validateDelivery
 * in lib/app.ts), not when this module loads, so that a mistake here is
 * reported by the app entry as one line per problem, without a stack trace.
 *
 * For example (docs/deploying.md#delivery-pipeline-optional walks through the setup):
 *
 * ```ts
 * export const DELIVERY: DeliveryConfigInput | undefined = definedIn(__filename, {
 *   connectionArn: 'arn:aws:codeconnections:eu-west-1:333333333333:connection/<uuid>',
 *   repository: 'trackman/data-platform',
 *   branch: 'main',
 *   account: '333333333333',
 *   region: 'eu-west-1',
 * });
 * ```
 *
 * (`definedIn` from ./provenance makes the error lines name this file.)
 */
export const DELIVERY: DeliveryConfigInput | undefined = undefined;
