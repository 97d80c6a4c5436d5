"""SQL the ingestion job sends to a source database, built from validated input.

Every statement the job runs against PostgreSQL or MySQL is produced here, so
the tests run exactly these strings against the real servers (see
glue-scripts/tests/test_source_sql_postgres.py and ..._mysql.py). The Glue
layer only executes them: the probes through a JDBC connection on the driver,
the data read as the subquery of Spark's JDBC reader.

Standard library only (see ingest_helpers for why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Sequence

ENGINES = ("postgres", "mysql")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_INTEGER = re.compile(r"^-?[0-9]{1,38}$")
_PG_LSN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")

# Prefix of the guard columns the read adds (one per column whose values may
# not be representable in the lake); they never reach the lake.
GUARD_PREFIX = "__trackman_guard_"

# The largest decimal a lake column holds without loss: Parquet decimals that
# Spark writes carry at most 38 digits. Unconstrained numerics land with 18
# fractional digits, leaving 20 for the integer part.
MAX_DECIMAL_PRECISION = 38
UNCONSTRAINED_SCALE = 18


def _require_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"source engine: got {engine!r}, expected one of 'postgres', 'mysql'")
    return engine


def quote_identifier(engine: str, name: str) -> str:
    """A quoted identifier; the name must already match the identifier rule."""
    _require_engine(engine)
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(
            f"identifier: got {name!r}, expected letters, digits, _ or $, starting with a "
            "letter or _, at most 63 characters"
        )
    return f'"{name}"' if engine == "postgres" else f"`{name}`"


def _string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def qualified_table(engine: str, schema: str, table: str) -> str:
    return f"{quote_identifier(engine, schema)}.{quote_identifier(engine, table)}"


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{what}: got {value!r}, expected a timezone-aware datetime")
    return value.astimezone(timezone.utc)


def timestamp_text(value: datetime) -> str:
    """UTC microseconds as 'YYYY-MM-DD HH:MM:SS.ffffff', the form both engines parse."""
    utc = _utc(value, "timestamp")
    return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond:06d}"


def parse_timestamp_text(text: Optional[str], what: str) -> Optional[datetime]:
    """A UTC timestamp as the probes return it ('T' or ' ' between date and time)."""
    if text is None or text == "":
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise ValueError(f"{what}: got {text!r}, expected a UTC timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def timestamp_literal(engine: str, value: datetime) -> str:
    """A typed literal for an instant, compared in the session time zone UTC."""
    text = timestamp_text(value)
    if _require_engine(engine) == "postgres":
        return f"TIMESTAMPTZ '{text}+00'"
    return f"TIMESTAMP '{text}'"


def integer_literal(value: str) -> str:
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise ValueError(f"integer key value: got {value!r}, expected a whole number")
    return value


# --------------------------------------------------------------------------
# Session settings
# --------------------------------------------------------------------------


def session_init_sql(engine: str) -> str:
    """Run on every connection of the job: UTC, and read-only where the engine allows.

    Timestamps without a zone are taken to be UTC throughout the lake, so the
    session zone must be UTC for the comparisons with the horizon to hold.
    """
    if _require_engine(engine) == "postgres":
        return "SET TIME ZONE 'UTC'; SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    # The lake reader has SELECT only; MySQL has no session-wide read-only switch
    # that both MySQL 8 and MariaDB spell the same way.
    return "SET time_zone = '+00:00'"


# --------------------------------------------------------------------------
# Column metadata and the lake type of each column
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceColumn:
    """One column as information_schema.columns describes it."""

    name: str
    data_type: str
    udt_name: str
    precision: Optional[int]
    scale: Optional[int]


def columns_sql(engine: str, schema: str, table: str) -> str:
    """The table's columns in order: name, data type, udt name, precision, scale."""
    quote_identifier(engine, schema)
    quote_identifier(engine, table)
    if _require_engine(engine) == "postgres":
        return (
            "SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale "
            "FROM information_schema.columns "
            f"WHERE table_schema = {_string_literal(schema)} AND table_name = {_string_literal(table)} "
            "ORDER BY ordinal_position"
        )
    return (
        "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE "
        "FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = {_string_literal(schema)} AND TABLE_NAME = {_string_literal(table)} "
        "ORDER BY ORDINAL_POSITION"
    )


def parse_column_rows(
    rows: Sequence[Sequence[Optional[str]]], qualified: str
) -> list[SourceColumn]:
    """SourceColumns from the rows of columns_sql (every value as text or None)."""
    if not rows:
        raise ValueError(
            f"source table {qualified}: got no columns, expected the table to exist and be "
            "readable by the job's database user"
        )

    def number(value: Optional[str]) -> Optional[int]:
        return None if value is None or str(value).strip() == "" else int(str(value))

    return [
        SourceColumn(
            name=str(row[0]),
            data_type=str(row[1]).lower(),
            udt_name=str(row[2] or "").lower(),
            precision=number(row[3]),
            scale=number(row[4]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is selected, and what it becomes in the lake."""

    name: str
    select_expression: str
    # The Parquet / catalog type the column lands as, for docs and messages.
    lake_type: str
    # A SQL expression that is 1 for a value the lake cannot hold, else 0.
    guard_expression: Optional[str] = None
    guard_reason: Optional[str] = None


# PostgreSQL types Spark's JDBC reader maps without loss; everything not listed
# here and not handled below lands as its text form.
_PG_NATIVE = {
    "smallint": "smallint",
    "integer": "int",
    "bigint": "bigint",
    "real": "float",
    "double precision": "double",
    "boolean": "boolean",
    "text": "string",
    "character varying": "string",
    "character": "string",
    "bytea": "binary",
}
_PG_TIMES = {
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamp",
}
_PG_JSON_TEXT = {"json", "jsonb"}

_MYSQL_NATIVE = {
    "tinyint": "tinyint",
    "smallint": "smallint",
    "mediumint": "int",
    "int": "int",
    "integer": "int",
    "bigint": "bigint",
    "float": "float",
    "double": "double",
    "char": "string",
    "varchar": "string",
    "tinytext": "string",
    "text": "string",
    "mediumtext": "string",
    "longtext": "string",
    "binary": "binary",
    "varbinary": "binary",
    "tinyblob": "binary",
    "blob": "binary",
    "mediumblob": "binary",
    "longblob": "binary",
}
_MYSQL_TIMES = {"date": "date", "datetime": "timestamp", "timestamp": "timestamp"}

_UNREPRESENTABLE_NUMERIC = (
    f"a numeric value the lake cannot hold exactly as decimal({MAX_DECIMAL_PRECISION},"
    f"{UNCONSTRAINED_SCALE}) (NaN, Infinity, more than {MAX_DECIMAL_PRECISION - UNCONSTRAINED_SCALE} "
    f"integer digits or more than {UNCONSTRAINED_SCALE} fractional digits)"
)
_UNREPRESENTABLE_TIME = (
    "a date or timestamp outside 0001-01-01..9999-12-31 (infinity, -infinity, a zero date "
    "or a year Parquet readers cannot hold)"
)


def _pg_plan(column: SourceColumn) -> ColumnPlan:
    q = quote_identifier("postgres", column.name)
    data_type = column.data_type
    if data_type in _PG_NATIVE:
        return ColumnPlan(column.name, q, _PG_NATIVE[data_type])
    if data_type == "numeric":
        p, s = column.precision, column.scale
        if p is not None and s is not None and p <= MAX_DECIMAL_PRECISION:
            return ColumnPlan(column.name, q, f"decimal({p},{s})")
        integer_digits = MAX_DECIMAL_PRECISION - UNCONSTRAINED_SCALE
        guard = (
            f"CASE WHEN {q} IS NULL THEN 0 "
            f"WHEN {q}::text IN ('NaN', 'Infinity', '-Infinity') THEN 1 "
            f"WHEN abs({q}) >= 1e{integer_digits} THEN 1 "
            f"WHEN scale(trim_scale({q})) > {UNCONSTRAINED_SCALE} THEN 1 ELSE 0 END"
        )
        # A value the guard flags is selected as NULL: the driver never has to
        # convert (or round) it, and the guard fails the run before anything lands.
        cast = (
            f"CASE WHEN ({guard}) = 1 THEN NULL "
            f"ELSE {q}::numeric({MAX_DECIMAL_PRECISION},{UNCONSTRAINED_SCALE}) END"
        )
        return ColumnPlan(
            column.name,
            cast,
            f"decimal({MAX_DECIMAL_PRECISION},{UNCONSTRAINED_SCALE})",
            guard,
            _UNREPRESENTABLE_NUMERIC,
        )
    if data_type in _PG_TIMES:
        guard = (
            f"CASE WHEN {q} IS NULL THEN 0 WHEN NOT isfinite({q}) THEN 1 "
            f"WHEN {q} < '0001-01-01' OR {q} >= '10000-01-01' THEN 1 ELSE 0 END"
        )
        # Out-of-range values become NULL in the select so that the driver never
        # has to convert them; the guard fails the run before anything lands.
        expression = (
            f"CASE WHEN {q} IS NULL OR NOT isfinite({q}) "
            f"OR {q} < '0001-01-01' OR {q} >= '10000-01-01' THEN NULL ELSE {q} END"
        )
        return ColumnPlan(
            column.name, expression, _PG_TIMES[data_type], guard, _UNREPRESENTABLE_TIME
        )
    if data_type in _PG_JSON_TEXT or column.udt_name == "uuid":
        return ColumnPlan(column.name, f"{q}::text", "string")
    if data_type == "array":
        # Any dimension and element type, exactly: the JSON text of the array.
        return ColumnPlan(column.name, f"to_jsonb({q})::text", "string")
    return ColumnPlan(column.name, f"{q}::text", "string")


def _mysql_plan(column: SourceColumn) -> ColumnPlan:
    q = quote_identifier("mysql", column.name)
    data_type = column.data_type
    unsigned = "unsigned" in column.udt_name
    if data_type == "bigint" and unsigned:
        # An unsigned bigint can exceed a signed 64-bit integer.
        return ColumnPlan(column.name, f"CAST({q} AS DECIMAL(20,0))", "decimal(20,0)")
    if data_type in ("int", "integer") and unsigned:
        return ColumnPlan(column.name, q, "bigint")
    if column.udt_name in ("bit(1)", "tinyint(1)"):
        # Connector/J reads these as booleans (tinyInt1isBit, its default).
        return ColumnPlan(column.name, q, "boolean")
    if data_type in _MYSQL_NATIVE:
        return ColumnPlan(column.name, q, _MYSQL_NATIVE[data_type])
    if data_type == "decimal":
        p, s = column.precision, column.scale
        if p is not None and s is not None and p <= MAX_DECIMAL_PRECISION:
            return ColumnPlan(column.name, q, f"decimal({p},{s})")
        integer_digits = MAX_DECIMAL_PRECISION - UNCONSTRAINED_SCALE
        guard = (
            f"CASE WHEN {q} IS NULL THEN 0 WHEN ABS({q}) >= {10 ** integer_digits} THEN 1 "
            f"WHEN {q} <> ROUND({q}, {UNCONSTRAINED_SCALE}) THEN 1 ELSE 0 END"
        )
        cast = (
            f"CASE WHEN ({guard}) = 1 THEN NULL "
            f"ELSE CAST({q} AS DECIMAL({MAX_DECIMAL_PRECISION},{UNCONSTRAINED_SCALE})) END"
        )
        return ColumnPlan(
            column.name,
            cast,
            f"decimal({MAX_DECIMAL_PRECISION},{UNCONSTRAINED_SCALE})",
            guard,
            _UNREPRESENTABLE_NUMERIC,
        )
    if data_type in _MYSQL_TIMES:
        bad = (
            f"(YEAR({q}) = 0 OR MONTH({q}) = 0 OR DAYOFMONTH({q}) = 0)"
        )
        guard = f"CASE WHEN {q} IS NULL THEN 0 WHEN {bad} THEN 1 ELSE 0 END"
        expression = f"CASE WHEN {q} IS NULL OR {bad} THEN NULL ELSE {q} END"
        return ColumnPlan(
            column.name, expression, _MYSQL_TIMES[data_type], guard, _UNREPRESENTABLE_TIME
        )
    # json, enum, set, time, year, bit(n), geometry ...: their text form.
    return ColumnPlan(column.name, f"CAST({q} AS CHAR)", "string")


def plan_columns(engine: str, columns: Sequence[SourceColumn]) -> list[ColumnPlan]:
    """The select expression and lake type of every column, in source order."""
    planner = _pg_plan if _require_engine(engine) == "postgres" else _mysql_plan
    return [planner(column) for column in columns]


def guard_column(index: int) -> str:
    return f"{GUARD_PREFIX}{index}"


def select_list(engine: str, plans: Sequence[ColumnPlan]) -> str:
    """The select list: each column under its own name, then one guard per risky column."""
    items = [f"{p.select_expression} AS {quote_identifier(engine, p.name)}" for p in plans]
    for index, plan in enumerate(plans):
        if plan.guard_expression is not None:
            items.append(f"{plan.guard_expression} AS {guard_column(index)}")
    return ", ".join(items)


def guard_columns(plans: Sequence[ColumnPlan]) -> dict[str, ColumnPlan]:
    """Guard column name -> the plan of the column it guards."""
    return {
        guard_column(i): plan for i, plan in enumerate(plans) if plan.guard_expression is not None
    }


def unrepresentable_values_error(
    qualified: str, plans_by_guard: dict[str, ColumnPlan], totals: dict[str, int]
) -> Optional[str]:
    """The one-line error for guard totals above zero, or None when every value fits."""
    bad = [
        (plans_by_guard[name], count)
        for name, count in sorted(totals.items())
        if name in plans_by_guard and count
    ]
    if not bad:
        return None
    parts = [f"{plan.name} ({count} row(s): {plan.guard_reason})" for plan, count in bad]
    return (
        f"source table {qualified}: got values the lake cannot represent in column(s) "
        f"{'; '.join(parts)}; expected none. Nothing was written; fix the rows or change "
        "the column type (docs/ingestion-job.md#type-mapping)"
    )


# --------------------------------------------------------------------------
# The bounded read
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadRange:
    """The rows a run reads.

    kind 'all' reads the whole table (snapshot). 'increasing-key' reads
    lower < key <= upper; 'update-timestamp' reads lower <= column < upper.
    A None lower means "from the beginning" (first load or after a reset).
    """

    kind: str
    column: Optional[str] = None
    lower: Optional[str] = None
    upper: Optional[str] = None

    @property
    def empty(self) -> bool:
        return self.kind != "all" and self.upper is None


def _bound_literal(engine: str, kind: str, value: str) -> str:
    if kind == "increasing-key":
        return integer_literal(value)
    parsed = parse_timestamp_text(value, "timestamp bound")
    assert parsed is not None
    return timestamp_literal(engine, parsed)


def range_predicate(engine: str, read_range: ReadRange) -> Optional[str]:
    """The WHERE condition of a range, or None for a whole-table read."""
    if read_range.kind == "all":
        return None
    if read_range.column is None:
        raise ValueError(f"read range: got kind {read_range.kind!r} without a column")
    column = quote_identifier(engine, read_range.column)
    if read_range.upper is None:
        return "1 = 0"
    upper = _bound_literal(engine, read_range.kind, read_range.upper)
    if read_range.kind == "increasing-key":
        condition = f"{column} <= {upper}"
        if read_range.lower is not None:
            condition = f"{column} > {_bound_literal(engine, read_range.kind, read_range.lower)} AND {condition}"
        return condition
    if read_range.kind == "update-timestamp":
        condition = f"{column} < {upper}"
        if read_range.lower is not None:
            condition = f"{column} >= {_bound_literal(engine, read_range.kind, read_range.lower)} AND {condition}"
        return condition
    raise ValueError(
        f"read range kind: got {read_range.kind!r}, expected 'all', 'increasing-key' or "
        "'update-timestamp'"
    )


def bounded_select_sql(
    engine: str, schema: str, table: str, plans: Sequence[ColumnPlan], read_range: ReadRange
) -> str:
    """The data read: every planned column and guard, bounded by the range."""
    sql = f"SELECT {select_list(engine, plans)} FROM {qualified_table(engine, schema, table)}"
    predicate = range_predicate(engine, read_range)
    return sql if predicate is None else f"{sql} WHERE {predicate}"


def bounds_sql(
    engine: str,
    schema: str,
    table: str,
    column: str,
    read_range: ReadRange,
    lake_type: str = "bigint",
) -> str:
    """min and max of the partition column within the range, as text Spark parses
    as lowerBound and upperBound: digits, YYYY-MM-DD, or 'YYYY-MM-DD HH:MM:SS.ffffff'
    in UTC (the job's session time zone) for a timestamp."""
    q = quote_identifier(engine, column)
    if lake_type in ("timestamp", "date"):
        # Infinite values and zero dates fail the run through their guard; they
        # must not make the bounds query fail first.
        finite = f"isfinite({q})" if engine == "postgres" else f"YEAR({q}) > 0"
        q = f"CASE WHEN {finite} THEN {q} END"

    def text(expression: str) -> str:
        if lake_type == "timestamp":
            if engine == "postgres":
                return f"to_char(({expression})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            return f"DATE_FORMAT({expression}, '%Y-%m-%d %H:%i:%s.%f')"
        return f"CAST({expression} AS text)" if engine == "postgres" else f"CAST({expression} AS CHAR)"

    sql = f"SELECT {text(f'min({q})')}, {text(f'max({q})')} FROM {qualified_table(engine, schema, table)}"
    predicate = range_predicate(engine, read_range)
    return sql if predicate is None else f"{sql} WHERE {predicate}"


# --------------------------------------------------------------------------
# The horizon: how far a read may go without skipping a late commit
# --------------------------------------------------------------------------


def max_key_sql(engine: str, schema: str, table: str, column: str) -> str:
    """The greatest committed key, as text."""
    q = quote_identifier(engine, column)
    cast = "text" if _require_engine(engine) == "postgres" else "CHAR"
    return f"SELECT CAST(max({q}) AS {cast}) FROM {qualified_table(engine, schema, table)}"


_USER_NAME = re.compile(r"^[A-Za-z0-9_.@$-]{1,63}$")


_NONCE = re.compile(r"^[0-9a-f]{8,32}$")


def horizon_probe_sql(
    engine: str,
    ignored_users: Sequence[str] = (),
    nonce: str = "0" * 16,
    with_log_position: bool = False,
) -> str:
    """One row: the server's clock (UTC), the start of the oldest transaction or
    statement still open in this database (UTC, or NULL when none), whether the
    job's user can see every session (1 or 0), the writer's log insert position
    when with_log_position (PostgreSQL; else NULL), and whether the list of open
    transactions is fresh (always 1 on PostgreSQL; see horizon_probe_statements).

    Transactions of the job's own user are left out: it only reads (the lake
    reader is a read-only user, and the job's sessions are read-only), and the
    reads of other tables' jobs would otherwise hold every table back. So are
    those of ignored_users: users that never write the ingested tables (such as
    the DMS source user, whose full load can hold a transaction for hours).
    Background processes (autovacuum, WAL senders) write no table rows.

    PostgreSQL shows other users' xact_start only to members of
    pg_read_all_stats, and only with track_activities on; otherwise the column
    is NULL, which would look like "no open transaction", so the visibility
    column is 0 and the job refuses to go on. A prepared (two-phase) transaction
    leaves pg_stat_activity but can still commit rows stamped before it was
    prepared: while one exists in the database the oldest start is reported as
    the epoch, which holds the horizon. The log position is the insert
    position: with synchronous_commit off a commit is visible before its
    record is flushed, so the write position could be behind it.

    MySQL's INNODB_TRX needs the PROCESS privilege and errors without it. Its
    trx_started is in the server's system time zone with whole seconds; the
    query turns it into an age, which rounds the start down (the safe way). A
    statement waiting for a lock has taken NOW() but is not yet in INNODB_TRX,
    so running statements of PROCESSLIST count too, from one second before
    their whole-second TIME.
    """
    for user in ignored_users:
        if not isinstance(user, str) or not _USER_NAME.match(user):
            raise ValueError(
                f"ignored user: got {user!r}, expected a database user name of 1-63 letters, "
                "digits, _ . @ $ or -"
            )
    if _require_engine(engine) == "postgres":
        ignored = "".join(f" AND usename <> {_string_literal(u)}" for u in ignored_users)
        log_position = (
            "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END"
            if with_log_position
            else "NULL"
        )
        return (
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
            "to_char(CASE WHEN EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE database = current_database()) "
            "THEN TIMESTAMPTZ '1970-01-01 00:00:00+00' ELSE (SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND xact_start IS NOT NULL AND usename <> current_user "
            "AND backend_type NOT IN ('walsender', 'autovacuum worker', 'autovacuum launcher')"
            f"{ignored}) END AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
            "CASE WHEN pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') "
            "AND current_setting('track_activities') = 'on' THEN 1 ELSE 0 END, "
            f"{log_position}, 1"
        )
    if not _NONCE.match(nonce):
        raise ValueError(f"probe nonce: got {nonce!r}, expected 8-32 lowercase hex digits")
    ignored = "".join(f" AND p.USER <> {_string_literal(u)}" for u in ignored_users)
    others = (
        "(p.USER IS NULL OR (p.USER <> SUBSTRING_INDEX(CURRENT_USER(), '@', 1)" f"{ignored}))"
    )
    # The nonce is the first column's alias, near the start of the statement:
    # INNODB_TRX.trx_query keeps only the first 1024 characters.
    # LEFT JOIN: INNODB_TRX and PROCESSLIST are separate snapshots, so a
    # transaction may lack its process row; it then counts (never ignored).
    return (
        f"SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS probe_{nonce}, "
        "(SELECT DATE_FORMAT(MIN(started), '%Y-%m-%d %H:%i:%s.%f') FROM ("
        "SELECT UTC_TIMESTAMP(6) - INTERVAL TIMESTAMPDIFF(MICROSECOND, t.trx_started, "
        "CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', 'SYSTEM')) MICROSECOND AS started "
        "FROM information_schema.INNODB_TRX t "
        "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
        f"WHERE t.trx_mysql_thread_id <> CONNECTION_ID() AND {others} "
        "UNION ALL "
        "SELECT UTC_TIMESTAMP(6) - INTERVAL (p.TIME + 1) SECOND FROM information_schema.PROCESSLIST p "
        f"WHERE p.COMMAND = 'Query' AND p.ID <> CONNECTION_ID() AND {others}"
        ") AS open_work), "
        "1, NULL, "
        "(SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID() "
        f"AND trx_query LIKE '%probe_{nonce}%')"
    )


def horizon_probe_statements(
    engine: str,
    ignored_users: Sequence[str] = (),
    nonce: str = "0" * 16,
    with_log_position: bool = False,
) -> list[str]:
    """The statements of one probe, in order; the probe row is the result of the one
    at index probe_result_index(engine).

    MySQL's INNODB_TRX is served from a buffer that InnoDB refreshes only when it
    was not read for 0.1 s, so a probe can see an old transaction list. The probe
    therefore runs inside a transaction of its own, started first, and carries a
    nonce that differs per probe: its last column is 1 only when the list shows
    that transaction running this very statement (trx_query). An older list
    (even one showing an earlier probe of the same connection) is not used; the
    caller probes again.
    """
    probe = horizon_probe_sql(engine, ignored_users, nonce, with_log_position)
    if _require_engine(engine) == "postgres":
        return [probe]
    return ["START TRANSACTION WITH CONSISTENT SNAPSHOT", probe, "COMMIT"]


def probe_result_index(engine: str) -> int:
    return 0 if _require_engine(engine) == "postgres" else 1


def replica_caught_up_sql(engine: str, log_position: str) -> str:
    """1 when the reader has replayed the writer's log up to log_position, 0 when
    not yet, NULL when the reader cannot say (then the job cannot use it safely)."""
    if _require_engine(engine) != "postgres":
        raise ValueError(
            "replica catch-up: got engine 'mysql', expected 'postgres' (MySQL sources are read "
            "from the writer)"
        )
    if not _PG_LSN.match(log_position or ""):
        raise ValueError(f"log position: got {log_position!r}, expected a PostgreSQL LSN like 0/1D744C8")
    return (
        "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 1 "
        "WHEN pg_last_wal_replay_lsn() IS NULL THEN NULL "
        f"WHEN pg_last_wal_replay_lsn() >= '{log_position}'::pg_lsn THEN 1 ELSE 0 END"
    )


def replica_guard_sql(log_position: str) -> str:
    """A statement for every data connection to a PostgreSQL replica: it fails
    unless the server it landed on has replayed the writer's log up to
    log_position. The catch-up check runs on one connection, but Spark opens
    one per partition, and a reader endpoint may send them to other servers;
    each must be as far along as the one that was checked, or the read would
    miss committed rows. A server that cannot say (Aurora readers do not
    support pg_last_wal_replay_lsn) fails too."""
    if not _PG_LSN.match(log_position or ""):
        raise ValueError(f"log position: got {log_position!r}, expected a PostgreSQL LSN like 0/1D744C8")
    return (
        "DO $guard$ BEGIN IF pg_is_in_recovery() AND (pg_last_wal_replay_lsn() IS NULL OR "
        f"pg_last_wal_replay_lsn() < '{log_position}'::pg_lsn) THEN RAISE EXCEPTION "
        f"'lake read: this replica has not replayed the writer''s log up to {log_position}'; "
        "END IF; END $guard$"
    )


def sequence_cache_sql(schema: str, table: str, column: str) -> str:
    """The cache size of the sequence behind a PostgreSQL key column (serial or
    identity), or no row when the column has none. A sequence with CACHE above 1
    hands each session a block of keys it uses later, so a smaller key can
    commit after a greater one was read in another run, outside any wait."""
    for name in (schema, table, column):
        quote_identifier("postgres", name)
    qualified = _string_literal(f'"{schema}"."{table}"')
    return (
        "SELECT s.seqcache::text FROM pg_sequence s "
        f"WHERE s.seqrelid = pg_get_serial_sequence({qualified}, {_string_literal(column)})::regclass"
    )
