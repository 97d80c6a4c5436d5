"""Sessions on the real PostgreSQL and MariaDB servers of this machine, for tests.

No Python database driver is installed here (and PyPI is out of reach), so a
session is a psql or mariadb client process kept open on pipes: statements go
in on stdin and a marker line tells where their output ends. That is enough to
hold a transaction open in one session while another commits, which is what the
late-commit tests need.

Servers: PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and MariaDB
on 127.0.0.1:3306 (root, empty password). .ci/run starts them when they are
down; a test fails, never skips, when they are unreachable.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from typing import Optional, Sequence

PG_HOST = os.environ.get("PGHOST_TEST", "127.0.0.1")
MYSQL_HOST = os.environ.get("MYSQL_HOST_TEST", "127.0.0.1")
_MARKER = "__trackman_done__"
_TIMEOUT = 30.0


class _Session:
    def __init__(self, argv: Sequence[str], marker_statement: str):
        self._marker_statement = marker_statement
        self._process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )

    def run(self, statements: str) -> list[list[Optional[str]]]:
        """Run statements; return the rows they printed (tab-separated), None for NULL."""
        self.send(statements)
        return self.collect()

    def send(self, statements: str) -> None:
        """Send statements without waiting for them (one that blocks on a lock, say)."""
        process = self._process
        assert process.stdin is not None
        process.stdin.write(statements.rstrip().rstrip(";") + ";\n" + self._marker_statement + "\n")
        process.stdin.flush()

    def collect(self) -> list[list[Optional[str]]]:
        """The rows of the statements sent last, once they have run."""
        process = self._process
        assert process.stdout is not None
        rows: list[list[Optional[str]]] = []
        deadline = time.monotonic() + _TIMEOUT
        while True:
            line = process.stdout.readline()
            if line == "":
                raise RuntimeError(f"database session ended; last rows: {rows!r}")
            line = line.rstrip("\n")
            if line == _MARKER:
                return rows
            if line.startswith(("ERROR", "psql:", "FATAL")):
                raise RuntimeError(f"database error: {line}")
            rows.append([None if v in ("NULL", "\\N") else v for v in line.split("\t")])
            if time.monotonic() > deadline:
                raise RuntimeError("database session timed out")

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


class PgSession(_Session):
    def __init__(self, database: str, user: str = "postgres"):
        super().__init__(
            [
                "psql", "-h", PG_HOST, "-p", "5432", "-U", user, "-d", database,
                "-X", "-q", "-A", "-t", "-F", "\t", "-P", "null=NULL",
                "-v", "ON_ERROR_STOP=0",
            ],
            f"\\echo {_MARKER}",
        )


class MysqlSession(_Session):
    def __init__(self, database: str, user: str = "root"):
        super().__init__(
            ["mariadb", "-h", MYSQL_HOST, "-P", "3306", "-u", user, "-D", database,
             "-N", "-B", "--unbuffered", "--force"],
            f"SELECT '{_MARKER}';",
        )


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class Queries:
    """read_horizon.SourceQueries over one reader session (the job's user)."""

    def __init__(self, session: _Session, writer: Optional[_Session] = None):
        self.session = session
        self.writer = writer or session
        self.statements: list[str] = []
        self.slept = 0.0

    def query_writer(self, statement):
        self.statements.append(statement)
        return self.writer.run(statement)

    def query_reader(self, statement):
        self.statements.append(statement)
        return self.session.run(statement)

    def sleep(self, seconds):
        self.slept += seconds
        time.sleep(min(seconds, 0.2))

    def monotonic(self):
        return time.monotonic()
