import { executionArn, executionName, workflowInput } from '../../../lambda/start-ingestion/execution';
import { INGESTION_TABLES, STATE_MACHINE_ARN } from '../support/ingestion-tables';

const [sessions, shots, players] = INGESTION_TABLES;
const NOON = Date.parse('2024-05-01T12:00:00Z');

describe('executionName', () => {
  it('names the source, the start of the time bucket (UTC) and a hash of the tables', () => {
    expect(executionName('trackman-backend', [shots], NOON + 59_999, 60)).toMatch(
      /^trackman-backend-20240501T120000Z-[0-9a-f]{16}$/,
    );
  });

  it('is the same within a bucket and differs in the next one', () => {
    const first = executionName('trackman-backend', [shots], NOON, 60);
    expect(executionName('trackman-backend', [shots], NOON + 59_999, 60)).toBe(first);
    expect(executionName('trackman-backend', [shots], NOON + 60_000, 60)).not.toBe(first);
  });

  it('follows the window width', () => {
    const first = executionName('trackman-backend', [shots], NOON, 300);
    expect(executionName('trackman-backend', [shots], NOON + 299_000, 300)).toBe(first);
    expect(executionName('trackman-backend', [shots], NOON + 300_000, 300)).not.toBe(first);
  });

  it('does not depend on the order of the tables', () => {
    expect(executionName('trackman-backend', [players, sessions, shots], NOON, 60)).toBe(
      executionName('trackman-backend', [shots, players, sessions], NOON, 60),
    );
  });

  it('differs for another set of tables or another source', () => {
    const name = executionName('trackman-backend', [shots, players], NOON, 60);
    expect(executionName('trackman-backend', [shots], NOON, 60)).not.toBe(name);
    expect(executionName('trackman-backend', [shots, players, sessions], NOON, 60)).not.toBe(name);
    expect(executionName('booking-service', [shots, players], NOON, 60)).not.toBe(name);
  });

  it('fits Step Functions rules for the longest source and a long table list', () => {
    const longSource = `s${'x'.repeat(38)}z`;
    const many = Array.from({ length: 200 }, (_, i) => ({
      source: longSource,
      table: `schema_${i}.table_${i}`,
      jobName: `job-${i}`,
    }));
    const name = executionName(longSource, many, NOON, 60);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('executionArn', () => {
  it('is the execution ARN of the state machine', () => {
    expect(executionArn(STATE_MACHINE_ARN, 'trackman-backend-20240501T120000Z-0123456789abcdef')).toBe(
      'arn:aws:states:eu-west-1:111111111111:execution:LakeIngestionWorkflow:trackman-backend-20240501T120000Z-0123456789abcdef',
    );
  });
});

describe('workflowInput', () => {
  it('carries the trigger and the configured entries unchanged', () => {
    expect(workflowInput('database', [shots])).toEqual({ trigger: 'database', tables: [shots] });
  });
});
