/**
 * Server and user checks of a PostgreSQL source, as pure functions over facts
 * read by postgres-facts.ts. The DMS prerequisites follow the AWS DMS user
 * guide, "Using a PostgreSQL database as an AWS DMS source".
 */
import { fail, pass, type Finding } from './findings';

/**
 * The schema DMS creates its heartbeat table (awsdms_heartbeat) in: the
 * endpoint's HeartbeatSchema, whose default is public. Change both together.
 */
export const DMS_HEARTBEAT_SCHEMA = 'public';

/** Replication slots and WAL senders one source's DMS task needs: one each. */
export const SLOTS_PER_TASK = 1;

/** DMS fails when wal_sender_timeout is set below this (0, which turns the timeout off, is fine). */
export const MIN_WAL_SENDER_TIMEOUT_MS = 10_000;

export interface PostgresReaderFacts {
  readonly user: string;
  /** Member of pg_read_all_stats: sees other sessions' transactions (the Glue job's horizon probe). */
  readonly readAllStats: boolean;
}

export interface HeartbeatSchemaFacts {
  readonly schema: string;
  readonly exists: boolean;
  readonly canUse: boolean;
  readonly canCreate: boolean;
  /** awsdms_heartbeat exists already (a DMS task ran before). */
  readonly tableExists: boolean;
  /** The DMS user may INSERT into and UPDATE that table. */
  readonly canWriteTable: boolean;
}

export interface PostgresDmsFacts {
  readonly user: string;
  readonly walLevel: string;
  /** rds.logical_replication ('on'/'off'); null where the setting does not exist (not RDS). */
  readonly rdsLogicalReplication: string | null;
  readonly superuser: boolean;
  /** The role's REPLICATION attribute. */
  readonly replicationAttribute: boolean;
  /** Member of rds_replication; null where that role does not exist (not RDS). */
  readonly rdsReplicationMember: boolean | null;
  readonly maxReplicationSlots: number;
  readonly replicationSlots: readonly string[];
  /** Logical slots no session reads: left behind by a stopped or deleted DMS replication, holding WAL. */
  readonly inactiveLogicalSlots?: readonly string[];
  readonly maxWalSenders: number;
  readonly activeWalSenders: number;
  readonly walSenderTimeoutMs: number;
  readonly heartbeat: HeartbeatSchemaFacts;
}

export function isRds(
  facts: Pick<PostgresDmsFacts, 'rdsLogicalReplication' | 'rdsReplicationMember'>,
): boolean {
  return facts.rdsLogicalReplication !== null || facts.rdsReplicationMember !== null;
}

export function postgresReaderFindings(facts: PostgresReaderFacts): Finding[] {
  return [
    facts.readAllStats
      ? pass('read-all-stats', `${facts.user} is a member of pg_read_all_stats`)
      : fail(
          'read-all-stats',
          `${facts.user} is not a member of pg_read_all_stats, so it cannot see other sessions' open transactions ` +
            `and the Glue job refuses to run: GRANT pg_read_all_stats TO ${facts.user}`,
        ),
  ];
}

export function postgresDmsFindings(facts: PostgresDmsFacts): Finding[] {
  const rds = isRds(facts);
  const findings: Finding[] = [];

  findings.push(
    facts.walLevel === 'logical'
      ? pass(
          'logical-replication',
          `wal_level is logical${facts.rdsLogicalReplication === null ? '' : ` (rds.logical_replication ${facts.rdsLogicalReplication})`}`,
        )
      : fail(
          'logical-replication',
          `wal_level is ${facts.walLevel}; DMS reads changes through logical decoding, which needs logical: ` +
            (rds
              ? 'set rds.logical_replication = 1 in the DB parameter group and reboot'
              : 'set wal_level = logical and restart the server'),
        ),
  );

  const replication = facts.superuser
    ? 'is a superuser'
    : facts.replicationAttribute
      ? 'has the REPLICATION attribute'
      : facts.rdsReplicationMember === true
        ? 'is a member of rds_replication'
        : undefined;
  findings.push(
    replication !== undefined
      ? pass('replication-role', `${facts.user} ${replication}`)
      : fail(
          'replication-role',
          `${facts.user} may not create or read replication slots: ` +
            (rds ? `GRANT rds_replication TO ${facts.user}` : `ALTER ROLE ${facts.user} WITH REPLICATION`),
        ),
  );

  const usedSlots = facts.replicationSlots.length;
  const freeSlots = facts.maxReplicationSlots - usedSlots;
  const slotNames = usedSlots > 0 ? ` (${facts.replicationSlots.join(', ')})` : '';
  findings.push(
    freeSlots >= SLOTS_PER_TASK
      ? pass(
          'replication-slots',
          `${freeSlots} of max_replication_slots ${facts.maxReplicationSlots} free${slotNames}`,
        )
      : fail(
          'replication-slots',
          `${usedSlots} of max_replication_slots ${facts.maxReplicationSlots} in use${slotNames}; DMS needs ` +
            `${SLOTS_PER_TASK} free: raise max_replication_slots${rds ? ' in the DB parameter group' : ''} ` +
            'or drop slots no task uses (a slot outlives its task)',
        ),
  );

  const inactive = facts.inactiveLogicalSlots ?? [];
  findings.push(
    inactive.length === 0
      ? pass('inactive-slots', 'no logical replication slot is left unread')
      : fail(
          'inactive-slots',
          `logical slot(s) ${inactive.join(', ')} are not read by any session and hold write-ahead log until ` +
            'the disk fills: resume the replication that owns one, or drop a slot DMS left behind ' +
            "(SELECT pg_drop_replication_slot('<name>'))",
        ),
  );

  const freeSenders = facts.maxWalSenders - facts.activeWalSenders;
  findings.push(
    freeSenders >= SLOTS_PER_TASK
      ? pass('wal-senders', `${freeSenders} of max_wal_senders ${facts.maxWalSenders} free`)
      : fail(
          'wal-senders',
          `${facts.activeWalSenders} of max_wal_senders ${facts.maxWalSenders} in use; DMS streams changes through ` +
            `one: raise max_wal_senders${rds ? ' in the DB parameter group' : ''}`,
        ),
  );

  const timeout = facts.walSenderTimeoutMs;
  findings.push(
    timeout === 0 || timeout >= MIN_WAL_SENDER_TIMEOUT_MS
      ? pass('wal-sender-timeout', timeout === 0 ? '0 (no timeout)' : `${timeout} ms`)
      : fail(
          'wal-sender-timeout',
          `${timeout} ms; DMS fails below ${MIN_WAL_SENDER_TIMEOUT_MS} ms: set wal_sender_timeout to 0 or at least ` +
            `${MIN_WAL_SENDER_TIMEOUT_MS}${rds ? ' in the DB parameter group' : ''}`,
        ),
  );

  findings.push(heartbeatFinding(facts.user, facts.heartbeat));
  return findings;
}

function heartbeatFinding(user: string, heartbeat: HeartbeatSchemaFacts): Finding {
  const schema = heartbeat.schema;
  if (!heartbeat.exists) {
    return fail(
      'heartbeat-schema',
      `schema ${schema} does not exist; DMS creates awsdms_heartbeat there (HeartbeatSchema): CREATE SCHEMA ${schema}`,
    );
  }
  if (!heartbeat.canUse) {
    return fail(
      'heartbeat-schema',
      `${user} has no USAGE on schema ${schema}: GRANT USAGE ON SCHEMA ${schema} TO ${user}`,
    );
  }
  if (heartbeat.canCreate) {
    return pass('heartbeat-schema', `${user} can create awsdms_heartbeat in ${schema}`);
  }
  if (heartbeat.tableExists && heartbeat.canWriteTable) {
    return pass('heartbeat-schema', `${user} can write ${schema}.awsdms_heartbeat`);
  }
  return fail(
    'heartbeat-schema',
    heartbeat.tableExists
      ? `${user} cannot INSERT into and UPDATE ${schema}.awsdms_heartbeat: GRANT INSERT, UPDATE ON ${schema}.awsdms_heartbeat TO ${user}`
      : `${user} may not create awsdms_heartbeat in ${schema} (PostgreSQL 15 and later grant nobody CREATE on public): ` +
          `GRANT CREATE ON SCHEMA ${schema} TO ${user}`,
  );
}
