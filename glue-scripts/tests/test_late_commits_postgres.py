"""Proof against the real PostgreSQL server: a bounded read never loses a late commit.

Each test plays the scenario the watermark design exists for. A transaction
takes its key (nextval) or timestamp (now()) and stays open; a later transaction
commits a greater key or timestamp; the job reads, through the same helpers and
the same SQL it sends in Glue; then the first transaction commits. The next read
must return the late row, and no row may be read twice.

The database and its two roles are made per test class and dropped after:
app_writer writes like the application, lake_reader reads like the job (SELECT
only, member of pg_read_all_stats, as docs/deploying.md asks).
"""

import sys
import threading
import time
import unittest
from pathlib import Path

GLUE_SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(GLUE_SCRIPTS / "pylib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import read_horizon as rh  # noqa: E402
import source_sql as sql  # noqa: E402
from db_sessions import PgSession, Queries, unique_name  # noqa: E402


class PostgresFixture(unittest.TestCase):
    reader_role = "lake_reader"

    @classmethod
    def setUpClass(cls):
        cls.database = unique_name("lake_horizon")
        cls.writer_role = unique_name("app_writer")
        cls.reader_role = unique_name("lake_reader")
        admin = PgSession("postgres")
        admin.run(f"CREATE DATABASE {cls.database}")
        admin.run(
            f"CREATE ROLE {cls.writer_role} LOGIN; "
            f"CREATE ROLE {cls.reader_role} LOGIN; "
            f"GRANT pg_read_all_stats TO {cls.reader_role}"
        )
        admin.close()
        setup = PgSession(cls.database)
        setup.run(
            "CREATE TABLE public.shots (id bigserial PRIMARY KEY, note text NOT NULL); "
            "CREATE TABLE public.sessions (id bigserial PRIMARY KEY, note text NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT now()); "
            f"GRANT USAGE ON SCHEMA public TO {cls.writer_role}, {cls.reader_role}; "
            f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {cls.writer_role}; "
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {cls.writer_role}; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {cls.reader_role}"
        )
        setup.close()

    @classmethod
    def tearDownClass(cls):
        admin = PgSession("postgres")
        admin.run(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{cls.database}'"
        )
        admin.run(f"DROP DATABASE IF EXISTS {cls.database}")
        admin.run(f"DROP ROLE IF EXISTS {cls.writer_role}; DROP ROLE IF EXISTS {cls.reader_role}")
        admin.close()

    def setUp(self):
        self.sessions = []
        self.reader = self.session(self.reader_role)
        self.reader.run(sql.session_init_sql("postgres"))

    def tearDown(self):
        for session in self.sessions:
            session.close()

    def session(self, role):
        s = PgSession(self.database, role)
        self.sessions.append(s)
        return s

    def writer(self):
        return self.session(self.writer_role)

    def columns(self, table):
        rows = self.reader.run(sql.columns_sql("postgres", "public", table))
        return sql.plan_columns("postgres", sql.parse_column_rows(rows, f"public.{table}"))

    def read(self, table, kind, column, lower, wait_seconds=2, commit_lag_seconds=0):
        """One run's read, as run_ingestion does it: horizon, then the bounded select."""
        queries = Queries(self.reader)
        horizon = rh.resolve_horizon(
            engine="postgres",
            schema="public",
            table=table,
            kind=kind,
            column=column,
            lower=lower,
            commit_lag_seconds=commit_lag_seconds,
            wait_seconds=wait_seconds,
            separate_reader=False,
            queries=queries,
        )
        plans = self.columns(table)
        select = sql.bounded_select_sql("postgres", "public", table, plans, horizon.read_range)
        rows = self.reader.run(select)
        return horizon, sorted(row[1] for row in rows)


class IncreasingKeyTest(PostgresFixture):
    def test_a_key_taken_before_a_greater_committed_key_is_read_once_it_commits(self):
        app = self.writer()
        app.run("INSERT INTO public.shots (note) VALUES ('first'), ('second')")
        first, landed = self.read("shots", "increasing-key", "id", None)
        self.assertEqual(landed, ["first", "second"])

        late = self.writer()
        late.run("BEGIN; INSERT INTO public.shots (note) VALUES ('late')")  # takes id 3, stays open
        app.run("INSERT INTO public.shots (note) VALUES ('early')")  # id 4, committed

        # What a bookmark read would do: everything past the greatest key seen.
        naive = self.reader.run("SELECT note FROM public.shots WHERE id > 2 ORDER BY id")
        self.assertEqual([r[0] for r in naive], ["early"], "the naive read moves past id 3")

        held, landed_while_open = self.read("shots", "increasing-key", "id", first.position, wait_seconds=1)
        self.assertEqual(landed_while_open, [], "nothing is read past an open transaction")
        self.assertEqual(held.position, first.position)
        self.assertIn("outlived the 1 s wait", held.held_reason)

        late.run("COMMIT")
        after, landed_after = self.read("shots", "increasing-key", "id", held.position)
        self.assertEqual(landed_after, ["early", "late"])
        self.assertIsNone(after.held_reason)

        everything = landed + landed_while_open + landed_after
        self.assertEqual(sorted(everything), ["early", "first", "late", "second"], "each row exactly once")
        self.assertEqual(after.position, "4")

    def test_a_transaction_that_commits_during_the_wait_is_read_in_the_same_run(self):
        app = self.writer()
        app.run("INSERT INTO public.shots (note) VALUES ('base')")
        start, _ = self.read("shots", "increasing-key", "id", None)

        late = self.writer()
        late.run("BEGIN; INSERT INTO public.shots (note) VALUES ('slow')")
        app.run("INSERT INTO public.shots (note) VALUES ('fast')")
        committer = threading.Timer(0.6, lambda: late.run("COMMIT"))
        committer.start()
        try:
            horizon, landed = self.read("shots", "increasing-key", "id", start.position, wait_seconds=10)
        finally:
            committer.join()
        self.assertEqual(landed, ["fast", "slow"])
        self.assertGreater(horizon.waited_seconds, 0.3)


class UpdateTimestampTest(PostgresFixture):
    def test_a_row_stamped_by_an_open_transaction_is_read_once_it_commits(self):
        app = self.writer()
        app.run("INSERT INTO public.sessions (note) VALUES ('first')")
        time.sleep(0.05)
        first, landed = self.read("sessions", "update-timestamp", "updated_at", None)
        self.assertEqual(landed, ["first"])

        late = self.writer()
        # now() is the transaction's start: this row's updated_at is before 'early''s.
        late.run("BEGIN; INSERT INTO public.sessions (note) VALUES ('late')")
        time.sleep(0.05)
        app.run("INSERT INTO public.sessions (note) VALUES ('early')")
        time.sleep(0.05)

        # What a bookmark read does: every row past the greatest timestamp seen.
        stamp = "to_char(max(updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        first_max = self.reader.run(f"SELECT {stamp} FROM public.sessions WHERE note = 'first'")[0][0]
        naive = self.reader.run(
            f"SELECT note FROM public.sessions WHERE updated_at > TIMESTAMPTZ '{first_max}+00'"
        )
        self.assertEqual([r[0] for r in naive], ["early"], "the naive read moves past 'late'")
        naive_max = self.reader.run(f"SELECT {stamp} FROM public.sessions WHERE note = 'early'")[0][0]

        while_open, landed_while_open = self.read("sessions", "update-timestamp", "updated_at", first.position)
        self.assertNotIn("late", landed_while_open)
        self.assertNotIn("early", landed_while_open, "the horizon stops at the open transaction's start")

        late.run("COMMIT")
        time.sleep(0.05)
        naive_next = self.reader.run(
            f"SELECT note FROM public.sessions WHERE updated_at > TIMESTAMPTZ '{naive_max}+00'"
        )
        self.assertEqual(naive_next, [], "the naive read has lost 'late' for good")
        after, landed_after = self.read("sessions", "update-timestamp", "updated_at", while_open.position)
        self.assertEqual(landed_after, ["early", "late"])
        everything = landed + landed_while_open + landed_after
        self.assertEqual(sorted(everything), ["early", "first", "late"], "each row exactly once")

    def test_an_update_lands_again_as_a_new_version(self):
        app = self.writer()
        app.run("INSERT INTO public.sessions (note) VALUES ('v1')")
        time.sleep(0.05)
        first, _ = self.read("sessions", "update-timestamp", "updated_at", None)
        app.run("UPDATE public.sessions SET note = 'v2', updated_at = now() WHERE note = 'v1'")
        time.sleep(0.05)
        _, landed = self.read("sessions", "update-timestamp", "updated_at", first.position)
        self.assertIn("v2", landed)

    def test_the_commit_lag_keeps_the_newest_seconds_back(self):
        app = self.writer()
        app.run("INSERT INTO public.sessions (note) VALUES ('just-now')")
        horizon, landed = self.read("sessions", "update-timestamp", "updated_at", None, commit_lag_seconds=60)
        self.assertNotIn("just-now", landed)
        self.assertLess(horizon.complete_as_of, horizon.observed_at)


class VisibilityTest(PostgresFixture):
    def test_a_reader_that_cannot_see_other_sessions_is_refused(self):
        blind = unique_name("blind_reader")
        admin = PgSession(self.database)
        admin.run(f"CREATE ROLE {blind} LOGIN; GRANT SELECT ON public.shots TO {blind}")
        try:
            session = self.session(blind)
            with self.assertRaisesRegex(ValueError, "pg_read_all_stats"):
                rh.resolve_horizon(
                    engine="postgres", schema="public", table="shots", kind="increasing-key",
                    column="id", lower=None, commit_lag_seconds=0, wait_seconds=1,
                    separate_reader=False, queries=Queries(session),
                )
        finally:
            for s in self.sessions:
                s.close()
            self.sessions = []
            admin.run(f"DROP OWNED BY {blind}; DROP ROLE IF EXISTS {blind}")
            admin.close()

    def test_the_writer_reports_a_log_position_a_reader_on_the_writer_has_reached(self):
        probe = rh.parse_probe(
            self.reader.run(sql.horizon_probe_sql("postgres", with_log_position=True)), "postgres"
        )
        self.assertRegex(probe.log_position, r"^[0-9A-F]+/[0-9A-F]+$")
        self.assertEqual(self.reader.run(sql.replica_caught_up_sql("postgres", probe.log_position)), [["1"]])
        # The per-connection guard passes on a server that is not a replica.
        self.reader.run(sql.replica_guard_sql(probe.log_position))

    def test_without_a_replica_the_probe_asks_for_no_log_position(self):
        # Aurora refuses WAL functions unless wal_level is logical: only ask when a replica is read.
        statement = sql.horizon_probe_sql("postgres")
        self.assertNotIn("_lsn(", statement)
        self.assertIsNone(rh.parse_probe(self.reader.run(statement), "postgres").log_position)


class SequenceCacheTest(PostgresFixture):
    def test_a_cached_sequence_is_refused_before_anything_is_read(self):
        setup = PgSession(self.database)
        self.sessions.append(setup)
        setup.run(
            "CREATE TABLE public.cached (id bigint PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY (CACHE 20), "
            f"note text); GRANT SELECT ON public.cached TO {self.reader_role}; "
            f"GRANT USAGE ON SCHEMA public TO {self.reader_role}"
        )
        with self.assertRaisesRegex(ValueError, "whose sequence has CACHE 20, expected CACHE 1"):
            self.read("cached", "increasing-key", "id", None)
        # CACHE 1 (the default) reads as usual.
        self.assertEqual(self.read("shots", "increasing-key", "id", None)[0].held_reason, None)


if __name__ == "__main__":
    unittest.main()
