"""Pure logic of the table ingestion job (glue-scripts/ingest_table.py).

Everything here runs on the Python standard library alone, so it is unit tested
locally with ``python3 -m unittest`` (see glue-scripts/tests). The Glue entry
script keeps only the calls into Spark, Glue and boto3, and reaches them through
the small ``IngestionPorts`` interface that ``run_ingestion`` drives.

Do not import pyspark, awsglue or boto3 at module level: Glue ships this file
with ``--extra-py-files`` and the tests import it without any of them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Mapping, Optional, Protocol, Sequence

import source_sql as sql
from read_horizon import (
    Horizon,
    PartitionPlan,
    SourceQueries,
    jdbc_read_options,
    partition_column_for,
    plan_partitions,
    resolve_horizon,
)
from schema_drift import METADATA_COLUMN_TYPES, check_schema_drift

WATERMARK_SCHEMA_VERSION = 2
# Versions parse_previous_watermark reads; version 1 was written while Glue job
# bookmarks still chose the rows (its high_key becomes the first position).
READABLE_WATERMARK_VERSIONS = (1, 2)

READ_MODES = ("incremental", "snapshot")
BOOKMARK_KINDS = ("increasing-key", "update-timestamp")

# Engine named in --source_engine -> Glue's connection_type for a JDBC read.
GLUE_CONNECTION_TYPES = {"postgres": "postgresql", "mysql": "mysql"}

# Glue job bookmarks stay off: they read "every key past the greatest seen",
# which skips late commits. The job's own watermark bounds every read instead.
EXPECTED_BOOKMARK_OPTION = "job-bookmark-disable"
# getResolvedOptions reports this when the run was started without the option.
GLUE_DEFAULT_BOOKMARK_OPTION = "job-bookmark-disable"

PARTITION_KEYS = ("ingest_date", "ingest_hour")
METADATA_COLUMNS = ("_ingested_at", "_source", "_job_run_id")
RESERVED_COLUMNS = METADATA_COLUMNS + PARTITION_KEYS

REQUIRED_ARGUMENTS = (
    "JOB_NAME",
    "source_name",
    "source_engine",
    "connection_name",
    "jdbc_url",
    "commit_lag_seconds",
    "horizon_wait_seconds",
    "read_partitions",
    "fetch_size",
    "table_schema",
    "table_name",
    "primary_key",
    "read_mode",
    "lake_bucket",
    "raw_prefix",
    "control_prefix",
    "catalog_database",
    "catalog_table",
)
# bookmark_keys and bookmark_kind are required when --read_mode is incremental.
OPTIONAL_ARGUMENTS = (
    "bookmark_keys",
    "bookmark_kind",
    "lake_kms_key_arn",
    "horizon_jdbc_url",
    "horizon_ignore_users",
    "partition_column",
)

# Bounds of the numeric arguments (the config schema enforces the same).
MAX_COMMIT_LAG_SECONDS = 3600
MAX_HORIZON_WAIT_SECONDS = 600
MAX_READ_PARTITIONS = 64
MAX_FETCH_SIZE = 1_000_000

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_SOURCE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)+$")
_CATALOG_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")
_JDBC_URL = {
    "postgres": re.compile(r"^jdbc:postgresql://[A-Za-z0-9.-]{1,253}:[0-9]{1,5}/[A-Za-z_][A-Za-z0-9_$]{0,62}\?sslmode=(require|verify-ca|verify-full)$"),
    "mysql": re.compile(r"^jdbc:mysql://[A-Za-z0-9.-]{1,253}:[0-9]{1,5}/[A-Za-z_][A-Za-z0-9_$]{0,62}\?sslMode=(REQUIRED|VERIFY_CA|VERIFY_IDENTITY)&useCursorFetch=true$"),
}
_USER_NAME = re.compile(r"^[A-Za-z0-9_.@$-]{1,63}$")

# Argument names that suggest a credential. Credentials reach the job only
# through the Glue connection (its SECRET_ID), never as job arguments.
_CREDENTIAL_SUBSTRINGS = (
    "password",
    "passwd",
    "secret",
    "credential",
    "private_key",
    "privatekey",
    "access_key",
    "accesskey",
    "api_key",
    "apikey",
)
_CREDENTIAL_WORDS = ("pwd", "token")


# --------------------------------------------------------------------------
# Job arguments
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class JobConfig:
    """Validated job arguments of one table's ingestion job."""

    job_name: str
    job_run_id: str
    source_name: str
    source_engine: str
    connection_name: str
    table_schema: str
    table_name: str
    primary_key: tuple[str, ...]
    read_mode: str
    bookmark_keys: tuple[str, ...]
    bookmark_kind: Optional[str]
    lake_bucket: str
    raw_prefix: str
    control_prefix: str
    catalog_database: str
    catalog_table: str
    lake_kms_key_arn: Optional[str]
    jdbc_url: str = ""
    # The writer, where the horizon is taken; None when the data is read from it too.
    horizon_jdbc_url: Optional[str] = None
    commit_lag_seconds: int = 60
    horizon_wait_seconds: int = 120
    horizon_ignore_users: tuple[str, ...] = ()
    partition_column: Optional[str] = None
    read_partitions: int = 4
    fetch_size: int = 10_000

    @property
    def is_incremental(self) -> bool:
        return self.read_mode == "incremental"

    @property
    def qualified_table(self) -> str:
        return f"{self.table_schema}.{self.table_name}"


def _argument_names_in(argv: Sequence[str]) -> list[str]:
    names = []
    for token in argv[1:]:
        if token.startswith("--") and len(token) > 2:
            names.append(token[2:].split("=", 1)[0])
    return names


def find_credential_arguments(argv: Sequence[str]) -> list[str]:
    """Names of arguments in ``argv`` (sys.argv form) that look like credentials."""
    found = []
    for name in _argument_names_in(argv):
        normalised = name.lower().replace("-", "_")
        words = [w for w in normalised.split("_") if w]
        if any(s in normalised for s in _CREDENTIAL_SUBSTRINGS) or any(
            w in _CREDENTIAL_WORDS for w in words
        ):
            found.append(name)
    return found


def reject_credential_arguments(argv: Sequence[str]) -> None:
    """Raise ValueError if any job argument is named like a credential."""
    found = find_credential_arguments(argv)
    if found:
        listed = ", ".join(f"--{name}" for name in found)
        raise ValueError(
            f"credential-like job argument(s) {listed}: got a credential as a job argument, "
            "expected none (the database credentials come from Secrets Manager through "
            "the Glue connection's SECRET_ID)"
        )


def resolved_option_names(argv: Sequence[str]) -> list[str]:
    """Names to hand to getResolvedOptions: the contract's arguments present in argv.

    Absent ones are left out so that parse_job_arguments, not argparse, reports
    them with a message naming the argument and what was expected.
    """
    present = set(_argument_names_in(argv))
    return [n for n in REQUIRED_ARGUMENTS + OPTIONAL_ARGUMENTS if n in present]


def _error(name: str, value: Optional[str], expected: str) -> str:
    got = "missing" if value is None else f"got {value!r}"
    return f"--{name}: {got}, expected {expected}"


def _blank(value: Optional[str]) -> bool:
    return value is None or value.strip() == ""


def _column_list(
    name: str, value: Optional[str], errors: list[str], when: str = ""
) -> tuple[str, ...]:
    expected = (
        "a comma-separated list of distinct column names matching "
        f"{_IDENTIFIER.pattern}{when}"
    )
    if _blank(value):
        errors.append(_error(name, value, expected))
        return ()
    assert value is not None
    items = [item.strip() for item in value.split(",")]
    lowered = [item.lower() for item in items]
    if any(not _IDENTIFIER.match(item) for item in items) or len(set(lowered)) != len(
        lowered
    ):
        errors.append(_error(name, value, expected))
        return ()
    return tuple(items)


def _check_prefix(name: str, value: Optional[str], errors: list[str]) -> str:
    if value is None or not _KEY_PREFIX.match(value):
        errors.append(
            _error(
                name,
                value,
                "a relative S3 key prefix ending in '/', such as "
                "'raw/trackman-backend/public_shots/' (segments of letters, digits, "
                "'_', '.' or '-'; no leading '/', no '.' or '..' segments, no '=')",
            )
        )
        return ""
    return value


def _check_bucket(value: Optional[str], errors: list[str]) -> str:
    expected = (
        "an S3 bucket name (3-63 lowercase letters, digits, '.' or '-', starting and "
        "ending with a letter or digit, no '..', not an IP address)"
    )
    if value is None or not _BUCKET.match(value) or ".." in value:
        errors.append(_error("lake_bucket", value, expected))
        return ""
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return value
    errors.append(_error("lake_bucket", value, expected))
    return ""


def parse_job_arguments(args: Mapping[str, Optional[str]]) -> JobConfig:
    """Validate the resolved job arguments (getResolvedOptions output).

    ``args`` maps argument names without the leading ``--`` to their values;
    a name that is absent or maps to None counts as missing. Glue's own
    ``JOB_RUN_ID`` and ``job_bookmark_option`` are read from the same mapping.

    Raises ValueError listing, one per line, every argument that is wrong, each
    naming the argument, the value received and what was expected.
    """
    errors: list[str] = []

    def get(name: str) -> Optional[str]:
        return args.get(name)

    job_name = get("JOB_NAME")
    if _blank(job_name):
        errors.append(_error("JOB_NAME", job_name, "the Glue job name"))

    job_run_id = get("JOB_RUN_ID")
    if job_run_id is None or not _RUN_ID.match(job_run_id):
        errors.append(
            _error(
                "JOB_RUN_ID",
                job_run_id,
                "the Glue job run id set by Glue (1-255 letters, digits, '_' or '-')",
            )
        )

    source_name = get("source_name")
    if source_name is None or not _SOURCE_NAME.match(source_name):
        errors.append(
            _error(
                "source_name",
                source_name,
                "1-63 lowercase letters, digits or '-', starting and ending with a "
                "letter or digit, such as 'trackman-backend'",
            )
        )

    source_engine = get("source_engine")
    if source_engine not in GLUE_CONNECTION_TYPES:
        errors.append(_error("source_engine", source_engine, "one of 'postgres', 'mysql'"))

    connection_name = get("connection_name")
    if (
        _blank(connection_name)
        or len(connection_name or "") > 255
        or connection_name != (connection_name or "").strip()
        or any(c in (connection_name or "") for c in "\r\n")
    ):
        errors.append(
            _error(
                "connection_name",
                connection_name,
                "the name of the Glue JDBC connection (1-255 characters on one line, "
                "no leading or trailing spaces)",
            )
        )

    for name in ("table_schema", "table_name"):
        value = get(name)
        if value is None or not _IDENTIFIER.match(value):
            errors.append(
                _error(name, value, f"a SQL identifier matching {_IDENTIFIER.pattern}")
            )

    primary_key = _column_list("primary_key", get("primary_key"), errors)

    read_mode = get("read_mode")
    if read_mode not in READ_MODES:
        errors.append(_error("read_mode", read_mode, "one of 'incremental', 'snapshot'"))

    bookmark_keys: tuple[str, ...] = ()
    bookmark_kind: Optional[str] = None
    raw_keys = get("bookmark_keys")
    raw_kind = get("bookmark_kind")
    if read_mode == "incremental":
        bookmark_keys = _column_list(
            "bookmark_keys", raw_keys, errors, " when --read_mode is incremental"
        )
        if raw_kind not in BOOKMARK_KINDS:
            errors.append(
                _error(
                    "bookmark_kind",
                    raw_kind,
                    "one of 'increasing-key', 'update-timestamp' when --read_mode is "
                    "incremental",
                )
            )
        else:
            bookmark_kind = raw_kind
    elif read_mode == "snapshot":
        if not _blank(raw_keys):
            errors.append(
                _error(
                    "bookmark_keys",
                    raw_keys,
                    "no value when --read_mode is snapshot (a snapshot reads the whole "
                    "table)",
                )
            )
        if not _blank(raw_kind):
            errors.append(
                _error("bookmark_kind", raw_kind, "no value when --read_mode is snapshot")
            )

    bookmark_option = args.get("job_bookmark_option") or GLUE_DEFAULT_BOOKMARK_OPTION
    if bookmark_option != EXPECTED_BOOKMARK_OPTION:
        errors.append(
            _error(
                "job-bookmark-option",
                bookmark_option,
                f"{EXPECTED_BOOKMARK_OPTION!r} (Glue job bookmarks skip late commits; the job's "
                "watermark bounds every read)",
            )
        )
    if read_mode == "incremental" and bookmark_kind == "increasing-key" and len(bookmark_keys) > 1:
        errors.append(
            _error(
                "bookmark_keys",
                raw_keys,
                "exactly one column when --bookmark_kind is increasing-key",
            )
        )

    engine_for_url = source_engine if source_engine in _JDBC_URL else None
    jdbc_url = get("jdbc_url")
    url_rule = (
        "a JDBC URL with TLS required, as the stack writes it: "
        "'jdbc:postgresql://<host>:<port>/<database>?sslmode=require' or "
        "'jdbc:mysql://<host>:<port>/<database>?sslMode=REQUIRED&useCursorFetch=true'"
    )
    if engine_for_url is not None and (jdbc_url is None or not _JDBC_URL[engine_for_url].match(jdbc_url)):
        errors.append(_error("jdbc_url", jdbc_url, url_rule))
    raw_horizon_url = get("horizon_jdbc_url")
    horizon_jdbc_url: Optional[str] = None
    if not _blank(raw_horizon_url):
        if engine_for_url != "postgres" or not _JDBC_URL["postgres"].match(raw_horizon_url or ""):
            errors.append(
                _error(
                    "horizon_jdbc_url",
                    raw_horizon_url,
                    "no value, or for a PostgreSQL source read from a replica the writer's "
                    + url_rule.split(": ", 1)[1].split(" or ")[0],
                )
            )
        elif raw_horizon_url != jdbc_url:
            horizon_jdbc_url = raw_horizon_url

    def whole(name: str, low: int, high: int, unit: str) -> int:
        value = get(name)
        if value is None or not re.fullmatch(r"[0-9]{1,7}", value) or not low <= int(value) <= high:
            errors.append(_error(name, value, f"a whole number of {unit} from {low} to {high}"))
            return low
        return int(value)

    commit_lag_seconds = whole("commit_lag_seconds", 0, MAX_COMMIT_LAG_SECONDS, "seconds")
    horizon_wait_seconds = whole("horizon_wait_seconds", 0, MAX_HORIZON_WAIT_SECONDS, "seconds")
    read_partitions = whole("read_partitions", 1, MAX_READ_PARTITIONS, "partitions")
    fetch_size = whole("fetch_size", 1, MAX_FETCH_SIZE, "rows")

    raw_users = get("horizon_ignore_users")
    ignore_users: tuple[str, ...] = ()
    if not _blank(raw_users):
        users = [u.strip() for u in (raw_users or "").split(",")]
        if any(not _USER_NAME.match(u) for u in users):
            errors.append(
                _error(
                    "horizon_ignore_users",
                    raw_users,
                    "a comma-separated list of database user names (letters, digits, _ . @ $ or -)",
                )
            )
        else:
            ignore_users = tuple(users)

    raw_partition_column = get("partition_column")
    partition_column: Optional[str] = None
    if not _blank(raw_partition_column):
        if not _IDENTIFIER.match(raw_partition_column or ""):
            errors.append(
                _error("partition_column", raw_partition_column, f"a column name matching {_IDENTIFIER.pattern}")
            )
        else:
            partition_column = raw_partition_column

    lake_bucket = _check_bucket(get("lake_bucket"), errors)
    raw_prefix = _check_prefix("raw_prefix", get("raw_prefix"), errors)
    control_prefix = _check_prefix("control_prefix", get("control_prefix"), errors)
    if raw_prefix and control_prefix and (
        raw_prefix.startswith(control_prefix) or control_prefix.startswith(raw_prefix)
    ):
        errors.append(
            _error(
                "control_prefix",
                control_prefix,
                f"a prefix that neither contains nor lies inside --raw_prefix "
                f"{raw_prefix!r} (control files under the table location would be "
                "read as data)",
            )
        )

    for name in ("catalog_database", "catalog_table"):
        value = get(name)
        if value is None or not _CATALOG_NAME.match(value):
            errors.append(
                _error(
                    name,
                    value,
                    "1-255 lowercase letters, digits or '_' (names Athena can query "
                    "without quoting)",
                )
            )

    raw_key_arn = get("lake_kms_key_arn")
    lake_kms_key_arn: Optional[str] = None
    if not _blank(raw_key_arn):
        assert raw_key_arn is not None
        if _KMS_KEY_ARN.match(raw_key_arn):
            lake_kms_key_arn = raw_key_arn
        else:
            errors.append(
                _error(
                    "lake_kms_key_arn",
                    raw_key_arn,
                    "a KMS key ARN such as "
                    "'arn:aws:kms:eu-west-1:111111111111:key/<key id>' (not an alias), "
                    "or no value",
                )
            )

    if errors:
        raise ValueError("\n".join(errors))

    return JobConfig(
        job_name=job_name or "",
        job_run_id=job_run_id or "",
        source_name=source_name or "",
        source_engine=source_engine or "",
        connection_name=connection_name or "",
        table_schema=get("table_schema") or "",
        table_name=get("table_name") or "",
        primary_key=primary_key,
        read_mode=read_mode or "",
        bookmark_keys=bookmark_keys,
        bookmark_kind=bookmark_kind,
        lake_bucket=lake_bucket,
        raw_prefix=raw_prefix,
        control_prefix=control_prefix,
        catalog_database=get("catalog_database") or "",
        catalog_table=get("catalog_table") or "",
        lake_kms_key_arn=lake_kms_key_arn,
        jdbc_url=jdbc_url or "",
        horizon_jdbc_url=horizon_jdbc_url,
        commit_lag_seconds=commit_lag_seconds,
        horizon_wait_seconds=horizon_wait_seconds,
        horizon_ignore_users=ignore_users,
        partition_column=partition_column,
        read_partitions=read_partitions,
        fetch_size=fetch_size,
    )


# --------------------------------------------------------------------------
# Source read
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedColumns:
    """Configured key columns mapped to the source's spelling of them."""

    primary_key: tuple[str, ...]
    bookmark_keys: tuple[str, ...]


def check_source_columns(columns: Sequence[str], config: JobConfig) -> ResolvedColumns:
    """Check the columns the source returned before anything is written.

    Raises ValueError if a column would collide with the metadata or partition
    columns the job adds, if two columns differ only by case (the catalog and
    Parquet readers are case-insensitive), or if a primary key or bookmark key
    column is missing. Column names are matched case-insensitively.
    """
    by_lower: dict[str, str] = {}
    clashes = []
    for column in columns:
        lowered = column.lower()
        if lowered in by_lower:
            clashes.append(f"{by_lower[lowered]!r}/{column!r}")
        by_lower[lowered] = column
    if clashes:
        raise ValueError(
            f"source table {config.qualified_table}: got columns differing only by case "
            f"({', '.join(clashes)}), expected case-insensitively distinct column names"
        )

    reserved = [by_lower[c] for c in RESERVED_COLUMNS if c in by_lower] + [
        column for column in columns if column.lower().startswith(sql.GUARD_PREFIX)
    ]
    if reserved:
        raise ValueError(
            f"source table {config.qualified_table}: got column(s) "
            f"{', '.join(repr(c) for c in reserved)}, expected none named "
            f"{', '.join(RESERVED_COLUMNS)} or starting with {sql.GUARD_PREFIX} (the job adds these)"
        )

    def resolve(name: str, wanted: Sequence[str]) -> tuple[str, ...]:
        missing = [w for w in wanted if w.lower() not in by_lower]
        if missing:
            raise ValueError(
                f"--{name}: got {','.join(wanted)!r}, expected columns of "
                f"{config.qualified_table}; not found: {', '.join(missing)} "
                f"(the table has: {', '.join(columns)})"
            )
        return tuple(by_lower[w.lower()] for w in wanted)

    return ResolvedColumns(
        primary_key=resolve("primary_key", config.primary_key),
        bookmark_keys=resolve("bookmark_keys", config.bookmark_keys),
    )


# --------------------------------------------------------------------------
# Time, partitions and locations
# --------------------------------------------------------------------------


def _require_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what}: got {type(value).__name__}, expected a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what}: got naive datetime {value.isoformat()}, expected a "
            "timezone-aware datetime"
        )
    return value.astimezone(timezone.utc)


def run_started_at(now: datetime) -> datetime:
    """The run's start time in UTC, truncated to milliseconds.

    Truncating once means the watermark's started_at and every row's
    _ingested_at hold exactly the same instant.
    """
    utc = _require_aware(now, "run start time")
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def format_run_timestamp(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and 'Z', e.g. 2024-05-01T07:00:00.123Z."""
    utc = _require_aware(value, "run timestamp")
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RunPartition:
    """The one lake partition a run writes to."""

    ingest_date: str
    ingest_hour: str

    @property
    def path(self) -> str:
        return f"ingest_date={self.ingest_date}/ingest_hour={self.ingest_hour}/"

    def as_dict(self) -> dict[str, str]:
        return {"ingest_date": self.ingest_date, "ingest_hour": self.ingest_hour}


def partition_for(started_at: datetime) -> RunPartition:
    """Partition values from the run's start time, converted to UTC.

    One timestamp per run, so a run never straddles two partitions.
    """
    utc = _require_aware(started_at, "run start time")
    return RunPartition(ingest_date=f"{utc:%Y-%m-%d}", ingest_hour=f"{utc:%H}")


def table_root_uri(config: JobConfig) -> str:
    """Where the catalog table lives; the sink adds the partition folders."""
    return f"s3://{config.lake_bucket}/{config.raw_prefix}"


def partition_uri(config: JobConfig, partition: RunPartition) -> str:
    return f"{table_root_uri(config)}{partition.path}"


@dataclass(frozen=True)
class WatermarkKeys:
    latest: str
    history: str


def watermark_keys(config: JobConfig, partition: RunPartition) -> WatermarkKeys:
    """S3 keys of the latest watermark and of this run's history record."""
    return WatermarkKeys(
        latest=f"{config.control_prefix}watermark.json",
        history=(
            f"{config.control_prefix}runs/{partition.ingest_date}/"
            f"{config.job_run_id}.json"
        ),
    )


def put_object_encryption_params(lake_kms_key_arn: Optional[str]) -> dict[str, Any]:
    """Encryption arguments for boto3 put_object of control files.

    The Glue security configuration encrypts what Spark writes, not what boto3
    writes. ServerSideEncryption='aws:kms' on its own would use the AWS managed
    key aws/s3, not the lake key, so either name the key or send no encryption
    header and let the bucket's default encryption (lake key, bucket key) apply.
    """
    if lake_kms_key_arn is None:
        return {}
    return {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": lake_kms_key_arn,
        "BucketKeyEnabled": True,
    }


# --------------------------------------------------------------------------
# Watermark: the record of what landed, and the commit point of a run
# --------------------------------------------------------------------------


def parse_previous_watermark(body: Optional[bytes | str]) -> Optional[dict[str, Any]]:
    """The previous latest watermark, or None if there is none.

    Raises ValueError if the object exists but is not a watermark this job can
    read: the position of the next read comes from it, so guessing would either
    skip rows or re-read the whole table.
    """
    if body is None:
        return None
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"previous watermark: got unreadable JSON ({error.__class__.__name__}), "
            "expected a watermark document"
        ) from None
    if not isinstance(document, dict):
        raise ValueError(
            f"previous watermark: got a JSON {type(document).__name__}, expected an object"
        )
    version = document.get("schema_version")
    if version not in READABLE_WATERMARK_VERSIONS:
        raise ValueError(
            f"previous watermark: got schema_version {version!r}, expected one of "
            f"{', '.join(str(v) for v in READABLE_WATERMARK_VERSIONS)}"
        )
    return document


_POSITION_INTEGER = re.compile(r"^-?[0-9]{1,38}$")


def _check_position(value: Any, kind: str) -> str:
    if kind == "increasing-key":
        if isinstance(value, str) and _POSITION_INTEGER.match(value):
            return value
        raise ValueError(
            f"previous watermark position: got {value!r}, expected a whole number for an "
            "increasing-key table"
        )
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            utc = parsed.astimezone(timezone.utc)
            return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}Z"
    raise ValueError(
        f"previous watermark position: got {value!r}, expected an ISO 8601 timestamp for an "
        "update-timestamp table"
    )


def previous_position(
    previous: Optional[Mapping[str, Any]], config: JobConfig
) -> Optional[str]:
    """Where this run's range starts: the position the last run committed.

    None reads from the beginning: no watermark yet, a snapshot table, or a
    table that was read as a snapshot before. A watermark of the same table read
    incrementally by other keys or another kind stops the run: a changed key
    means a full re-read, which an operator starts on purpose by deleting the
    watermark (docs/runbook.md#reset-a-table).
    """
    if previous is None or not config.is_incremental:
        return None
    if (
        previous.get("source"),
        previous.get("schema"),
        previous.get("table"),
    ) != (config.source_name, config.table_schema, config.table_name):
        raise ValueError(
            f"previous watermark: got one for {previous.get('source')!r} "
            f"{previous.get('schema')!r}.{previous.get('table')!r}, expected "
            f"{config.source_name} {config.qualified_table}"
        )
    if previous.get("read_mode") != "incremental":
        return None
    same_keys = list(previous.get("bookmark_keys") or []) == list(config.bookmark_keys)
    same_kind = previous.get("bookmark_kind") == config.bookmark_kind
    if not (same_keys and same_kind):
        raise ValueError(
            f"previous watermark: got bookmark keys {previous.get('bookmark_keys')!r} "
            f"({previous.get('bookmark_kind')}), expected {list(config.bookmark_keys)!r} "
            f"({config.bookmark_kind}); delete {config.control_prefix}watermark.json to re-read "
            "the table from the start"
        )
    kind = config.bookmark_kind or ""
    if previous.get("schema_version") == 1:
        # Written while Glue job bookmarks chose the rows: its high key is the
        # greatest value landed, so the next range starts there. For a timestamp
        # the rows at exactly that instant are read again (duplicates that the
        # dedup rule in docs/ingestion-job.md removes), never skipped.
        high_key = previous.get("high_key")
        if high_key is None:
            return None
        if not isinstance(high_key, dict) or config.bookmark_keys[0] not in high_key:
            raise ValueError(
                f"previous watermark: got high_key {high_key!r}, expected a value for "
                f"{config.bookmark_keys[0]}"
            )
        return _check_position(high_key[config.bookmark_keys[0]], kind)
    position = previous.get("position")
    return None if position is None else _check_position(position, kind)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return None if value is None else format_run_timestamp_micros(value)


def format_run_timestamp_micros(value: datetime) -> str:
    utc = _require_aware(value, "timestamp")
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}Z"


def build_watermark(
    config: JobConfig,
    partition: RunPartition,
    rows: int,
    horizon: Optional[Horizon],
    started_at: datetime,
    finished_at: datetime,
) -> dict[str, Any]:
    """The watermark document of one run (schema_version 2).

    position is where the next incremental run starts; complete_as_of says up
    to when every committed row of the table is in the lake (freshness evidence).
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError(f"rows: got {rows!r}, expected a non-negative integer")
    if config.is_incremental != (horizon is not None):
        raise ValueError(
            "horizon: expected one for an incremental read and none for a snapshot"
        )
    start = _require_aware(started_at, "started_at")
    finish = _require_aware(finished_at, "finished_at")
    if finish < start:
        raise ValueError(
            f"finished_at: got {format_run_timestamp(finish)}, expected a time not "
            f"before started_at {format_run_timestamp(start)}"
        )
    document: dict[str, Any] = {
        "schema_version": WATERMARK_SCHEMA_VERSION,
        "source": config.source_name,
        "schema": config.table_schema,
        "table": config.table_name,
        "read_mode": config.read_mode,
        "bookmark_kind": config.bookmark_kind,
        "bookmark_keys": list(config.bookmark_keys),
        "primary_key": list(config.primary_key),
        "rows": rows,
        "job_run_id": config.job_run_id,
        "started_at": format_run_timestamp(start),
        "finished_at": format_run_timestamp(finish),
        "partition": partition.as_dict(),
        "data_location": partition_uri(config, partition) if rows > 0 else None,
    }
    if horizon is None:
        document.update(
            {
                "range": None,
                "position": None,
                "complete_as_of": format_run_timestamp(start),
                "horizon": None,
            }
        )
        return document
    read_range = horizon.read_range
    document.update(
        {
            "range": {
                "column": read_range.column,
                "lower": read_range.lower,
                "upper": read_range.upper,
                "lower_inclusive": read_range.kind == "update-timestamp",
                "upper_inclusive": read_range.kind == "increasing-key",
            },
            "position": horizon.position,
            "complete_as_of": _iso(horizon.complete_as_of),
            "horizon": {
                "observed_at": _iso(horizon.observed_at),
                "oldest_open_transaction": _iso(horizon.oldest_open_transaction),
                "commit_lag_seconds": config.commit_lag_seconds,
                "waited_seconds": horizon.waited_seconds,
                "held_reason": horizon.held_reason,
            },
        }
    )
    return document


def watermark_json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n").encode(
        "utf-8"
    )


# --------------------------------------------------------------------------
# The run itself
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchStats:
    """What one aggregate over the batch read reports."""

    rows: int
    # Guard column -> number of rows whose value the lake cannot hold.
    guard_totals: Mapping[str, int]


class IngestionPorts(SourceQueries, Protocol):
    """The side effects of a run; ingest_table.py implements them with Glue."""

    def load_batch(self, options: Mapping[str, str]) -> Sequence[tuple[str, str]]:
        """Read the source with Spark's JDBC reader; return (column, lake type) pairs."""

    def batch_stats(self, guard_columns: Sequence[str]) -> BatchStats:
        """Count the batch and total its guard columns, in one aggregate."""

    def catalog_columns(self) -> Optional[Sequence[tuple[str, str]]]:
        """(name, type) of the catalog table's data columns; None if it does not exist."""

    def write_batch(
        self, partition: RunPartition, ingested_at: datetime, drop_columns: Sequence[str]
    ) -> None:
        """Write the batch without drop_columns, with the metadata columns
        (_ingested_at = ingested_at), to the partition; add it to the catalog."""

    def read_object(self, key: str) -> Optional[bytes]:
        """The body of a lake bucket object, or None if it does not exist."""

    def put_object(self, key: str, body: bytes) -> None:
        """Write a lake bucket object."""

    def commit(self) -> None:
        """job.commit(): ends the Glue job run (bookmarks are off)."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""

    def log(self, message: str) -> None:
        """Log a line. Never pass row contents."""


def _single_row(rows: Sequence[Sequence[Optional[str]]], what: str) -> Sequence[Optional[str]]:
    if len(rows) != 1:
        raise ValueError(f"{what}: got {len(rows)} row(s), expected one")
    return rows[0]


def plan_read(
    config: JobConfig, lower: Optional[str], ports: SourceQueries
) -> tuple[list[sql.ColumnPlan], Optional[Horizon], str, PartitionPlan]:
    """Column plans, horizon, the bounded select and its partitioning."""
    engine = config.source_engine
    columns = sql.parse_column_rows(
        ports.query_reader(sql.columns_sql(engine, config.table_schema, config.table_name)),
        config.qualified_table,
    )
    resolved = check_source_columns([c.name for c in columns], config)
    plans = sql.plan_columns(engine, columns)
    lake_types = {p.name: p.lake_type for p in plans}

    horizon: Optional[Horizon] = None
    if config.is_incremental:
        key = resolved.bookmark_keys[0]
        key_type = lake_types[key]
        if config.bookmark_kind == "increasing-key" and not (
            key_type in ("tinyint", "smallint", "int", "bigint") or re.fullmatch(r"decimal\(\d+,0\)", key_type)
        ):
            raise ValueError(
                f"--bookmark_keys: got {key} of lake type {key_type} in {config.qualified_table}, "
                "expected an integer column for an increasing-key table"
            )
        if config.bookmark_kind == "update-timestamp" and key_type != "timestamp":
            raise ValueError(
                f"--bookmark_keys: got {key} of lake type {key_type} in {config.qualified_table}, "
                "expected a timestamp column first for an update-timestamp table"
            )
        horizon = resolve_horizon(
            engine=engine,
            schema=config.table_schema,
            table=config.table_name,
            kind=config.bookmark_kind or "",
            column=key,
            lower=lower,
            commit_lag_seconds=config.commit_lag_seconds,
            wait_seconds=config.horizon_wait_seconds,
            separate_reader=config.horizon_jdbc_url is not None,
            queries=ports,
            ignored_users=config.horizon_ignore_users,
        )
        read_range = horizon.read_range
    else:
        read_range = sql.ReadRange("all")

    select = sql.bounded_select_sql(engine, config.table_schema, config.table_name, plans, read_range)
    column = partition_column_for(
        config.partition_column,
        resolved.primary_key,
        config.bookmark_kind,
        resolved.bookmark_keys,
        lake_types,
    )
    bounds = None
    if column is not None and config.read_partitions > 1 and not read_range.empty:
        low, high = _single_row(
            ports.query_reader(
                sql.bounds_sql(
                    engine, config.table_schema, config.table_name, column, read_range, lake_types[column]
                )
            ),
            "partition bounds",
        )[:2]
        bounds = (low, high)
    partitioning = plan_partitions(
        read_range=read_range,
        column=column,
        configured_partitions=config.read_partitions,
        bounds=bounds,
    )
    return plans, horizon, select, partitioning


def run_ingestion(
    config: JobConfig, started_at: datetime, ports: IngestionPorts
) -> dict[str, Any]:
    """Land one bounded batch of the table and record it; return the watermark written.

    Order matters and is the whole point of this function:
      1. read the previous watermark: where this run's range starts;
      2. fix the range (never past a commit that may still appear), read it
         and check it: values the lake cannot hold, schema drift;
      3. write the data (and catalog partition) -- only if there are rows;
      4. write the watermark: history record, then latest. The latest
         watermark is the commit point: the next run starts at its position.
    A failure at any step stops the later ones, so the position never moves
    past data that did not land. A failure after step 3 leaves data that the
    retry lands again, from the same range (docs/ingestion-job.md says how to
    remove those duplicates).
    """
    started = run_started_at(started_at)
    partition = partition_for(started)
    keys = watermark_keys(config, partition)

    previous = parse_previous_watermark(ports.read_object(keys.latest))
    lower = previous_position(previous, config)

    plans, horizon, select, partitioning = plan_read(config, lower, ports)
    if horizon is not None and horizon.held_reason is not None:
        ports.log(f"{config.qualified_table}: horizon held: {horizon.held_reason}")

    rows = 0
    read_range = horizon.read_range if horizon is not None else sql.ReadRange("all")
    if not read_range.empty and not (
        read_range.kind != "all" and read_range.lower == read_range.upper
    ):
        options = jdbc_read_options(
            engine=config.source_engine,
            url=config.jdbc_url,
            select_sql=select,
            fetch_size=config.fetch_size,
            plan=partitioning,
            replica_log_position=None if horizon is None else horizon.replica_log_position,
        )
        batch_columns = list(ports.load_batch(options))
        guards = sql.guard_columns(plans)
        stats = ports.batch_stats(list(guards))
        if isinstance(stats.rows, bool) or not isinstance(stats.rows, int) or stats.rows < 0:
            raise ValueError(f"batch rows: got {stats.rows!r}, expected a non-negative integer")
        problem = sql.unrepresentable_values_error(
            config.qualified_table, guards, dict(stats.guard_totals)
        )
        if problem is not None:
            raise ValueError(problem)
        data_columns = [(n, t) for n, t in batch_columns if n not in guards]
        check_schema_drift(
            config.qualified_table,
            data_columns + list(METADATA_COLUMN_TYPES.items()),
            ports.catalog_columns(),
        )
        rows = stats.rows
        if rows > 0:
            ports.write_batch(partition, started, list(guards))
            ports.log(
                f"landed {rows} row(s) of {config.qualified_table} in {partition.path} "
                f"({partitioning.partitions} read partition(s))"
            )
    if rows == 0:
        ports.log(f"no new rows in {config.qualified_table}; writing a heartbeat watermark")

    document = build_watermark(
        config=config,
        partition=partition,
        rows=rows,
        horizon=horizon,
        started_at=started,
        finished_at=ports.now(),
    )
    body = watermark_json(document)
    # The data is fully written before this point. The latest watermark is the
    # commit point of the run: never write it before the data.
    ports.put_object(keys.history, body)
    ports.put_object(keys.latest, body)
    ports.commit()
    return document
