/**
 * Rules of one environment's config that keep a deploy (or a destroy) from
 * leaving something broken behind. The schema's superRefine reports them.
 */

/** A problem found: where, the value found, and what was expected (phrased to follow "expected "). */
export interface DeploySafetyIssue {
  readonly path: (string | number)[];
  readonly input: unknown;
  readonly message: string;
}

interface DeploySafetyInput {
  readonly removalPolicy: 'retain' | 'destroy';
  readonly lake: { readonly manageCatalogEncryption: boolean };
  readonly network:
    | {
        readonly mode: 'create';
        readonly sourceVpcPeering?: unknown;
        readonly sourceTransitGateway?: {
          readonly sourceCidr?: string;
          readonly sourcePrefixListId?: string;
        };
      }
    | { readonly mode: 'import' };
}

export function deploySafetyIssues(config: DeploySafetyInput): DeploySafetyIssue[] {
  const issues: DeploySafetyIssue[] = [];
  // The Data Catalog encryption settings are one per account and region and outlive the stack that
  // set them: after a `destroy` environment deletes its lake key, the account's catalog would stay
  // encrypted with a key that no longer exists. Only a retained environment may own them.
  if (config.lake.manageCatalogEncryption && config.removalPolicy === 'destroy') {
    issues.push({
      path: ['lake', 'manageCatalogEncryption'],
      input: true,
      message:
        "false when removalPolicy is 'destroy': the account-wide Data Catalog encryption would be left " +
        'pointing at the lake key this environment deletes (let an environment with removalPolicy retain manage it)',
    });
  }
  const network = config.network;
  if (network.mode === 'create') {
    const transit = network.sourceTransitGateway;
    if (network.sourceVpcPeering !== undefined && transit !== undefined) {
      issues.push({
        path: ['network', 'sourceTransitGateway'],
        input: transit,
        message:
          'no sourceTransitGateway while network.sourceVpcPeering is set: the sources are reached one way',
      });
    } else if (network.sourceVpcPeering === undefined && transit === undefined) {
      issues.push({
        path: ['network', 'sourceTransitGateway'],
        input: undefined,
        message:
          "the source databases' range ({ sourceCidr } or { sourcePrefixListId }) when network.sourceVpcPeering " +
          'is not set: security groups cannot be referenced across a Transit Gateway',
      });
    } else if (
      transit !== undefined &&
      (transit.sourceCidr === undefined) === (transit.sourcePrefixListId === undefined)
    ) {
      issues.push({
        path: ['network', 'sourceTransitGateway'],
        input: transit,
        message: 'exactly one of sourceCidr or sourcePrefixListId',
      });
    }
  }
  return issues;
}
