import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, ConfigErrors, ENVIRONMENTS, loadConfigs, type EnvironmentRegistry } from './config';
import { catalogEncryptionConflicts } from './config/cross-environment';
import { EnvironmentStage } from './stages/environment-stage';

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
 * Builds the app: one Stage per environment. bin/app.ts calls it for the real
 * synth; tests call it without the compliance plugin (they run the pack with
 * validateScope instead) and without the built-in CloudFormation validation.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stages: EnvironmentStage[] } {
  const app = new App(options.appProps);
  const registry = options.registry ?? ENVIRONMENTS;
  const names =
    options.environments ?? selectedEnvironments(app.node.tryGetContext('env'), Object.keys(registry));
  // Every selected environment is validated before any is built: one run reports all their config errors.
  const configs = loadConfigs(names, registry);
  // One account-wide setting, one owner: environments sharing an account and region cannot both manage it.
  const conflicts = catalogEncryptionConflicts(configs);
  if (conflicts.length > 0) {
    throw new ConfigErrors(conflicts.map((conflict) => new ConfigError(names.join(', '), [conflict])));
  }
  const stages = configs.map((config, i) => new EnvironmentStage(app, stageId(names[i]), { config }));
  if (options.compliance ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, stages };
}
