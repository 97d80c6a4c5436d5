import { Stack } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { BudgetConfig } from '../config/audit-schema';

/** The cost allocation tags every resource of the environment carries (lib/stages/environment-stage.ts). */
export interface CostAllocationTags {
  /** Value of the `Project` tag, such as trackman-data-platform. */
  readonly project: string;
  /** Value of the `Environment` tag, such as prod. */
  readonly environment: string;
}

export interface CostGuardsProps {
  /** Prefix of the budget, monitor and subscription names operators see in the Billing console (`trackman-prod`). */
  readonly namePrefix: string;
  /** The monthly budget in US dollars (config `monthlyBudgetUsd`). */
  readonly monthlyBudgetUsd: number;
  /** Notification thresholds and scope of the budget (config `audit.budget`). */
  readonly budget: BudgetConfig;
  /** Smallest total impact in US dollars of an anomaly that is alerted (config `audit.costAnomalies.thresholdUsd`). */
  readonly anomalyThresholdUsd: number;
  /** The tags the budget filters on (scope 'environment-tags') and whose Project value the anomaly monitor watches. */
  readonly costAllocationTags: CostAllocationTags;
  /** The alarm topic; its policy gets statements that admit AWS Budgets and Cost Anomaly Detection. */
  readonly alarmTopic: sns.ITopic;
  /** The alarm topic's KMS key; its policy gets statements that let the two services encrypt for the topic. */
  readonly alarmTopicKey: kms.IKey;
}

/**
 * A monthly AWS Budget with an actual and a forecast notification, and a Cost Anomaly
 * Detection monitor with an immediate subscription, all to the (KMS-encrypted) alarm
 * topic. Both services publish as service principals, so the topic and its key admit
 * them, for this account only.
 */
export class CostGuards extends Construct {
  public readonly budget: budgets.CfnBudget;
  public readonly anomalyMonitor: ce.CfnAnomalyMonitor;
  public readonly anomalySubscription: ce.CfnAnomalySubscription;

  constructor(scope: Construct, id: string, props: CostGuardsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { alarmTopic, alarmTopicKey, costAllocationTags: tags } = props;
    if (!(props.monthlyBudgetUsd > 0) || !(props.anomalyThresholdUsd > 0)) {
      throw new Error(
        `CostGuards ${this.node.path}: expected monthlyBudgetUsd and anomalyThresholdUsd greater than 0; received ${props.monthlyBudgetUsd} and ${props.anomalyThresholdUsd}`,
      );
    }

    // AWS Budgets: https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
    const ownBudgets = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:budgets::${stack.account}:*` },
    };
    // Cost Anomaly Detection: https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html
    const ownAnomalyAlerts = { StringEquals: { 'aws:SourceAccount': stack.account } };
    const admit = (sid: string, service: string, conditions: Record<string, unknown>) => {
      const principal = new iam.ServicePrincipal(service);
      const topicStatement = alarmTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [principal],
          actions: ['sns:Publish'],
          resources: [alarmTopic.topicArn],
          conditions,
        }),
      );
      // An SSE-KMS topic: the publishing service needs a data key for the topic, as CloudWatch does.
      const keyStatement = alarmTopicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [principal],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions,
        }),
      );
      if (!topicStatement.statementAdded || !keyStatement.statementAdded) {
        throw new Error(
          `CostGuards ${this.node.path}: could not add a policy statement for ${service} to the alarm topic or its key; expected a topic and key defined in this app, not imported ones`,
        );
      }
    };
    admit('AllowBudgetsToPublish', 'budgets.amazonaws.com', ownBudgets);
    admit('AllowCostAnomalyDetectionToPublish', 'costalerts.amazonaws.com', ownAnomalyAlerts);

    const toTopic = [{ subscriptionType: 'SNS', address: alarmTopic.topicArn }];
    const notification = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
      notification: {
        notificationType,
        comparisonOperator: 'GREATER_THAN',
        threshold,
        thresholdType: 'PERCENTAGE',
      },
      subscribers: toTopic,
    });
    const tag = (key: string, value: string) => ({
      tags: { key, values: [value], matchOptions: ['EQUALS'] },
    });
    this.budget = new budgets.CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetName: `${props.namePrefix}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyBudgetUsd, unit: 'USD' },
        filterExpression:
          props.budget.scope === 'environment-tags'
            ? { and: [tag('Project', tags.project), tag('Environment', tags.environment)] }
            : undefined,
      },
      notificationsWithSubscribers: [
        notification('ACTUAL', props.budget.actualThresholdPercent),
        notification('FORECASTED', props.budget.forecastThresholdPercent),
      ],
    });

    // A cost allocation tag monitor (CUSTOM): an account may hold only one AWS services
    // (DIMENSIONAL SERVICE) monitor, which the account may already have.
    this.anomalyMonitor = new ce.CfnAnomalyMonitor(this, 'AnomalyMonitor', {
      monitorName: `${props.namePrefix}-costs`,
      monitorType: 'CUSTOM',
      monitorSpecification: JSON.stringify({ Tags: { Key: 'Project', Values: [tags.project] } }),
    });
    this.anomalySubscription = new ce.CfnAnomalySubscription(this, 'AnomalySubscription', {
      subscriptionName: `${props.namePrefix}-cost-anomalies`,
      // SNS subscribers are notified only by IMMEDIATE subscriptions (DAILY and WEEKLY are e-mail digests).
      frequency: 'IMMEDIATE',
      monitorArnList: [this.anomalyMonitor.attrMonitorArn],
      subscribers: [{ type: 'SNS', address: alarmTopic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: {
          Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE',
          MatchOptions: ['GREATER_THAN_OR_EQUAL'],
          Values: [String(props.anomalyThresholdUsd)],
        },
      }),
    });
  }
}
