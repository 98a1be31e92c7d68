"""The embedded job store: one SQLite file, shared by the threads and processes of one machine.

Write transactions start with BEGIN IMMEDIATE, which takes the database's write lock at once: two
workers claiming at the same moment are serialized, so one environment never gets two running jobs.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .jobs import Job
from .sqlstore import SqlStore

BUSY_TIMEOUT_MS = 30_000
# The oldest queued job of an environment that runs nothing and needs no attention: it is also the
# oldest queued job of its own environment, so each environment keeps its order.
CLAIMABLE = ("SELECT j.id, j.environment FROM jobs j JOIN environments e ON e.name = j.environment"
             " WHERE j.status = 'queued' AND e.running_job IS NULL AND e.attention_job IS NULL"
             " ORDER BY j.number LIMIT 1")


class SqliteStore(SqlStore):
    dialect = "sqlite"
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: str):
        if not os.path.exists(path):  # job records and token hashes: readable by the service only
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")  # readers (the API) never wait for the writers (workers)
        conn.execute("PRAGMA synchronous = NORMAL")
        super().__init__(conn)
        self.path = path

    def _begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def _is_transient(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        with self.transaction():  # DDL is transactional in SQLite: a migration applies whole or not at all
            yield

    def claim_job(self, worker_id: str) -> Job | None:
        if self._one(CLAIMABLE) is None:
            return None  # a plain read first: idle workers never take the write lock

        def claim() -> Job | None:
            with self.transaction():
                row = self._one(CLAIMABLE)
                if row is None:
                    return None
                self._start(row["id"], row["environment"], worker_id, time.time())
            return self.get_job(row["id"])

        return self._retry(claim)
