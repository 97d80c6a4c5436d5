import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { LakeStorageStack } from '../stacks/lake-storage-stack';
import { NetworkStack } from '../stacks/network-stack';

/** The cost-allocation tag values; every resource carries Project, Environment and Component. */
export const PROJECT_TAG = 'trackman-data-platform';

export interface EnvironmentStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/** One environment (dev, prod, ...): its stacks, wired together, in one account and region. */
export class EnvironmentStage extends Stage {
  public readonly network: NetworkStack;
  public readonly lakeStorage: LakeStorageStack;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });
    Tags.of(this).add('Project', PROJECT_TAG);
    Tags.of(this).add('Environment', config.name);

    const stackName = (component: string) => `trackman-${config.name}-${component}`;
    const describe = (what: string) => `Trackman data platform (${config.name}): ${what}`;

    this.network = new NetworkStack(this, 'Network', {
      config,
      stackName: stackName('network'),
      description: describe('VPC, endpoints and flow logs for the data services'),
      terminationProtection: config.removalPolicy === 'retain',
    });
    Tags.of(this.network).add('Component', 'network');

    this.lakeStorage = new LakeStorageStack(this, 'LakeStorage', {
      config,
      stackName: stackName('lake-storage'),
      description: describe('lake bucket, key, catalog and Athena workgroup (stateful)'),
      terminationProtection: config.removalPolicy === 'retain',
    });
    Tags.of(this.lakeStorage).add('Component', 'lake-storage');
  }
}
