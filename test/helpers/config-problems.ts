/**
 * What synth says about a config: the problem lines of its ConfigError, or []
 * when it validates. Tests assert the exact lines, so a helper that returned
 * [] for a config expected to fail makes that assertion fail, not pass.
 */
import { ConfigError, validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { devLike } from '../fixtures/configs';

/** The problems validateConfig lists for `config` as environment `environment`; [] when it validates. */
export function problemsOf(
  config: EnvironmentConfigInput,
  environment: string = config.name,
): readonly string[] {
  try {
    validateConfig(config, environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** The problems listed for a copy of `base` after one edit; [] when it still validates. */
export function problemsAfter(
  edit: (config: EnvironmentConfigInput) => void,
  base: EnvironmentConfigInput = devLike,
  environment: string = base.name,
): readonly string[] {
  const config = structuredClone(base);
  edit(config);
  return problemsOf(config, environment);
}
