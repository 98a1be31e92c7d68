"""The shared job store: MySQL or MariaDB (10.6+), for several API nodes and workers on several machines.

Workers claim jobs as AWX's dispatcher does on PostgreSQL: an environment's row is locked with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never start jobs on one environment, and a worker
that finds an environment being claimed by another moves on to the next one instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql
import pymysql.cursors

from .exceptions import StoreError
from .jobs import Job
from .sqlstore import SqlStore

MIGRATION_LOCK = "acsible_web_migrate"
TRANSIENT_CODES = {1205, 1213}  # lock wait timeout, deadlock found


@dataclass(frozen=True)
class MysqlLocation:
    host: str
    port: int
    user: str
    password: str
    database: str
    unix_socket: str | None = None


def parse_mysql_url(url: str) -> MysqlLocation:
    """mysql://USER:PASSWORD@HOST:PORT/DATABASE[?unix_socket=PATH]"""
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if parts.scheme != "mysql" or not database or not parts.username:
        raise StoreError(f"not a MySQL store URL (mysql://USER:PASSWORD@HOST:PORT/DATABASE): {redact(url)}")
    options = parse_qs(parts.query)
    return MysqlLocation(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                         user=unquote(parts.username), password=unquote(parts.password or ""), database=database,
                         unix_socket=options.get("unix_socket", [None])[0])


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


class MysqlStore(SqlStore):
    dialect = "mysql"
    integrity_errors = (pymysql.err.IntegrityError,)
    _insert_ignore = "INSERT IGNORE"

    def __init__(self, url: str):
        where = parse_mysql_url(url)
        try:
            conn = pymysql.connect(host=where.host, port=where.port, user=where.user, password=where.password,
                                   database=where.database, unix_socket=where.unix_socket, autocommit=True,
                                   charset="utf8mb4", cursorclass=pymysql.cursors.DictCursor, connect_timeout=10)
        except pymysql.MySQLError as exc:
            raise StoreError(f"cannot reach the job store {redact(url)}: {exc}") from exc
        with conn.cursor() as cur:
            # Row locks only on rows read, no gap locks: fewer deadlocks between claims and finishes.
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        super().__init__(conn)

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s")

    def _begin(self) -> None:
        self.conn.begin()

    def _is_transient(self, exc: Exception) -> bool:
        return isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and exc.args[0] in TRANSIENT_CODES

    def _lock_environment(self, name: str) -> None:
        self._one("SELECT name FROM environments WHERE name = ? FOR UPDATE", (name,))

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        # DDL commits by itself in MySQL: a named lock keeps two nodes from migrating at once.
        got = self._one("SELECT GET_LOCK(?, 60) AS got", (MIGRATION_LOCK,))
        if not got or got["got"] != 1:
            raise StoreError("another node has been migrating the job store for 60 s")
        try:
            yield
        finally:
            self._one("SELECT RELEASE_LOCK(?) AS released", (MIGRATION_LOCK,))

    def claim_job(self, worker_id: str) -> Job | None:
        candidates = self._all(
            "SELECT j.environment, MIN(j.number) AS first FROM jobs j JOIN environments e ON e.name = j.environment"
            " WHERE j.status = 'queued' AND e.running_job IS NULL AND e.attention_job IS NULL"
            " GROUP BY j.environment ORDER BY first")
        for candidate in candidates:
            job = self._retry(lambda env=candidate["environment"]: self._claim_in(env, worker_id))
            if job is not None:
                return job
        return None

    def _claim_in(self, environment: str, worker_id: str) -> Job | None:
        with self.transaction():
            free = self._one("SELECT name FROM environments WHERE name = ? AND running_job IS NULL"
                             " AND attention_job IS NULL FOR UPDATE SKIP LOCKED", (environment,))
            if free is None:
                return None  # running, flagged, or being claimed by another worker right now
            row = self._one("SELECT id FROM jobs WHERE environment = ? AND status = 'queued'"
                            " ORDER BY number LIMIT 1 FOR UPDATE", (environment,))
            if row is None:
                return None
            self._start(row["id"], environment, worker_id, time.time())
        return self.get_job(row["id"])
