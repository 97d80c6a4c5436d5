import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterAlarm, deadLetterQueue } from './dead-letter-alarm';

export interface FailedInvocationsProps {
  /** What a record in the queue means and what to do, for the person paged (the alarm's description). */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
}

export interface AsyncFailureOptions {
  /**
   * Times Lambda retries an asynchronous invocation that returned an error (0-2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps an event in its asynchronous queue before it gives up on it
   * (1 minute to 6 hours); a discarded event becomes a failure record too.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

/**
 * Where asynchronous invocations of the project's functions end up when they
 * fail for good, and the alarm that says so.
 *
 * EventBridge (and the database's `aws_lambda.invoke(..., 'Event')`) invoke
 * Lambda asynchronously: once Lambda has accepted the event, the caller's
 * dead-letter queue never hears of it again. A function error, a throttle that
 * outlasts `maxEventAge` or reserved concurrency 0 is only visible in Lambda's
 * own on-failure destination
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * This construct is that destination: a KMS-encrypted, TLS-only queue, and a
 * {@link DeadLetterAlarm} on the alarm topic while any record waits in it.
 *
 * Lambda sends the invocation record with the function's execution role, so
 * {@link attach} grants that role `sqs:SendMessage` on the queue and the data-key
 * actions SQS needs from a producer of an SSE-KMS queue (`kms:GenerateDataKey`,
 * `kms:Decrypt`: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 * No AWS service principal touches the key, so its policy is the CDK default:
 * it delegates to IAM in this account, which is all a same-account role needs.
 */
export class FailedInvocations extends Construct {
  public readonly key: kms.Key;
  public readonly queue: sqs.Queue;
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailedInvocationsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the records of failed asynchronous Lambda invocations of lake ingestion',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.queue = deadLetterQueue(this, 'Queue', {
      encryptionKey: this.key,
      removalPolicy: props.removalPolicy,
      isDeadLetterQueueOf:
        'This queue is itself the on-failure destination of the functions; nothing consumes it but a person.',
    });
    this.alarm = new DeadLetterAlarm(this, 'Alarm', {
      queue: this.queue,
      description: props.description,
      alarmTopic: props.alarmTopic,
    }).alarm;
  }

  /**
   * Bounds the asynchronous retries of `fn` and sends the record of every
   * invocation that still fails, or expires, to the queue.
   */
  public attach(fn: lambda.Function, options: AsyncFailureOptions = {}): void {
    fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.queue),
      retryAttempts: options.retryAttempts ?? 2,
      maxEventAge: options.maxEventAge ?? Duration.hours(6),
    });
    // SqsDestination grants the role sqs:SendMessage on the queue and, through the queue's
    // grantSendMessages, kms:GenerateDataKey* and kms:Decrypt on its key (tested).
    if (fn.role !== undefined) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        Validations.of(fn.role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'Sending to the SSE-KMS failure queue needs data keys of its key (grantSendMessages); the grant is on that key only.',
        });
      }
    }
  }
}
