import { Annotations, Stack, Stage, Tags, type StackProps, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PROJECT_TAG, type EnvironmentConfig } from '../config';
import { budgetWarning } from '../cost/estimate';
import { AlertingStack } from '../stacks/alerting-stack';
import { IngestionStack } from '../stacks/ingestion-stack';
import { LakeStorageStack } from '../stacks/lake-storage-stack';
import { NetworkStack } from '../stacks/network-stack';
import { OperationsStack } from '../stacks/operations-stack';
import { ReplicaDatabaseStack } from '../stacks/replica-database-stack';
import { ReplicationStack } from '../stacks/replication-stack';

/** The cost-allocation tag values; every resource carries Project, Environment and Component. */
export { PROJECT_TAG };

export interface EnvironmentStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/**
 * One environment (dev, prod, ...): its stacks, wired together, in one account
 * and region. Stateful stacks (lake storage) are apart from stateless ones
 * (ingestion), so the stateless ones can be replaced freely.
 */
export class EnvironmentStage extends Stage {
  public readonly network: NetworkStack;
  public readonly lakeStorage: LakeStorageStack;
  /** dataengineering-db (created or existing); undefined when replication.enabled is false. */
  public readonly replicaDatabase?: ReplicaDatabaseStack;
  public readonly alerting: AlertingStack;
  /** AWS DMS into dataengineering-db; undefined when replication.enabled is false. */
  public readonly replication?: ReplicationStack;
  public readonly ingestion: IngestionStack;
  /** Freshness probe, alarms and dashboard; deployed last. */
  public readonly operations: OperationsStack;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });

    /**
     * Props every stack shares. The cost-allocation tags go on twice on purpose:
     * as stack tags, which CloudFormation applies to every resource that supports
     * tags (also those whose L1 construct has no Tags property), and through
     * Tags.of, which writes them into the template where `cdk diff` and the tests see them.
     */
    const stackProps = (component: string, what: string): StackProps & { config: EnvironmentConfig } => ({
      config,
      stackName: `trackman-${config.name}-${component}`,
      description: `Trackman data platform (${config.name}): ${what}`,
      tags: { Project: PROJECT_TAG, Environment: config.name, Component: component },
      terminationProtection: config.removalPolicy === 'retain',
    });
    const tagged = <T extends Stack>(stack: T): T => {
      for (const [key, value] of Object.entries(stack.tags.tagValues())) Tags.of(stack).add(key, value);
      return stack;
    };

    this.network = tagged(
      new NetworkStack(
        this,
        'Network',
        stackProps('network', 'VPC, endpoints and flow logs for the data services'),
      ),
    );
    this.lakeStorage = tagged(
      new LakeStorageStack(
        this,
        'LakeStorage',
        stackProps('lake-storage', 'lake bucket, key, catalog and Athena workgroup (stateful)'),
      ),
    );

    // --- Replication: dataengineering-db (stateful), only when the replication is enabled ---
    if (config.replication.enabled) {
      this.replicaDatabase = tagged(
        new ReplicaDatabaseStack(this, 'ReplicaDatabase', {
          ...stackProps('replica-database', 'dataengineering-db, the replication target (stateful)'),
          vpc: this.network.vpc,
          dataSubnets: this.network.dataSubnets,
          replicationSecurityGroup: this.network.replicationSecurityGroup,
        }),
      );
    }
    // --- end of dataengineering-db ---

    this.alerting = tagged(
      new AlertingStack(this, 'Alerting', stackProps('alerting', 'the alarm topic every alert goes to')),
    );

    // --- Replication: AWS DMS into dataengineering-db (stateless), with the database stack ---
    if (this.replicaDatabase !== undefined) {
      this.replication = tagged(
        new ReplicationStack(this, 'Replication', {
          ...stackProps('replication', 'AWS DMS from the sources to dataengineering-db, and its alarms'),
          vpc: this.network.vpc,
          dataSubnets: this.network.dataSubnets,
          replicationSecurityGroup: this.network.replicationSecurityGroup,
          database: this.replicaDatabase,
          alarmTopic: this.alerting.alarmTopic,
        }),
      );
    }
    // --- end of replication ---
    this.ingestion = tagged(
      new IngestionStack(this, 'Ingestion', {
        ...stackProps('ingestion', 'Glue jobs, workflow, schedule and triggers that land tables in the lake'),
        vpc: this.network.vpc,
        dataSubnets: this.network.dataSubnets,
        dataServicesSecurityGroup: this.network.dataServicesSecurityGroup,
        lakeKey: this.lakeStorage.lakeKey,
        alarmTopic: this.alerting.alarmTopic,
      }),
    );

    // --- Operations: probe, alarms and dashboard over every other stack, deployed last ---
    this.operations = tagged(
      new OperationsStack(this, 'Operations', {
        ...stackProps('operations', 'freshness probe, alarms on every component and the dashboard'),
        vpc: this.network.vpc,
        dataSubnets: this.network.dataSubnets,
        lakeKey: this.lakeStorage.lakeKey,
        alarmTopic: this.alerting.alarmTopic,
        alarmTopicForServices: { topic: this.alerting.alarmTopic, key: this.alerting.alarmTopicKey },
        stateMachine: this.ingestion.workflow.stateMachine,
        jobStateRule: this.ingestion.triggers.jobStateRule,
        ingestionFunctions: {
          'start-ingestion': this.ingestion.triggers.startIngestion.function,
          'glue-failure-notifier': this.ingestion.triggers.failureNotifier.function,
        },
        replica: this.replicaDatabase,
        createdReplica: this.replicaDatabase?.created,
        replications: this.replication?.replications,
      }),
    );
    for (const stack of this.node.children) {
      if (stack instanceof Stack && stack !== this.operations) {
        this.operations.addStackDependency(stack, 'operations watches every other stack and deploys last');
      }
    }
    // --- end of operations ---

    // The budget (operations stack) against the estimate of npm run cost: a budget below it alerts every month.
    const warning = budgetWarning(config);
    if (warning !== undefined) Annotations.of(this.operations).addWarningV2(warning.id, warning.message);
  }
}
