/**
 * `npm run cost -- --env <name> [--format table|json]`: the monthly cost estimate of an
 * environment from its config and the price book of its region (lib/cost/). Returns the exit
 * code: 0 printed, 2 the command line, the environment or its config is wrong (one line each).
 * Anything else is thrown.
 */
import {
  ConfigError,
  configErrorLines,
  ENVIRONMENTS,
  type EnvironmentConfig,
  type EnvironmentRegistry,
} from '../../lib/config';
import { estimateMonthlyCost, type CostEstimate } from '../../lib/cost/estimate';
import { CostEstimateError, type PriceBook } from '../../lib/cost/prices';
import { environmentNamed, UsageError } from '../cli';
import { renderJson, renderTable } from './report';

export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export const USAGE = `Usage: npm run cost -- --env <name> [--format table|json]

Estimates the monthly cost of an environment from its config and the prices in lib/cost/prices.ts.

  --env <name>      the environment (lib/config/index.ts ENVIRONMENTS)
  --format <f>      table (default): the components, the total, the budget and what they rest on;
                    json: the same as data
  -h, --help        show this text

Exit codes: 0 the estimate was printed, 2 the command line, the environment or its config is wrong,
1 an unexpected error (printed with its stack).
See docs/cost.md.`;

export interface CostOptions {
  readonly env: string;
  readonly format: Format;
  readonly help: boolean;
}

/** The options of a command line; `known` names the environments for the messages. */
export function parseOptions(argv: readonly string[], known: readonly string[]): CostOptions {
  let env: string | undefined;
  let format: Format = 'table';
  let help = false;
  const environments = `one of ${known.join(', ')}`;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] =
      argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i]];
    const value = () => {
      const next = inline ?? argv[++i];
      return next === undefined || next.startsWith('-') ? undefined : next;
    };
    if (flag === '-h' || flag === '--help') {
      help = true;
    } else if (flag === '--env') {
      env = value();
      if (env === undefined || env === '') {
        throw new UsageError(`--env: expected an environment name (${environments}), received nothing`);
      }
    } else if (flag === '--format') {
      const given = value();
      if (!FORMATS.includes(given as Format)) {
        throw new UsageError(
          `--format: expected ${FORMATS.join(' or ')}, received ${given === undefined ? 'nothing' : JSON.stringify(given)}`,
        );
      }
      format = given as Format;
    } else {
      throw new UsageError(
        `unknown argument ${JSON.stringify(argv[i])}: expected --env <name>, --format table|json or --help`,
      );
    }
  }
  if (!help && env === undefined) throw new UsageError(`--env <name> is required: expected ${environments}`);
  return { env: env ?? '', format, help };
}

export interface CostMainDeps {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** @default ENVIRONMENTS */
  readonly registry?: EnvironmentRegistry;
  /** @default PRICE_BOOKS */
  readonly books?: Readonly<Record<string, PriceBook>>;
}

export function main(argv: readonly string[], deps: CostMainDeps): number {
  const registry = deps.registry ?? ENVIRONMENTS;
  const fail = (message: string): number => {
    deps.stderr(`cost: ${message}`);
    return 2;
  };

  let options: CostOptions;
  try {
    options = parseOptions(argv, Object.keys(registry));
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
  if (options.help) {
    deps.stdout(USAGE);
    return 0;
  }

  let config: EnvironmentConfig;
  try {
    config = environmentNamed(options.env, registry);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    if (!(error instanceof ConfigError)) throw error; // a bug: exit 1 with its stack, as lib/main.ts
    for (const line of configErrorLines([error])) deps.stderr(`cost: ${line}`);
    return 2;
  }

  let estimate: CostEstimate;
  try {
    estimate = estimateMonthlyCost(config, { books: deps.books });
  } catch (error) {
    if (error instanceof CostEstimateError) return fail(`environment ${config.name}: ${error.message}`);
    throw error;
  }
  if (options.format === 'json') {
    deps.stdout(renderJson(estimate));
  } else {
    for (const line of renderTable(estimate)) deps.stdout(line);
  }
  return 0;
}
