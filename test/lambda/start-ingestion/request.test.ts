import { ValidationError } from '../../../lambda/shared/validation';
import { planIngestion, triggerKind } from '../../../lambda/start-ingestion/request';
import { INGESTION_TABLES } from '../support/ingestion-tables';

const [sessions, shots, players, facilities] = INGESTION_TABLES;

/** The problems of the ValidationError that `fn` throws. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

const eventBridge = (detail: unknown) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Lake ingestion requested',
  source: 'trackman.operations',
  account: '111111111111',
  time: '2024-05-01T12:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

const fromDatabase = (overrides: Record<string, unknown> = {}) => ({
  source: 'trackman-backend',
  tables: ['public.shots'],
  origin: 'database',
  operation: 'INSERT',
  at: '2024-05-01T12:00:00.123456Z',
  ...overrides,
});

describe('triggerKind', () => {
  it.each([
    [{ source: 'trackman-backend' }, 'manual'],
    [eventBridge({ source: 'trackman-backend' }), 'event'],
    [{ 'detail-type': 'x' }, 'event'],
    [fromDatabase(), 'database'],
    ['not an object', 'manual'],
  ])('classifies %j as %s', (event, kind) => {
    expect(triggerKind(event)).toBe(kind);
  });
});

describe('planIngestion: accepted events', () => {
  it('a direct invocation without tables covers every table of the source, in config order', () => {
    expect(planIngestion({ source: 'trackman-backend' }, INGESTION_TABLES)).toEqual({
      trigger: 'manual',
      source: 'trackman-backend',
      tables: [sessions, shots, players, facilities],
    });
  });

  it('a direct invocation with a subset returns the configured entries in config order', () => {
    const plan = planIngestion(
      { source: 'trackman-backend', tables: ['public.players', 'public.sessions'] },
      INGESTION_TABLES,
    );
    expect(plan.tables).toEqual([sessions, players]);
  });

  it('an EventBridge event takes source and tables from detail, not the envelope source', () => {
    const plan = planIngestion(
      eventBridge({ source: 'trackman-backend', tables: ['public.shots'] }),
      INGESTION_TABLES,
    );
    expect(plan).toEqual({ trigger: 'event', source: 'trackman-backend', tables: [shots] });
  });

  it('an EventBridge event without tables covers the whole source', () => {
    const plan = planIngestion(eventBridge({ source: 'booking-service' }), INGESTION_TABLES);
    expect(plan.tables).toEqual([INGESTION_TABLES[4]]);
  });

  it('the database trigger payload', () => {
    expect(planIngestion(fromDatabase(), INGESTION_TABLES)).toEqual({
      trigger: 'database',
      source: 'trackman-backend',
      tables: [shots],
    });
  });

  it('accepts a database timestamp with an offset', () => {
    expect(
      planIngestion(fromDatabase({ at: '2024-05-01T14:00:00.5+02:00' }), INGESTION_TABLES).tables,
    ).toEqual([shots]);
  });

  it('matches table names case-insensitively and returns the configured spelling', () => {
    const plan = planIngestion({ source: 'trackman-backend', tables: ['PUBLIC.Shots'] }, INGESTION_TABLES);
    expect(plan.tables).toEqual([shots]);
  });
});

describe('planIngestion: rejected events name the field, the value and what was expected', () => {
  it.each<[string, unknown, string[]]>([
    ['a non-object', 42, ['(event): expected an object { "source": ..., "tables"?: [...] }; received 42']],
    ['null', null, ['(event): expected an object { "source": ..., "tables"?: [...] }; received null']],
    ['an array', [], ['(event): expected an object { "source": ..., "tables"?: [...] }; received []']],
    [
      'a missing source',
      { tables: ['public.shots'] },
      ['source: expected a source name as a string, e.g. "trackman-backend"; received nothing'],
    ],
    [
      'a source that is not a string',
      { source: 7 },
      ['source: expected a source name as a string, e.g. "trackman-backend"; received 7'],
    ],
    [
      'an unknown source',
      { source: 'trackman-frontend' },
      ['source: expected one of "trackman-backend", "booking-service"; received "trackman-frontend"'],
    ],
    [
      'a misspelt field (which would otherwise silently mean every table)',
      { source: 'trackman-backend', table: ['public.shots'] },
      ['table: expected only the fields source, tables; received an unexpected field'],
    ],
    [
      'tables that is not a list',
      { source: 'trackman-backend', tables: 'public.shots' },
      [
        'tables: expected a list of table names "schema.name", e.g. ["public.shots"]; received "public.shots"',
      ],
    ],
    [
      'a table that is not a string',
      { source: 'trackman-backend', tables: [{ name: 'shots' }] },
      ['tables[0]: expected a table name "schema.name" as a string; received {"name":"shots"}'],
    ],
    [
      'an empty table list',
      { source: 'trackman-backend', tables: [] },
      [
        'tables: expected at least one table (leave "tables" out to ingest every table of the source); received []',
      ],
    ],
    [
      'a table without schema',
      { source: 'trackman-backend', tables: ['shots'] },
      ['tables[0]: expected a table name "schema.name", e.g. "public.shots"; received "shots"'],
    ],
    [
      'an unknown table',
      { source: 'trackman-backend', tables: ['public.shots', 'public.swings'] },
      [
        'tables[1]: expected a table of source trackman-backend (public.sessions, public.shots, public.players, public.facilities); received "public.swings"',
      ],
    ],
    [
      "another source's table",
      { source: 'trackman-backend', tables: ['booking.reservations'] },
      [
        'tables[0]: expected a table of source trackman-backend (public.sessions, public.shots, public.players, public.facilities); received "booking.reservations"',
      ],
    ],
    [
      'a duplicate, also in another case',
      { source: 'trackman-backend', tables: ['public.shots', 'public.players', 'PUBLIC.SHOTS'] },
      [
        'tables[2]: expected each table once (the same table as tables[0], compared case-insensitively); received "PUBLIC.SHOTS"',
      ],
    ],
  ])('direct invocation with %s', (_case, event, problems) => {
    expect(problemsOf(() => planIngestion(event, INGESTION_TABLES))).toEqual(problems);
  });

  it('lists every problem of a table list, not only the first', () => {
    expect(
      problemsOf(() =>
        planIngestion(
          { source: 'trackman-backend', tables: ['public.shots', 'public.shots', 'shots', 'public.swings'] },
          INGESTION_TABLES,
        ),
      ),
    ).toHaveLength(3);
  });

  it('says which shape it took the event for in the first line', () => {
    expect(() => planIngestion({ source: 'nope' }, INGESTION_TABLES)).toThrow(
      'Invalid ingestion trigger (direct invocation):\n  - source: expected one of',
    );
  });

  it.each<[string, unknown, string[]]>([
    [
      'without detail',
      { 'detail-type': 'Lake ingestion requested', source: 'trackman.operations' },
      ['detail: expected an object { "source": ..., "tables"?: [...] }; received nothing'],
    ],
    [
      'with an unknown source in detail',
      eventBridge({ source: 'trackman.operations' }),
      [
        'detail.source: expected one of "trackman-backend", "booking-service"; received "trackman.operations"',
      ],
    ],
    [
      'with an empty table list in detail',
      eventBridge({ source: 'trackman-backend', tables: [] }),
      [
        'detail.tables: expected at least one table (leave "tables" out to ingest every table of the source); received []',
      ],
    ],
    [
      'with an unexpected field in detail',
      eventBridge({ source: 'trackman-backend', all: true }),
      ['detail.all: expected only the fields source, tables; received an unexpected field'],
    ],
    [
      'without detail-type',
      { source: 'trackman.operations', detail: { source: 'trackman-backend' } },
      ['detail-type: expected the EventBridge detail-type as a string; received nothing'],
    ],
  ])('EventBridge event %s', (_case, event, problems) => {
    expect(problemsOf(() => planIngestion(event, INGESTION_TABLES))).toEqual(problems);
  });

  it.each<[string, unknown, string[]]>([
    ['a wrong origin', fromDatabase({ origin: 'db' }), ['origin: expected "database"; received "db"']],
    [
      'another operation',
      fromDatabase({ operation: 'DELETE' }),
      ['operation: expected "INSERT"; received "DELETE"'],
    ],
    [
      'a bad timestamp',
      fromDatabase({ at: 'yesterday' }),
      ['at: expected an ISO 8601 timestamp, e.g. "2024-05-01T12:00:00.000000Z"; received "yesterday"'],
    ],
    [
      'no tables',
      fromDatabase({ tables: undefined }),
      ['tables: expected a list of table names "schema.name", e.g. ["public.shots"]; received nothing'],
    ],
    [
      'an extra field',
      fromDatabase({ rows: 500 }),
      ['rows: expected only the fields source, tables, origin, operation, at; received an unexpected field'],
    ],
    [
      'an unattached table',
      fromDatabase({ tables: ['public.audit_log'] }),
      [
        'tables[0]: expected a table of source trackman-backend (public.sessions, public.shots, public.players, public.facilities); received "public.audit_log"',
      ],
    ],
  ])('database payload with %s', (_case, event, problems) => {
    expect(problemsOf(() => planIngestion(event, INGESTION_TABLES))).toEqual(problems);
  });
});
