"""The lake type of every source column, checked against the real servers.

source_sql.plan_columns decides, per column, the expression the read selects
and the guard that flags a value the lake cannot hold. These tests create
tables with the awkward types (unconstrained numeric, NaN and Infinity,
infinite timestamps, multi-dimensional arrays, json, jsonb, uuid, zero dates,
wide decimals, unsigned bigints), run the select the job would send, and check
both the values and the guards. docs/ingestion-job.md#type-mapping documents
the same table.
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import source_sql as sql  # noqa: E402
from db_sessions import MysqlSession, PgSession, unique_name  # noqa: E402


def by_name(plans):
    return {p.name: p for p in plans}


class PostgresTypesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.database = unique_name("lake_types")
        admin = PgSession("postgres")
        admin.run(f"CREATE DATABASE {cls.database}")
        admin.close()
        cls.session = PgSession(cls.database)
        cls.session.run(sql.session_init_sql("postgres").replace("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SELECT 1"))
        cls.session.run(
            "CREATE TABLE public.t (id int PRIMARY KEY, n_plain numeric, n_fixed numeric(10,2), "
            "n_wide numeric(50,10), f double precision, ts timestamptz, d date, arr int[], "
            "grid text[][], j json, jb jsonb, u uuid, iv interval); "
            "INSERT INTO public.t VALUES "
            "(1, 1.5, 12.34, 5.5, 'NaN', '2024-05-01 07:00:00+00', '2024-05-01', '{1,2}', "
            "'{{a,b},{c,d}}', '{\"a\": 1}', '{\"b\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
            "'1 day 2 hours'), "
            "(2, 'NaN', NULL, NULL, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(3, 1e25, NULL, 1e30, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(4, 0.1234567890123456789, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(5, NULL, NULL, NULL, NULL, 'infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(6, NULL, NULL, NULL, NULL, NULL, '-infinity', NULL, NULL, NULL, NULL, NULL, NULL), "
            "(7, 1.50000000000000000000000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
            "(8, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
        rows = cls.session.run(sql.columns_sql("postgres", "public", "t"))
        cls.plans = sql.plan_columns("postgres", sql.parse_column_rows(rows, "public.t"))
        select = sql.bounded_select_sql("postgres", "public", "t", cls.plans, sql.ReadRange("all")) + " ORDER BY 1"
        header = [p.name for p in cls.plans] + list(sql.guard_columns(cls.plans))
        cls.rows = {int(r[0]): dict(zip(header, r)) for r in cls.session.run(select)}

    @classmethod
    def tearDownClass(cls):
        cls.session.close()
        admin = PgSession("postgres")
        admin.run(f"DROP DATABASE IF EXISTS {cls.database}")
        admin.close()

    def guard_of(self, column):
        index = [p.name for p in self.plans].index(column)
        return sql.guard_column(index)

    def test_lake_types(self):
        types = {name: plan.lake_type for name, plan in by_name(self.plans).items()}
        self.assertEqual(types, {
            "id": "int", "n_plain": "decimal(38,18)", "n_fixed": "decimal(10,2)", "n_wide": "decimal(38,18)",
            "f": "double", "ts": "timestamp", "d": "date", "arr": "string", "grid": "string",
            "j": "string", "jb": "string", "u": "string", "iv": "string",
        })

    def test_unconstrained_numerics_land_exactly_or_fail(self):
        guard = self.guard_of("n_plain")
        self.assertEqual(self.rows[1]["n_plain"], "1.500000000000000000")
        self.assertEqual(self.rows[7]["n_plain"], "1.500000000000000000", "trailing zeros are not lost digits")
        for row in (1, 7):
            self.assertEqual(self.rows[row][guard], "0")
        for row in (2, 3, 4, 8):  # NaN, 26 integer digits, 19 fractional digits, Infinity
            with self.subTest(row=row):
                self.assertEqual(self.rows[row][guard], "1")
                self.assertIsNone(self.rows[row]["n_plain"], "the driver never sees the value")
        self.assertEqual(self.rows[3][self.guard_of("n_wide")], "1")
        self.assertEqual(self.rows[1][self.guard_of("n_wide")], "0")

    def test_infinite_dates_and_timestamps_fail(self):
        self.assertEqual(self.rows[5][self.guard_of("ts")], "1")
        self.assertEqual(self.rows[6][self.guard_of("d")], "1")
        self.assertEqual(self.rows[1][self.guard_of("ts")], "0")
        self.assertEqual(self.rows[1]["ts"], "2024-05-01 07:00:00+00")

    def test_text_forms(self):
        row = self.rows[1]
        self.assertEqual(row["arr"], "[1, 2]")
        self.assertEqual(row["grid"], '[["a", "b"], ["c", "d"]]')
        self.assertEqual(row["j"], '{"a": 1}')
        self.assertEqual(row["jb"], '{"b": [1, 2]}')
        self.assertEqual(row["u"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        self.assertEqual(row["iv"], "1 day 02:00:00")

    def test_floating_point_specials_pass_through(self):
        self.assertEqual((self.rows[1]["f"], self.rows[2]["f"]), ("NaN", "Infinity"))
        self.assertNotIn("f", {p.name for p in self.plans if p.guard_expression})

    def test_partition_bounds_are_text_spark_parses_and_skip_infinities(self):
        ts = self.session.run(sql.bounds_sql("postgres", "public", "t", "ts", sql.ReadRange("all"), "timestamp"))
        self.assertEqual(ts, [["2024-05-01 07:00:00.000000", "2024-05-01 07:00:00.000000"]])
        ids = self.session.run(
            sql.bounds_sql("postgres", "public", "t", "id", sql.ReadRange("increasing-key", "id", "2", "6"), "int")
        )
        self.assertEqual(ids, [["3", "6"]])

    def test_the_run_error_names_table_column_and_count(self):
        guards = sql.guard_columns(self.plans)
        totals = {g: sum(int(r[g]) for r in self.rows.values()) for g in guards}
        message = sql.unrepresentable_values_error("public.t", guards, totals)
        self.assertIn("source table public.t: got values the lake cannot represent in column(s) ", message)
        self.assertIn("n_plain (4 row(s): a numeric value the lake cannot hold exactly as decimal(38,18)", message)
        self.assertIn("ts (1 row(s): a date or timestamp outside 0001-01-01..9999-12-31", message)
        self.assertIn("d (1 row(s)", message)
        self.assertNotIn("\n", message)


class MysqlTypesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.database = unique_name("lake_types")
        admin = MysqlSession("mysql")
        admin.run(f"CREATE DATABASE {cls.database}")
        admin.close()
        cls.session = MysqlSession(cls.database)
        cls.session.run(
            "SET SESSION sql_mode = ''; "
            "CREATE TABLE t (id INT PRIMARY KEY, wide DECIMAL(65,30), fixed DECIMAL(10,2), flag TINYINT(1), "
            "big BIGINT UNSIGNED, dt DATETIME(6), j JSON, e ENUM('x','y'), tm TIME); "
            "INSERT INTO t VALUES "
            "(1, 1.5, 12.34, 1, 18446744073709551615, '2024-05-01 07:00:00', '{\"a\": 1}', 'x', '10:00:00'), "
            "(2, 123456789012345678901.5, NULL, NULL, NULL, '0000-00-00 00:00:00', NULL, NULL, NULL), "
            "(3, 0.1234567890123456789, NULL, NULL, NULL, NULL, NULL, NULL, NULL); "
            + sql.session_init_sql("mysql")
        )
        rows = cls.session.run(sql.columns_sql("mysql", cls.database, "t"))
        cls.plans = sql.plan_columns("mysql", sql.parse_column_rows(rows, "t"))
        select = sql.bounded_select_sql("mysql", cls.database, "t", cls.plans, sql.ReadRange("all")) + " ORDER BY 1"
        header = [p.name for p in cls.plans] + list(sql.guard_columns(cls.plans))
        cls.rows = {int(r[0]): dict(zip(header, r)) for r in cls.session.run(select)}

    @classmethod
    def tearDownClass(cls):
        cls.session.close()
        admin = MysqlSession("mysql")
        admin.run(f"DROP DATABASE IF EXISTS {cls.database}")
        admin.close()

    def guard_of(self, column):
        return sql.guard_column([p.name for p in self.plans].index(column))

    def test_lake_types(self):
        types = {name: plan.lake_type for name, plan in by_name(self.plans).items()}
        self.assertEqual(types, {
            "id": "int", "wide": "decimal(38,18)", "fixed": "decimal(10,2)", "flag": "boolean",
            "big": "decimal(20,0)", "dt": "timestamp", "j": "string", "e": "string", "tm": "string",
        })

    def test_wide_decimals_land_exactly_or_fail(self):
        self.assertEqual(self.rows[1]["wide"], "1.500000000000000000")
        self.assertEqual(self.rows[1][self.guard_of("wide")], "0")
        self.assertEqual(self.rows[2][self.guard_of("wide")], "1")
        self.assertEqual(self.rows[3][self.guard_of("wide")], "1")

    def test_zero_dates_fail_and_unsigned_bigints_fit(self):
        self.assertEqual(self.rows[2][self.guard_of("dt")], "1")
        self.assertIsNone(self.rows[2]["dt"])
        self.assertEqual(self.rows[1][self.guard_of("dt")], "0")
        self.assertEqual(self.rows[1]["big"], "18446744073709551615")

    def test_partition_bounds_skip_zero_dates(self):
        dt = self.session.run(sql.bounds_sql("mysql", self.database, "t", "dt", sql.ReadRange("all"), "timestamp"))
        self.assertEqual(dt, [["2024-05-01 07:00:00.000000", "2024-05-01 07:00:00.000000"]])

    def test_text_forms(self):
        self.assertEqual(self.rows[1]["j"], '{"a": 1}')
        self.assertEqual((self.rows[1]["e"], self.rows[1]["tm"]), ("x", "10:00:00"))


class IdentifierTest(unittest.TestCase):
    def test_identifiers_are_validated_and_quoted(self):
        self.assertEqual(sql.quote_identifier("postgres", "Shots"), '"Shots"')
        self.assertEqual(sql.quote_identifier("mysql", "shots"), "`shots`")
        for bad in ('a"b', "a`b", "1a", "a b", ""):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                sql.quote_identifier("postgres", bad)

    def test_bounds_are_literals_of_their_kind(self):
        with self.assertRaisesRegex(ValueError, "expected a whole number"):
            sql.range_predicate("postgres", sql.ReadRange("increasing-key", "id", "1 OR 1=1", "5"))
        with self.assertRaisesRegex(ValueError, "expected a UTC timestamp"):
            sql.range_predicate("mysql", sql.ReadRange("update-timestamp", "ts", None, "yesterday"))


if __name__ == "__main__":
    unittest.main()
