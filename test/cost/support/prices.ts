/**
 * A price book of round figures for the tests: the arithmetic of each component is checked
 * against these, so updating lib/cost/prices.ts changes no expected value.
 */
import { validateConfig, type EnvironmentConfigInput } from '../../../lib/config';
import { ASSUMPTIONS } from '../../../lib/cost/assumptions';
import type { CostContext } from '../../../lib/cost/components';
import type { Figure, Price, PriceBook } from '../../../lib/cost/prices';

const SOURCE = 'https://aws.amazon.com/pricing/';

const price = (usd: number, per = 1, verified = true): Price => ({
  usd,
  per,
  unit: 'unit',
  source: SOURCE,
  verified,
  ...(verified ? {} : { note: 'a test figure' }),
});

const figure = (value: number, unit: string): Figure => ({ value, unit, source: SOURCE, verified: true });

export const TEST_PRICES: PriceBook = {
  region: 'eu-west-1',
  compiledOn: '2000-01-01',
  glue: {
    dpuHour: price(0.5),
    minimumBilledMinutes: figure(1, 'minute'),
  },
  stepFunctions: { stateTransitions: price(0.02, 1000) },
  lambda: { requests: price(0.2, 1_000_000), armGbSeconds: price(0.00001) },
  scheduler: { invocations: price(1, 1_000_000) },
  dms: {
    serverlessDcuHour: price(0.2, 1, false),
    instanceHour: { 'dms.r6i.large': price(0.3), 'dms.t3.medium': price(0.1) },
    storageGbMonth: price(0.1),
    includedStorageGb: { t: figure(50, 'GB'), c: figure(100, 'GB'), r: figure(100, 'GB') },
  },
  rds: {
    postgresInstanceHour: { 'db.t4g.medium': price(0.1), 'db.r7g.large': price(0.25) },
    gp3GbMonth: price(0.1),
    snapshotGbMonth: price(0.1),
  },
  s3: {
    standardGbMonth: price(0.02),
    intelligentTieringFrequentGbMonth: price(0.02),
    intelligentTieringInfrequentGbMonth: price(0.01),
    intelligentTieringArchiveInstantGbMonth: price(0.004),
    intelligentTieringMonitoring: price(0.0025, 1000),
    deepArchiveGbMonth: price(0.001),
    putRequests: price(0.005, 1000),
    getRequests: price(0.0004, 1000),
    transitionsToIntelligentTiering: price(0.01, 1000),
    transitionsToDeepArchive: price(0.05, 1000),
  },
  backup: { s3GbMonth: price(0.05) },
  cloudTrail: { dataEvents: price(0.1, 100_000) },
  network: {
    interfaceEndpointHour: price(0.01),
    interfaceEndpointGb: price(0.01),
    natGatewayHour: price(0.05),
    natGatewayGb: price(0.05),
    publicIpv4AddressHour: price(0.005),
  },
  kms: { keyMonth: price(1), requests: price(0.03, 10_000) },
  cloudWatch: {
    alarmMetricMonth: price(0.1),
    customMetricMonth: price(0.3),
    dashboardMonth: price(3),
    logsIngestedGb: price(0.5),
    logsStoredGbMonth: price(0.03),
  },
};

/** What a component reads for a copy of `base` after `edit`, at the test prices. */
export function contextOf(
  base: EnvironmentConfigInput,
  edit: (config: EnvironmentConfigInput) => void = () => undefined,
): CostContext {
  const input = structuredClone(base);
  edit(input);
  return { config: validateConfig(input, input.name), prices: TEST_PRICES, assumptions: ASSUMPTIONS };
}
