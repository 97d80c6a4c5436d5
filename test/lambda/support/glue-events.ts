/** A Glue Job State Change event as EventBridge delivers it, with fields to override. */
export const glueEvent = (detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'abcdef00-1234-5678-9abc-def012345678',
  'detail-type': 'Glue Job State Change',
  source: 'aws.glue',
  account: '111111111111',
  time: '2024-05-01T12:07:16Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    jobName: 'trackman-dev-ingest-trackman-backend-public-shots',
    severity: 'ERROR',
    state: 'FAILED',
    jobRunId: 'jr_0123',
    message: 'Command failed with exit code 1',
    ...detail,
  },
  ...envelope,
});
