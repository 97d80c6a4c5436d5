import { Match, Template } from 'aws-cdk-lib/assertions';
import { validateConfig } from '../../lib/config';
import { devLike, prodLike } from '../fixtures/configs';
import { buildStageWith, snapshotOf } from '../helpers/synth';

/** Behaviour on the fixtures; the shipped environments' settings are theirs to change. */
const fixtures = { dev: devLike, prod: prodLike };

describe.each(['dev', 'prod'] as const)('alerting stack (%s)', (env) => {
  const template = Template.fromStack(buildStageWith(fixtures[env]).alerting);
  const config = validateConfig(fixtures[env], env);

  test('one topic, encrypted with a rotating key that CloudWatch alarms may use', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      },
      DeletionPolicy: env === 'prod' ? 'RetainExceptOnCreate' : 'Delete',
    });
  });

  test("this account's CloudWatch alarms may publish to the topic and use its key", () => {
    const ownAlarms = {
      StringEquals: { 'aws:SourceAccount': config.account },
      ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${config.account}:alarm:*` },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: ownAlarms,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: ownAlarms }),
        ]),
      },
    });
  });

  test('publishing requires TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('the topic and its key keep their logical ids (subscribers confirm the topic once)', () => {
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual(['AlarmsTopic3A2DFEBA']);
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual(['AlarmsKey3C2381B3']);
  });

  test('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });

  test('every configured address is subscribed by e-mail', () => {
    const endpoints = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => [
      s.Properties.Protocol,
      s.Properties.Endpoint,
    ]);
    expect(endpoints).toEqual(config.alarmEmails.map((email) => ['email', email]));
  });
});
