"""The run's order and its watermark, with the database and Glue replaced by fakes.

What the SQL does against real servers is proven in test_late_commits_* and
test_type_mapping; here the fakes answer those statements so that the steps of
run_ingestion (position, horizon, read, checks, write, watermark) can be
observed, including every way a run can fail half-way.
"""

import json
import sys
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

PYLIB = Path(__file__).resolve().parent.parent / "pylib"
sys.path.insert(0, str(PYLIB))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_helpers as h  # noqa: E402
import read_horizon as rh  # noqa: E402
import source_sql as sql  # noqa: E402
from job_args import INCREMENTAL_ARGS  # noqa: E402
from schema_drift import check_schema_drift, drift_problems  # noqa: E402

UTC = timezone.utc
STARTED = datetime(2024, 5, 1, 7, 5, 0, 123456, tzinfo=UTC)

BASE_ARGS = {
    **INCREMENTAL_ARGS,
    "JOB_NAME": "trackman-prod-ingest-trackman-backend-public-shots",
    "JOB_RUN_ID": "jr_2",
    "connection_name": "conn",
    "horizon_wait_seconds": "5",
    "catalog_database": "trackman_prod_lake",
    "catalog_table": "trackman_backend__public_shots",
}


def job_config(**overrides):
    args = {**BASE_ARGS, **overrides}
    return h.parse_job_arguments({k: v for k, v in args.items() if v is not None})


SHOTS_COLUMNS = [["id", "bigint", "int8", "64", "0"], ["club", "text", "text", None, None],
                 ["carry", "numeric", "numeric", None, None]]
SESSIONS_COLUMNS = [["id", "bigint", "int8", "64", "0"],
                    ["updated_at", "timestamp with time zone", "timestamptz", None, None]]


class FakePorts:
    """Answers the job's statements and records every side effect in order."""

    def __init__(self, *, columns=SHOTS_COLUMNS, max_key="120", oldest=None, previous=None,
                 batch=None, guard_totals=None, catalog=None, rows=3, fail_on=None,
                 now="2024-05-01 07:05:01.000000", replica_caught_up="1", bounds=("101", "120"),
                 sequence_cache="1"):
        self.columns = columns
        self.max_key = max_key
        self.oldest = oldest
        self.previous = previous
        self.batch = batch or [("id", "bigint"), ("club", "string"), ("carry", "decimal(38,18)"),
                               ("__trackman_guard_2", "int")]
        self.guard_totals = guard_totals or {}
        self.catalog = catalog
        self.rows = rows
        self.fail_on = fail_on
        self.now_text = now
        self.replica_caught_up = replica_caught_up
        self.bounds = bounds
        self.sequence_cache = sequence_cache
        self.events = []
        self.objects = {}
        self.clock = 0.0

    def _fail(self, step):
        if self.fail_on == step:
            raise RuntimeError(f"{step} failed")

    def query_writer(self, statement):
        self.events.append(("writer", statement.split()[0:3]))
        if statement.startswith("SELECT CAST(max("):
            return [[self.max_key]]
        if "pg_sequence" in statement:
            return [] if self.sequence_cache is None else [[self.sequence_cache]]
        if statement.startswith("SELECT to_char(clock_timestamp()"):
            return [[self.now_text, self.oldest, "1", "0/16B3740", "1"]]
        raise AssertionError(f"unexpected writer statement {statement}")

    def query_reader(self, statement):
        self.events.append(("reader", statement.split()[0:3]))
        if "information_schema.columns" in statement:
            return self.columns
        if statement.startswith("SELECT CAST(min("):
            return [list(self.bounds)]
        if "pg_last_wal_replay_lsn" in statement:
            return [[self.replica_caught_up]]
        raise AssertionError(f"unexpected reader statement {statement}")

    def sleep(self, seconds):
        self.clock += seconds

    def monotonic(self):
        return self.clock

    def load_batch(self, options):
        self._fail("load")
        self.events.append(("load", options))
        return self.batch

    def batch_stats(self, guard_columns):
        self.events.append(("stats", list(guard_columns)))
        return h.BatchStats(rows=self.rows, guard_totals={g: self.guard_totals.get(g, 0) for g in guard_columns})

    def catalog_columns(self):
        return self.catalog

    def write_batch(self, partition, ingested_at, drop_columns):
        self._fail("write")
        self.events.append(("write", partition.path, list(drop_columns)))

    def read_object(self, key):
        if key.endswith("watermark.json") and self.previous is not None:
            return json.dumps(self.previous).encode()
        return None

    def put_object(self, key, body):
        self._fail("history" if "/runs/" in key else "latest")
        self.events.append(("put", key))
        self.objects[key] = json.loads(body)

    def commit(self):
        self.events.append(("commit",))

    def now(self):
        return STARTED + timedelta(seconds=30)

    def log(self, message):
        self.events.append(("log", message))

    def kinds(self):
        return [e[0] for e in self.events if e[0] not in ("log", "writer", "reader")]


def previous_v2(position, **overrides):
    doc = {
        "schema_version": 2, "source": "trackman-backend", "schema": "public", "table": "shots",
        "read_mode": "incremental", "bookmark_kind": "increasing-key", "bookmark_keys": ["id"],
        "position": position,
    }
    doc.update(overrides)
    return doc


class RunIngestionTest(unittest.TestCase):
    def test_the_range_starts_at_the_previous_position_and_the_watermark_commits_it(self):
        ports = FakePorts(previous=previous_v2("100"))
        doc = h.run_ingestion(job_config(), STARTED, ports)
        load = next(e for e in ports.events if e[0] == "load")[1]
        self.assertIn('WHERE "id" > 100 AND "id" <= 120', load["dbtable"])
        self.assertEqual(ports.kinds(), ["load", "stats", "write", "put", "put", "commit"])
        self.assertEqual(doc["position"], "120")
        self.assertEqual(doc["range"], {"column": "id", "lower": "100", "upper": "120",
                                        "lower_inclusive": False, "upper_inclusive": True})
        self.assertEqual(doc["rows"], 3)
        self.assertEqual(doc["schema_version"], 2)
        latest = ports.objects["_control/trackman-backend/public_shots/watermark.json"]
        self.assertEqual(latest, doc)
        # The guard column never reaches the lake.
        self.assertEqual(next(e for e in ports.events if e[0] == "write")[2], ["__trackman_guard_2"])

    def test_an_open_transaction_holds_the_position_and_nothing_is_read(self):
        ports = FakePorts(previous=previous_v2("100"), oldest="2024-05-01 07:04:00.000000")
        doc = h.run_ingestion(job_config(), STARTED, ports)
        self.assertEqual(ports.kinds(), ["put", "put", "commit"])
        self.assertEqual(doc["position"], "100")
        self.assertEqual(doc["rows"], 0)
        self.assertIn("outlived the 5 s wait", doc["horizon"]["held_reason"])
        self.assertIsNone(doc["complete_as_of"])

    def test_a_first_load_reads_from_the_beginning_in_parallel(self):
        ports = FakePorts(bounds=("1", "4000000"))
        h.run_ingestion(job_config(), STARTED, ports)
        load = next(e for e in ports.events if e[0] == "load")[1]
        self.assertIn('WHERE "id" <= 120', load["dbtable"])
        self.assertEqual(
            {k: load[k] for k in ("partitionColumn", "lowerBound", "upperBound", "numPartitions", "fetchsize")},
            {"partitionColumn": "id", "lowerBound": "1", "upperBound": "4000000", "numPartitions": "4",
             "fetchsize": "10000"},
        )

    def test_an_ordinary_batch_uses_one_connection(self):
        ports = FakePorts(previous=previous_v2("100"))
        h.run_ingestion(job_config(), STARTED, ports)
        load = next(e for e in ports.events if e[0] == "load")[1]
        self.assertNotIn("numPartitions", load)

    def test_update_timestamp_reads_up_to_the_commit_lag_before_the_clock(self):
        ports = FakePorts(columns=SESSIONS_COLUMNS, previous=previous_v2(
            "2024-05-01T06:50:00.000000Z", bookmark_kind="update-timestamp", bookmark_keys=["updated_at", "id"]),
            batch=[("id", "bigint"), ("updated_at", "timestamp"), ("__trackman_guard_1", "int")])
        doc = h.run_ingestion(
            job_config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp"), STARTED, ports
        )
        load = next(e for e in ports.events if e[0] == "load")[1]
        self.assertIn(
            "\"updated_at\" >= TIMESTAMPTZ '2024-05-01 06:50:00.000000+00' AND "
            "\"updated_at\" < TIMESTAMPTZ '2024-05-01 07:04:01.000000+00'",
            load["dbtable"],
        )
        self.assertEqual(doc["position"], "2024-05-01T07:04:01.000000Z")
        self.assertEqual(doc["complete_as_of"], "2024-05-01T07:04:01.000000Z")

    def test_a_replica_is_read_only_once_it_has_replayed_the_writer(self):
        writer = "jdbc:postgresql://writer.example:5432/trackman?sslmode=require"
        ports = FakePorts(previous=previous_v2("100"), replica_caught_up="0")
        doc = h.run_ingestion(job_config(horizon_jdbc_url=writer), STARTED, ports)
        self.assertIn("had not replayed the writer's log up to 0/16B3740", doc["horizon"]["held_reason"])
        self.assertEqual(doc["position"], "100")
        self.assertNotIn("load", ports.kinds())

    def test_a_replica_that_cannot_report_its_replay_position_stops_the_run(self):
        writer = "jdbc:postgresql://writer.example:5432/trackman?sslmode=require"
        ports = FakePorts(previous=previous_v2("100"), replica_caught_up=None)
        with self.assertRaisesRegex(ValueError, "got no replay position from the read replica"):
            h.run_ingestion(job_config(horizon_jdbc_url=writer), STARTED, ports)
        self.assertEqual(ports.kinds(), [])

    def test_unrepresentable_values_fail_before_anything_is_written(self):
        ports = FakePorts(guard_totals={"__trackman_guard_2": 2})
        with self.assertRaises(ValueError) as caught:
            h.run_ingestion(job_config(), STARTED, ports)
        message = str(caught.exception)
        self.assertTrue(message.startswith("source table public.shots: got values the lake cannot represent in column(s) carry (2 row(s): a numeric value"))
        self.assertNotIn("\n", message)
        self.assertEqual(ports.kinds(), ["load", "stats"])

    def test_schema_drift_fails_before_anything_is_written(self):
        catalog = [("id", "bigint"), ("club", "string"), ("carry", "decimal(10,2)"), ("spin", "int"),
                   ("_ingested_at", "timestamp"), ("_source", "string"), ("_job_run_id", "string")]
        ports = FakePorts(catalog=catalog)
        with self.assertRaises(ValueError) as caught:
            h.run_ingestion(job_config(), STARTED, ports)
        self.assertEqual(
            str(caught.exception),
            "schema drift in public.shots: got dropped column(s) spin; changed type(s) carry "
            "decimal(10,2) -> decimal(38,18) against the catalog table, expected the catalog's "
            "columns with their types (new columns are fine). Nothing was written; see "
            "docs/runbook.md#schema-drift",
        )
        self.assertNotIn("write", ports.kinds())

    def test_a_new_column_is_fine(self):
        catalog = [("id", "bigint"), ("club", "string"), ("_ingested_at", "timestamp"),
                   ("_source", "string"), ("_job_run_id", "string")]
        ports = FakePorts(catalog=catalog)
        h.run_ingestion(job_config(), STARTED, ports)
        self.assertIn("write", ports.kinds())

    def test_failures_never_move_the_position(self):
        for step, expected in (
            ("load", []),
            ("write", ["stats"]),
            ("history", ["stats", "write"]),
            ("latest", ["stats", "write", "put"]),
        ):
            with self.subTest(step=step):
                ports = FakePorts(previous=previous_v2("100"), fail_on=step)
                with self.assertRaisesRegex(RuntimeError, f"{step} failed"):
                    h.run_ingestion(job_config(), STARTED, ports)
                kinds = [k for k in ports.kinds() if k != "load"]
                self.assertEqual(kinds, expected)
                self.assertNotIn("_control/trackman-backend/public_shots/watermark.json", ports.objects)

    def test_a_snapshot_reads_the_whole_table_without_a_horizon(self):
        ports = FakePorts(bounds=("1", "900"))
        doc = h.run_ingestion(
            job_config(read_mode="snapshot", bookmark_keys=None, bookmark_kind=None), STARTED, ports
        )
        self.assertFalse(any(e[0] == "writer" for e in ports.events))
        load = next(e for e in ports.events if e[0] == "load")[1]
        self.assertNotIn("WHERE", load["dbtable"])
        self.assertEqual(load["numPartitions"], "4")
        self.assertIsNone(doc["position"])
        self.assertIsNone(doc["horizon"])
        self.assertEqual(doc["complete_as_of"], "2024-05-01T07:05:00.123Z")

    def test_a_key_of_the_wrong_type_is_refused_before_reading(self):
        columns = [["id", "uuid", "uuid", None, None]]
        ports = FakePorts(columns=columns)
        with self.assertRaisesRegex(ValueError, "expected an integer column for an increasing-key table"):
            h.run_ingestion(job_config(), STARTED, ports)
        self.assertEqual(ports.kinds(), [])


class PreviousPositionTest(unittest.TestCase):
    def test_no_watermark_and_snapshots_start_from_the_beginning(self):
        self.assertIsNone(h.previous_position(None, job_config()))
        self.assertIsNone(h.previous_position(previous_v2("5", read_mode="snapshot"), job_config()))

    def test_version_1_watermarks_give_their_high_key(self):
        v1 = {"schema_version": 1, "source": "trackman-backend", "schema": "public", "table": "shots",
              "read_mode": "incremental", "bookmark_kind": "increasing-key", "bookmark_keys": ["id"],
              "high_key": {"id": "77"}}
        self.assertEqual(h.previous_position(v1, job_config()), "77")
        v1["high_key"] = None
        self.assertIsNone(h.previous_position(v1, job_config()))

    def test_timestamps_are_normalised(self):
        cfg = job_config(bookmark_keys="updated_at,id", bookmark_kind="update-timestamp")
        prev = previous_v2("2024-05-01T06:50:00Z", bookmark_kind="update-timestamp",
                           bookmark_keys=["updated_at", "id"])
        self.assertEqual(h.previous_position(prev, cfg), "2024-05-01T06:50:00.000000Z")

    def test_changed_keys_stop_the_run_with_the_way_out(self):
        with self.assertRaises(ValueError) as caught:
            h.previous_position(previous_v2("5", bookmark_keys=["seq"]), job_config())
        self.assertIn("delete _control/trackman-backend/public_shots/watermark.json", str(caught.exception))

    def test_garbage_positions_and_documents_are_refused(self):
        with self.assertRaisesRegex(ValueError, "expected a whole number"):
            h.previous_position(previous_v2("1; DROP TABLE x"), job_config())
        for body in (b"{", b"[]", json.dumps({"schema_version": 9}).encode()):
            with self.subTest(body=body), self.assertRaises(ValueError):
                h.parse_previous_watermark(body)

    def test_a_watermark_of_another_table_is_refused(self):
        with self.assertRaisesRegex(ValueError, "got one for 'trackman-backend' 'public'.'clubs'"):
            h.previous_position(previous_v2("5", table="clubs"), job_config())


class PartitionPlanTest(unittest.TestCase):
    def test_partition_column_defaults(self):
        types = {"id": "bigint", "club": "string", "updated_at": "timestamp"}
        self.assertEqual(rh.partition_column_for(None, ["id"], "increasing-key", ["id"], types), "id")
        self.assertEqual(rh.partition_column_for(None, ["id"], "update-timestamp", ["updated_at"], types), "id")
        self.assertIsNone(rh.partition_column_for(None, ["club"], None, [], types))
        self.assertEqual(rh.partition_column_for("Updated_At", ["club"], None, [], types), "updated_at")
        with self.assertRaisesRegex(ValueError, "of lake type string, expected a column of an integer"):
            rh.partition_column_for("club", ["id"], None, [], types)
        with self.assertRaisesRegex(ValueError, "expected a column of the table"):
            rh.partition_column_for("nope", ["id"], None, [], types)

    def test_wide_incremental_ranges_are_split(self):
        narrow = rh.plan_partitions(read_range=sql.ReadRange("increasing-key", "id", "100", "200"),
                                    column="id", configured_partitions=8, bounds=("101", "200"))
        self.assertEqual(narrow, rh.PartitionPlan(1))
        wide = rh.plan_partitions(read_range=sql.ReadRange("increasing-key", "id", "0", "300000"),
                                  column="id", configured_partitions=8, bounds=("1", "300000"))
        self.assertEqual(wide, rh.PartitionPlan(5, "id", "1", "300000"))
        self.assertEqual(rh.plan_partitions(read_range=sql.ReadRange("all"), column="id",
                                            configured_partitions=1, bounds=("1", "9")), rh.PartitionPlan(1))

    def test_jdbc_options(self):
        options = rh.jdbc_read_options(engine="mysql", url="jdbc:mysql://h:3306/d?x", select_sql="SELECT 1",
                                       fetch_size=500, plan=rh.PartitionPlan(1))
        self.assertEqual(options, {"url": "jdbc:mysql://h:3306/d?x", "dbtable": "(SELECT 1) AS lake_batch",
                                   "fetchsize": "500", "sessionInitStatement": "SET time_zone = '+00:00'",
                                   "driver": "com.mysql.cj.jdbc.Driver"})
        self.assertNotIn("password", " ".join(options))
        with self.assertRaisesRegex(ValueError, "--fetch_size"):
            rh.jdbc_read_options(engine="mysql", url="u", select_sql="s", fetch_size=0, plan=rh.PartitionPlan(1))
        self.assertEqual(rh.jdbc_url("mysql", "h", 3306, "d"),
                         "jdbc:mysql://h:3306/d?sslMode=REQUIRED&useCursorFetch=true")


class StaleProbeTest(unittest.TestCase):
    class AlwaysStale:
        """A MySQL writer whose INNODB_TRX list never shows the probe's own transaction."""

        def __init__(self):
            self.clock = 0.0

        def query_writer(self, statement):
            if statement.startswith("SELECT DATE_FORMAT"):
                return [["2024-05-01 07:05:01.000000", None, "1", None, "0"]]
            if statement.startswith("SELECT CAST(max("):
                return [["9"]]
            return []

        def query_reader(self, statement):
            raise AssertionError(statement)

        def sleep(self, seconds):
            self.clock += seconds

        def monotonic(self):
            return self.clock

    def test_a_starved_probe_holds_the_table_instead_of_failing(self):
        for kind, column in (("update-timestamp", "updated_at"), ("increasing-key", "id")):
            with self.subTest(kind=kind):
                horizon = rh.resolve_horizon(
                    engine="mysql", schema="s", table="t", kind=kind, column=column, lower="5"
                    if kind == "increasing-key" else "2024-05-01T06:00:00.000000Z",
                    commit_lag_seconds=60, wait_seconds=3, separate_reader=False,
                    queries=self.AlwaysStale(),
                )
                self.assertIn("older than the probe for 3 s", horizon.held_reason)
                self.assertEqual(horizon.read_range.lower, horizon.read_range.upper)


class PartitionableTest(unittest.TestCase):
    def test_spark_strides_over_64_bit_integers_only(self):
        for lake_type, expected in (("bigint", True), ("date", True), ("timestamp", True),
                                    ("decimal(18,0)", True), ("decimal(20,0)", False),
                                    ("decimal(38,18)", False), ("string", False)):
            with self.subTest(lake_type=lake_type):
                self.assertIs(rh.partitionable(lake_type), expected)

    def test_a_replica_read_guards_every_connection(self):
        options = rh.jdbc_read_options(engine="postgres", url="u", select_sql="SELECT 1", fetch_size=10,
                                       plan=rh.PartitionPlan(1), replica_log_position="0/16B3740")
        self.assertIn("pg_last_wal_replay_lsn() < '0/16B3740'::pg_lsn", options["sessionInitStatement"])
        self.assertTrue(options["sessionInitStatement"].startswith("SET TIME ZONE 'UTC'"))


class SchemaDriftTest(unittest.TestCase):
    def test_names_compare_case_insensitively_and_types_ignore_spacing(self):
        self.assertEqual(drift_problems([("Id", "BIGINT"), ("c", "decimal(38, 18)")],
                                        [("id", "bigint"), ("c", "decimal(38,18)")]), ([], [], []))

    def test_first_run_has_no_catalog(self):
        self.assertEqual(check_schema_drift("public.t", [("a", "int")], None), ["a"])


if __name__ == "__main__":
    unittest.main()
