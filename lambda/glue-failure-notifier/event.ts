/**
 * The EventBridge event the function accepts: a Glue Job State Change in one
 * of the states the rule forwards.
 */
import * as z from 'zod/mini';
import { parseOrThrow } from '../shared/validation';

/**
 * Glue's own limits: a job name and a job run id are 1-255 characters
 * (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html,
 * https://docs.aws.amazon.com/glue/latest/webapi/API_RunIdentifier.html). A longer one
 * cannot come from Glue, and would otherwise be repeated in every line of the alert.
 */
export const MAX_GLUE_NAME_LENGTH = 255;
const JOB_NAME = `a Glue job name of 1-${MAX_GLUE_NAME_LENGTH} characters`;
const RUN_ID = `a Glue job run id of 1-${MAX_GLUE_NAME_LENGTH} characters`;
const EVENT_TIME = 'the event time, e.g. "2024-05-01T12:00:00Z"';

/** The states the notifier reports; the EventBridge rule forwards only these. */
export const FAILURE_STATES = ['FAILED', 'TIMEOUT', 'STOPPED'] as const;
export type FailureState = (typeof FAILURE_STATES)[number];

const GlueJobStateChangeSchema = z.looseObject(
  {
    'detail-type': z.literal('Glue Job State Change', { error: '"Glue Job State Change"' }),
    source: z.literal('aws.glue', { error: '"aws.glue"' }),
    account: z
      .string({ error: 'an AWS account id' })
      .check(z.regex(/^\d{12}$/, { error: 'a 12-digit AWS account id' })),
    region: z
      .string({ error: 'an AWS region name' })
      .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'an AWS region name such as eu-west-1' })),
    time: z.string({ error: EVENT_TIME }).check(z.maxLength(64, { error: EVENT_TIME })),
    detail: z.looseObject(
      {
        jobName: z
          .string({ error: JOB_NAME })
          .check(z.minLength(1, { error: JOB_NAME }), z.maxLength(MAX_GLUE_NAME_LENGTH, { error: JOB_NAME })),
        jobRunId: z
          .string({ error: RUN_ID })
          .check(z.minLength(1, { error: RUN_ID }), z.maxLength(MAX_GLUE_NAME_LENGTH, { error: RUN_ID })),
        state: z.enum(FAILURE_STATES, {
          error: `one of ${FAILURE_STATES.join(', ')} (the states the rule forwards)`,
        }),
        message: z.optional(z.string({ error: 'a message as a string' })),
      },
      { error: 'the detail of a Glue Job State Change' },
    ),
  },
  { error: 'an EventBridge Glue Job State Change event' },
);

/** The part of the event the notification needs. */
export interface JobStateChange {
  readonly jobName: string;
  readonly runId: string;
  readonly state: FailureState;
  readonly account: string;
  readonly region: string;
  /** When EventBridge saw the change (ISO 8601). */
  readonly time: string;
  /** Glue's short description of the change. */
  readonly message?: string;
}

/**
 * Checks the event and keeps what the notification needs.
 * @throws ValidationError naming each wrong field; nothing may be published when it throws.
 */
export function parseJobStateChange(event: unknown): JobStateChange {
  const parsed = parseOrThrow(
    GlueJobStateChangeSchema,
    event,
    'Invalid Glue Job State Change event',
    '(event)',
  );
  return {
    jobName: parsed.detail.jobName,
    runId: parsed.detail.jobRunId,
    state: parsed.detail.state,
    account: parsed.account,
    region: parsed.region,
    time: parsed.time,
    message: parsed.detail.message,
  };
}
