/**
 * Server and user checks of a MySQL or MariaDB source, as pure functions over
 * facts read by mysql-facts.ts. The DMS prerequisites follow the AWS DMS user
 * guide, "Using a MySQL-compatible database as a source for AWS DMS".
 */
import { fail, pass, type Finding } from './findings';

/**
 * The shortest binary log retention the preflight accepts, in hours.
 *
 * A CDC task resumes from its position in the binary log. When it stops (the
 * replication's error policies stop it rather than drop rows, or the source is
 * unreachable for a while), it can resume only while the log files from that
 * position still exist; after that the only way back is a full reload of every
 * table. The stop raises an alarm within minutes; 24 hours leave a working day
 * to fix the cause and resume, including a stop that happens at night. It is
 * also the retention the DMS user guide's example sets on RDS. Raise it (it
 * costs storage only) if nobody would act on a stop within a day.
 */
export const MIN_BINLOG_RETENTION_HOURS = 24;

/** RDS's 'binlog retention hours', read with CALL mysql.rds_show_configuration. */
export type RdsBinlogRetention =
  | { readonly kind: 'not-rds' }
  | { readonly kind: 'rds'; readonly hours: number | null }
  | { readonly kind: 'unknown'; readonly error: string };

/** Whether the server replicates from another (SHOW REPLICA STATUS returns a row). */
export type ReplicaStatus =
  | { readonly kind: 'known'; readonly isReplica: boolean }
  | { readonly kind: 'unknown'; readonly error: string };

export interface MysqlReaderFacts {
  readonly user: string;
  /** information_schema.INNODB_TRX is readable (the PROCESS privilege): the Glue job's horizon probe. */
  readonly processPrivilege: boolean;
}

export interface MysqlDmsFacts {
  readonly user: string;
  /** Global variables by lower-case name; a variable the server does not have is absent. */
  readonly variables: Readonly<Record<string, string>>;
  readonly rdsBinlogRetention: RdsBinlogRetention;
  /** The user's global privileges as information_schema.USER_PRIVILEGES names them, upper case. */
  readonly privileges: readonly string[];
  readonly replica: ReplicaStatus;
}

function isOn(value: string | undefined): boolean {
  return value !== undefined && ['ON', '1', 'TRUE'].includes(value.toUpperCase());
}

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`;
}

export function mysqlReaderFindings(facts: MysqlReaderFacts): Finding[] {
  return [
    facts.processPrivilege
      ? pass('process-privilege', `${facts.user} can read information_schema.INNODB_TRX`)
      : fail(
          'process-privilege',
          `${facts.user} cannot read information_schema.INNODB_TRX, so the Glue job cannot see open transactions ` +
            `and refuses to run: GRANT PROCESS ON *.* TO ${facts.user}`,
        ),
  ];
}

export function mysqlDmsFindings(facts: MysqlDmsFacts): Finding[] {
  const rds = facts.rdsBinlogRetention.kind === 'rds';
  const where = rds ? ' in the DB parameter group' : '';
  const v = facts.variables;
  const findings: Finding[] = [];

  const logBin = isOn(v.log_bin);
  findings.push(
    logBin
      ? pass('binary-log', 'log_bin is ON')
      : fail(
          'binary-log',
          `log_bin is ${v.log_bin ?? 'unset'}; CDC reads the binary log: ` +
            (rds
              ? 'turn on automated backups (backup retention of 1 day or more), which turns it on'
              : 'start the server with log_bin and server_id set'),
        ),
  );

  const format = (v.binlog_format ?? 'unset').toUpperCase();
  findings.push(
    format === 'ROW'
      ? pass('binlog-format', 'binlog_format is ROW')
      : fail('binlog-format', `binlog_format is ${format}; DMS needs ROW: set binlog_format = ROW${where}`),
  );

  const image = (v.binlog_row_image ?? 'unset').toUpperCase();
  findings.push(
    image === 'FULL'
      ? pass('binlog-row-image', 'binlog_row_image is FULL')
      : fail(
          'binlog-row-image',
          `binlog_row_image is ${image}; DMS needs FULL: set binlog_row_image = FULL${where}`,
        ),
  );

  findings.push(retentionFinding(facts));

  const has = (...names: string[]) => names.some((name) => facts.privileges.includes(name));
  // MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR and reports the new name.
  findings.push(
    has('REPLICATION CLIENT', 'BINLOG MONITOR')
      ? pass('replication-client', `${facts.user} has REPLICATION CLIENT`)
      : fail(
          'replication-client',
          `${facts.user} lacks REPLICATION CLIENT: GRANT REPLICATION CLIENT ON *.* TO ${facts.user}`,
        ),
  );
  findings.push(
    has('REPLICATION SLAVE')
      ? pass('replication-slave', `${facts.user} has REPLICATION SLAVE`)
      : fail(
          'replication-slave',
          `${facts.user} lacks REPLICATION SLAVE: GRANT REPLICATION SLAVE ON *.* TO ${facts.user}`,
        ),
  );

  if (facts.replica.kind === 'known' && facts.replica.isReplica) {
    const updates = v.log_replica_updates ?? v.log_slave_updates;
    findings.push(
      isOn(updates)
        ? pass(
            'replica-log-updates',
            'a replica that writes what it replicates to its binary log (log_slave_updates ON)',
          )
        : fail(
            'replica-log-updates',
            `a replica with log_slave_updates ${updates ?? 'unset'}: changes it replicates never reach its binary log, ` +
              `so DMS would miss them: set log_slave_updates = ON${where}, or point DMS at the primary`,
          ),
    );
  }
  return findings;
}

function retentionFinding(facts: MysqlDmsFacts): Finding {
  const minimum = MIN_BINLOG_RETENTION_HOURS;
  const retention = facts.rdsBinlogRetention;
  if (retention.kind === 'rds') {
    const set = `CALL mysql.rds_set_configuration('binlog retention hours', ${minimum})`;
    if (retention.hours === null) {
      return fail(
        'binlog-retention',
        `binlog retention hours is NULL, so RDS purges binary logs as soon as it can; DMS needs at least ${minimum} h: ${set}`,
      );
    }
    return retention.hours >= minimum
      ? pass('binlog-retention', `binlog retention hours is ${retention.hours}`)
      : fail(
          'binlog-retention',
          `binlog retention hours is ${retention.hours}; at least ${minimum} needed: ${set}`,
        );
  }
  if (retention.kind === 'unknown') {
    return fail(
      'binlog-retention',
      `could not read RDS's binlog retention hours (${retention.error}); run CALL mysql.rds_show_configuration as the ` +
        `master user and check it is at least ${minimum}`,
    );
  }
  // binlog_expire_logs_seconds (MySQL 8, MariaDB 10.6) wins over expire_logs_days when set; 0 in both never purges.
  const seconds = Number(facts.variables.binlog_expire_logs_seconds ?? '0');
  const days = Number(facts.variables.expire_logs_days ?? '0');
  const effective = seconds > 0 ? seconds : days * 86_400;
  if (!Number.isFinite(effective) || effective <= 0) {
    return pass(
      'binlog-retention',
      'binary logs never expire (binlog_expire_logs_seconds and expire_logs_days are 0)',
    );
  }
  return effective >= minimum * 3600
    ? pass('binlog-retention', `binary logs expire after ${hours(effective)}`)
    : fail(
        'binlog-retention',
        `binary logs expire after ${hours(effective)}; at least ${minimum} h needed: ` +
          `SET PERSIST binlog_expire_logs_seconds = ${minimum * 3600} (MySQL 8), or binlog_expire_logs_seconds in the server's configuration`,
      );
}
