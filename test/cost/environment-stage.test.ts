/**
 * The estimate against synthesized stages: synth warns when monthlyBudgetUsd is below the estimate
 * (and only then), and the counts the estimate prices per item (lib/cost/inventory.ts) are the
 * keys, alarms, dashboards, endpoints, NAT gateways and Elastic IPs the stage deploys. A construct that adds one
 * fails the second test until the inventory follows it.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import { BUDGET_BELOW_ESTIMATE } from '../../lib/cost/estimate';
import { inventoryOf, type Inventory } from '../../lib/cost/inventory';
import type { EnvironmentStage } from '../../lib/stages/environment-stage';
import { copyOf, devLike, importedVpc, prodLike } from '../fixtures/configs';
import { buildStageWith, withNestedStacks } from '../helpers/synth';

const OUR_WARNING = Match.stringLikeRegexp('monthlyBudgetUsd .* the estimated monthly cost');

function withBudget(base: EnvironmentConfigInput, monthlyBudgetUsd: number): EnvironmentConfigInput {
  const config = copyOf(base);
  config.monthlyBudgetUsd = monthlyBudgetUsd;
  config.audit = { ...config.audit, costAnomalies: { thresholdUsd: Math.min(100, monthlyBudgetUsd / 2) } };
  return config;
}

/** Replication off, no trail, an imported VPC with its own endpoints, copies to another region. */
function lean(): EnvironmentConfigInput {
  const config = copyOf(devLike);
  config.replication = { enabled: false };
  config.audit = { trail: { mode: 'off' } };
  config.backup = {
    crossRegionCopy: { region: 'eu-central-1', retentionDays: 30 },
    restoreTesting: { enabled: false },
  };
  config.network = importedVpc();
  return config;
}

/** A created VPC with a NAT gateway in each of its two AZs. */
function withNat(): EnvironmentConfigInput {
  const config = copyOf(devLike);
  if (config.network.mode === 'create') config.network.natGateways = 2;
  return config;
}

describe('synth warns when monthlyBudgetUsd is below the estimate', () => {
  // Synthesis prints the warning, as `npm run synth` does; the test reads it from the annotations.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('a tiny budget: a warning on the operations stack, which holds the budget', () => {
    const stage = buildStageWith(withBudget(devLike, 1));
    const annotations = Annotations.fromStack(stage.operations);
    annotations.hasWarning(
      `/${stage.operations.node.path}`,
      Match.stringLikeRegexp(
        `^monthlyBudgetUsd 1 is below the estimated monthly cost of \\d+\\.\\d\\d USD \\(npm run cost -- --env dev; docs/cost.md\\).*\\[ack: ${BUDGET_BELOW_ESTIMATE}\\]$`,
      ),
    );
    expect(annotations.findWarning('*', OUR_WARNING)).toHaveLength(1);
  });

  test('a budget above the estimate: no warning', () => {
    const stage = buildStageWith(withBudget(devLike, 100_000));
    for (const stack of stage.node.children.filter((child): child is Stack => child instanceof Stack)) {
      expect(Annotations.fromStack(stack).findWarning('*', OUR_WARNING)).toEqual([]);
    }
  });
});

/** The priced items of a synthesized stage, counted in its templates (nested stacks included). */
function deployed(stage: EnvironmentStage): Omit<Inventory, 'customMetrics' | 'availabilityZones'> {
  const resources = stage.node
    .findAll()
    .filter((child): child is Stack => child instanceof Stack && child.nestedStackParent === undefined)
    .flatMap((stack) => Object.values(withNestedStacks(stack).toJSON().Resources as Record<string, any>));
  const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
  return {
    kmsKeys: ofType('AWS::KMS::Key').length,
    alarms: ofType('AWS::CloudWatch::Alarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    interfaceEndpointAzs: ofType('AWS::EC2::VPCEndpoint')
      .filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface')
      .reduce((sum, endpoint) => sum + endpoint.Properties.SubnetIds.length, 0),
    natGateways: ofType('AWS::EC2::NatGateway').length,
    publicIpv4Addresses: ofType('AWS::EC2::EIP').length,
  };
}

/** Replication through a provisioned instance, as prod's: the instance has alarms of its own. */
function withInstance(): EnvironmentConfigInput {
  const config = copyOf(prodLike);
  config.replication = {
    ...config.replication,
    dms: { mode: 'instance', instanceClass: 'dms.r6i.large', allocatedStorageGiB: 100, multiAz: true },
  };
  return config;
}

describe.each([
  ['dev-like', devLike],
  ['prod-like with a replication instance', withInstance()],
  ['prod-like', prodLike],
  ['lean (no replication, no trail, imported VPC, copies)', lean()],
  ['dev-like with NAT', withNat()],
])('the inventory of %s is what its stage deploys', (_name, input) => {
  test('keys, alarms, dashboards, endpoint AZs, NAT gateways, Elastic IPs', () => {
    const { customMetrics, availabilityZones, ...counted } = inventoryOf(validateConfig(input, input.name));
    expect(customMetrics).toBeGreaterThan(0);
    expect(availabilityZones).toBeGreaterThan(1);
    expect(counted).toEqual(deployed(buildStageWith(input)));
  });
});
