/** The estimate as `npm run cost` prints it: a table with its working, or the same as JSON. */
import { num, priced, type PriceUse } from '../../lib/cost/components';
import { cents, type CostEstimate } from '../../lib/cost/estimate';

const usd = (value: number) => cents(value).toFixed(2);

/** `0.44 USD/DPU-hour` for a price, `1 minute billed at least per job run` for a billing figure. */
function figureText(use: PriceUse): string {
  return 'usd' in use.figure ? priced(use.figure) : `${num(use.figure.value)} ${use.figure.unit}`;
}

/** Lines of the table: one row per component, the total, the budget, then what the figures rest on. */
export function renderTable(estimate: CostEstimate): string[] {
  const rows: [string, string][] = estimate.components.map((item) => [item.name, usd(item.monthlyUsd)]);
  const total: [string, string] = ['Total', usd(estimate.totalUsd)];
  const budget: [string, string] = ['monthlyBudgetUsd', usd(estimate.monthlyBudgetUsd)];
  const nameWidth = Math.max('COMPONENT'.length, ...[...rows, total, budget].map(([name]) => name.length));
  const usdWidth = Math.max('USD/MONTH'.length, ...[...rows, total, budget].map(([, value]) => value.length));
  const row = ([name, value]: [string, string], note = '') =>
    `${name.padEnd(nameWidth)}  ${value.padStart(usdWidth)}${note === '' ? '' : `  ${note}`}`;
  const margin = estimate.monthlyBudgetUsd - estimate.totalUsd;
  const budgetNote =
    margin >= 0
      ? `covers the estimate (${usd(margin)} to spare)`
      : `BELOW the estimate by ${usd(-margin)}: synth warns`;

  const verified = estimate.verifiedPrices.length;
  const unverified = estimate.unverifiedPrices.length;
  return [
    `Monthly cost estimate of ${estimate.environment} (${estimate.region}), on-demand USD, from the price book ` +
      `compiled on ${estimate.pricesCompiledOn} (${estimate.pricesFile})`,
    `${verified} of the ${verified + unverified} prices and billing figures used are verified on their AWS pricing ` +
      `page for ${estimate.region}; ` +
      (unverified === 0
        ? 'none is unverified'
        : `the other ${unverified} ${unverified === 1 ? 'is' : 'are'} listed below as unverified`),
    '',
    row(['COMPONENT', 'USD/MONTH']),
    ...rows.map((item) => row(item)),
    row(total),
    row(budget, budgetNote),
    '',
    'How each figure is reached',
    ...estimate.components.map((item) => `  ${item.name}: ${item.formula}`),
    '',
    'Assumptions',
    ...estimate.assumptions.map((a) => `  ${a.name} = ${num(a.value)} ${a.unit}: ${a.description}`),
    '',
    `Prices not verified for ${estimate.region} on their page (verified: false in ${estimate.pricesFile})`,
    ...(estimate.unverifiedPrices.length === 0
      ? ['  none']
      : estimate.unverifiedPrices.map(
          (use) => `  ${use.name} = ${figureText(use)}: ${use.figure.note ?? ''} (${use.figure.source})`,
        )),
    '',
    'Not estimated',
    ...estimate.notEstimated.map((item) => `  - ${item}`),
  ];
}

/** The estimate as data: USD in cents, everything the table shows. */
export function renderJson(estimate: CostEstimate): string {
  return JSON.stringify(
    {
      environment: estimate.environment,
      region: estimate.region,
      currency: 'USD',
      prices: {
        file: estimate.pricesFile,
        compiledOn: estimate.pricesCompiledOn,
        verified: estimate.verifiedPrices.map((use) => use.name),
      },
      components: estimate.components.map((item) => ({
        id: item.id,
        name: item.name,
        monthlyUsd: cents(item.monthlyUsd),
        formula: item.formula,
      })),
      totalUsd: cents(estimate.totalUsd),
      monthlyBudgetUsd: estimate.monthlyBudgetUsd,
      budgetCoversEstimate: estimate.monthlyBudgetUsd >= estimate.totalUsd,
      assumptions: estimate.assumptions,
      unverifiedPrices: estimate.unverifiedPrices.map((use) => ({ name: use.name, ...use.figure })),
      notEstimated: estimate.notEstimated,
    },
    null,
    2,
  );
}
