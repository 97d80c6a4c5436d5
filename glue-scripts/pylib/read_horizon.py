"""How far an incremental read may go without ever skipping a late commit.

A row becomes visible when its transaction commits, but its key or update
timestamp is taken earlier: PostgreSQL's now() is the transaction's start time,
nextval() and MySQL's AUTO_INCREMENT hand out keys before commit. A read that
takes "everything past the last key seen" therefore skips, for good, a row
whose transaction was still open when a row with a greater key was read.

The job reads a closed range instead and moves the lower end only to an upper
end that no open transaction can still fall under:

update-timestamp  upper = min(server clock, start of the oldest open
                  transaction) - commit lag. A transaction still open started
                  after that point, so every timestamp it writes with now()
                  (or within commitLagSeconds before its start, for
                  application clocks) lies at or above it. Rows are read with
                  lower <= ts < upper; the next run starts at this upper.
increasing-key    upper = the greatest committed key K, taken at time T, once
                  every transaction open at T has ended (the job polls for at
                  most horizonWaitSeconds). A key at or below K was handed out
                  before T by a transaction open at T or already committed, so
                  every such row is committed by then. Rows are read with
                  lower < key <= upper.

When the reads go to a PostgreSQL read replica, the horizon is taken on the
writer (only the writer knows its open transactions) and the data read waits
until the replica has replayed the writer's log up to the probe.

Nothing moves forward when the horizon cannot be established (a transaction
held open longer than the wait, a replica that lags more than the wait): the
run lands nothing new, says why in its watermark, and the next run tries again.
Rows are never skipped; freshness suffers instead, which the freshness alarms
see.

Standard library only (see ingest_helpers for why).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Protocol, Sequence

import source_sql as sql

POLL_SECONDS = 1.0
# InnoDB refreshes INNODB_TRX only when it was not read for 0.1 s.
STALE_PROBE_RETRY_SECONDS = 0.15


class SourceQueries(Protocol):
    """Runs one statement and returns its rows, every value as text or None."""

    def query_writer(self, statement: str) -> Sequence[Sequence[Optional[str]]]:
        """On the writer, where open transactions are visible."""

    def query_reader(self, statement: str) -> Sequence[Sequence[Optional[str]]]:
        """On the server the data is read from (the writer when no replica)."""

    def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float: ...


@dataclass(frozen=True)
class Probe:
    now: datetime
    oldest_open: Optional[datetime]
    log_position: Optional[str]
    # False when the transaction list predates the probe (MySQL's INNODB_TRX buffer).
    fresh: bool = True


@dataclass(frozen=True)
class Horizon:
    """The range a run reads and the evidence for it (written to the watermark)."""

    read_range: sql.ReadRange
    # Server time of the probe that fixed the upper end.
    observed_at: Optional[datetime]
    # Every row committed before this instant is at or below the upper end.
    complete_as_of: Optional[datetime]
    oldest_open_transaction: Optional[datetime]
    waited_seconds: float
    # Why the upper end did not move, when it did not.
    held_reason: Optional[str] = None
    # The writer's log position every replica connection must have replayed.
    replica_log_position: Optional[str] = None

    @property
    def position(self) -> Optional[str]:
        """Where the next run starts: the upper end, or the old lower end if held."""
        return self.read_range.upper if self.read_range.upper is not None else self.read_range.lower


def parse_probe(rows: Sequence[Sequence[Optional[str]]], engine: str) -> Probe:
    if len(rows) != 1 or len(rows[0]) != 5:
        raise ValueError(f"horizon probe: got {len(rows)} row(s), expected one row of 5 values")
    now_text, oldest_text, sees_all, log_position, fresh = rows[0]
    if str(sees_all).strip() not in ("1", "t", "true"):
        raise ValueError(
            "horizon probe: got a database user that cannot see other sessions' transactions, "
            "expected a member of pg_read_all_stats (GRANT pg_read_all_stats TO <lake reader>; "
            "see docs/deploying.md#what-must-exist-first)"
            if engine == "postgres"
            else "horizon probe: expected the PROCESS privilege for the lake reader"
        )
    now = sql.parse_timestamp_text(now_text, "horizon probe clock")
    if now is None:
        raise ValueError("horizon probe: got no server clock, expected a timestamp")
    return Probe(
        now=now,
        oldest_open=sql.parse_timestamp_text(oldest_text, "oldest open transaction"),
        log_position=log_position or None,
        fresh=str(fresh).strip() not in ("0", "", "None"),
    )


def _single_value(rows: Sequence[Sequence[Optional[str]]], what: str) -> Optional[str]:
    if len(rows) != 1 or len(rows[0]) < 1:
        raise ValueError(f"{what}: got {len(rows)} row(s), expected exactly one")
    value = rows[0][0]
    return None if value is None or str(value) == "" else str(value)


def _max_text(kind: str, a: str, b: str) -> str:
    if kind == "increasing-key":
        return a if int(a) >= int(b) else b
    pa = sql.parse_timestamp_text(a, "bound")
    pb = sql.parse_timestamp_text(b, "bound")
    assert pa is not None and pb is not None
    return a if pa >= pb else b


def format_bound(value: datetime) -> str:
    """A timestamp bound as stored in the watermark: ISO 8601 UTC with microseconds."""
    return sql.timestamp_text(value).replace(" ", "T") + "Z"


def resolve_horizon(
    *,
    engine: str,
    schema: str,
    table: str,
    kind: str,
    column: str,
    lower: Optional[str],
    commit_lag_seconds: int,
    wait_seconds: int,
    separate_reader: bool,
    queries: SourceQueries,
    ignored_users: Sequence[str] = (),
) -> Horizon:
    """The range this run reads, never past a commit that may still appear."""
    started = queries.monotonic()

    def elapsed() -> float:
        return queries.monotonic() - started

    result_index = sql.probe_result_index(engine)

    def probe() -> Optional[Probe]:
        """A fresh probe, or None when the wait ran out on stale ones (MySQL)."""
        while True:
            statements = sql.horizon_probe_statements(
                engine, ignored_users, uuid.uuid4().hex, with_log_position=separate_reader
            )
            results = [queries.query_writer(statement) for statement in statements]
            found = parse_probe(results[result_index], engine)
            if found.fresh:
                return found
            if elapsed() >= wait_seconds:
                return None
            queries.sleep(STALE_PROBE_RETRY_SECONDS)

    stale = (
        "every list of open transactions INNODB_TRX gave was older than the probe for "
        f"{wait_seconds} s (another client reads it more often than every 0.1 s); nothing past "
        "the last position was read"
    )

    def held(reason: str, first: Optional[Probe]) -> Horizon:
        return Horizon(
            read_range=sql.ReadRange(kind, column, lower, lower),
            observed_at=None if first is None else first.now,
            complete_as_of=None,
            oldest_open_transaction=None if first is None else first.oldest_open,
            waited_seconds=round(elapsed(), 3),
            held_reason=reason,
        )

    if kind == "update-timestamp":
        first = probe()
        if first is None:
            return held(stale, None)
        base = first.now if first.oldest_open is None else min(first.now, first.oldest_open)
        upper_time = base - timedelta(seconds=commit_lag_seconds)
        upper = format_bound(upper_time)
        final = first
    elif kind == "increasing-key":
        if engine == "postgres":
            cache = queries.query_writer(sql.sequence_cache_sql(schema, table, column))
            if cache and cache[0] and cache[0][0] not in (None, "1"):
                raise ValueError(
                    f"--bookmark_keys: got {column} of {schema}.{table}, whose sequence has CACHE "
                    f"{cache[0][0]}, expected CACHE 1: cached keys are used long after greater ones "
                    "commit, so an increasing-key read would skip them (ALTER SEQUENCE ... CACHE 1, "
                    "or read the table by an update timestamp)"
                )
        upper = _single_value(
            queries.query_writer(sql.max_key_sql(engine, schema, table, column)), "greatest key"
        )
        first = probe()
        if first is None:
            return held(stale, None)
        taken_at = first.now
        final: Optional[Probe] = first
        # Every transaction open when the greatest key was read must end first.
        while final is not None and final.oldest_open is not None and final.oldest_open <= taken_at:
            if elapsed() >= wait_seconds:
                return held(
                    f"a transaction open since {format_bound(final.oldest_open)} on the writer "
                    f"outlived the {wait_seconds} s wait; nothing past the last position was read",
                    first,
                )
            queries.sleep(POLL_SECONDS)
            final = probe()
        if final is None:
            return held(stale, first)
        upper_time = taken_at
        if upper is None:
            # An empty table: nothing to read, and the position stays where it was.
            upper = lower
    else:
        raise ValueError(
            f"bookmark kind: got {kind!r}, expected 'increasing-key' or 'update-timestamp'"
        )

    if upper is not None and lower is not None:
        upper = _max_text(kind, upper, lower)

    assert final is not None
    if separate_reader:
        if final.log_position is None:
            raise ValueError(
                "horizon probe: got no log position from the writer, expected the writer "
                "(not a replica) at the horizon connection"
            )
        statement = sql.replica_caught_up_sql(engine, final.log_position)
        while True:
            caught_up = _single_value(queries.query_reader(statement), "replica catch-up")
            if caught_up is None:
                raise ValueError(
                    "replica catch-up: got no replay position from the read replica, expected "
                    "pg_last_wal_replay_lsn() to report one; read this source from the writer "
                    "(leave readReplicaHost unset)"
                )
            if caught_up == "1":
                break
            if elapsed() >= wait_seconds:
                return held(
                    f"the read replica had not replayed the writer's log up to "
                    f"{final.log_position} after {wait_seconds} s; nothing past the last "
                    "position was read",
                    first,
                )
            queries.sleep(POLL_SECONDS)

    return Horizon(
        read_range=sql.ReadRange(kind, column, lower, upper),
        observed_at=first.now,
        complete_as_of=upper_time,
        oldest_open_transaction=first.oldest_open,
        waited_seconds=round(elapsed(), 3),
        replica_log_position=final.log_position if separate_reader else None,
    )


# --------------------------------------------------------------------------
# Parallel reads
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionPlan:
    """How Spark splits the JDBC read: one query per stride of the column."""

    partitions: int
    column: Optional[str] = None
    lower_bound: Optional[str] = None
    upper_bound: Optional[str] = None


# Below this many keys in an incremental range one connection is enough.
MIN_KEYS_PER_PARTITION = 50_000

# Column types Spark can stride over (lake types of source_sql.ColumnPlan).
PARTITIONABLE_TYPES = ("tinyint", "smallint", "int", "bigint", "date", "timestamp")


def partition_column_for(
    configured: Optional[str],
    primary_key: Sequence[str],
    kind: Optional[str],
    bookmark_keys: Sequence[str],
    lake_types: dict[str, str],
) -> Optional[str]:
    """The column to split reads by: the configured one, else the increasing key,
    else a single-column primary key; None when no column of a type Spark can
    stride over is known (the read then uses one connection)."""
    by_lower = {name.lower(): name for name in lake_types}
    if configured is not None:
        name = by_lower.get(configured.lower())
        if name is None:
            raise ValueError(
                f"--partition_column: got {configured!r}, expected a column of the table "
                f"(it has: {', '.join(lake_types)})"
            )
        type_ = lake_types[name]
        if not partitionable(type_):
            raise ValueError(
                f"--partition_column: got {configured!r} of lake type {type_}, expected a "
                "column of an integer, date or timestamp type, or a decimal(p,0) with p <= 18 "
                "(Spark reads the bounds as 64-bit integers)"
            )
        return name
    candidates = []
    if kind == "increasing-key":
        candidates.append(bookmark_keys[0])
    if len(primary_key) == 1:
        candidates.append(primary_key[0])
    for candidate in candidates:
        name = by_lower.get(candidate.lower())
        if name is not None and partitionable(lake_types[name]):
            return name
    return None


def partitionable(lake_type: str) -> bool:
    """Whether Spark can stride over a column of this lake type: its numeric
    bounds become 64-bit integers (Long), so decimals only with scale 0 and at
    most 18 digits."""
    if lake_type in PARTITIONABLE_TYPES:
        return True
    match = re.fullmatch(r"decimal\((\d+),0\)", lake_type)
    return match is not None and int(match.group(1)) <= 18


def plan_partitions(
    *,
    read_range: sql.ReadRange,
    column: Optional[str],
    configured_partitions: int,
    bounds: Optional[tuple[Optional[str], Optional[str]]],
) -> PartitionPlan:
    """One connection for an ordinary incremental batch; configured_partitions for
    a snapshot, a first load or any range wide enough to be worth splitting.

    bounds are the min and max of the column within the range (bounds_sql);
    Spark reads every row whatever they are, they only set the stride.
    """
    if column is None or configured_partitions <= 1 or bounds is None:
        return PartitionPlan(1)
    low, high = bounds
    if low is None or high is None or low == high:
        return PartitionPlan(1)
    incremental_batch = read_range.kind != "all" and read_range.lower is not None
    if incremental_batch:
        try:
            span = int(high) - int(low)
        except ValueError:
            # Timestamp ranges of an ordinary run are one interval long: one connection.
            return PartitionPlan(1)
        if span < MIN_KEYS_PER_PARTITION * 2:
            return PartitionPlan(1)
        partitions = min(configured_partitions, span // MIN_KEYS_PER_PARTITION)
    else:
        partitions = configured_partitions
    return PartitionPlan(partitions, column, low, high)


def jdbc_read_options(
    *,
    engine: str,
    url: str,
    select_sql: str,
    fetch_size: int,
    plan: PartitionPlan,
    replica_log_position: Optional[str] = None,
) -> dict[str, str]:
    """Options of Spark's JDBC reader for the bounded select (credentials added by the caller).

    fetchsize makes the driver stream: Spark's PostgreSQL dialect turns
    autocommit off when it is set, which pgjdbc needs to use a cursor; MySQL
    Connector/J needs useCursorFetch=true in the URL (jdbc_url adds it).
    """
    if isinstance(fetch_size, bool) or not isinstance(fetch_size, int) or fetch_size < 1:
        raise ValueError(f"--fetch_size: got {fetch_size!r}, expected a whole number of rows above 0")
    options = {
        "url": url,
        "dbtable": f"({select_sql}) AS lake_batch",
        "fetchsize": str(fetch_size),
        "sessionInitStatement": sql.session_init_sql(engine)
        if replica_log_position is None
        else f"{sql.session_init_sql(engine)}; {sql.replica_guard_sql(replica_log_position)}",
        "driver": "org.postgresql.Driver" if engine == "postgres" else "com.mysql.cj.jdbc.Driver",
    }
    if plan.partitions > 1:
        assert plan.column and plan.lower_bound is not None and plan.upper_bound is not None
        options.update(
            {
                "partitionColumn": plan.column,
                "lowerBound": plan.lower_bound,
                "upperBound": plan.upper_bound,
                "numPartitions": str(plan.partitions),
            }
        )
    return options


def jdbc_url(engine: str, host: str, port: int, database: str) -> str:
    """JDBC URL with TLS required and streaming enabled."""
    sql.quote_identifier(engine, database)
    if engine == "postgres":
        return f"jdbc:postgresql://{host}:{port}/{database}?sslmode=require"
    return f"jdbc:mysql://{host}:{port}/{database}?sslMode=REQUIRED&useCursorFetch=true"
