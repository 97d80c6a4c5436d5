import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ConfigError,
  ConfigErrors,
  ENVIRONMENTS,
  loadConfigs,
  type EnvironmentConfig,
  type EnvironmentRegistry,
} from './config';
import { catalogEncryptionConflicts } from './config/cross-environment';
import { DELIVERY } from './config/delivery';
import {
  DELIVERY_CONFIG_NAME,
  deliveryRegionProblems,
  validateDelivery,
  type DeliveryConfig,
  type DeliveryConfigInput,
} from './config/delivery-schema';
import { DeliveryPipelineStack } from './stacks/delivery-pipeline-stack';
import { EnvironmentStage } from './stages/environment-stage';

/** Construct id of the delivery pipeline's stack: `npx cdk deploy Pipeline`. */
export const PIPELINE_STACK_ID = 'Pipeline';

/** Stage construct id of an environment: dev -> Dev. */
export function stageId(environment: string): string {
  return environment.charAt(0).toUpperCase() + environment.slice(1);
}

export interface BuildAppOptions {
  /**
   * Environments to build.
   * @default - the comma-separated `env` context value (`cdk synth -c env=prod`), else every environment
   */
  readonly environments?: readonly string[];
  /** Register the cdk-nag AwsSolutions pack, so synth fails on unacknowledged findings. @default true */
  readonly compliance?: boolean;
  readonly appProps?: AppProps;
  /**
   * The environment configs to choose from, by name.
   * @default ENVIRONMENTS - the shipped ones (lib/config/index.ts)
   */
  readonly registry?: EnvironmentRegistry;
  /**
   * The delivery pipeline to add; `false` for none, whatever lib/config/delivery.ts says.
   * @default DELIVERY - the shipped one (lib/config/delivery.ts), unset: no pipeline
   */
  readonly delivery?: DeliveryConfigInput | false;
}

/** The environments named by the `env` context value, checked against the known ones. */
export function selectedEnvironments(
  context: unknown,
  known: readonly string[] = Object.keys(ENVIRONMENTS),
): string[] {
  if (context === undefined) return [...known];
  const names = (typeof context === 'string' ? context : '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const unknown = names.filter((name) => !known.includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `Context env=${JSON.stringify(context)}: expected one or more of ${known.join(', ')} separated by commas`,
    );
  }
  return names;
}

/**
 * Builds the app: one Stage per environment and, when delivery is configured,
 * the pipeline that deploys them. bin/app.ts calls it for the real synth;
 * tests call it without the compliance plugin (they run the pack with
 * validateScope instead) and without the built-in CloudFormation validation.
 *
 * The stages are always top-level (`Dev`, `Prod`), with or without a pipeline:
 * the pipeline stack deploys these same Stage objects rather than building its
 * own copies, so the stage ids, stack names and templates it deploys are the
 * ones `npm run synth` writes and a person deploys by hand (`'Dev/*'`), and
 * each environment exists once in the app. The pipeline needs every
 * environment: a synth of some of them (`-c env=dev`) leaves it out rather
 * than build a pipeline that would drop the others when it updates itself.
 */
export function buildApp(options: BuildAppOptions = {}): {
  app: App;
  stages: EnvironmentStage[];
  pipeline?: DeliveryPipelineStack;
} {
  const app = new App(options.appProps);
  const registry = options.registry ?? ENVIRONMENTS;
  const names =
    options.environments ?? selectedEnvironments(app.node.tryGetContext('env'), Object.keys(registry));
  const deliveryInput = options.delivery ?? DELIVERY;
  // Every selected environment and the delivery config are validated before anything is built: one run
  // reports all their config errors.
  const errors: ConfigError[] = [];
  let configs: EnvironmentConfig[] = [];
  try {
    configs = loadConfigs(names, registry);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    errors.push(...error.errors);
  }
  let delivery: DeliveryConfig | undefined;
  try {
    delivery =
      deliveryInput === undefined || deliveryInput === false ? undefined : validateDelivery(deliveryInput);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.push(error);
  }
  if (delivery !== undefined) {
    const problems = deliveryRegionProblems(delivery, configs);
    if (problems.length > 0) {
      errors.push(new ConfigError(DELIVERY_CONFIG_NAME, problems, `${DELIVERY_CONFIG_NAME} config`));
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  // One account-wide setting, one owner: environments sharing an account and region cannot both manage it.
  const conflicts = catalogEncryptionConflicts(configs);
  if (conflicts.length > 0) {
    throw new ConfigErrors(conflicts.map((conflict) => new ConfigError(names.join(', '), [conflict])));
  }
  const stages = configs.map((config, i) => new EnvironmentStage(app, stageId(names[i]), { config }));
  const everyEnvironment = Object.keys(registry).every((name) => names.includes(name));
  const pipeline =
    delivery !== undefined && everyEnvironment
      ? new DeliveryPipelineStack(app, PIPELINE_STACK_ID, {
          delivery,
          stackName: 'trackman-delivery-pipeline',
          description:
            'Trackman data platform: the pipeline that builds the repository and deploys every environment',
          // In registry order (dev before prod), whatever order -c env named them in; a person
          // approves before each production environment.
          stages: Object.keys(registry).map((name) => {
            const i = names.indexOf(name);
            return { stage: stages[i], approval: configs[i].production };
          }),
        })
      : undefined;
  if (options.compliance ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, stages, pipeline };
}
