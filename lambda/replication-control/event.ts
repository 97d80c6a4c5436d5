/**
 * The two event shapes the function receives from the CDK Provider framework,
 * checked with zod/mini: a CloudFormation custom resource request (onEvent),
 * and the same request with what onEvent returned merged in (isComplete).
 * Everything here is pure.
 */
import * as z from 'zod/mini';
import { parseOrThrow, ValidationError } from '../shared/validation';
import { CONTROL_PROPERTIES as P, MAX_TABLES, type ControlRole, type ReplicationKind } from './contract';

/** ReplicationConfigIdentifier and ReplicationTaskIdentifier: 1-255 letters, digits, hyphens; a letter first; no "--" or trailing "-". */
export const REPLICATION_IDENTIFIER = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
/** `arn:<partition>:dms:<region>:<account>:replication-config:<id>` or `...:task:<id>`. */
export const REPLICATION_ARN =
  /^arn:aws[a-z-]*:dms:[a-z0-9-]+:\d{12}:(replication-config|task):[A-Za-z0-9-]{1,255}$/;
const SETTINGS_HASH = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** The ARN resource type each kind of replication has. */
export const ARN_TYPE: Readonly<Record<ReplicationKind, string>> = {
  serverless: 'replication-config',
  instance: 'task',
};

const IDENTIFIER_RULE = 'a DMS identifier: 1-255 letters, digits and hyphens, starting with a letter';

const identifier = z
  .string({ error: 'the replication identifier as a string' })
  .check(
    z.maxLength(255, { error: IDENTIFIER_RULE }),
    z.regex(REPLICATION_IDENTIFIER, { error: IDENTIFIER_RULE }),
  );
const arn = z.string({ error: 'the replication ARN as a string' }).check(
  z.regex(REPLICATION_ARN, {
    error: 'a DMS replication config or task ARN (arn:aws:dms:<region>:<account>:replication-config:<id>)',
  }),
);

const name = (what: string) =>
  z
    .string({ error: `the ${what} name as a string` })
    .check(
      z.minLength(1, { error: `a ${what} name` }),
      z.maxLength(128, { error: `a ${what} name of at most 128 characters` }),
    );

/** A source table as ReloadTables names it. */
const TableSchema = z.strictObject(
  { SchemaName: name('schema'), TableName: name('table') },
  { error: 'a table: { SchemaName, TableName }' },
);
const TablesSchema = z
  .array(TableSchema, { error: 'a list of tables' })
  .check(z.maxLength(MAX_TABLES, { error: `at most ${MAX_TABLES} tables` }));

/** A source table a replication task reads. */
export interface SourceTable {
  readonly SchemaName: string;
  readonly TableName: string;
}

const PropertiesSchema = z
  .looseObject(
    {
      [P.role]: z.enum(['BeforeChange', 'AfterChange'], { error: '"BeforeChange" or "AfterChange"' }),
      [P.kind]: z.enum(['serverless', 'instance'], { error: '"serverless" or "instance"' }),
      [P.identifier]: identifier,
      [P.arn]: z.optional(arn),
      [P.settingsHash]: z
        .string({ error: 'the settings hash as a string' })
        .check(z.regex(SETTINGS_HASH, { error: '1-128 characters of a hash (letters, digits, ._:+/=-)' })),
      [P.tables]: z.optional(TablesSchema),
      [P.targetSchema]: z.optional(name('target schema')),
    },
    { error: 'an object of custom resource properties' },
  )
  .check(
    z.superRefine((props, ctx) => {
      const given = props[P.arn];
      if (props[P.role] === 'AfterChange' && given === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [P.arn],
          input: given,
          message: 'the replication ARN (AfterChange takes it from the replication resource)',
        });
      }
      const type = given === undefined ? undefined : REPLICATION_ARN.exec(given)?.[1];
      if (type !== undefined && type !== ARN_TYPE[props[P.kind]]) {
        ctx.addIssue({
          code: 'custom',
          path: [P.arn],
          input: given,
          message: `a ${ARN_TYPE[props[P.kind]]} ARN, as Kind is "${props[P.kind]}"`,
        });
      }
    }),
  );

/** Old properties are only compared, never acted on: they may come from an older version of the construct. */
const OldPropertiesSchema = z.looseObject(
  {
    [P.settingsHash]: z.optional(z.string()),
    [P.arn]: z.optional(z.string()),
    [P.identifier]: z.optional(z.string()),
    // Another kind than now: the replication is being switched between DMS Serverless and a task.
    [P.kind]: z.optional(z.enum(['serverless', 'instance'])),
    // Unchecked beyond its shape: a list that does not parse counts as unknown (no reload), never as an error.
    [P.tables]: z.optional(z.unknown()),
  },
  { error: 'an object of the previous custom resource properties' },
);

const REQUEST_SHAPE = {
  RequestType: z.enum(['Create', 'Update', 'Delete'], { error: '"Create", "Update" or "Delete"' }),
  LogicalResourceId: z.string({ error: 'the logical id as a string' }),
  PhysicalResourceId: z.optional(z.string({ error: 'the physical id as a string' })),
  ResourceProperties: PropertiesSchema,
  OldResourceProperties: z.optional(OldPropertiesSchema),
};
const RequestSchema = z.looseObject(REQUEST_SHAPE, { error: 'a CloudFormation custom resource request' });

/** What onEvent hands to isComplete, inside the event, under this key. */
export const WAIT_KEY = 'ReplicationControl';

const WaitSchema = z.strictObject(
  {
    goal: z.enum(['running', 'stopped', 'none'], { error: '"running", "stopped" or "none"' }),
    arn: z.optional(arn),
    requestedAt: z
      .int({ error: 'a time in epoch milliseconds' })
      .check(z.positive({ error: 'a time in epoch milliseconds' })),
    startIssued: z.boolean({ error: 'true or false' }),
    reloadIfRun: z.optional(z.boolean({ error: 'true or false' })),
    reloadTables: z.optional(TablesSchema),
    kind: z.optional(z.enum(['serverless', 'instance'], { error: '"serverless" or "instance"' })),
  },
  {
    error:
      'what onEvent returned: { goal, arn?, kind?, requestedAt, startIssued, reloadIfRun?, reloadTables? }',
  },
);

const PollSchema = z.looseObject(
  {
    ...REQUEST_SHAPE,
    PhysicalResourceId: z.string({ error: 'the physical id as a string' }),
    [WAIT_KEY]: WaitSchema,
  },
  { error: 'a CloudFormation custom resource request with the onEvent result' },
);

export type RequestType = 'Create' | 'Update' | 'Delete';

/** The checked properties of a custom resource. */
export interface ControlProperties {
  readonly role: ControlRole;
  readonly kind: ReplicationKind;
  readonly identifier: string;
  readonly arn?: string;
  readonly settingsHash: string;
  readonly tables?: readonly SourceTable[];
  readonly targetSchema?: string;
}

/** A checked onEvent request. */
export interface ControlRequest {
  readonly requestType: RequestType;
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly properties: ControlProperties;
  readonly old?: {
    readonly settingsHash?: string;
    readonly arn?: string;
    readonly identifier?: string;
    readonly kind?: ReplicationKind;
    /** undefined when the previous properties had no valid list (an older construct): unknown. */
    readonly tables?: readonly SourceTable[];
  };
}

/** What isComplete waits for. `none`: nothing to wait for. */
export type Goal = 'running' | 'stopped';
export interface WaitState {
  readonly goal: Goal | 'none';
  /** The replication acted on; absent when there was none (BeforeChange of a replication not found). */
  readonly arn?: string;
  /** When onEvent ran (epoch ms): the deadline and the settle window count from here. */
  readonly requestedAt: number;
  /** Whether onEvent itself sent the start (otherwise isComplete sends it once DMS allows). */
  readonly startIssued: boolean;
  /** Start a replication that has run before with reload-target (see planRequest). */
  readonly reloadIfRun?: boolean;
  /** Tables a modification added: reloaded once the task runs again, unless DMS loads them by itself. */
  readonly reloadTables?: readonly SourceTable[];
  /** The kind of the replication acted on, when it is not the resource's (a switch of kind). */
  readonly kind?: ReplicationKind;
}

/** A checked isComplete request. */
export interface PollRequest extends ControlRequest {
  readonly physicalId: string;
  readonly wait: WaitState;
}

const SUBJECT = 'Invalid replication-control event';
/** A CloudFormation failure reason is short: list few problems. */
const LISTED_PROBLEMS = 3;

function parseBounded<T extends z.core.$ZodType>(schema: T, event: unknown): z.output<T> {
  try {
    return parseOrThrow(schema, event, SUBJECT, '(event)');
  } catch (error) {
    if (!(error instanceof ValidationError) || error.problems.length <= LISTED_PROBLEMS) throw error;
    const shown = error.problems.slice(0, LISTED_PROBLEMS);
    throw new ValidationError(SUBJECT, shown, error.omitted + error.problems.length - shown.length);
  }
}

function toRequest(parsed: z.output<typeof RequestSchema>): ControlRequest {
  const props = parsed.ResourceProperties;
  const old = parsed.OldResourceProperties;
  return {
    requestType: parsed.RequestType,
    logicalId: parsed.LogicalResourceId,
    physicalId: parsed.PhysicalResourceId,
    properties: {
      role: props[P.role],
      kind: props[P.kind],
      identifier: props[P.identifier],
      arn: props[P.arn],
      settingsHash: props[P.settingsHash],
      tables: props[P.tables],
      targetSchema: props[P.targetSchema],
    },
    old:
      old === undefined
        ? undefined
        : {
            settingsHash: old[P.settingsHash],
            arn: old[P.arn],
            identifier: old[P.identifier],
            kind: old[P.kind],
            tables: z.safeParse(TablesSchema, old[P.tables]).data,
          },
  };
}

/** Whether the event is an isComplete call: it carries what onEvent returned. */
export function isPollEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && !Array.isArray(event) && WAIT_KEY in event;
}

/**
 * Checks an onEvent request.
 * @throws ValidationError naming at most a few wrong fields, with their values cut short.
 */
export function parseRequest(event: unknown): ControlRequest {
  return toRequest(parseBounded(RequestSchema, event));
}

/**
 * Checks an isComplete request.
 * @throws ValidationError as parseRequest.
 */
export function parsePoll(event: unknown): PollRequest {
  const parsed = parseBounded(PollSchema, event);
  return { ...toRequest(parsed), physicalId: parsed.PhysicalResourceId, wait: parsed[WAIT_KEY] };
}
