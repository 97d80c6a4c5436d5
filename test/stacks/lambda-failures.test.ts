/**
 * Failures of the asynchronously invoked functions never vanish: every
 * function of the ingestion stack sends the record of an invocation that
 * failed for good to one KMS-encrypted, TLS-only queue, its role may send there,
 * and an alarm on that queue notifies the alarm topic.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config';
import { buildStage, withNestedStacks } from '../helpers/synth';

const ENVIRONMENTS = ['dev', 'prod'] as const;
const templates = Object.fromEntries(
  ENVIRONMENTS.map((env) => [env, withNestedStacks(buildStage(env).ingestion)]),
) as Record<(typeof ENVIRONMENTS)[number], Template>;

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function onlyId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** Logical ids of the failure queue and its key, found through the queue's own properties. */
function failureQueue(template: Template): { queueId: string; keyId: string } {
  const queues = template.findResources('AWS::SQS::Queue') as Resources;
  const matches = Object.entries(queues).filter(([id]) => id.startsWith('TriggersFailedInvocationsQueue'));
  expect(matches).toHaveLength(1);
  const [queueId, queue] = matches[0];
  const keyId = queue.Properties.KmsMasterKeyId?.['Fn::GetAtt']?.[0] as string;
  expect(keyId).toBeDefined();
  return { queueId, keyId };
}

function functionId(template: Template, description: string): string {
  return onlyId(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp(description) });
}

/** Every statement of the inline policies attached to a function's role. */
function roleStatements(template: Template, fnId: string): any[] {
  const fn = (template.findResources('AWS::Lambda::Function') as Resources)[fnId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  }) as Resources;
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

describe.each(ENVIRONMENTS)('failed asynchronous invocations (%s)', (env) => {
  const template = templates[env];
  const config = loadConfig(env);
  const functions = [
    {
      name: 'start-ingestion',
      description: '^Starts a lake ingestion run',
      // A request older than one schedule interval has been served by the schedule.
      maxEventAge: config.ingestion.scheduleIntervalMinutes * 60,
    },
    {
      name: 'glue-failure-notifier',
      description: '^Turns failed lake ingestion job runs',
      maxEventAge: 7200,
    },
  ];

  test('every function of the stack has an on-failure destination', () => {
    const fnIds = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(fnIds.length).toBeGreaterThanOrEqual(2);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig') as Resources);
    const covered = configs
      .filter((c) => c.Properties.DestinationConfig?.OnFailure?.Destination !== undefined)
      .map((c) => c.Properties.FunctionName.Ref as string);
    expect(covered.sort()).toEqual(fnIds.sort());
  });

  test.each(functions)(
    '$name: at most 2 retries, a bounded event age, then the record goes to the failure queue',
    ({ description, maxEventAge }) => {
      const { queueId } = failureQueue(template);
      const fnId = functionId(template, description);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: maxEventAge,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      // Lambda's limits: 0-2 retries, an age from 60 s to 6 h.
      expect(maxEventAge).toBeGreaterThanOrEqual(60);
      expect(maxEventAge).toBeLessThanOrEqual(6 * 3600);
    },
  );

  test.each(functions)(
    "$name: its execution role may send to the queue and use the queue's key",
    ({ description }) => {
      const { queueId, keyId } = failureQueue(template);
      const statements = roleStatements(template, functionId(template, description));
      const onQueue = statements.filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
      );
      expect(onQueue.flatMap((s) => asList(s.Action))).toContain('sqs:SendMessage');
      const onKey = statements.filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }),
      );
      const keyActions = onKey.flatMap((s) => asList(s.Action));
      // What SQS asks of a producer on an SSE-KMS queue.
      expect(keyActions).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']));
      for (const s of [...onQueue, ...onKey]) expect(s.Effect).toBe('Allow');
    },
  );

  test('the queue is encrypted with its own rotating key, keeps records 14 days and refuses requests without TLS', () => {
    const { queueId, keyId } = failureQueue(template);
    const queue = (template.findResources('AWS::SQS::Queue') as Resources)[queueId];
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const key = (template.findResources('AWS::KMS::Key') as Resources)[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    // No service principal uses the key: Lambda sends with the execution role, which the key
    // admits through IAM (the account-root statement), so that is the only statement.
    expect(key.Properties.KeyPolicy.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: expect.stringMatching(/:root$/) } }),
    ]);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('every new failure record pages again, even while the queue is not empty', () => {
    const { queueId } = failureQueue(template);
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: {
          MetricName: 'NumberOfMessagesSent',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        },
      }) as Resources,
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0].Properties).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(alarms[0].Properties.AlarmActions)).toContain('AlarmsTopic');
  });

  test('an alarm on any waiting record notifies the alarm topic, and again when the queue is empty', () => {
    const { queueId } = failureQueue(template);
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        },
      }) as Resources,
    );
    expect(alarms).toHaveLength(1);
    const alarm = alarms[0].Properties;
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.AlarmDescription).toMatch(/start-ingestion.*Glue failure notifier.*docs\/runbook\.md/);
    for (const actions of [alarm.AlarmActions, alarm.OKActions]) {
      expect(actions).toHaveLength(1);
      expect(JSON.stringify(actions)).toContain('AlarmsTopic');
    }
  });
});
