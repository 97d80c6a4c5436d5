"""Proof against the real MariaDB server: a bounded read never loses a late commit.

The MySQL-family counterpart of test_late_commits_postgres.py. InnoDB hands out
AUTO_INCREMENT values inside the inserting transaction (interleaved lock mode
lets them commit out of order), and NOW() is the statement's start, so the same
scenarios apply. lake_reader has SELECT and PROCESS (to see INNODB_TRX).
"""

import sys
import time
import unittest
from pathlib import Path

GLUE_SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(GLUE_SCRIPTS / "pylib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import read_horizon as rh  # noqa: E402
import source_sql as sql  # noqa: E402
from db_sessions import MysqlSession, Queries, unique_name  # noqa: E402


class MysqlFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.database = unique_name("lake_horizon")
        cls.writer_user = unique_name("app_w")
        cls.reader_user = unique_name("lake_r")
        admin = MysqlSession("mysql")
        admin.run(
            f"CREATE DATABASE {cls.database}; "
            f"CREATE TABLE {cls.database}.shots (id BIGINT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20) NOT NULL) ENGINE=InnoDB; "
            f"CREATE TABLE {cls.database}.sessions (id BIGINT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20) NOT NULL, "
            "updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB; "
            f"CREATE USER '{cls.writer_user}'@'%' IDENTIFIED BY ''; "
            f"CREATE USER '{cls.reader_user}'@'%' IDENTIFIED BY ''; "
            f"CREATE USER '{cls.writer_user}'@'localhost' IDENTIFIED BY ''; "
            f"CREATE USER '{cls.reader_user}'@'localhost' IDENTIFIED BY ''; "
            f"GRANT SELECT, INSERT, UPDATE ON {cls.database}.* TO '{cls.writer_user}'@'%', '{cls.writer_user}'@'localhost'; "
            f"GRANT SELECT ON {cls.database}.* TO '{cls.reader_user}'@'%', '{cls.reader_user}'@'localhost'; "
            f"GRANT PROCESS ON *.* TO '{cls.reader_user}'@'%', '{cls.reader_user}'@'localhost'"
        )
        admin.close()

    @classmethod
    def tearDownClass(cls):
        admin = MysqlSession("mysql")
        admin.run(f"DROP DATABASE IF EXISTS {cls.database}")
        for user in (cls.writer_user, cls.reader_user):
            admin.run(f"DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost'")
        admin.close()

    def setUp(self):
        self.sessions = []
        self.reader = self.session(self.reader_user)
        self.reader.run(sql.session_init_sql("mysql"))

    def tearDown(self):
        for session in self.sessions:
            session.close()

    def session(self, user):
        s = MysqlSession(self.database, user)
        self.sessions.append(s)
        return s

    def read(self, table, kind, column, lower, wait_seconds=2, commit_lag_seconds=0):
        queries = Queries(self.reader)
        horizon = rh.resolve_horizon(
            engine="mysql", schema=self.database, table=table, kind=kind, column=column,
            lower=lower, commit_lag_seconds=commit_lag_seconds, wait_seconds=wait_seconds,
            separate_reader=False, queries=queries,
        )
        rows = self.reader.run(sql.columns_sql("mysql", self.database, table))
        plans = sql.plan_columns("mysql", sql.parse_column_rows(rows, table))
        select = sql.bounded_select_sql("mysql", self.database, table, plans, horizon.read_range)
        return horizon, sorted(row[1] for row in self.reader.run(select))


class IncreasingKeyTest(MysqlFixture):
    def test_a_key_taken_before_a_greater_committed_key_is_read_once_it_commits(self):
        app = self.session(self.writer_user)
        app.run("INSERT INTO shots (note) VALUES ('first'), ('second')")
        first, landed = self.read("shots", "increasing-key", "id", None)
        self.assertEqual(landed, ["first", "second"])

        late = self.session(self.writer_user)
        late.run("BEGIN; INSERT INTO shots (note) VALUES ('late')")
        app.run("INSERT INTO shots (note) VALUES ('early')")
        naive = self.reader.run(f"SELECT note FROM shots WHERE id > {first.position}")
        self.assertEqual([r[0] for r in naive], ["early"], "the naive read moves past 'late'")

        held, while_open = self.read("shots", "increasing-key", "id", first.position, wait_seconds=1)
        self.assertEqual(while_open, [])
        self.assertEqual(held.position, first.position)

        late.run("COMMIT")
        time.sleep(1.1)  # trx_started has whole seconds: the next probe must see the new second
        after, landed_after = self.read("shots", "increasing-key", "id", held.position, wait_seconds=5)
        self.assertEqual(landed_after, ["early", "late"])
        self.assertEqual(sorted(landed + while_open + landed_after), ["early", "first", "late", "second"])


class UpdateTimestampTest(MysqlFixture):
    def test_a_row_stamped_by_an_open_transaction_is_read_once_it_commits(self):
        app = self.session(self.writer_user)
        app.run("INSERT INTO sessions (note) VALUES ('first')")
        time.sleep(1.1)
        first, landed = self.read("sessions", "update-timestamp", "updated_at", None)
        self.assertEqual(landed, ["first"])

        late = self.session(self.writer_user)
        late.run("BEGIN; INSERT INTO sessions (note) VALUES ('late')")
        time.sleep(0.05)
        app.run("INSERT INTO sessions (note) VALUES ('early')")
        _, while_open = self.read("sessions", "update-timestamp", "updated_at", first.position)
        self.assertEqual(while_open, [])

        late.run("COMMIT")
        time.sleep(1.1)
        _, landed_after = self.read("sessions", "update-timestamp", "updated_at", first.position)
        self.assertEqual(landed_after, ["early", "late"])
        self.assertEqual(sorted(landed + while_open + landed_after), ["early", "first", "late"])

    def test_an_insert_waiting_for_a_lock_holds_the_horizon(self):
        # NOW() is fixed when the statement starts, but InnoDB lists the transaction only
        # once the lock is granted: the running statement must count on its own.
        app = self.session(self.writer_user)
        app.run("INSERT INTO sessions (note) VALUES ('before')")
        time.sleep(1.1)
        first, landed = self.read("sessions", "update-timestamp", "updated_at", None)
        self.assertIn("before", landed)

        admin = MysqlSession(self.database)
        self.sessions.append(admin)
        admin.run("LOCK TABLES sessions READ")
        waiting = self.session(self.writer_user)
        waiting.send("INSERT INTO sessions (note) VALUES ('waited')")
        time.sleep(2.5)
        held, while_waiting = self.read("sessions", "update-timestamp", "updated_at", first.position)
        self.assertEqual(while_waiting, [])
        admin.run("UNLOCK TABLES")
        waiting.collect()
        time.sleep(1.1)
        _, after = self.read("sessions", "update-timestamp", "updated_at", held.position)
        self.assertEqual(after, ["waited"], "the row stamped while it waited is read once it commits")

    def test_a_long_list_of_ignored_users_keeps_the_probe_fresh(self):
        # INNODB_TRX keeps the first 1024 characters of a statement: the nonce must come early.
        users = [f"some_reporting_user_{i:02d}" for i in range(10)]
        statement = sql.horizon_probe_sql("mysql", users, "0123456789abcdef")
        self.assertGreater(len(statement), 1024)
        self.assertLess(statement.index("probe_0123456789abcdef"), 100)
        horizon = rh.resolve_horizon(
            engine="mysql", schema=self.database, table="sessions", kind="update-timestamp",
            column="updated_at", lower=None, commit_lag_seconds=0, wait_seconds=3,
            separate_reader=False, queries=Queries(self.reader), ignored_users=users,
        )
        self.assertIsNone(horizon.held_reason)

    def test_a_reader_without_process_privilege_cannot_take_a_horizon(self):
        blind = unique_name("blind")
        admin = MysqlSession("mysql")
        admin.run(
            f"CREATE USER '{blind}'@'%' IDENTIFIED BY ''; CREATE USER '{blind}'@'localhost' IDENTIFIED BY ''; "
            f"GRANT SELECT ON {self.database}.* TO '{blind}'@'%', '{blind}'@'localhost'"
        )
        try:
            session = self.session(blind)
            with self.assertRaisesRegex(RuntimeError, "PROCESS"):
                session.run(sql.horizon_probe_sql("mysql"))
        finally:
            admin.run(f"DROP USER IF EXISTS '{blind}'@'%'; DROP USER IF EXISTS '{blind}'@'localhost'")
            admin.close()


if __name__ == "__main__":
    unittest.main()
