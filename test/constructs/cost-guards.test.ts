/**
 * CostGuards in a small stack of its own, beside the real (KMS-encrypted) alarm
 * topic: the budget from monthlyBudgetUsd with its actual and forecast
 * notifications, the anomaly monitor and its immediate subscription, the topic
 * and key statements that admit AWS Budgets and Cost Anomaly Detection for this
 * account only, and no cdk-nag finding.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { validateConfig, type EnvironmentConfig } from '../../lib/config';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';
import { CostGuards } from '../../lib/constructs/cost-guards';
import { PROJECT_TAG } from '../../lib/stages/environment-stage';
import { copyOf, DEV_ACCOUNT, devLike, PROD_ACCOUNT, prodLike, REGION } from '../fixtures/configs';
import { projectContext } from '../helpers/synth';

function build(config: EnvironmentConfig) {
  const stack = new Stack(
    new App({ context: projectContext(), builtinCloudFormationValidation: false }),
    'CostGuardsTest',
    {
      env: { account: config.account, region: config.region },
    },
  );
  const alarms = new AlarmTopic(stack, 'Alarms', {
    emails: config.alarmEmails,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const guards = new CostGuards(stack, 'CostGuards', {
    namePrefix: `trackman-${config.name}`,
    monthlyBudgetUsd: config.monthlyBudgetUsd,
    budget: config.audit.budget,
    anomalyThresholdUsd: config.audit.costAnomalies.thresholdUsd,
    costAllocationTags: { project: PROJECT_TAG, environment: config.name },
    alarmTopic: alarms.topic,
    alarmTopicKey: alarms.key,
  });
  return { stack, alarms, guards, template: Template.fromStack(stack) };
}

describe.each([
  ['dev', validateConfig(devLike, 'dev'), DEV_ACCOUNT, 300],
  ['prod', validateConfig(prodLike, 'prod'), PROD_ACCOUNT, 2000],
])('CostGuards (%s-like)', (name, config, account, budgetUsd) => {
  // The tag-filtered scope a shared account needs; the default, 'account', is tested below.
  const { stack, alarms, template } = build({
    ...config,
    audit: { ...config.audit, budget: { ...config.audit.budget, scope: 'environment-tags' } },
  });
  const topicRef = { Ref: stack.getLogicalId(alarms.topic.node.defaultChild as never) };

  test('a monthly cost budget of monthlyBudgetUsd, filtered to the environment by its cost allocation tags', () => {
    template.resourceCountIs('AWS::Budgets::Budget', 1);
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetName: `trackman-${name}-monthly`,
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: budgetUsd, Unit: 'USD' },
        FilterExpression: {
          And: [
            { Tags: { Key: 'Project', Values: [PROJECT_TAG], MatchOptions: ['EQUALS'] } },
            { Tags: { Key: 'Environment', Values: [name], MatchOptions: ['EQUALS'] } },
          ],
        },
      },
    });
  });

  test('notifies the alarm topic at 80% of actual and 100% of forecast cost', () => {
    template.hasResourceProperties('AWS::Budgets::Budget', {
      NotificationsWithSubscribers: [
        {
          Notification: {
            NotificationType: 'ACTUAL',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 80,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'SNS', Address: topicRef }],
        },
        {
          Notification: {
            NotificationType: 'FORECASTED',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 100,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'SNS', Address: topicRef }],
        },
      ],
    });
  });

  test('a cost allocation tag anomaly monitor with an immediate subscription to the topic at the threshold', () => {
    template.hasResourceProperties('AWS::CE::AnomalyMonitor', {
      MonitorName: `trackman-${name}-costs`,
      MonitorType: 'CUSTOM',
      MonitorSpecification: Match.serializedJson({ Tags: { Key: 'Project', Values: [PROJECT_TAG] } }),
    });
    template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      SubscriptionName: `trackman-${name}-cost-anomalies`,
      Frequency: 'IMMEDIATE',
      MonitorArnList: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('AnomalyMonitor'), 'MonitorArn'] }],
      Subscribers: [{ Type: 'SNS', Address: topicRef }],
      ThresholdExpression: Match.serializedJson({
        Dimensions: {
          Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE',
          MatchOptions: ['GREATER_THAN_OR_EQUAL'],
          Values: ['100'],
        },
      }),
    });
  });

  const budgetsCondition = {
    StringEquals: { 'aws:SourceAccount': account },
    ArnLike: { 'aws:SourceArn': `arn:aws:budgets::${account}:*` },
  };
  const anomalyCondition = { StringEquals: { 'aws:SourceAccount': account } };

  test('the topic admits AWS Budgets and Cost Anomaly Detection, for this account only', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowBudgetsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef,
            Condition: budgetsCondition,
          },
          {
            Sid: 'AllowCostAnomalyDetectionToPublish',
            Effect: 'Allow',
            Principal: { Service: 'costalerts.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef,
            Condition: anomalyCondition,
          },
        ]),
      },
    });
  });

  test("the topic's key lets both services encrypt for the topic, for this account only", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowBudgetsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: budgetsCondition,
          },
          {
            Sid: 'AllowCostAnomalyDetectionToPublish',
            Effect: 'Allow',
            Principal: { Service: 'costalerts.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: anomalyCondition,
          },
        ]),
      },
    });
  });

  test('cdk-nag reports nothing', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.resourceLogicalId}`,
      ),
    );
    expect(findings).toEqual([]);
  });
});

describe('CostGuards: configured thresholds and scope', () => {
  test("thresholds from config; 'account' scope has no filter", () => {
    const input = copyOf(devLike);
    input.audit = {
      budget: { actualThresholdPercent: 50, forecastThresholdPercent: 90, scope: 'account' },
      costAnomalies: { thresholdUsd: 25.5 },
    };
    const { template } = build(validateConfig(input, 'dev'));
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        FilterExpression: Match.absent(),
        BudgetLimit: { Amount: 300, Unit: 'USD' },
      }),
      NotificationsWithSubscribers: [
        Match.objectLike({ Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: 50 }) }),
        Match.objectLike({
          Notification: Match.objectLike({ NotificationType: 'FORECASTED', Threshold: 90 }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      ThresholdExpression: Match.serializedJson(
        Match.objectLike({ Dimensions: Match.objectLike({ Values: ['25.5'] }) }),
      ),
    });
  });

  test('an imported topic is refused, with the reason', () => {
    const stack = new Stack(new App({ context: projectContext() }), 'Imported', {
      env: { account: DEV_ACCOUNT, region: REGION },
    });
    const config = validateConfig(devLike, 'dev');
    expect(
      () =>
        new CostGuards(stack, 'CostGuards', {
          namePrefix: 'trackman-dev',
          monthlyBudgetUsd: 300,
          budget: config.audit.budget,
          anomalyThresholdUsd: 100,
          costAllocationTags: { project: PROJECT_TAG, environment: 'dev' },
          alarmTopic: sns.Topic.fromTopicArn(stack, 'Topic', `arn:aws:sns:${REGION}:${DEV_ACCOUNT}:alarms`),
          alarmTopicKey: kms.Key.fromKeyArn(
            stack,
            'Key',
            `arn:aws:kms:${REGION}:${DEV_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
          ),
        }),
    ).toThrow(
      'CostGuards Imported/CostGuards: could not add a policy statement for budgets.amazonaws.com to the alarm topic or its key; expected a topic and key defined in this app, not imported ones',
    );
  });
});
