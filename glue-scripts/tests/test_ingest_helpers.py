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

import ingest_helpers as h  # noqa: E402

UTC = timezone.utc
CEST = timezone(timedelta(hours=2))
NEWFOUNDLAND = timezone(timedelta(hours=-3, minutes=-30))

INCREMENTAL_ARGS = {
    "JOB_NAME": "trackman-backend-public-shots",
    "JOB_RUN_ID": "jr_0123456789abcdef",
    "job_bookmark_option": "job-bookmark-enable",
    "source_name": "trackman-backend",
    "source_engine": "postgres",
    "connection_name": "trackman-backend-replica",
    "table_schema": "public",
    "table_name": "shots",
    "primary_key": "id",
    "read_mode": "incremental",
    "bookmark_keys": "id",
    "bookmark_kind": "increasing-key",
    "lake_bucket": "trackman-lake",
    "raw_prefix": "raw/trackman-backend/public_shots/",
    "control_prefix": "_control/trackman-backend/public_shots/",
    "catalog_database": "trackman_lake_raw",
    "catalog_table": "trackman_backend_public_shots",
}

SNAPSHOT_ARGS = {
    **{k: v for k, v in INCREMENTAL_ARGS.items() if k not in ("bookmark_keys", "bookmark_kind")},
    "read_mode": "snapshot",
    "job_bookmark_option": "job-bookmark-disable",
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
        c = config(primary_key="tenant_id, shot_id", bookmark_keys="updated_at ,id")
        self.assertEqual(c.primary_key, ("tenant_id", "shot_id"))
        self.assertEqual(c.bookmark_keys, ("updated_at", "id"))

    def test_update_timestamp_kind_and_mysql_engine(self):
        c = config(bookmark_kind="update-timestamp", source_engine="mysql")
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

    def test_incremental_with_bookmarks_disabled(self):
        self.assertRejected(
            incremental(job_bookmark_option="job-bookmark-disable"),
            "--job-bookmark-option: got 'job-bookmark-disable', expected "
            "'job-bookmark-enable' when --read_mode is incremental",
        )

    def test_incremental_without_a_bookmark_option_means_disabled(self):
        self.assertRejected(
            incremental(job_bookmark_option=_ABSENT),
            "--job-bookmark-option: got 'job-bookmark-disable', expected "
            "'job-bookmark-enable' when --read_mode is incremental",
        )

    def test_incremental_with_bookmarks_paused(self):
        self.assertRejected(
            incremental(job_bookmark_option="job-bookmark-pause"),
            "--job-bookmark-option: got 'job-bookmark-pause', expected "
            "'job-bookmark-enable' when --read_mode is incremental",
        )

    def test_snapshot_with_bookmarks_enabled(self):
        self.assertRejected(
            snapshot(job_bookmark_option="job-bookmark-enable"),
            "--job-bookmark-option: got 'job-bookmark-enable', expected "
            "'job-bookmark-disable' when --read_mode is snapshot",
        )

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
             "--read_mode", "--lake_bucket", "--raw_prefix", "--control_prefix",
             "--catalog_database", "--catalog_table"],
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


class SourceReadTest(unittest.TestCase):
    def test_glue_connection_types(self):
        self.assertEqual(h.glue_connection_type("postgres"), "postgresql")
        self.assertEqual(h.glue_connection_type("mysql"), "mysql")
        with self.assertRaises(ValueError) as caught:
            h.glue_connection_type("oracle")
        self.assertEqual(
            str(caught.exception),
            "source engine: got 'oracle', expected one of 'postgres', 'mysql'",
        )

    def test_incremental_connection_options(self):
        c = config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp")
        self.assertEqual(
            h.jdbc_connection_options(c),
            {
                "useConnectionProperties": "true",
                "connectionName": "trackman-backend-replica",
                "dbtable": "public.shots",
                "jobBookmarkKeys": ["updated_at", "id"],
                "jobBookmarkKeysSortOrder": "asc",
            },
        )

    def test_snapshot_connection_options_have_no_bookmark_keys(self):
        self.assertEqual(
            h.jdbc_connection_options(snapshot_config()),
            {
                "useConnectionProperties": "true",
                "connectionName": "trackman-backend-replica",
                "dbtable": "public.clubs",
            },
        )

    def test_connection_options_never_carry_credentials(self):
        options = h.jdbc_connection_options(config())
        for forbidden in ("user", "password", "url", "secretId"):
            self.assertNotIn(forbidden, options)

    def test_transformation_ctx_is_derived_from_source_schema_and_table(self):
        self.assertEqual(
            h.read_transformation_ctx(config()), "read_trackman-backend_public_shots"
        )
        self.assertEqual(
            h.read_transformation_ctx(snapshot_config()), "read_trackman-backend_public_clubs"
        )

    def test_transformation_ctx_is_stable_across_runs_and_unrelated_arguments(self):
        first = config()
        retry = config(
            JOB_RUN_ID="jr_0123456789abcdef_attempt_1",
            connection_name="another-connection",
            lake_bucket="other-lake",
            bookmark_keys="updated_at",
            bookmark_kind="update-timestamp",
        )
        self.assertEqual(h.read_transformation_ctx(first), h.read_transformation_ctx(retry))

    def test_transformation_ctx_differs_per_table(self):
        self.assertNotEqual(
            h.read_transformation_ctx(config()),
            h.read_transformation_ctx(config(table_name="swings")),
        )


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
            h.check_source_columns(["id", "Ingest_Date", "_source"], config())
        self.assertEqual(
            str(caught.exception),
            "source table public.shots: got column(s) '_source', 'Ingest_Date', expected "
            "none named _ingested_at, _source, _job_run_id, ingest_date, ingest_hour "
            "(the job adds these to every row)",
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


class SerializeKeyValueTest(unittest.TestCase):
    def test_integers(self):
        self.assertEqual(h.serialize_key_value(0), "0")
        self.assertEqual(h.serialize_key_value(-5), "-5")
        self.assertEqual(h.serialize_key_value(2**63 - 1), "9223372036854775807")
        self.assertEqual(h.serialize_key_value(10**30), "1" + "0" * 30)

    def test_decimals_have_no_exponent(self):
        self.assertEqual(h.serialize_key_value(Decimal("12345.6700")), "12345.6700")
        self.assertEqual(h.serialize_key_value(Decimal("1E+3")), "1000")
        self.assertEqual(h.serialize_key_value(Decimal("1E-7")), "0.0000001")
        self.assertEqual(h.serialize_key_value(Decimal("-42")), "-42")

    def test_non_finite_decimals_are_refused(self):
        for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    h.serialize_key_value(bad)

    def test_floats(self):
        self.assertEqual(h.serialize_key_value(1.5), "1.5")
        self.assertEqual(h.serialize_key_value(0.1), "0.1")
        with self.assertRaises(ValueError):
            h.serialize_key_value(float("nan"))
        with self.assertRaises(ValueError):
            h.serialize_key_value(float("inf"))

    def test_aware_datetimes_become_utc_with_z(self):
        self.assertEqual(
            h.serialize_key_value(datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=CEST)),
            "2024-05-01T07:30:00.123456Z",
        )
        self.assertEqual(
            h.serialize_key_value(datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
            "2024-05-01T07:30:00.000000Z",
        )

    def test_naive_datetimes_are_taken_as_utc(self):
        self.assertEqual(
            h.serialize_key_value(datetime(2024, 5, 1, 7, 30, 0, 1)),
            "2024-05-01T07:30:00.000001Z",
        )

    def test_dates(self):
        self.assertEqual(h.serialize_key_value(date(2024, 2, 29)), "2024-02-29")

    def test_strings_pass_through(self):
        self.assertEqual(h.serialize_key_value("00042"), "00042")
        self.assertEqual(h.serialize_key_value(""), "")
        self.assertEqual(h.serialize_key_value("ünï"), "ünï")

    def test_none_stays_none(self):
        self.assertIsNone(h.serialize_key_value(None))

    def test_bool_is_refused(self):
        with self.assertRaises(TypeError) as caught:
            h.serialize_key_value(True)
        self.assertEqual(
            str(caught.exception),
            "bookmark key value: got bool, expected a number, date, datetime or string",
        )

    def test_other_types_are_refused(self):
        for bad in (b"\x00\x01", [1], {"a": 1}, object()):
            with self.subTest(bad=type(bad).__name__):
                with self.assertRaises(TypeError) as caught:
                    h.serialize_key_value(bad)
                self.assertEqual(
                    str(caught.exception),
                    f"bookmark key value: got {type(bad).__name__}, expected a number, "
                    "date, datetime or string",
                )


class SerializeHighKeyTest(unittest.TestCase):
    def test_single_key(self):
        self.assertEqual(h.serialize_high_key(["id"], [123]), {"id": "123"})

    def test_composite_key_keeps_bookmark_order(self):
        high = h.serialize_high_key(
            ["updated_at", "id"], [datetime(2024, 5, 1, 7, 0, tzinfo=UTC), Decimal("9")]
        )
        self.assertEqual(high, {"updated_at": "2024-05-01T07:00:00.000000Z", "id": "9"})
        self.assertEqual(list(high), ["updated_at", "id"])

    def test_composite_key_with_date_string_and_null(self):
        self.assertEqual(
            h.serialize_high_key(["day", "code", "n"], [date(2024, 1, 2), "B7", None]),
            {"day": "2024-01-02", "code": "B7", "n": None},
        )

    def test_no_values(self):
        self.assertIsNone(h.serialize_high_key(["id"], None))

    def test_value_count_must_match_key_count(self):
        with self.assertRaises(ValueError) as caught:
            h.serialize_high_key(["updated_at", "id"], [1])
        self.assertEqual(
            str(caught.exception),
            "high key: got 1 value(s), expected one per bookmark key (updated_at, id)",
        )


class PreviousWatermarkTest(unittest.TestCase):
    def previous(self, **overrides):
        document = {
            "schema_version": 1,
            "source": "trackman-backend",
            "schema": "public",
            "table": "shots",
            "read_mode": "incremental",
            "bookmark_keys": ["id"],
            "high_key": {"id": "41"},
        }
        document.update(overrides)
        return document

    def test_absent_object(self):
        self.assertIsNone(h.parse_previous_watermark(None))

    def test_bytes_and_str_bodies(self):
        doc = self.previous()
        self.assertEqual(h.parse_previous_watermark(json.dumps(doc).encode()), doc)
        self.assertEqual(h.parse_previous_watermark(json.dumps(doc)), doc)

    def test_unreadable_bodies(self):
        cases = {
            b"{not json": "previous watermark: got unreadable JSON (JSONDecodeError), "
                          "expected a watermark document",
            b"\xff\xfe": "previous watermark: got unreadable JSON (UnicodeDecodeError), "
                         "expected a watermark document",
            b"[1, 2]": "previous watermark: got a JSON list, expected an object",
            b'{"schema_version": 2}': "previous watermark: got schema_version 2, "
                                      "expected 1",
            b"{}": "previous watermark: got schema_version None, expected 1",
        }
        for body, message in cases.items():
            with self.subTest(body=body):
                with self.assertRaises(ValueError) as caught:
                    h.parse_previous_watermark(body)
                self.assertEqual(str(caught.exception), message)

    def test_carry_forward_the_previous_high_key(self):
        self.assertEqual(h.carry_forward_high_key(self.previous(), config()), {"id": "41"})

    def test_carry_forward_returns_a_copy(self):
        previous = self.previous()
        carried = h.carry_forward_high_key(previous, config())
        carried["id"] = "changed"
        self.assertEqual(previous["high_key"], {"id": "41"})

    def test_carry_forward_a_composite_key(self):
        c = config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp")
        previous = self.previous(
            bookmark_keys=["updated_at", "id"],
            high_key={"updated_at": "2024-05-01T07:00:00.000000Z", "id": "41"},
        )
        self.assertEqual(
            h.carry_forward_high_key(previous, c),
            {"updated_at": "2024-05-01T07:00:00.000000Z", "id": "41"},
        )

    def test_nothing_to_carry(self):
        cases = {
            "no previous": None,
            "previous without high key": self.previous(high_key=None),
            "other bookmark keys": self.previous(bookmark_keys=["created_at"]),
            "other table": self.previous(table="swings"),
            "other schema": self.previous(schema="archive"),
            "other source": self.previous(source="other-db"),
            "previous was a snapshot": self.previous(read_mode="snapshot"),
            "high key with other columns": self.previous(high_key={"created_at": "1"}),
            "high key not an object": self.previous(high_key="41"),
            "high key value not a string": self.previous(high_key={"id": 41}),
        }
        for label, previous in cases.items():
            with self.subTest(label):
                self.assertIsNone(h.carry_forward_high_key(previous, config()))

    def test_snapshot_never_carries(self):
        self.assertIsNone(
            h.carry_forward_high_key(self.previous(table="clubs"), snapshot_config())
        )


class BuildWatermarkTest(unittest.TestCase):
    started = datetime(2024, 5, 1, 7, 0, 1, 123000, tzinfo=UTC)
    finished = datetime(2024, 5, 1, 7, 3, 2, 456789, tzinfo=UTC)

    def build(self, c=None, **overrides):
        c = c or config()
        kwargs = dict(
            config=c,
            partition=h.partition_for(self.started),
            rows=42,
            high_key={"id": "1042"},
            high_key_carried_forward=False,
            started_at=self.started,
            finished_at=self.finished,
        )
        kwargs.update(overrides)
        return h.build_watermark(**kwargs)

    def test_incremental_document(self):
        self.assertEqual(
            self.build(),
            {
                "schema_version": 1,
                "source": "trackman-backend",
                "schema": "public",
                "table": "shots",
                "read_mode": "incremental",
                "bookmark_kind": "increasing-key",
                "bookmark_keys": ["id"],
                "primary_key": ["id"],
                "high_key": {"id": "1042"},
                "high_key_carried_forward": False,
                "rows": 42,
                "job_run_id": "jr_0123456789abcdef",
                "started_at": "2024-05-01T07:00:01.123Z",
                "finished_at": "2024-05-01T07:03:02.456Z",
                "partition": {"ingest_date": "2024-05-01", "ingest_hour": "07"},
                "data_location": "s3://trackman-lake/raw/trackman-backend/public_shots/"
                "ingest_date=2024-05-01/ingest_hour=07/",
            },
        )

    def test_snapshot_document(self):
        doc = self.build(c=snapshot_config(), high_key=None, rows=7)
        self.assertEqual(doc["read_mode"], "snapshot")
        self.assertIsNone(doc["bookmark_kind"])
        self.assertEqual(doc["bookmark_keys"], [])
        self.assertIsNone(doc["high_key"])
        self.assertEqual(doc["rows"], 7)

    def test_empty_run_has_no_data_location(self):
        doc = self.build(rows=0, high_key={"id": "1042"}, high_key_carried_forward=True)
        self.assertIsNone(doc["data_location"])
        self.assertTrue(doc["high_key_carried_forward"])
        self.assertEqual(doc["partition"], {"ingest_date": "2024-05-01", "ingest_hour": "07"})

    def test_times_in_other_zones_are_written_in_utc(self):
        doc = self.build(
            started_at=datetime(2024, 5, 1, 9, 0, tzinfo=CEST),
            finished_at=datetime(2024, 5, 1, 9, 1, tzinfo=CEST),
        )
        self.assertEqual(doc["started_at"], "2024-05-01T07:00:00.000Z")
        self.assertEqual(doc["finished_at"], "2024-05-01T07:01:00.000Z")

    def test_document_is_json_serialisable(self):
        body = h.watermark_json(self.build())
        self.assertIsInstance(body, bytes)
        self.assertTrue(body.endswith(b"\n"))
        self.assertEqual(json.loads(body), self.build())

    def test_invalid_rows(self):
        for bad in (-1, 1.0, True, "3", None):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError) as caught:
                    self.build(rows=bad)
                self.assertEqual(
                    str(caught.exception),
                    f"rows: got {bad!r}, expected a non-negative integer",
                )

    def test_snapshot_with_a_high_key_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            self.build(c=snapshot_config(), high_key={"id": "1"})
        self.assertEqual(
            str(caught.exception), "high_key: got a value, expected None for a snapshot read"
        )

    def test_carried_forward_only_for_empty_runs_with_a_key(self):
        for overrides in ({"rows": 3}, {"rows": 0, "high_key": None}):
            with self.subTest(**{k: str(v) for k, v in overrides.items()}):
                with self.assertRaises(ValueError):
                    self.build(high_key_carried_forward=True, **overrides)

    def test_finish_before_start_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            self.build(finished_at=self.started - timedelta(seconds=1))
        self.assertEqual(
            str(caught.exception),
            "finished_at: got 2024-05-01T07:00:00.123Z, expected a time not before "
            "started_at 2024-05-01T07:00:01.123Z",
        )

    def test_naive_times_are_refused(self):
        with self.assertRaises(ValueError):
            self.build(finished_at=datetime(2024, 5, 1, 8))
        with self.assertRaises(ValueError):
            self.build(started_at=datetime(2024, 5, 1, 7))


class FakePorts:
    """Records every side effect run_ingestion asks for, in order."""

    def __init__(self, columns=("id", "club", "updated_at"), rows=3, high=(1042,),
                 previous=None, fail_on=None,
                 finished=datetime(2024, 5, 1, 7, 4, tzinfo=UTC)):
        self.columns = list(columns)
        self.rows = rows
        self.high = high
        self.previous = previous
        self.fail_on = fail_on
        self.finished = finished
        self.calls = []
        self.objects = {}
        self.logs = []

    def _step(self, name):
        self.calls.append(name)
        if self.fail_on == name:
            raise RuntimeError(f"{name} failed")

    def load_batch(self):
        self._step("load_batch")
        return self.columns

    def batch_stats(self, bookmark_columns):
        self._step("batch_stats")
        self.stats_columns = tuple(bookmark_columns)
        return h.BatchStats(rows=self.rows, high_key_values=self.high)

    def write_batch(self, partition, ingested_at):
        self._step("write_batch")
        self.written = (partition, ingested_at)

    def read_object(self, key):
        self._step("read_object")
        self.read_key = key
        return self.previous

    def put_object(self, key, body):
        self._step(f"put_object:{key.rsplit('/', 1)[-1]}")
        self.objects[key] = body

    def commit(self):
        self._step("commit")

    def now(self):
        return self.finished

    def log(self, message):
        self.logs.append(message)


STARTED = datetime(2024, 5, 1, 7, 0, 1, 123456, tzinfo=UTC)
LATEST = "_control/trackman-backend/public_shots/watermark.json"
HISTORY = "_control/trackman-backend/public_shots/runs/2024-05-01/jr_0123456789abcdef.json"


class RunIngestionTest(unittest.TestCase):
    def test_rows_land_before_the_watermark_and_the_commit(self):
        ports = FakePorts()
        doc = h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(
            ports.calls,
            ["load_batch", "batch_stats", "write_batch",
             "put_object:jr_0123456789abcdef.json", "put_object:watermark.json", "commit"],
        )
        self.assertEqual(ports.stats_columns, ("id",))
        partition, ingested_at = ports.written
        self.assertEqual(partition.path, "ingest_date=2024-05-01/ingest_hour=07/")
        self.assertEqual(ingested_at, datetime(2024, 5, 1, 7, 0, 1, 123000, tzinfo=UTC))
        self.assertEqual(doc["rows"], 3)
        self.assertEqual(doc["high_key"], {"id": "1042"})
        self.assertFalse(doc["high_key_carried_forward"])
        self.assertEqual(doc["started_at"], "2024-05-01T07:00:01.123Z")
        self.assertEqual(doc["finished_at"], "2024-05-01T07:04:00.000Z")
        self.assertEqual(json.loads(ports.objects[LATEST]), doc)
        self.assertEqual(ports.objects[HISTORY], ports.objects[LATEST])

    def test_bookmark_columns_are_passed_in_the_source_spelling(self):
        ports = FakePorts(columns=["ID", "Updated_At"], high=(datetime(2024, 5, 1, 6), 7))
        c = config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp")
        doc = h.run_ingestion(c, STARTED, ports)
        self.assertEqual(ports.stats_columns, ("Updated_At", "ID"))
        self.assertEqual(
            doc["high_key"], {"updated_at": "2024-05-01T06:00:00.000000Z", "id": "7"}
        )

    def test_empty_incremental_run_carries_the_previous_high_key(self):
        previous = {
            "schema_version": 1, "source": "trackman-backend", "schema": "public",
            "table": "shots", "read_mode": "incremental", "bookmark_keys": ["id"],
            "high_key": {"id": "999"},
        }
        ports = FakePorts(rows=0, high=None, previous=json.dumps(previous).encode())
        doc = h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(
            ports.calls,
            ["load_batch", "batch_stats", "read_object",
             "put_object:jr_0123456789abcdef.json", "put_object:watermark.json", "commit"],
        )
        self.assertEqual(ports.read_key, LATEST)
        self.assertEqual(doc["rows"], 0)
        self.assertEqual(doc["high_key"], {"id": "999"})
        self.assertTrue(doc["high_key_carried_forward"])
        self.assertIsNone(doc["data_location"])

    def test_first_empty_run_has_no_high_key(self):
        ports = FakePorts(rows=0, high=None, previous=None)
        doc = h.run_ingestion(config(), STARTED, ports)
        self.assertNotIn("write_batch", ports.calls)
        self.assertIsNone(doc["high_key"])
        self.assertFalse(doc["high_key_carried_forward"])

    def test_unreadable_previous_watermark_is_logged_and_not_carried(self):
        ports = FakePorts(rows=0, high=None, previous=b"{oops")
        doc = h.run_ingestion(config(), STARTED, ports)
        self.assertIsNone(doc["high_key"])
        self.assertIn(
            "ignoring previous watermark at " + LATEST + ": previous watermark: got "
            "unreadable JSON (JSONDecodeError), expected a watermark document",
            ports.logs,
        )
        self.assertEqual(ports.calls[-1], "commit")

    def test_snapshot_lands_without_high_key_or_previous_watermark(self):
        ports = FakePorts(columns=["id", "name"], rows=5, high=None)
        doc = h.run_ingestion(snapshot_config(), STARTED, ports)
        self.assertEqual(ports.stats_columns, ())
        self.assertNotIn("read_object", ports.calls)
        self.assertIn("write_batch", ports.calls)
        self.assertIsNone(doc["high_key"])
        self.assertEqual(doc["rows"], 5)

    def test_empty_snapshot_writes_a_heartbeat_only(self):
        ports = FakePorts(columns=["id"], rows=0, high=None)
        doc = h.run_ingestion(snapshot_config(), STARTED, ports)
        self.assertEqual(
            ports.calls,
            ["load_batch", "batch_stats", "put_object:jr_0123456789abcdef.json",
             "put_object:watermark.json", "commit"],
        )
        self.assertEqual(doc["rows"], 0)

    def test_failed_data_write_leaves_no_watermark_and_no_commit(self):
        ports = FakePorts(fail_on="write_batch")
        with self.assertRaises(RuntimeError):
            h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(ports.objects, {})
        self.assertNotIn("commit", ports.calls)

    def test_failed_history_write_leaves_the_latest_watermark_untouched(self):
        ports = FakePorts(fail_on="put_object:jr_0123456789abcdef.json")
        with self.assertRaises(RuntimeError):
            h.run_ingestion(config(), STARTED, ports)
        self.assertNotIn(LATEST, ports.objects)
        self.assertNotIn("commit", ports.calls)

    def test_failed_latest_write_does_not_commit(self):
        ports = FakePorts(fail_on="put_object:watermark.json")
        with self.assertRaises(RuntimeError):
            h.run_ingestion(config(), STARTED, ports)
        self.assertNotIn("commit", ports.calls)

    def test_reserved_source_column_fails_before_anything_is_written(self):
        ports = FakePorts(columns=["id", "_ingested_at"])
        with self.assertRaises(ValueError):
            h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(ports.calls, ["load_batch"])

    def test_unsupported_key_type_fails_before_the_data_write(self):
        ports = FakePorts(high=(b"\x01",))
        with self.assertRaises(TypeError):
            h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(ports.calls, ["load_batch", "batch_stats"])

    def test_invalid_row_count_from_the_aggregate(self):
        ports = FakePorts(rows=-1)
        with self.assertRaises(ValueError) as caught:
            h.run_ingestion(config(), STARTED, ports)
        self.assertEqual(
            str(caught.exception), "batch rows: got -1, expected a non-negative integer"
        )
        self.assertNotIn("write_batch", ports.calls)

    def test_logs_carry_counts_not_key_values(self):
        ports = FakePorts(high=(987654321,))
        h.run_ingestion(config(), STARTED, ports)
        self.assertTrue(ports.logs)
        for line in ports.logs:
            self.assertNotIn("987654321", line)
        self.assertIn(
            "landed 3 row(s) of public.shots in ingest_date=2024-05-01/ingest_hour=07/",
            ports.logs,
        )


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
        allowed = set(sys.stdlib_module_names) | {"__future__"}
        imported = set(_imported_modules(self.helpers_tree))
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

    def test_read_uses_the_helper_options_and_transformation_ctx(self):
        kw = self._call_keywords("from_options")
        self.assertEqual(
            ast.unparse(kw["connection_options"]), "helpers.jdbc_connection_options(config)"
        )
        self.assertEqual(
            ast.unparse(kw["transformation_ctx"]), "helpers.read_transformation_ctx(config)"
        )


if __name__ == "__main__":
    unittest.main()
