"""Unit tests of glue-scripts/ingest_helpers.py (standard library only).

Run all Python checks with `npm run test:python`, or just these with
`python3 -m unittest discover -s glue-scripts/tests` from the repository root.
"""

import ast
import json
import sys
import unittest
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

GLUE_SCRIPTS = Path(__file__).resolve().parent.parent
# pylib/ is shipped to Glue as a zip through --extra-py-files, which puts it on sys.path.
PYLIB = GLUE_SCRIPTS / "pylib"
if str(PYLIB) not in sys.path:
    sys.path.insert(0, str(PYLIB))
# job_args.py, the shared test arguments, sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_helpers as h  # noqa: E402
from job_args import INCREMENTAL_ARGS  # noqa: E402

UTC = timezone.utc
CEST = timezone(timedelta(hours=2))
NEWFOUNDLAND = timezone(timedelta(hours=-3, minutes=-30))

SNAPSHOT_ARGS = {
    **{k: v for k, v in INCREMENTAL_ARGS.items() if k not in ("bookmark_keys", "bookmark_kind")},
    "read_mode": "snapshot",
    "table_name": "clubs",
    "raw_prefix": "raw/trackman-backend/public_clubs/",
    "control_prefix": "_control/trackman-backend/public_clubs/",
    "catalog_table": "trackman_backend_public_clubs",
}

KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def incremental(**overrides):
    args = dict(INCREMENTAL_ARGS)
    for name, value in overrides.items():
        if value is _ABSENT:
            args.pop(name, None)
        else:
            args[name] = value
    return args


def snapshot(**overrides):
    args = dict(SNAPSHOT_ARGS)
    for name, value in overrides.items():
        if value is _ABSENT:
            args.pop(name, None)
        else:
            args[name] = value
    return args


_ABSENT = object()


def config(**overrides):
    return h.parse_job_arguments(incremental(**overrides))


def snapshot_config(**overrides):
    return h.parse_job_arguments(snapshot(**overrides))


def argv_of(args):
    argv = ["ingest_table.py"]
    for name, value in args.items():
        argv += [f"--{name}", value]
    return argv


IDENTIFIER_EXPECTED = "a SQL identifier matching ^[A-Za-z_][A-Za-z0-9_$]{0,62}$"
COLUMNS_EXPECTED = (
    "a comma-separated list of distinct column names matching "
    "^[A-Za-z_][A-Za-z0-9_$]{0,62}$"
)
PREFIX_EXPECTED = (
    "a relative S3 key prefix ending in '/', such as "
    "'raw/trackman-backend/public_shots/' (segments of letters, digits, "
    "'_', '.' or '-'; no leading '/', no '.' or '..' segments, no '=')"
)
BUCKET_EXPECTED = (
    "an S3 bucket name (3-63 lowercase letters, digits, '.' or '-', starting and "
    "ending with a letter or digit, no '..', not an IP address)"
)
CATALOG_EXPECTED = (
    "1-255 lowercase letters, digits or '_' (names Athena can query without quoting)"
)


class ParseJobArgumentsValidTest(unittest.TestCase):
    def test_incremental_arguments_give_a_typed_config(self):
        c = config()
        self.assertIsInstance(c, h.JobConfig)
        self.assertEqual(c.job_name, "trackman-backend-public-shots")
        self.assertEqual(c.job_run_id, "jr_0123456789abcdef")
        self.assertEqual(c.source_name, "trackman-backend")
        self.assertEqual(c.source_engine, "postgres")
        self.assertEqual(c.connection_name, "trackman-backend-replica")
        self.assertEqual(c.table_schema, "public")
        self.assertEqual(c.table_name, "shots")
        self.assertEqual(c.primary_key, ("id",))
        self.assertEqual(c.read_mode, "incremental")
        self.assertEqual(c.bookmark_keys, ("id",))
        self.assertEqual(c.bookmark_kind, "increasing-key")
        self.assertEqual(c.lake_bucket, "trackman-lake")
        self.assertEqual(c.raw_prefix, "raw/trackman-backend/public_shots/")
        self.assertEqual(c.control_prefix, "_control/trackman-backend/public_shots/")
        self.assertEqual(c.catalog_database, "trackman_lake_raw")
        self.assertEqual(c.catalog_table, "trackman_backend_public_shots")
        self.assertIsNone(c.lake_kms_key_arn)
        self.assertTrue(c.is_incremental)
        self.assertEqual(c.qualified_table, "public.shots")

    def test_config_is_immutable(self):
        c = config()
        with self.assertRaises(AttributeError):
            c.read_mode = "snapshot"  # type: ignore[misc]

    def test_snapshot_without_bookmark_arguments(self):
        c = snapshot_config()
        self.assertEqual(c.read_mode, "snapshot")
        self.assertEqual(c.bookmark_keys, ())
        self.assertIsNone(c.bookmark_kind)
        self.assertFalse(c.is_incremental)

    def test_snapshot_accepts_empty_bookmark_arguments(self):
        c = snapshot_config(bookmark_keys="", bookmark_kind="  ")
        self.assertEqual(c.bookmark_keys, ())
        self.assertIsNone(c.bookmark_kind)

    def test_snapshot_accepts_a_missing_bookmark_option(self):
        # getResolvedOptions reports job-bookmark-disable when none was given.
        c = snapshot_config(job_bookmark_option=_ABSENT)
        self.assertEqual(c.read_mode, "snapshot")

    def test_composite_keys_keep_their_order_and_are_trimmed(self):
        c = config(
            primary_key="tenant_id, shot_id",
            bookmark_keys="updated_at ,id",
            bookmark_kind="update-timestamp",
        )
        self.assertEqual(c.primary_key, ("tenant_id", "shot_id"))
        self.assertEqual(c.bookmark_keys, ("updated_at", "id"))

    def test_update_timestamp_kind_and_mysql_engine(self):
        c = config(
            bookmark_kind="update-timestamp",
            source_engine="mysql",
            jdbc_url="jdbc:mysql://db.example:3306/trackman?sslMode=REQUIRED&useCursorFetch=true",
        )
        self.assertEqual(c.bookmark_kind, "update-timestamp")
        self.assertEqual(c.source_engine, "mysql")

    def test_identifier_edge_cases_are_accepted(self):
        c = config(table_schema="_s", table_name="t$1", primary_key="A" + "b" * 62)
        self.assertEqual(c.table_schema, "_s")
        self.assertEqual(c.table_name, "t$1")
        self.assertEqual(c.primary_key, ("A" + "b" * 62,))

    def test_kms_key_arn_is_optional_and_kept_when_given(self):
        self.assertEqual(config(lake_kms_key_arn=KEY_ARN).lake_kms_key_arn, KEY_ARN)
        self.assertIsNone(config(lake_kms_key_arn="").lake_kms_key_arn)

    def test_unrelated_glue_arguments_are_ignored(self):
        c = h.parse_job_arguments(
            incremental(TempDir="s3://tmp/", JOB_ID="j_1", encryption_type=None)
        )
        self.assertEqual(c.table_name, "shots")

    def test_dotted_bucket_name(self):
        self.assertEqual(config(lake_bucket="a.b-c").lake_bucket, "a.b-c")


class ParseJobArgumentsInvalidTest(unittest.TestCase):
    def assertRejected(self, args, message):
        with self.assertRaises(ValueError) as caught:
            h.parse_job_arguments(args)
        self.assertEqual(str(caught.exception), message)

    def test_missing_job_name(self):
        self.assertRejected(
            incremental(JOB_NAME=_ABSENT), "--JOB_NAME: missing, expected the Glue job name"
        )

    def test_blank_job_name(self):
        self.assertRejected(
            incremental(JOB_NAME=" "), "--JOB_NAME: got ' ', expected the Glue job name"
        )

    def test_missing_run_id(self):
        self.assertRejected(
            incremental(JOB_RUN_ID=None),
            "--JOB_RUN_ID: missing, expected the Glue job run id set by Glue "
            "(1-255 letters, digits, '_' or '-')",
        )

    def test_run_id_that_is_not_safe_in_an_s3_key(self):
        self.assertRejected(
            incremental(JOB_RUN_ID="jr_1/../x"),
            "--JOB_RUN_ID: got 'jr_1/../x', expected the Glue job run id set by Glue "
            "(1-255 letters, digits, '_' or '-')",
        )

    def test_source_name(self):
        expected = (
            "1-63 lowercase letters, digits or '-', starting and ending with a letter "
            "or digit, such as 'trackman-backend'"
        )
        for bad in ("Trackman", "trackman_backend", "-trackman", "trackman-", "", "a" * 64):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(source_name=bad),
                    f"--source_name: got {bad!r}, expected {expected}",
                )
        self.assertRejected(
            incremental(source_name=_ABSENT), f"--source_name: missing, expected {expected}"
        )

    def test_source_engine(self):
        for bad in ("postgresql", "Postgres", "oracle", ""):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(source_engine=bad),
                    f"--source_engine: got {bad!r}, expected one of 'postgres', 'mysql'",
                )

    def test_connection_name(self):
        expected = (
            "the name of the Glue JDBC connection (1-255 characters on one line, "
            "no leading or trailing spaces)"
        )
        for bad in ("", "   ", " conn", "conn ", "a\nb", "c" * 256):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(connection_name=bad),
                    f"--connection_name: got {bad!r}, expected {expected}",
                )
        self.assertRejected(
            incremental(connection_name=_ABSENT),
            f"--connection_name: missing, expected {expected}",
        )

    def test_table_schema_and_name_must_be_identifiers(self):
        for name in ("table_schema", "table_name"):
            for bad in ("1shots", "shots;drop", "pub.lic", "a b", "", "x" * 64, 'sh"ots'):
                with self.subTest(name=name, bad=bad):
                    self.assertRejected(
                        incremental(**{name: bad}),
                        f"--{name}: got {bad!r}, expected {IDENTIFIER_EXPECTED}",
                    )

    def test_primary_key(self):
        for bad in ("", " ", "id,", ",id", "id,,x", "id;x", "id,ID", "1id"):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(primary_key=bad),
                    f"--primary_key: got {bad!r}, expected {COLUMNS_EXPECTED}",
                )
        self.assertRejected(
            incremental(primary_key=_ABSENT),
            f"--primary_key: missing, expected {COLUMNS_EXPECTED}",
        )

    def test_read_mode(self):
        for bad in ("full", "Incremental", ""):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(read_mode=bad),
                    f"--read_mode: got {bad!r}, expected one of 'incremental', 'snapshot'",
                )

    def test_incremental_needs_bookmark_keys(self):
        expected = COLUMNS_EXPECTED + " when --read_mode is incremental"
        self.assertRejected(
            incremental(bookmark_keys=_ABSENT),
            f"--bookmark_keys: missing, expected {expected}",
        )
        self.assertRejected(
            incremental(bookmark_keys=""), f"--bookmark_keys: got '', expected {expected}"
        )
        self.assertRejected(
            incremental(bookmark_keys="id,id"),
            f"--bookmark_keys: got 'id,id', expected {expected}",
        )

    def test_incremental_needs_a_known_bookmark_kind(self):
        expected = (
            "one of 'increasing-key', 'update-timestamp' when --read_mode is incremental"
        )
        self.assertRejected(
            incremental(bookmark_kind=_ABSENT),
            f"--bookmark_kind: missing, expected {expected}",
        )
        self.assertRejected(
            incremental(bookmark_kind="timestamp"),
            f"--bookmark_kind: got 'timestamp', expected {expected}",
        )

    def test_snapshot_refuses_bookmark_keys(self):
        self.assertRejected(
            snapshot(bookmark_keys="id"),
            "--bookmark_keys: got 'id', expected no value when --read_mode is snapshot "
            "(a snapshot reads the whole table)",
        )

    def test_snapshot_refuses_bookmark_kind(self):
        self.assertRejected(
            snapshot(bookmark_kind="increasing-key"),
            "--bookmark_kind: got 'increasing-key', expected no value when --read_mode "
            "is snapshot",
        )

    def test_glue_bookmarks_must_stay_off(self):
        expected = (
            "'job-bookmark-disable' (Glue job bookmarks skip late commits; the job's "
            "watermark bounds every read)"
        )
        for bad in ("job-bookmark-enable", "job-bookmark-pause"):
            for args in (incremental(job_bookmark_option=bad), snapshot(job_bookmark_option=bad)):
                with self.subTest(bad=bad, mode=args["read_mode"]):
                    self.assertRejected(args, f"--job-bookmark-option: got {bad!r}, expected {expected}")

    def test_a_missing_bookmark_option_means_disabled(self):
        self.assertFalse(config(job_bookmark_option=_ABSENT).lake_kms_key_arn)

    def test_an_increasing_key_is_one_column(self):
        self.assertRejected(
            incremental(bookmark_keys="id,seq"),
            "--bookmark_keys: got 'id,seq', expected exactly one column when "
            "--bookmark_kind is increasing-key",
        )

    def test_jdbc_url_requires_tls_and_matches_the_engine(self):
        expected = (
            "a JDBC URL with TLS required, as the stack writes it: "
            "'jdbc:postgresql://<host>:<port>/<database>?sslmode=require' or "
            "'jdbc:mysql://<host>:<port>/<database>?sslMode=REQUIRED&useCursorFetch=true'"
        )
        for bad in (
            "jdbc:postgresql://db:5432/trackman",
            "jdbc:postgresql://db:5432/trackman?sslmode=disable",
            "jdbc:mysql://db:3306/trackman?sslMode=REQUIRED&useCursorFetch=true",
            "jdbc:postgresql://db:5432/trackman?sslmode=require&password=x",
        ):
            with self.subTest(bad=bad):
                self.assertRejected(incremental(jdbc_url=bad), f"--jdbc_url: got {bad!r}, expected {expected}")

    def test_horizon_url_is_the_writer_of_a_postgres_source(self):
        writer = "jdbc:postgresql://writer.example:5432/trackman?sslmode=require"
        self.assertEqual(config(horizon_jdbc_url=writer).horizon_jdbc_url, writer)
        self.assertIsNone(config(horizon_jdbc_url=INCREMENTAL_ARGS["jdbc_url"]).horizon_jdbc_url)
        self.assertIsNone(config(horizon_jdbc_url="").horizon_jdbc_url)
        with self.assertRaisesRegex(ValueError, "^--horizon_jdbc_url: got 'jdbc:mysql"):
            h.parse_job_arguments(
                incremental(
                    source_engine="mysql",
                    jdbc_url="jdbc:mysql://db.example:3306/trackman?sslMode=REQUIRED&useCursorFetch=true",
                    horizon_jdbc_url="jdbc:mysql://w.example:3306/trackman?sslMode=REQUIRED&useCursorFetch=true",
                )
            )

    def test_numeric_read_settings_are_bounded(self):
        cases = {
            "commit_lag_seconds": ("3601", "a whole number of seconds from 0 to 3600"),
            "horizon_wait_seconds": ("-1", "a whole number of seconds from 0 to 600"),
            "read_partitions": ("0", "a whole number of partitions from 1 to 64"),
            "fetch_size": ("1e4", "a whole number of rows from 1 to 1000000"),
        }
        for name, (bad, expected) in cases.items():
            with self.subTest(name=name):
                self.assertRejected(incremental(**{name: bad}), f"--{name}: got {bad!r}, expected {expected}")
        c = config(commit_lag_seconds="0", read_partitions="1", fetch_size="500")
        self.assertEqual((c.commit_lag_seconds, c.read_partitions, c.fetch_size), (0, 1, 500))

    def test_ignored_users_and_partition_column(self):
        c = config(horizon_ignore_users="dms_user, replicator", partition_column="shot_id")
        self.assertEqual(c.horizon_ignore_users, ("dms_user", "replicator"))
        self.assertEqual(c.partition_column, "shot_id")
        with self.assertRaisesRegex(ValueError, "^--horizon_ignore_users: got 'a b'"):
            config(horizon_ignore_users="a b")
        with self.assertRaisesRegex(ValueError, "^--partition_column: got '1x'"):
            config(partition_column="1x")

    def test_lake_bucket(self):
        for bad in ("Trackman-Lake", "ab", "-lake", "lake-", "lake..x", "192.168.1.1",
                    "s3://trackman-lake", "l" * 64, ""):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(lake_bucket=bad),
                    f"--lake_bucket: got {bad!r}, expected {BUCKET_EXPECTED}",
                )
        self.assertRejected(
            incremental(lake_bucket=_ABSENT),
            f"--lake_bucket: missing, expected {BUCKET_EXPECTED}",
        )

    def test_prefixes(self):
        bad_prefixes = (
            "raw/trackman-backend/public_shots",  # no trailing slash
            "/raw/trackman-backend/public_shots/",  # absolute
            "raw//public_shots/",
            "raw/../public_shots/",
            "raw/./public_shots/",
            "raw/ingest_date=2024-01-01/",
            "raw/with space/",
            "s3://trackman-lake/raw/",
            "",
        )
        for name in ("raw_prefix", "control_prefix"):
            for bad in bad_prefixes:
                with self.subTest(name=name, bad=bad):
                    self.assertRejected(
                        incremental(**{name: bad}),
                        f"--{name}: got {bad!r}, expected {PREFIX_EXPECTED}",
                    )

    def test_control_prefix_inside_raw_prefix(self):
        self.assertRejected(
            incremental(control_prefix="raw/trackman-backend/public_shots/_control/"),
            "--control_prefix: got 'raw/trackman-backend/public_shots/_control/', "
            "expected a prefix that neither contains nor lies inside --raw_prefix "
            "'raw/trackman-backend/public_shots/' (control files under the table "
            "location would be read as data)",
        )

    def test_control_prefix_containing_raw_prefix(self):
        self.assertRejected(
            incremental(control_prefix="raw/"),
            "--control_prefix: got 'raw/', expected a prefix that neither contains nor "
            "lies inside --raw_prefix 'raw/trackman-backend/public_shots/' (control "
            "files under the table location would be read as data)",
        )

    def test_catalog_names(self):
        for name in ("catalog_database", "catalog_table"):
            for bad in ("Trackman", "trackman-lake", "a.b", "", "x" * 256):
                with self.subTest(name=name, bad=bad):
                    self.assertRejected(
                        incremental(**{name: bad}),
                        f"--{name}: got {bad!r}, expected {CATALOG_EXPECTED}",
                    )

    def test_kms_key_arn(self):
        for bad in ("alias/lake", "arn:aws:kms:eu-west-1:111111111111:alias/lake",
                    "arn:aws:kms:eu-west-1:1111:key/abc", "1234abcd-12ab"):
            with self.subTest(bad=bad):
                self.assertRejected(
                    incremental(lake_kms_key_arn=bad),
                    f"--lake_kms_key_arn: got {bad!r}, expected a KMS key ARN such as "
                    "'arn:aws:kms:eu-west-1:111111111111:key/<key id>' (not an alias), "
                    "or no value",
                )

    def test_every_error_is_reported_one_per_line(self):
        self.assertRejected(
            incremental(source_engine="oracle", table_name="1x", lake_bucket="B"),
            "--source_engine: got 'oracle', expected one of 'postgres', 'mysql'\n"
            f"--table_name: got '1x', expected {IDENTIFIER_EXPECTED}\n"
            f"--lake_bucket: got 'B', expected {BUCKET_EXPECTED}",
        )

    def test_empty_arguments_report_every_required_argument(self):
        with self.assertRaises(ValueError) as caught:
            h.parse_job_arguments({})
        lines = str(caught.exception).split("\n")
        named = [line.split(":", 1)[0] for line in lines]
        self.assertEqual(
            named,
            ["--JOB_NAME", "--JOB_RUN_ID", "--source_name", "--source_engine",
             "--connection_name", "--table_schema", "--table_name", "--primary_key",
             "--read_mode", "--commit_lag_seconds", "--horizon_wait_seconds",
             "--read_partitions", "--fetch_size", "--lake_bucket", "--raw_prefix",
             "--control_prefix", "--catalog_database", "--catalog_table"],
        )


class CredentialArgumentsTest(unittest.TestCase):
    def test_contract_and_glue_arguments_are_not_credentials(self):
        argv = argv_of(INCREMENTAL_ARGS) + [
            "--job-bookmark-option", "job-bookmark-enable",
            "--TempDir", "s3://tmp/",
            "--enable-glue-datacatalog", "true",
            "--extra-py-files", "s3://assets/ingest_helpers.py",
            "--SECURITY_CONFIGURATION", "lake",
            "--encryption-type", "sse-s3",
            "--lake_kms_key_arn", KEY_ARN,
        ]
        self.assertEqual(h.find_credential_arguments(argv), [])
        h.reject_credential_arguments(argv)  # does not raise

    def test_credential_like_names_are_found(self):
        names = ["password", "db_password", "DB-PASSWORD", "passwd", "pwd", "db_pwd",
                 "secret", "secret_id", "SecretValue", "credentials", "access_key_id",
                 "aws-access-key", "api_key", "apikey", "private_key", "auth_token",
                 "token"]
        for name in names:
            with self.subTest(name=name):
                argv = ["ingest_table.py", f"--{name}", "x"]
                self.assertEqual(h.find_credential_arguments(argv), [name])

    def test_equals_form_is_found(self):
        argv = ["ingest_table.py", "--db_password=hunter2"]
        self.assertEqual(h.find_credential_arguments(argv), ["db_password"])

    def test_words_that_merely_contain_pwd_or_token_letters_pass(self):
        argv = ["ingest_table.py", "--tokenizer", "x", "--cwd_dir", "y"]
        self.assertEqual(h.find_credential_arguments(argv), [])

    def test_values_are_not_inspected_and_the_script_name_is_skipped(self):
        argv = ["--password", "--source_name", "password"]
        self.assertEqual(h.find_credential_arguments(argv), [])

    def test_rejection_names_the_arguments_without_their_values(self):
        argv = argv_of(INCREMENTAL_ARGS) + ["--db_password", "hunter2", "--secret", "s"]
        with self.assertRaises(ValueError) as caught:
            h.reject_credential_arguments(argv)
        message = str(caught.exception)
        self.assertEqual(
            message,
            "credential-like job argument(s) --db_password, --secret: got a credential "
            "as a job argument, expected none (the database credentials come from "
            "Secrets Manager through the Glue connection's SECRET_ID)",
        )
        self.assertNotIn("hunter2", message)


class ResolvedOptionNamesTest(unittest.TestCase):
    def test_only_contract_arguments_present_in_argv(self):
        argv = argv_of(
            {k: v for k, v in INCREMENTAL_ARGS.items() if k not in ("job_bookmark_option",)}
        ) + ["--TempDir", "s3://tmp/", "--job-bookmark-option", "job-bookmark-enable"]
        names = h.resolved_option_names(argv)
        self.assertEqual(
            names,
            [n for n in h.REQUIRED_ARGUMENTS] + ["bookmark_keys", "bookmark_kind"],
        )

    def test_absent_arguments_are_left_for_parse_job_arguments_to_report(self):
        argv = ["ingest_table.py", "--JOB_NAME", "j", "--read_mode", "snapshot"]
        self.assertEqual(h.resolved_option_names(argv), ["JOB_NAME", "read_mode"])

    def test_names_reserved_by_glue_are_never_requested(self):
        # getResolvedOptions raises if asked for JOB_RUN_ID or job-bookmark-option.
        argv = ["ingest_table.py", "--JOB_RUN_ID", "jr_1", "--job-bookmark-option", "x",
                "--lake_kms_key_arn=" + KEY_ARN]
        self.assertEqual(h.resolved_option_names(argv), ["lake_kms_key_arn"])


class CheckSourceColumnsTest(unittest.TestCase):
    def test_keys_resolve_case_insensitively_to_the_source_spelling(self):
        c = config(primary_key="ID", bookmark_keys="Updated_At,id", bookmark_kind="update-timestamp")
        resolved = h.check_source_columns(["id", "updated_at", "club"], c)
        self.assertEqual(resolved.primary_key, ("id",))
        self.assertEqual(resolved.bookmark_keys, ("updated_at", "id"))

    def test_snapshot_has_no_bookmark_columns(self):
        resolved = h.check_source_columns(["id", "name"], snapshot_config())
        self.assertEqual(resolved.bookmark_keys, ())

    def test_missing_primary_key_column(self):
        with self.assertRaises(ValueError) as caught:
            h.check_source_columns(["shot_id", "club"], config())
        self.assertEqual(
            str(caught.exception),
            "--primary_key: got 'id', expected columns of public.shots; not found: id "
            "(the table has: shot_id, club)",
        )

    def test_missing_bookmark_column(self):
        c = config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp")
        with self.assertRaises(ValueError) as caught:
            h.check_source_columns(["id", "club"], c)
        self.assertEqual(
            str(caught.exception),
            "--bookmark_keys: got 'updated_at,id', expected columns of public.shots; "
            "not found: updated_at (the table has: id, club)",
        )

    def test_reserved_columns_collide(self):
        with self.assertRaises(ValueError) as caught:
            h.check_source_columns(["id", "Ingest_Date", "_source", "__trackman_guard_0"], config())
        self.assertEqual(
            str(caught.exception),
            "source table public.shots: got column(s) '_source', 'Ingest_Date', "
            "'__trackman_guard_0', expected none named _ingested_at, _source, _job_run_id, "
            "ingest_date, ingest_hour or starting with __trackman_guard_ (the job adds these)",
        )

    def test_columns_differing_only_by_case(self):
        with self.assertRaises(ValueError) as caught:
            h.check_source_columns(["id", "Club", "club"], config())
        self.assertEqual(
            str(caught.exception),
            "source table public.shots: got columns differing only by case "
            "('Club'/'club'), expected case-insensitively distinct column names",
        )


class PartitionTest(unittest.TestCase):
    def test_midnight(self):
        p = h.partition_for(datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC))
        self.assertEqual((p.ingest_date, p.ingest_hour), ("2024-05-01", "00"))
        self.assertEqual(p.path, "ingest_date=2024-05-01/ingest_hour=00/")

    def test_last_microsecond_of_the_day(self):
        p = h.partition_for(datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
        self.assertEqual(p.path, "ingest_date=2024-12-31/ingest_hour=23/")

    def test_hour_boundary(self):
        before = h.partition_for(datetime(2024, 5, 1, 6, 59, 59, 999999, tzinfo=UTC))
        after = h.partition_for(datetime(2024, 5, 1, 7, 0, 0, tzinfo=UTC))
        self.assertEqual(before.ingest_hour, "06")
        self.assertEqual(after.ingest_hour, "07")

    def test_hours_are_zero_padded(self):
        for hour in range(24):
            with self.subTest(hour=hour):
                p = h.partition_for(datetime(2024, 5, 1, hour, 30, tzinfo=UTC))
                self.assertEqual(p.ingest_hour, f"{hour:02d}")
                self.assertEqual(len(p.ingest_hour), 2)

    def test_non_utc_input_is_converted_to_utc(self):
        # 01:15 in UTC+2 is 23:15 UTC the previous day.
        p = h.partition_for(datetime(2024, 5, 1, 1, 15, tzinfo=CEST))
        self.assertEqual(p.as_dict(), {"ingest_date": "2024-04-30", "ingest_hour": "23"})

    def test_negative_offset_with_minutes(self):
        # 22:45 at UTC-03:30 is 02:15 UTC the next day.
        p = h.partition_for(datetime(2024, 2, 28, 22, 45, tzinfo=NEWFOUNDLAND))
        self.assertEqual(p.as_dict(), {"ingest_date": "2024-02-29", "ingest_hour": "02"})

    def test_naive_datetime_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            h.partition_for(datetime(2024, 5, 1, 7, 0))
        self.assertEqual(
            str(caught.exception),
            "run start time: got naive datetime 2024-05-01T07:00:00, expected a "
            "timezone-aware datetime",
        )

    def test_non_datetime_is_refused(self):
        with self.assertRaises(TypeError) as caught:
            h.partition_for(date(2024, 5, 1))  # type: ignore[arg-type]
        self.assertEqual(str(caught.exception), "run start time: got date, expected a datetime")

    def test_locations(self):
        c = config()
        p = h.partition_for(datetime(2024, 5, 1, 7, 5, tzinfo=UTC))
        self.assertEqual(h.table_root_uri(c), "s3://trackman-lake/raw/trackman-backend/public_shots/")
        self.assertEqual(
            h.partition_uri(c, p),
            "s3://trackman-lake/raw/trackman-backend/public_shots/"
            "ingest_date=2024-05-01/ingest_hour=07/",
        )


class RunTimestampTest(unittest.TestCase):
    def test_run_start_is_truncated_to_milliseconds_in_utc(self):
        started = h.run_started_at(datetime(2024, 5, 1, 9, 0, 1, 123999, tzinfo=CEST))
        self.assertEqual(started, datetime(2024, 5, 1, 7, 0, 1, 123000, tzinfo=UTC))
        self.assertIs(started.tzinfo, UTC)
        self.assertEqual(h.run_started_at(started), started)

    def test_run_start_must_be_aware(self):
        with self.assertRaises(ValueError):
            h.run_started_at(datetime(2024, 5, 1))

    def test_format_run_timestamp(self):
        self.assertEqual(
            h.format_run_timestamp(datetime(2024, 5, 1, 7, 0, 0, 5000, tzinfo=UTC)),
            "2024-05-01T07:00:00.005Z",
        )
        self.assertEqual(
            h.format_run_timestamp(datetime(2024, 5, 1, 9, 0, tzinfo=CEST)),
            "2024-05-01T07:00:00.000Z",
        )

    def test_format_run_timestamp_refuses_naive(self):
        with self.assertRaises(ValueError):
            h.format_run_timestamp(datetime(2024, 5, 1))


class WatermarkKeysTest(unittest.TestCase):
    def test_latest_and_history_keys(self):
        p = h.partition_for(datetime(2024, 5, 1, 7, 5, tzinfo=UTC))
        keys = h.watermark_keys(config(), p)
        self.assertEqual(keys.latest, "_control/trackman-backend/public_shots/watermark.json")
        self.assertEqual(
            keys.history,
            "_control/trackman-backend/public_shots/runs/2024-05-01/jr_0123456789abcdef.json",
        )

    def test_history_key_uses_the_utc_date(self):
        p = h.partition_for(datetime(2024, 5, 1, 1, 0, tzinfo=CEST))
        self.assertEqual(
            h.watermark_keys(config(), p).history,
            "_control/trackman-backend/public_shots/runs/2024-04-30/jr_0123456789abcdef.json",
        )

    def test_keys_are_outside_the_table_location(self):
        c = config()
        p = h.partition_for(datetime(2024, 5, 1, 7, tzinfo=UTC))
        keys = h.watermark_keys(c, p)
        for key in (keys.latest, keys.history):
            self.assertFalse(key.startswith(c.raw_prefix))


class EncryptionParamsTest(unittest.TestCase):
    def test_named_key(self):
        self.assertEqual(
            h.put_object_encryption_params(KEY_ARN),
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY_ARN, "BucketKeyEnabled": True},
        )

    def test_without_a_key_the_bucket_default_applies(self):
        # aws:kms without a key id would pick the AWS managed aws/s3 key.
        self.assertEqual(h.put_object_encryption_params(None), {})


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split(".")[0]


class ModuleShapeTest(unittest.TestCase):
    """Checks py_compile cannot make: the helper stays importable without Glue,
    and the Glue entry only calls helpers that exist."""

    helpers_tree = ast.parse((PYLIB / "ingest_helpers.py").read_text("utf-8"))
    entry_tree = ast.parse((GLUE_SCRIPTS / "ingest_table.py").read_text("utf-8"))

    def test_helpers_import_only_the_standard_library(self):
        own = {path.stem for path in PYLIB.glob("*.py")}
        allowed = set(sys.stdlib_module_names) | {"__future__"} | own
        for path in sorted(PYLIB.glob("*.py")):
            with self.subTest(module=path.name):
                imported = set(_imported_modules(ast.parse(path.read_text("utf-8"))))
                self.assertEqual(imported - allowed, set())
                for third_party in ("pyspark", "awsglue", "boto3", "botocore"):
                    self.assertNotIn(third_party, imported)

    def test_entry_imports_the_helpers_as_a_top_level_module(self):
        imports = [
            node for node in self.entry_tree.body
            if isinstance(node, ast.Import)
            and any(a.name == "ingest_helpers" for a in node.names)
        ]
        self.assertEqual(len(imports), 1)
        self.assertEqual(imports[0].names[0].asname, "helpers")

    def test_entry_uses_only_helpers_that_exist(self):
        used = {
            node.attr for node in ast.walk(self.entry_tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "helpers"
        }
        self.assertTrue(used)
        self.assertEqual({name for name in used if not hasattr(h, name)}, set())

    def test_entry_implements_every_port(self):
        ports = next(
            node for node in self.entry_tree.body
            if isinstance(node, ast.ClassDef) and node.name == "GlueIngestionPorts"
        )
        implemented = {n.name for n in ports.body if isinstance(n, ast.FunctionDef)}
        required = {
            name for name, value in vars(h.IngestionPorts).items()
            if callable(value) and not name.startswith("_")
        }
        self.assertTrue(required)
        self.assertEqual(required - implemented, set())

    def _call_keywords(self, method):
        for node in ast.walk(self.entry_tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == method):
                return {k.arg: k.value for k in node.keywords}
        self.fail(f"no call to {method} in ingest_table.py")

    def test_sink_updates_the_catalog_with_the_partition_keys(self):
        kw = self._call_keywords("getSink")
        self.assertEqual(ast.literal_eval(kw["connection_type"]), "s3")
        self.assertIs(ast.literal_eval(kw["enableUpdateCatalog"]), True)
        self.assertEqual(ast.literal_eval(kw["updateBehavior"]), "UPDATE_IN_DATABASE")
        self.assertEqual(ast.literal_eval(kw["compression"]), "snappy")
        self.assertEqual(ast.unparse(kw["partitionKeys"]), "list(helpers.PARTITION_KEYS)")
        catalog = self._call_keywords("setCatalogInfo")
        self.assertEqual(set(catalog), {"catalogDatabase", "catalogTableName"})

    def test_read_is_spark_jdbc_with_the_helper_options_and_no_bookmark(self):
        source = (GLUE_SCRIPTS / "ingest_table.py").read_text("utf-8")
        self.assertNotIn("from_options", source, "no Glue JDBC read: its bookmarks skip late commits")
        self.assertNotIn("transformation_ctx", source)
        self.assertIn('read.format("jdbc")', source)
        self.assertIn("extract_jdbc_conf(config.connection_name)", source)


if __name__ == "__main__":
    unittest.main()
