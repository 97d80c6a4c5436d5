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
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Mapping, Optional, Protocol, Sequence

WATERMARK_SCHEMA_VERSION = 1

READ_MODES = ("incremental", "snapshot")
BOOKMARK_KINDS = ("increasing-key", "update-timestamp")

# Engine named in --source_engine -> Glue's connection_type for a JDBC read.
GLUE_CONNECTION_TYPES = {"postgres": "postgresql", "mysql": "mysql"}

# The only --job-bookmark-option each read mode runs with.
EXPECTED_BOOKMARK_OPTION = {
    "incremental": "job-bookmark-enable",
    "snapshot": "job-bookmark-disable",
}
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
OPTIONAL_ARGUMENTS = ("bookmark_keys", "bookmark_kind", "lake_kms_key_arn")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_SOURCE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)+$")
_CATALOG_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")

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
    expected_option = EXPECTED_BOOKMARK_OPTION.get(read_mode or "")
    if expected_option is not None and bookmark_option != expected_option:
        errors.append(
            _error(
                "job-bookmark-option",
                bookmark_option,
                f"{expected_option!r} when --read_mode is {read_mode}",
            )
        )

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
    )


# --------------------------------------------------------------------------
# Source read
# --------------------------------------------------------------------------


def glue_connection_type(source_engine: str) -> str:
    """Glue's connection_type for a JDBC read from the given engine."""
    try:
        return GLUE_CONNECTION_TYPES[source_engine]
    except KeyError:
        raise ValueError(
            f"source engine: got {source_engine!r}, expected one of 'postgres', 'mysql'"
        ) from None


def read_transformation_ctx(config: JobConfig) -> str:
    """The transformation_ctx of the JDBC read.

    Glue keys the job bookmark state by this string, so it must never change for
    a table: a new value silently restarts the bookmark from the beginning.
    Bookmark state is per job, and each table has its own job.
    """
    return f"read_{config.source_name}_{config.table_schema}_{config.table_name}"


def jdbc_connection_options(config: JobConfig) -> dict[str, Any]:
    """connection_options for create_dynamic_frame.from_options.

    The URL and credentials come from the Glue connection itself
    (useConnectionProperties); the job never sees a password.
    """
    options: dict[str, Any] = {
        "useConnectionProperties": "true",
        "connectionName": config.connection_name,
        "dbtable": config.qualified_table,
    }
    if config.is_incremental:
        options["jobBookmarkKeys"] = list(config.bookmark_keys)
        options["jobBookmarkKeysSortOrder"] = "asc"
    return options


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

    reserved = [by_lower[c] for c in RESERVED_COLUMNS if c in by_lower]
    if reserved:
        raise ValueError(
            f"source table {config.qualified_table}: got column(s) "
            f"{', '.join(repr(c) for c in reserved)}, expected none named "
            f"{', '.join(RESERVED_COLUMNS)} (the job adds these to every row)"
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
# High key and watermark
# --------------------------------------------------------------------------


def serialize_key_value(value: Any) -> Optional[str]:
    """One bookmark key value as a JSON-safe string.

    Integers and decimals as plain digits (no exponent), dates as YYYY-MM-DD,
    datetimes as ISO 8601 UTC with microseconds and 'Z'. A naive datetime is
    taken to be UTC: Spark hands timestamps to Python as naive datetimes in the
    driver's time zone, which the job pins to UTC. None stays None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("bookmark key value: got bool, expected a number, date, "
                        "datetime or string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"bookmark key value: got {value}, expected a finite decimal")
        return format(value, "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"bookmark key value: got {value}, expected a finite number")
        return repr(value)
    if isinstance(value, datetime):
        utc = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        utc = utc.astimezone(timezone.utc)
        return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(
        f"bookmark key value: got {type(value).__name__}, expected a number, date, "
        "datetime or string"
    )


def serialize_high_key(
    bookmark_keys: Sequence[str], values: Optional[Sequence[Any]]
) -> Optional[dict[str, Optional[str]]]:
    """The high key as {column: value}, in bookmark key order; None if no values."""
    if values is None:
        return None
    if len(values) != len(bookmark_keys):
        raise ValueError(
            f"high key: got {len(values)} value(s), expected one per bookmark key "
            f"({', '.join(bookmark_keys)})"
        )
    return {key: serialize_key_value(v) for key, v in zip(bookmark_keys, values)}


def parse_previous_watermark(body: Optional[bytes | str]) -> Optional[dict[str, Any]]:
    """The previous latest watermark, or None if there is none.

    Raises ValueError if the object exists but is not a watermark this job wrote.
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
    if version != WATERMARK_SCHEMA_VERSION:
        raise ValueError(
            f"previous watermark: got schema_version {version!r}, expected "
            f"{WATERMARK_SCHEMA_VERSION}"
        )
    return document


def carry_forward_high_key(
    previous: Optional[Mapping[str, Any]], config: JobConfig
) -> Optional[dict[str, Optional[str]]]:
    """The high key an empty incremental run reports: the previous one, if it
    describes the same table read the same way; otherwise None."""
    if previous is None or not config.is_incremental:
        return None
    same_table = (
        previous.get("source") == config.source_name
        and previous.get("schema") == config.table_schema
        and previous.get("table") == config.table_name
        and previous.get("read_mode") == "incremental"
        and list(previous.get("bookmark_keys") or []) == list(config.bookmark_keys)
    )
    high_key = previous.get("high_key")
    if not same_table or not isinstance(high_key, dict):
        return None
    if list(high_key.keys()) != list(config.bookmark_keys):
        return None
    if not all(v is None or isinstance(v, str) for v in high_key.values()):
        return None
    return dict(high_key)


def build_watermark(
    config: JobConfig,
    partition: RunPartition,
    rows: int,
    high_key: Optional[Mapping[str, Optional[str]]],
    high_key_carried_forward: bool,
    started_at: datetime,
    finished_at: datetime,
) -> dict[str, Any]:
    """The watermark document of one run (schema_version 1)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError(f"rows: got {rows!r}, expected a non-negative integer")
    if not config.is_incremental and high_key is not None:
        raise ValueError("high_key: got a value, expected None for a snapshot read")
    if high_key_carried_forward and (rows != 0 or high_key is None):
        raise ValueError(
            "high_key_carried_forward: got True, expected it only for a run that "
            "landed no rows and carries a previous high key"
        )
    start = _require_aware(started_at, "started_at")
    finish = _require_aware(finished_at, "finished_at")
    if finish < start:
        raise ValueError(
            f"finished_at: got {format_run_timestamp(finish)}, expected a time not "
            f"before started_at {format_run_timestamp(start)}"
        )
    return {
        "schema_version": WATERMARK_SCHEMA_VERSION,
        "source": config.source_name,
        "schema": config.table_schema,
        "table": config.table_name,
        "read_mode": config.read_mode,
        "bookmark_kind": config.bookmark_kind,
        "bookmark_keys": list(config.bookmark_keys),
        "primary_key": list(config.primary_key),
        "high_key": dict(high_key) if high_key is not None else None,
        "high_key_carried_forward": high_key_carried_forward,
        "rows": rows,
        "job_run_id": config.job_run_id,
        "started_at": format_run_timestamp(start),
        "finished_at": format_run_timestamp(finish),
        "partition": partition.as_dict(),
        "data_location": partition_uri(config, partition) if rows > 0 else None,
    }


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
    # Values of the bookmark key columns of the greatest key landed, in
    # bookmark key order; None for a snapshot or an empty batch.
    high_key_values: Optional[Sequence[Any]]


class IngestionPorts(Protocol):
    """The side effects of a run; ingest_table.py implements them with Glue."""

    def load_batch(self) -> Sequence[str]:
        """Read the source (bookmarked when incremental); return its column names."""

    def batch_stats(self, bookmark_columns: Sequence[str]) -> BatchStats:
        """Count the batch and find its greatest bookmark key, in one aggregate."""

    def write_batch(self, partition: RunPartition, ingested_at: datetime) -> None:
        """Write the batch to the partition with the metadata columns
        (_ingested_at = ingested_at); add the partition to the catalog."""

    def read_object(self, key: str) -> Optional[bytes]:
        """The body of a lake bucket object, or None if it does not exist."""

    def put_object(self, key: str, body: bytes) -> None:
        """Write a lake bucket object."""

    def commit(self) -> None:
        """job.commit(): advance the bookmark."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""

    def log(self, message: str) -> None:
        """Log a line. Never pass row contents."""


def run_ingestion(
    config: JobConfig, started_at: datetime, ports: IngestionPorts
) -> dict[str, Any]:
    """Land one batch of the table and record it; return the watermark written.

    Order matters and is the whole point of this function:
      1. read and check the batch, compute row count and high key;
      2. write the data (and catalog partition) -- only if there are rows;
      3. write the watermark: history record, then latest;
      4. commit the bookmark.
    A failure at any step stops the later ones, so a watermark is never ahead of
    the data it describes, and the bookmark never moves past data that did not
    land. A failure after step 2 leaves data the retry lands again (see
    docs/ingestion-job.md for how to remove those duplicates).
    """
    started = run_started_at(started_at)
    partition = partition_for(started)
    keys = watermark_keys(config, partition)

    columns = ports.load_batch()
    resolved = check_source_columns(columns, config)
    stats = ports.batch_stats(resolved.bookmark_keys)
    if isinstance(stats.rows, bool) or not isinstance(stats.rows, int) or stats.rows < 0:
        raise ValueError(f"batch rows: got {stats.rows!r}, expected a non-negative integer")

    carried = False
    if stats.rows > 0:
        # Serialise before writing, so an unsupported key type fails the run
        # before any data lands (and before any duplicate could be made).
        high_key = (
            serialize_high_key(config.bookmark_keys, stats.high_key_values)
            if config.is_incremental
            else None
        )
        ports.write_batch(partition, started)
        ports.log(
            f"landed {stats.rows} row(s) of {config.qualified_table} in "
            f"{partition.path}"
        )
    else:
        high_key = None
        if config.is_incremental:
            try:
                previous = parse_previous_watermark(ports.read_object(keys.latest))
            except ValueError as error:
                ports.log(f"ignoring previous watermark at {keys.latest}: {error}")
                previous = None
            high_key = carry_forward_high_key(previous, config)
            carried = high_key is not None
        ports.log(f"no new rows in {config.qualified_table}; writing a heartbeat watermark")

    document = build_watermark(
        config=config,
        partition=partition,
        rows=stats.rows,
        high_key=high_key,
        high_key_carried_forward=carried,
        started_at=started,
        finished_at=ports.now(),
    )
    body = watermark_json(document)
    # The data is fully written before this point; the watermark follows it and
    # the bookmark follows the watermark. Never reorder these three.
    ports.put_object(keys.history, body)
    ports.put_object(keys.latest, body)
    ports.commit()
    return document
