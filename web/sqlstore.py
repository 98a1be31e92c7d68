"""The SQL shared by both job stores. Queries are written with `?` placeholders; a dialect may rewrite them.

Subclasses give the connection, how a write transaction starts, how a job is claimed, and which
errors are worth retrying. Everything else (and every rule about states) lives here, once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .exceptions import IdempotencyConflict, StoreError
from .jobs import (
    CANCELED,
    ERROR,
    QUEUED,
    RUNNING,
    AuditEntry,
    EnvironmentState,
    Event,
    Job,
    JobFilter,
    JobStore,
    NewJob,
    Outcome,
    Token,
    WorkerInfo,
)
from .migrations import BOOKKEEPING, LATEST, MIGRATIONS

T = TypeVar("T")
RETRIES = 5
STDOUT_BATCH = 500  # events read at a time when rebuilding stdout


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


class SqlStore(JobStore):
    dialect = "sql"
    integrity_errors: tuple[type[Exception], ...] = ()

    def __init__(self, conn: Any):
        self.conn = conn

    # -- dialect hooks -----------------------------------------------------------------------
    def _sql(self, query: str) -> str:
        return query

    def _begin(self) -> None:
        raise NotImplementedError

    def _is_transient(self, exc: Exception) -> bool:
        return False

    def _lock_environment(self, name: str) -> None:
        """Hold the environment's row until the transaction ends (a no-op where the whole db is locked)."""

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        yield

    # -- plumbing ----------------------------------------------------------------------------
    def _cursor(self) -> Any:
        return self.conn.cursor()

    def _execute(self, query: str, params: tuple = ()) -> int:
        cur = self._cursor()
        try:
            cur.execute(self._sql(query), params)
            return cur.rowcount
        finally:
            cur.close()

    def _execute_many(self, query: str, rows: list[tuple]) -> int:
        cur = self._cursor()
        try:
            cur.executemany(self._sql(query), rows)
            return cur.rowcount
        finally:
            cur.close()

    def _all(self, query: str, params: tuple = ()) -> list[dict]:
        cur = self._cursor()
        try:
            cur.execute(self._sql(query), params)
            names = [column[0] for column in cur.description]
            return [row if isinstance(row, dict) else dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

    def _one(self, query: str, params: tuple = ()) -> dict | None:
        rows = self._all(query, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._begin()
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def _retry(self, action: Callable[[], T]) -> T:
        """Run a transaction again when the database gave up on it (deadlock, lock wait)."""
        for attempt in range(RETRIES):
            try:
                return action()
            except Exception as exc:
                if not self._is_transient(exc) or attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()

    # -- schema ------------------------------------------------------------------------------
    def schema_version(self) -> int:
        self._execute(BOOKKEEPING[self.dialect])
        row = self._one("SELECT MAX(version) AS version FROM schema_migrations")
        return int(row["version"] or 0) if row else 0

    def ping(self) -> None:
        self._one("SELECT 1 AS one")

    def migrate(self) -> list[int]:
        with self._migration_lock():
            current = self.schema_version()
            if current > LATEST:
                raise StoreError(f"the job store has schema version {current}; this code knows up to {LATEST}")
            applied = []
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in migration.statements(self.dialect):
                    self._execute(statement)
                self._execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                              (migration.version, migration.name, time.time()))
                applied.append(migration.version)
            return applied

    # -- jobs --------------------------------------------------------------------------------
    @staticmethod
    def _job(row: dict) -> Job:
        return Job(
            id=row["id"], number=int(row["number"]), entry=row["entry"], environment=row["environment"],
            vars=json.loads(row["vars"]), status=row["status"], rc=row["rc"], created_at=row["created_at"],
            started_at=row["started_at"], finished_at=row["finished_at"], submitted_by=row["submitted_by"],
            idempotency_key=row["idempotency_key"], request_hash=row["request_hash"], worker_id=row["worker_id"],
            cancel_requested_at=row["cancel_requested_at"], canceled_by=row["canceled_by"],
            explanation=row["explanation"], summary=_loads(row["summary"]), outputs=_loads(row["outputs"]),
            event_count=int(row["event_count"]),
        )

    def create_job(self, new: NewJob, now: float, idempotency_ttl: float) -> tuple[Job, bool]:
        for _ in range(RETRIES):
            try:
                return self._create_job_once(new, now, idempotency_ttl)
            except self.integrity_errors:
                continue  # a concurrent request with the same key inserted first: replay it
        raise StoreError("could not record the job: the Idempotency-Key is in use by a request in progress")

    def _create_job_once(self, new: NewJob, now: float, ttl: float) -> tuple[Job, bool]:
        with self.transaction():
            if new.idempotency_key is not None:
                first = self._one("SELECT * FROM jobs WHERE submitted_by = ? AND idempotency_key = ?",
                                  (new.submitted_by, new.idempotency_key))
                if first and now - first["created_at"] < ttl:
                    job = self._job(first)
                    if job.request_hash != new.request_hash:
                        raise IdempotencyConflict(job.id)
                    return job, False
                if first:  # the key expired: it may name a new job now
                    self._execute("UPDATE jobs SET idempotency_key = NULL WHERE number = ?", (first["number"],))
            self._execute(
                "INSERT INTO jobs (id, entry, environment, vars, status, created_at, submitted_by, idempotency_key,"
                " request_hash, event_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (new.id, new.entry, new.environment, json.dumps(new.vars), QUEUED, now, new.submitted_by,
                 new.idempotency_key, new.request_hash))
        job = self.get_job(new.id)
        assert job is not None
        return job, True

    def get_job(self, job_id: str) -> Job | None:
        row = self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return self._job(row) if row else None

    def list_jobs(self, where: JobFilter, limit: int, before: int | None) -> list[Job]:
        clauses, params = [], []
        for column in ("status", "entry", "environment", "submitted_by"):
            value = getattr(where, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before is not None:
            clauses.append("number < ?")
            params.append(before)
        condition = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(f"SELECT * FROM jobs {condition} ORDER BY number DESC LIMIT ?", (*params, limit))
        return [self._job(row) for row in rows]

    def _start(self, job_id: str, environment: str, worker_id: str, now: float) -> None:
        self._execute("UPDATE jobs SET status = ?, worker_id = ?, started_at = ? WHERE id = ?",
                      (RUNNING, worker_id, now, job_id))
        self._execute("UPDATE environments SET running_job = ? WHERE name = ?", (job_id, environment))

    def finish_job(self, job_id: str, outcome: Outcome, now: float) -> None:
        self._retry(lambda: self._end_running_job(job_id, outcome, now))

    def _end_running_job(self, job_id: str, outcome: Outcome, now: float) -> bool:
        with self.transaction():
            row = self._one("SELECT environment FROM jobs WHERE id = ?", (job_id,))
            if row is None:
                return False
            self._lock_environment(row["environment"])
            ended = self._execute(
                "UPDATE jobs SET status = ?, rc = ?, explanation = ?, finished_at = ? WHERE id = ? AND status = ?",
                (outcome.status, outcome.rc, outcome.explanation, now, job_id, RUNNING))
            if ended != 1:
                return False  # it had ended already (reaped, or recorded before)
            if outcome.needs_attention:
                self._execute(
                    "UPDATE environments SET running_job = NULL, attention_job = ?, attention_reason = ?,"
                    " attention_since = ? WHERE name = ?",
                    (job_id, outcome.explanation or outcome.status, now, row["environment"]))
            else:
                self._execute("UPDATE environments SET running_job = NULL WHERE name = ? AND running_job = ?",
                              (row["environment"], job_id))
            return True

    def fail_orphan(self, job_id: str, explanation: str, now: float) -> bool:
        outcome = Outcome(ERROR, None, explanation, needs_attention=True)
        return self._retry(lambda: self._end_running_job(job_id, outcome, now))

    def request_cancel(self, job_id: str, actor: str, now: float) -> Job | None:
        canceled = self._execute(
            "UPDATE jobs SET status = ?, finished_at = ?, cancel_requested_at = ?, canceled_by = ?, explanation = ?"
            " WHERE id = ? AND status = ?",
            (CANCELED, now, now, actor, f"canceled by {actor} while queued", job_id, QUEUED))
        if not canceled:
            self._execute("UPDATE jobs SET cancel_requested_at = ?, canceled_by = ?"
                          " WHERE id = ? AND status = ? AND cancel_requested_at IS NULL",
                          (now, actor, job_id, RUNNING))
        return self.get_job(job_id)

    def cancel_requested(self, worker_id: str) -> set[str]:
        rows = self._all("SELECT id FROM jobs WHERE worker_id = ? AND status = ? AND cancel_requested_at IS NOT NULL",
                         (worker_id, RUNNING))
        return {row["id"] for row in rows}

    def running_jobs(self) -> list[Job]:
        return [self._job(row) for row in self._all("SELECT * FROM jobs WHERE status = ? ORDER BY number",
                                                     (RUNNING,))]

    def count_jobs(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM jobs")
        return int(row["n"]) if row else 0

    # -- events ------------------------------------------------------------------------------
    def add_events(self, job_id: str, events: list[Event], summary: dict | None, outputs: dict | None) -> None:
        rows = [(job_id, e.counter, e.uuid, e.event, e.created, e.host, e.task, e.stdout, json.dumps(e.data))
                for e in events]

        def write() -> None:
            with self.transaction():
                if rows:
                    self._execute_many(
                        f"{self._insert_ignore} INTO events (job_id, counter, uuid, event, created, host, task,"
                        " stdout, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                    self._execute("UPDATE jobs SET event_count = "
                                  "(SELECT COUNT(*) FROM events WHERE job_id = ?) WHERE id = ?", (job_id, job_id))
                if summary is not None:
                    self._execute("UPDATE jobs SET summary = ?, outputs = ? WHERE id = ?",
                                  (_dumps(summary), _dumps(outputs), job_id))

        self._retry(write)

    _insert_ignore = "INSERT OR IGNORE"

    @staticmethod
    def _event(row: dict) -> Event:
        return Event(counter=int(row["counter"]), uuid=row["uuid"], event=row["event"], created=row["created"],
                     host=row["host"], task=row["task"], stdout=row["stdout"], data=json.loads(row["data"]))

    def events(self, job_id: str, after: int, limit: int) -> list[Event]:
        rows = self._all("SELECT * FROM events WHERE job_id = ? AND counter > ? ORDER BY counter LIMIT ?",
                         (job_id, after, limit))
        return [self._event(row) for row in rows]

    def stdout(self, job_id: str, limit_bytes: int) -> tuple[str, bool]:
        parts, size, after = [], 0, 0
        while True:
            rows = self._all("SELECT counter, stdout FROM events WHERE job_id = ? AND counter > ?"
                             " ORDER BY counter LIMIT ?", (job_id, after, STDOUT_BATCH))
            for row in rows:
                text = row["stdout"]
                if not text:
                    continue
                size += len(text.encode()) + 1
                if size > limit_bytes:
                    return "".join(parts), True
                parts.append(text + "\n")
            if len(rows) < STDOUT_BATCH:
                return "".join(parts), False
            after = rows[-1]["counter"]

    # -- environments ------------------------------------------------------------------------
    def sync_environments(self, names: list[str]) -> None:
        for name in names:
            self._execute(f"{self._insert_ignore} INTO environments (name) VALUES (?)", (name,))

    @staticmethod
    def _environment(row: dict) -> EnvironmentState:
        return EnvironmentState(name=row["name"], running_job=row["running_job"], attention_job=row["attention_job"],
                                attention_reason=row["attention_reason"], attention_since=row["attention_since"])

    def environment_states(self) -> dict[str, EnvironmentState]:
        return {row["name"]: self._environment(row) for row in self._all("SELECT * FROM environments")}

    def clear_attention(self, name: str) -> EnvironmentState | None:
        self._execute("UPDATE environments SET attention_job = NULL, attention_reason = NULL, attention_since = NULL"
                      " WHERE name = ?", (name,))
        row = self._one("SELECT * FROM environments WHERE name = ?", (name,))
        return self._environment(row) if row else None

    # -- tokens ------------------------------------------------------------------------------
    def add_token(self, name: str, role: str, token_hash: str, now: float) -> None:
        self._execute("INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                      (name, role, token_hash, now))

    @staticmethod
    def _token(row: dict) -> Token:
        return Token(name=row["name"], role=row["role"], created_at=row["created_at"], revoked_at=row["revoked_at"])

    def token_by_hash(self, token_hash: str) -> Token | None:
        row = self._one("SELECT * FROM tokens WHERE token_hash = ? AND revoked_at IS NULL", (token_hash,))
        return self._token(row) if row else None

    def tokens(self) -> list[Token]:
        return [self._token(row) for row in self._all("SELECT * FROM tokens ORDER BY created_at")]

    def revoke_token(self, name: str, now: float) -> bool:
        return self._execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                             (now, name)) == 1

    # -- audit -------------------------------------------------------------------------------
    def audit(self, entry: AuditEntry) -> None:
        self._execute("INSERT INTO audit (at, actor, role, action, source, job_id, environment, detail)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (entry.at, entry.actor, entry.role, entry.action, entry.source, entry.job_id,
                       entry.environment, json.dumps(entry.detail, sort_keys=True)))

    def audit_log(self, limit: int) -> list[AuditEntry]:
        rows = self._all("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(at=row["at"], actor=row["actor"], role=row["role"], action=row["action"],
                           source=row["source"], job_id=row["job_id"], environment=row["environment"],
                           detail=json.loads(row["detail"])) for row in rows]

    # -- workers -----------------------------------------------------------------------------
    def register_worker(self, worker: WorkerInfo) -> None:
        self._execute("INSERT INTO workers (id, host, pid, proc_start, kind, started_at, heartbeat_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (worker.id, worker.host, worker.pid, worker.proc_start, worker.kind, worker.started_at,
                       worker.heartbeat_at))

    def heartbeat(self, worker_id: str, now: float) -> None:
        self._execute("UPDATE workers SET heartbeat_at = ? WHERE id = ?", (now, worker_id))

    def remove_worker(self, worker_id: str) -> None:
        self._execute("DELETE FROM workers WHERE id = ?", (worker_id,))

    def workers(self) -> dict[str, WorkerInfo]:
        return {row["id"]: WorkerInfo(id=row["id"], host=row["host"], pid=int(row["pid"]),
                                      proc_start=int(row["proc_start"]), kind=row["kind"],
                                      started_at=row["started_at"], heartbeat_at=row["heartbeat_at"])
                for row in self._all("SELECT * FROM workers")}
