/**
 * On-demand list prices the cost estimate (lib/cost/estimate.ts, `npm run cost`) multiplies by,
 * one price book per AWS region. Every figure names the public AWS pricing page it belongs to and
 * whether it was read there:
 *
 * - `verified: true`: the figure, for this region (or the page's single price for every region),
 *   was read on a stored copy of that page when the book was compiled (`compiledOn`).
 * - `verified: false`: the stored copies did not show it for this region; the figure is the one the
 *   note explains, and the page named is where to check it. The estimate lists these.
 *
 * Free tiers are not subtracted: an account's free tier is shared with whatever else runs in it.
 *
 * To update: open each `source`, read the figure for the region, change `usd` (and `per`/`unit` if
 * the page states it differently), set `verified: true` and drop the note once it is read there,
 * and set `compiledOn` to the day. To add a region, copy a book, key it by the region, and check
 * every figure; an environment in a region with no book makes `npm run cost` fail with the
 * regions that have one. Region-independent facts (a G.1X worker is 1 DPU, the workflow's states)
 * are in lib/cost/assumptions.ts.
 */

/** Where a figure comes from. */
export interface Sourced {
  readonly unit: string;
  /** The public AWS pricing page that states the figure. */
  readonly source: string;
  /** Whether the figure was read for this region on a stored copy of `source` (see above). */
  readonly verified: boolean;
  /** Where the figure comes from when it is not verified, or what it covers. */
  readonly note?: string;
}

/** One price: `usd` for every `per` units of `unit`. */
export interface Price extends Sourced {
  readonly usd: number;
  readonly per: number;
}

/** A billing rule that is a number but not a price, such as a minimum billed duration. */
export interface Figure extends Sourced {
  readonly value: number;
}

export interface PriceBook {
  readonly region: string;
  /**
   * The day the book was compiled (YYYY-MM-DD). Only the figures marked `verified` were read on
   * their page; the others rest on what their note says.
   */
  readonly compiledOn: string;
  readonly glue: {
    readonly dpuHour: Price;
    /** Least time a job run is billed for; Glue 2.0 and later bill per second above it. */
    readonly minimumBilledMinutes: Figure;
  };
  readonly stepFunctions: { readonly stateTransitions: Price };
  readonly lambda: { readonly requests: Price; readonly armGbSeconds: Price };
  readonly scheduler: { readonly invocations: Price };
  readonly dms: {
    readonly serverlessDcuHour: Price;
    /** Single-AZ hourly price by replication instance class. */
    readonly instanceHour: Readonly<Record<string, Price>>;
    /** Replication instance storage above what the instance includes. */
    readonly storageGbMonth: Price;
    /**
     * GB of storage each replication instance includes, by class family: the letter after `dms.`
     * (`t` of dms.t3.medium, `r` of dms.r6i.large). The DMS API reports it per class as
     * `IncludedAllocatedStorage`.
     */
    readonly includedStorageGb: Readonly<Record<string, Figure>>;
  };
  readonly rds: {
    /** RDS for PostgreSQL, Single-AZ hourly price by instance class. */
    readonly postgresInstanceHour: Readonly<Record<string, Price>>;
    readonly gp3GbMonth: Price;
    readonly snapshotGbMonth: Price;
  };
  readonly s3: {
    readonly standardGbMonth: Price;
    readonly intelligentTieringFrequentGbMonth: Price;
    readonly intelligentTieringInfrequentGbMonth: Price;
    readonly intelligentTieringArchiveInstantGbMonth: Price;
    readonly intelligentTieringMonitoring: Price;
    readonly deepArchiveGbMonth: Price;
    readonly putRequests: Price;
    readonly getRequests: Price;
    readonly transitionsToIntelligentTiering: Price;
    readonly transitionsToDeepArchive: Price;
  };
  readonly backup: { readonly s3GbMonth: Price };
  readonly cloudTrail: { readonly dataEvents: Price };
  readonly network: {
    readonly interfaceEndpointHour: Price;
    readonly interfaceEndpointGb: Price;
    readonly natGatewayHour: Price;
    readonly natGatewayGb: Price;
    /** An AWS-provided public IPv4 address, such as a NAT gateway's Elastic IP. */
    readonly publicIpv4AddressHour: Price;
  };
  readonly kms: { readonly keyMonth: Price; readonly requests: Price };
  readonly cloudWatch: {
    readonly alarmMetricMonth: Price;
    readonly customMetricMonth: Price;
    readonly dashboardMonth: Price;
    readonly logsIngestedGb: Price;
    readonly logsStoredGbMonth: Price;
  };
}

const PAGE = {
  glue: 'https://aws.amazon.com/glue/pricing/',
  stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  eventBridge: 'https://aws.amazon.com/eventbridge/pricing/',
  dms: 'https://aws.amazon.com/dms/pricing/',
  rdsPostgres: 'https://aws.amazon.com/rds/postgresql/pricing/',
  s3: 'https://aws.amazon.com/s3/pricing/',
  backup: 'https://aws.amazon.com/backup/pricing/',
  cloudTrail: 'https://aws.amazon.com/cloudtrail/pricing/',
  privateLink: 'https://aws.amazon.com/privatelink/pricing/',
  vpc: 'https://aws.amazon.com/vpc/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  cloudWatch: 'https://aws.amazon.com/cloudwatch/pricing/',
} as const;

const NOT_IN_STORED_PAGES = 'Not shown for this region in the stored copies of the page';
const THIRD_PARTY = 'the figure third-party guides give for US East';
const TO_CHECK = 'the US East list figure as remembered, an estimate to check';
const TRANSITIONS_RANGE =
  'within the 0.01-0.06 range a third-party page gives for Frankfurt, an estimate to check';

/** A figure to check on its page (verified: false), with what it rests on. */
const unverified = (usd: number, per: number, unit: string, source: string, note: string): Price => ({
  usd,
  per,
  unit,
  source,
  verified: false,
  note,
});

const verified = (usd: number, per: number, unit: string, source: string, note?: string): Price => ({
  usd,
  per,
  unit,
  source,
  verified: true,
  ...(note === undefined ? {} : { note }),
});

/**
 * Storage each DMS replication instance of a class family includes, billed only above it. The DMS
 * API reports it per class (DescribeOrderableReplicationInstances, `IncludedAllocatedStorage`).
 */
const dmsIncludedStorage = (gb: number, family: string): Figure => ({
  value: gb,
  unit: `GB included with each ${family}-class replication instance`,
  source: PAGE.dms,
  verified: false,
  note: 'The page was not among the stored copies, and the API reference names IncludedAllocatedStorage without its values; 50 GB for t-class and 100 GB for c- and r-class instances, to check on the page',
});

const EU_WEST_1: PriceBook = {
  region: 'eu-west-1',
  compiledOn: '2026-11-30',
  glue: {
    dpuHour: unverified(
      0.44,
      1,
      'DPU-hour',
      PAGE.glue,
      "The page's text and worked example price a DPU-hour at 0.44 USD; its per-Region table was not in the stored copies",
    ),
    minimumBilledMinutes: {
      value: 1,
      unit: 'minute billed at least per job run',
      source: PAGE.glue,
      verified: false,
      note: 'Per-second billing with a 1-minute minimum for Glue 2.0 and later, as third-party guides state it; the stored copy of the page is older (10-minute minimum of Glue 1.0)',
    },
  },
  stepFunctions: {
    stateTransitions: verified(
      0.025,
      1000,
      'state transitions',
      PAGE.stepFunctions,
      'Europe (Ireland) row of the state transitions pricing table',
    ),
  },
  lambda: {
    requests: unverified(
      0.2,
      1_000_000,
      'requests',
      PAGE.lambda,
      `${NOT_IN_STORED_PAGES} (examples are US East)`,
    ),
    armGbSeconds: unverified(
      0.0000133334,
      1,
      'GB-second (Arm)',
      PAGE.lambda,
      `${NOT_IN_STORED_PAGES}; the Arm first-tier rate third-party guides give for US East`,
    ),
  },
  scheduler: {
    invocations: unverified(
      1,
      1_000_000,
      'invocations',
      PAGE.eventBridge,
      `${NOT_IN_STORED_PAGES}; the rate third-party guides give (after 14 million free a month, not subtracted)`,
    ),
  },
  dms: {
    serverlessDcuHour: unverified(
      0.25,
      1,
      'DCU-hour',
      PAGE.dms,
      'The page was not among the stored copies; upper end of the 0.20-0.25 USD range a third-party guide gives (awsnegotiations.com, May 2026)',
    ),
    instanceHour: {
      'dms.r6i.large': unverified(
        0.234,
        1,
        'instance-hour',
        PAGE.dms,
        'The page was not among the stored copies; an estimate to replace with its eu-west-1 figure',
      ),
    },
    storageGbMonth: unverified(
      0.127,
      1,
      'GB-month',
      PAGE.dms,
      'The page was not among the stored copies; taken equal to the RDS gp3 figure',
    ),
    includedStorageGb: {
      t: dmsIncludedStorage(50, 't'),
      c: dmsIncludedStorage(100, 'c'),
      r: dmsIncludedStorage(100, 'r'),
    },
  },
  rds: {
    postgresInstanceHour: {
      'db.t4g.medium': unverified(
        0.072,
        1,
        'instance-hour',
        PAGE.rdsPostgres,
        `${NOT_IN_STORED_PAGES}; third-party pages give 0.065 for US East; this estimate is about a tenth above it`,
      ),
      'db.r7g.large': unverified(
        0.266,
        1,
        'instance-hour',
        PAGE.rdsPostgres,
        `${NOT_IN_STORED_PAGES}; an estimate to replace with the page's eu-west-1 figure`,
      ),
    },
    gp3GbMonth: unverified(
      0.127,
      1,
      'GB-month',
      PAGE.rdsPostgres,
      `${NOT_IN_STORED_PAGES}; third-party pages give 0.115 for US East`,
    ),
    snapshotGbMonth: unverified(
      0.095,
      1,
      'GB-month',
      PAGE.rdsPostgres,
      `${NOT_IN_STORED_PAGES}; the figure third-party pages give for US East`,
    ),
  },
  s3: {
    standardGbMonth: unverified(
      0.023,
      1,
      'GB-month',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${THIRD_PARTY} (first 50 TB)`,
    ),
    intelligentTieringFrequentGbMonth: unverified(
      0.023,
      1,
      'GB-month',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; taken equal to S3 Standard`,
    ),
    intelligentTieringInfrequentGbMonth: unverified(
      0.0125,
      1,
      'GB-month',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${TO_CHECK}`,
    ),
    intelligentTieringArchiveInstantGbMonth: unverified(
      0.004,
      1,
      'GB-month',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${TO_CHECK}`,
    ),
    intelligentTieringMonitoring: unverified(
      0.0025,
      1000,
      'objects monitored',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${THIRD_PARTY}`,
    ),
    deepArchiveGbMonth: unverified(0.00099, 1, 'GB-month', PAGE.s3, `${NOT_IN_STORED_PAGES}; ${THIRD_PARTY}`),
    putRequests: unverified(0.005, 1000, 'requests', PAGE.s3, `${NOT_IN_STORED_PAGES}; ${TO_CHECK}`),
    getRequests: unverified(0.0004, 1000, 'requests', PAGE.s3, `${NOT_IN_STORED_PAGES}; ${TO_CHECK}`),
    transitionsToIntelligentTiering: unverified(
      0.01,
      1000,
      'transitions',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${TRANSITIONS_RANGE}`,
    ),
    transitionsToDeepArchive: unverified(
      0.05,
      1000,
      'transitions',
      PAGE.s3,
      `${NOT_IN_STORED_PAGES}; ${TRANSITIONS_RANGE}`,
    ),
  },
  backup: {
    s3GbMonth: unverified(
      0.05,
      1,
      'GB-month',
      PAGE.backup,
      `${NOT_IN_STORED_PAGES} (its price table did not render); an estimate to check (third-party pages give 0.05 for US East EFS backups)`,
    ),
  },
  cloudTrail: {
    dataEvents: verified(
      0.1,
      100_000,
      'data events',
      PAGE.cloudTrail,
      'The page gives one price for data events; the first copy of management events is free',
    ),
  },
  network: {
    interfaceEndpointHour: unverified(
      0.011,
      1,
      'endpoint-AZ-hour',
      PAGE.privateLink,
      `${NOT_IN_STORED_PAGES}; an estimate to check`,
    ),
    interfaceEndpointGb: unverified(
      0.01,
      1,
      'GB processed',
      PAGE.privateLink,
      'Read on a copy of the page under another domain, not on the aws.amazon.com copy',
    ),
    natGatewayHour: unverified(
      0.048,
      1,
      'gateway-hour',
      PAGE.vpc,
      `${NOT_IN_STORED_PAGES}; low end of the 0.048-0.052 range a third-party guide gives for European regions`,
    ),
    natGatewayGb: unverified(
      0.048,
      1,
      'GB processed',
      PAGE.vpc,
      `${NOT_IN_STORED_PAGES}; low end of the 0.048-0.052 range a third-party guide gives for European regions`,
    ),
    publicIpv4AddressHour: unverified(
      0.005,
      1,
      'public IPv4 address-hour',
      PAGE.vpc,
      `${NOT_IN_STORED_PAGES} (its Public IPv4 Address tab); the rate for every region since February 2024 that third-party guides give`,
    ),
  },
  kms: {
    keyMonth: verified(1, 1, 'key-month', PAGE.kms, 'The page gives one price for every key type'),
    requests: unverified(
      0.03,
      10_000,
      'requests',
      PAGE.kms,
      "The stored copy stops before the page's request table; the figure third-party guides give",
    ),
  },
  cloudWatch: {
    alarmMetricMonth: unverified(
      0.1,
      1,
      'alarm metric-month',
      PAGE.cloudWatch,
      `${NOT_IN_STORED_PAGES} (only the free tier was); ${TO_CHECK}`,
    ),
    customMetricMonth: unverified(
      0.3,
      1,
      'metric-month',
      PAGE.cloudWatch,
      `${NOT_IN_STORED_PAGES}; the first-tier figure third-party guides give`,
    ),
    dashboardMonth: unverified(
      3,
      1,
      'dashboard-month',
      PAGE.cloudWatch,
      `${NOT_IN_STORED_PAGES}; ${THIRD_PARTY}`,
    ),
    logsIngestedGb: unverified(
      0.57,
      1,
      'GB ingested',
      PAGE.cloudWatch,
      `${NOT_IN_STORED_PAGES}; third-party guides give 0.50 for US East; this estimate is above it`,
    ),
    logsStoredGbMonth: unverified(
      0.03,
      1,
      'GB-month',
      PAGE.cloudWatch,
      `${NOT_IN_STORED_PAGES}; ${TO_CHECK}`,
    ),
  },
};

/** The price books, by region. */
export const PRICE_BOOKS: Readonly<Record<string, PriceBook>> = { [EU_WEST_1.region]: EU_WEST_1 };

/** Where the price books live, for messages. */
export const PRICES_FILE = 'lib/cost/prices.ts';

/** A cost estimate that cannot be made: a region or an instance class the price books lack. */
export class CostEstimateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostEstimateError';
  }
}

/** The price book of a region. @throws CostEstimateError naming the region and the regions there are */
export function priceBookFor(
  region: string,
  books: Readonly<Record<string, PriceBook>> = PRICE_BOOKS,
): PriceBook {
  const book = Object.hasOwn(books, region) ? books[region] : undefined;
  if (book === undefined) {
    const regions = Object.keys(books);
    throw new CostEstimateError(
      `no prices for region ${region} in ${PRICES_FILE}: expected ` +
        (regions.length === 0 ? 'a price book, and there is none' : `one of ${regions.join(', ')}`) +
        ` (add a price book for ${region})`,
    );
  }
  return book;
}

/** The price of an instance class. @throws CostEstimateError naming the class and the classes priced */
export function classPrice(
  prices: Readonly<Record<string, Price>>,
  instanceClass: string,
  what: string,
  region: string,
): Price {
  const price = Object.hasOwn(prices, instanceClass) ? prices[instanceClass] : undefined;
  if (price === undefined) {
    throw new CostEstimateError(
      `no price for ${what} ${instanceClass} in region ${region} (${PRICES_FILE}): expected one of ${Object.keys(prices).join(', ')} (add its price)`,
    );
  }
  return price;
}

/**
 * The storage a DMS replication instance of `instanceClass` includes, by its class family.
 * @throws CostEstimateError naming the class and the families there are
 */
export function includedDmsStorage(
  included: Readonly<Record<string, Figure>>,
  instanceClass: string,
  region: string,
): { readonly family: string; readonly figure: Figure } {
  // dms.<family><generation>[<variant>].<size>: dms.r6i.large is of family r.
  const family = /^dms\.([a-z]+)\d/.exec(instanceClass)?.[1] ?? '';
  const figure = Object.hasOwn(included, family) ? included[family] : undefined;
  if (figure === undefined) {
    throw new CostEstimateError(
      `no included storage for DMS replication instance class ${instanceClass} (family ${JSON.stringify(family)}) in region ${region} (${PRICES_FILE}): expected a class of family ${Object.keys(included).join(', ')} (add its family's figure)`,
    );
  }
  return { family, figure };
}

/** What `quantity` units cost at `price`. */
export function costOf(quantity: number, price: Price): number {
  return (quantity / price.per) * price.usd;
}
