import { parseConfig } from '../../../lambda/start-ingestion/config';
import { INGESTION_TABLES, STATE_MACHINE_ARN } from '../support/ingestion-tables';

const VALID = {
  STATE_MACHINE_ARN,
  INGESTION_TABLES: JSON.stringify(INGESTION_TABLES),
  DEDUP_WINDOW_SECONDS: '60',
};

describe('parseConfig', () => {
  it('reads a valid environment', () => {
    expect(parseConfig(VALID)).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      tables: INGESTION_TABLES,
      dedupWindowSeconds: 60,
    });
  });

  it('ignores the rest of the environment', () => {
    expect(() => parseConfig({ ...VALID, AWS_SECRET_ACCESS_KEY: 'not for messages' })).not.toThrow();
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      'a missing ARN',
      { STATE_MACHINE_ARN: undefined },
      'STATE_MACHINE_ARN: expected the ARN of the ingestion state machine; received nothing',
    ],
    [
      'an ARN of something else',
      { STATE_MACHINE_ARN: 'arn:aws:lambda:eu-west-1:111111111111:function:x' },
      'STATE_MACHINE_ARN: expected the ARN of a state machine (arn:aws:states:<region>:<account>:stateMachine:<name>); received "arn:aws:lambda:eu-west-1:111111111111:function:x"',
    ],
    [
      'tables that are not JSON',
      { INGESTION_TABLES: '[{source:' },
      'INGESTION_TABLES: expected the configured lake tables as JSON (',
    ],
    [
      'an empty table list',
      { INGESTION_TABLES: '[]' },
      'INGESTION_TABLES: expected at least one table; received []',
    ],
    [
      'a table entry without job',
      { INGESTION_TABLES: JSON.stringify([{ source: 'trackman-backend', table: 'public.shots' }]) },
      'INGESTION_TABLES[0].jobName: expected a Glue job name as a string; received nothing',
    ],
    [
      'a table without schema',
      { INGESTION_TABLES: JSON.stringify([{ source: 'trackman-backend', table: 'shots', jobName: 'j' }]) },
      'INGESTION_TABLES[0].table: expected a table name "schema.name", e.g. "public.shots"; received "shots"',
    ],
    [
      'a duplicate table',
      {
        INGESTION_TABLES: JSON.stringify([
          { source: 'trackman-backend', table: 'public.shots', jobName: 'a' },
          { source: 'trackman-backend', table: 'Public.Shots', jobName: 'b' },
        ]),
      },
      'INGESTION_TABLES[1].table: expected each table of a source once (entry [0] names the same table, compared case-insensitively); received "Public.Shots"',
    ],
    [
      'a window that is not a number',
      { DEDUP_WINDOW_SECONDS: 'a minute' },
      'DEDUP_WINDOW_SECONDS: expected a whole number of seconds from 1 to 86400; received "a minute"',
    ],
    [
      'a zero window',
      { DEDUP_WINDOW_SECONDS: '0' },
      'DEDUP_WINDOW_SECONDS: expected a whole number of seconds from 1 to 86400; received 0',
    ],
    [
      'a missing window',
      { DEDUP_WINDOW_SECONDS: undefined },
      'DEDUP_WINDOW_SECONDS: expected a whole number of seconds; received nothing',
    ],
  ])('rejects %s', (_case, overrides, message) => {
    expect(() => parseConfig({ ...VALID, ...overrides })).toThrow(message);
  });

  it('starts its message with what is wrong', () => {
    expect(() => parseConfig({})).toThrow(
      /^Invalid environment of the start-ingestion function:\n {2}- STATE_MACHINE_ARN/,
    );
  });
});
