/**
 * The monthly cost estimate of an environment: every component of lib/cost/components.ts priced
 * with the price book of the environment's region, their total, and what the figures rest on
 * (the assumptions used, the prices not verified, what is left out). `npm run cost` prints it;
 * the environment stage warns at synth when monthlyBudgetUsd is below it (budgetWarning).
 */
import type { EnvironmentConfig } from '../config';
import { ASSUMPTIONS, type AssumptionName, type Assumptions } from './assumptions';
import { COMPONENTS, type ComponentCost, type CostInputName, type PriceUse } from './components';
import { CostEstimateError, PRICE_BOOKS, PRICES_FILE, priceBookFor, type PriceBook } from './prices';

/** A number the estimate rests on that no price page gives: an assumption, or a `cost` field of the config. */
export interface NamedAssumption {
  readonly name: AssumptionName | CostInputName;
  readonly value: number;
  readonly unit: string;
  readonly description: string;
}

export interface CostEstimate {
  readonly environment: string;
  readonly region: string;
  readonly pricesFile: string;
  /** The day the price book was compiled; only `verifiedPrices` were read on their page. */
  readonly pricesCompiledOn: string;
  readonly components: readonly ComponentCost[];
  readonly totalUsd: number;
  readonly monthlyBudgetUsd: number;
  /** The assumptions the priced components used, in the order they first appear. */
  readonly assumptions: readonly NamedAssumption[];
  /** The prices and billing figures used that were read for this region on their page. */
  readonly verifiedPrices: readonly PriceUse[];
  /** The prices and billing figures used that were not read for this region on their page. */
  readonly unverifiedPrices: readonly PriceUse[];
  /** Costs the estimate leaves out. */
  readonly notEstimated: readonly string[];
}

export interface EstimateOptions {
  /** @default - the book of the config's region in PRICE_BOOKS */
  readonly prices?: PriceBook;
  /** Price books to choose the region's from. @default PRICE_BOOKS */
  readonly books?: Readonly<Record<string, PriceBook>>;
  /** @default ASSUMPTIONS */
  readonly assumptions?: Assumptions;
}

/** What the estimate does not price, and why it is small or unknowable from the config. */
export const NOT_ESTIMATED: readonly string[] = [
  'Free tiers: not subtracted (an account shares them with whatever else runs in it)',
  'Data transfer: between Availability Zones, to the internet, and of backup copies to another region',
  'Athena queries (per TB scanned) and their results bucket',
  'DMS Serverless capacity above minCapacityUnits during full loads and bursts',
  'RDS storage autoscaling above allocatedStorageGiB, and automated backups beyond the free allowance',
  "Glue Data Catalog requests and objects, and the jobs' Glue job and observability metrics",
  'Secrets Manager secrets, SQS queues, SNS notifications, EventBridge rules, CDK custom-resource functions',
  'S3 buckets other than the lake (access logs, trail, Athena results), noncurrent versions, Deep Archive per-object overhead',
  'KMS key rotation: each rotation adds 1 USD a month for the new key material',
];

const COST_INPUTS: Readonly<Record<CostInputName, { unit: string; description: string }>> = {
  'cost.dailyLakeGiB': {
    unit: 'GiB a day',
    description:
      'Config: GiB the ingestion lands under raw/ a day (default 1; set it from the bucket metrics)',
  },
  'cost.lakeAgeDays': {
    unit: 'days',
    description: 'Config: days of data the lake holds in the month priced (default 730)',
  },
  'cost.glueWorkersPerRun': {
    unit: 'workers',
    description:
      "Config: G.1X workers a table's run uses on average (default 2, the least a run starts with)",
  },
};

function costInputValue(config: EnvironmentConfig, name: CostInputName): number {
  switch (name) {
    case 'cost.dailyLakeGiB':
      return config.cost.dailyLakeGiB;
    case 'cost.lakeAgeDays':
      return config.cost.lakeAgeDays;
    case 'cost.glueWorkersPerRun':
      return config.cost.glueWorkersPerRun;
  }
}

/**
 * The monthly cost estimate of `config`.
 * @throws CostEstimateError when the price books lack the region or an instance class the config names
 */
export function estimateMonthlyCost(config: EnvironmentConfig, options: EstimateOptions = {}): CostEstimate {
  const prices = options.prices ?? priceBookFor(config.region, options.books ?? PRICE_BOOKS);
  const assumptions = options.assumptions ?? ASSUMPTIONS;
  const components = COMPONENTS.map((estimate) => estimate({ config, prices, assumptions }));

  const names = [...new Set(components.flatMap((item) => item.assumptions))];
  const named = names.map((name): NamedAssumption => {
    if (name.startsWith('cost.')) {
      const input = name as CostInputName;
      return { name: input, value: costInputValue(config, input), ...COST_INPUTS[input] };
    }
    const assumption = assumptions[name as AssumptionName];
    return { name, value: assumption.value, unit: assumption.unit, description: assumption.description };
  });

  const used = new Map<string, PriceUse>();
  for (const use of components.flatMap((item) => item.prices)) used.set(use.name, use);
  const uses = [...used.values()];

  return {
    environment: config.name,
    region: prices.region,
    pricesFile: PRICES_FILE,
    pricesCompiledOn: prices.compiledOn,
    components,
    totalUsd: components.reduce((sum, item) => sum + item.monthlyUsd, 0),
    monthlyBudgetUsd: config.monthlyBudgetUsd,
    assumptions: named,
    verifiedPrices: uses.filter((use) => use.figure.verified),
    unverifiedPrices: uses.filter((use) => !use.figure.verified),
    notEstimated: NOT_ESTIMATED,
  };
}

/** USD rounded to cents, for output. */
export function cents(usd: number): number {
  return Math.round(usd * 100) / 100;
}

/** A warning for synth: the id and the one-line message. */
export interface BudgetWarning {
  readonly id: string;
  readonly message: string;
}

export const BUDGET_BELOW_ESTIMATE = 'trackman-cost:budget-below-estimate';
export const NO_COST_ESTIMATE = 'trackman-cost:no-estimate';

/**
 * Why synth should warn about the budget: monthlyBudgetUsd is below the estimate, or there is no
 * estimate to compare it with (the region or an instance class has no price). Undefined when the
 * budget covers the estimate.
 */
export function budgetWarning(
  config: EnvironmentConfig,
  options: EstimateOptions = {},
): BudgetWarning | undefined {
  let estimate: CostEstimate;
  try {
    estimate = estimateMonthlyCost(config, options);
  } catch (error) {
    if (!(error instanceof CostEstimateError)) throw error;
    return {
      id: NO_COST_ESTIMATE,
      message: `monthlyBudgetUsd ${config.monthlyBudgetUsd} cannot be checked against a cost estimate: ${error.message}`,
    };
  }
  if (estimate.totalUsd <= config.monthlyBudgetUsd) return undefined;
  const largest = estimate.components.reduce((a, b) => (b.monthlyUsd > a.monthlyUsd ? b : a));
  return {
    id: BUDGET_BELOW_ESTIMATE,
    message:
      `monthlyBudgetUsd ${config.monthlyBudgetUsd} is below the estimated monthly cost of ` +
      `${cents(estimate.totalUsd).toFixed(2)} USD (npm run cost -- --env ${config.name}; docs/cost.md): the budget ` +
      `alerts every month. Raise it, or lower what costs most (${largest.name}: ` +
      `${cents(largest.monthlyUsd).toFixed(2)} USD).`,
  };
}
