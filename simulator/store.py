"""The simulator's state: one small schema, the same code on SQLite and on MySQL (pymysql).

Every CloudStack object is a row of `sim_object`: its kind (the entity name taken from the
response class, `zone`, `pod`, `host`, ...), its uuid, name and zone for indexed look-ups,
and the object itself as JSON under CloudStack's own field names. Async jobs, timed state
changes, injected faults, sessions and management-server registrations have tables of their
own. Several simulator processes on one MySQL database therefore act as one cloud.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid as uuidlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql

SCHEMA_VERSION = 1

_TABLES = {
    "sim_object": """
        id {pk},
        kind VARCHAR(64) NOT NULL,
        uuid VARCHAR(64) NOT NULL UNIQUE,
        name VARCHAR(255) {nocase},
        zoneid VARCHAR(64),
        parentid VARCHAR(64),
        data {text} NOT NULL
    """,
    "sim_job": """
        id {pk},
        uuid VARCHAR(64) NOT NULL UNIQUE,
        command VARCHAR(128) NOT NULL,
        params {text} NOT NULL,
        userid VARCHAR(64),
        instance_type VARCHAR(64),
        instance_id VARCHAR(64),
        status INTEGER NOT NULL DEFAULT 0,
        resultcode INTEGER,
        resulttype VARCHAR(16),
        result {text},
        created DOUBLE NOT NULL,
        ready_at DOUBLE,
        completed DOUBLE,
        failure {text}
    """,
    "sim_timer": """
        id {pk},
        due DOUBLE NOT NULL,
        kind VARCHAR(64) NOT NULL,
        uuid VARCHAR(64) NOT NULL,
        expect {text},
        changes {text} NOT NULL
    """,
    "sim_fault": """
        id {pk},
        command VARCHAR(128) NOT NULL,
        remaining INTEGER NOT NULL,
        errorcode INTEGER,
        cserrorcode INTEGER,
        errortext {text},
        latency DOUBLE NOT NULL DEFAULT 0,
        jobresult VARCHAR(16),
        jobdelay DOUBLE
    """,
    "sim_session": """
        sessionkey VARCHAR(128) NOT NULL PRIMARY KEY,
        jsessionid VARCHAR(128) NOT NULL,
        userid VARCHAR(64) NOT NULL,
        expires DOUBLE NOT NULL
    """,
    "sim_meta": """
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value {text}
    """,
}

_INDEXES = [
    "CREATE INDEX sim_object_kind_zone ON sim_object (kind, zoneid)",
    "CREATE INDEX sim_object_kind_name ON sim_object (kind, name)",
    "CREATE INDEX sim_object_kind_parent ON sim_object (kind, parentid)",
    "CREATE INDEX sim_job_pending ON sim_job (status, ready_at)",
    "CREATE INDEX sim_timer_due ON sim_timer (due)",
]

_DIALECTS = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "text": "TEXT", "nocase": "COLLATE NOCASE"},
    # utf8mb4_general_ci: the case-insensitive name matching CloudStack gets from MySQL.
    "mysql": {"pk": "BIGINT AUTO_INCREMENT PRIMARY KEY", "text": "LONGTEXT",
              "nocase": "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"},
}


class StateError(Exception):
    """The state location is unusable (bad URL, unreadable db.properties)."""


@dataclass(frozen=True)
class StateLocation:
    """Where the state lives: a SQLite file, or a MySQL database."""

    dialect: str
    path: str = ""
    host: str = "localhost"
    port: int = 3306
    user: str = ""
    password: str = ""
    database: str = "cloud"

    def describe(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.path}"
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}"


def parse_state(url: str) -> StateLocation:
    """`sqlite:///PATH` (PATH absolute or relative) -> a SQLite location."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path:
            raise StateError(f"--state {url!r}: no file path after sqlite:///")
        return StateLocation(dialect="sqlite", path=path)
    raise StateError(f"--state {url!r}: expected sqlite:///PATH (use --db-properties for MySQL)")


def read_db_properties(path: str | Path) -> StateLocation:
    """The `db.cloud.*` keys of a CloudStack db.properties file, as the management server reads them."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise StateError(f"--db-properties {path}: {exc.strerror}") from exc
    props: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        props[key.strip()] = value.strip()
    password = props.get("db.cloud.password", "")
    if password.startswith("ENC("):
        raise StateError(f"--db-properties {path}: db.cloud.password is encrypted (ENC(...)); "
                         "the simulator reads plain-text passwords only")
    try:
        port = int(props.get("db.cloud.port", "3306"))
    except ValueError as exc:
        raise StateError(f"--db-properties {path}: db.cloud.port {props['db.cloud.port']!r} is not a number") from exc
    return StateLocation(
        dialect="mysql",
        host=props.get("db.cloud.host", "localhost"),
        port=port,
        user=props.get("db.cloud.username", "cloud"),
        password=password,
        database=props.get("db.cloud.name", "cloud"),
    )


def connect(location: StateLocation):
    """A new DB-API connection with autocommit off: one transaction per request."""
    if location.dialect == "sqlite":
        conn = sqlite3.connect(location.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    try:
        return pymysql.connect(
            host=location.host, port=location.port, user=location.user, password=location.password,
            database=location.database, autocommit=False, charset="utf8mb4", connect_timeout=10,
        )
    except pymysql.MySQLError as exc:
        raise StateError(f"cannot connect to {location.describe()}: {exc.args[-1]}") from exc


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class Store:
    """Typed access to the simulator's tables over one connection."""

    def __init__(self, conn, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self._cursor = conn.cursor()

    # -- plumbing ---------------------------------------------------------------------------

    def execute(self, sql: str, args: Iterable[Any] = ()) -> Any:
        if self.dialect == "mysql":
            sql = sql.replace("?", "%s")
        self._cursor.execute(sql, tuple(args))
        return self._cursor

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self.execute("BEGIN IMMEDIATE")
        else:
            self.conn.begin()

    def commit(self) -> None:
        if self.dialect == "sqlite":
            if self.conn.in_transaction:
                self.execute("COMMIT")
        else:
            self.conn.commit()

    def rollback(self) -> None:
        if self.dialect == "sqlite":
            if self.conn.in_transaction:
                self.execute("ROLLBACK")
        else:
            self.conn.rollback()

    def close(self) -> None:
        try:
            self.rollback()
        finally:
            self.conn.close()

    def seed_lock(self, acquire: bool) -> None:
        """Serialise first-start seeding between processes (MySQL DDL commits, so a transaction cannot)."""
        if self.dialect != "mysql":
            return
        if acquire:
            self.execute("SELECT GET_LOCK('acsible_simulator_seed', 60)")
        else:
            self.execute("SELECT RELEASE_LOCK('acsible_simulator_seed')")

    def create_schema(self) -> None:
        words = _DIALECTS[self.dialect]
        existing = self.table_names()
        for table, columns in _TABLES.items():
            if table not in existing:
                self.execute(f"CREATE TABLE {table} ({columns.format(**words)})")
                for index in _INDEXES:
                    if f" ON {table} " in index:
                        self.execute(index)

    def drop_schema(self) -> None:
        for table in self.table_names() & set(_TABLES):
            self.execute(f"DROP TABLE {table}")

    def table_names(self) -> set[str]:
        if self.dialect == "sqlite":
            rows = self.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        else:
            rows = self.execute("SHOW TABLES").fetchall()
        return {row[0] for row in rows}

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, name: str) -> str | None:
        row = self.execute("SELECT value FROM sim_meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self.execute("DELETE FROM sim_meta WHERE name = ?", (name,))
        self.execute("INSERT INTO sim_meta (name, value) VALUES (?, ?)", (name, value))

    # -- objects ----------------------------------------------------------------------------

    def insert(self, kind: str, obj: dict, *, zoneid: str | None = None, parentid: str | None = None) -> dict:
        """Store a new object; gives it a uuid `id` when it has none. Returns the object."""
        obj.setdefault("id", new_uuid())
        zoneid = zoneid if zoneid is not None else obj.get("zoneid")
        self.execute(
            "INSERT INTO sim_object (kind, uuid, name, zoneid, parentid, data) VALUES (?, ?, ?, ?, ?, ?)",
            (kind, obj["id"], obj.get("name"), zoneid, parentid, json.dumps(obj)),
        )
        return obj

    def update(self, kind: str, obj: dict) -> dict:
        """Write the whole object back (name and zone columns follow its fields)."""
        self.execute(
            "UPDATE sim_object SET name = ?, zoneid = COALESCE(?, zoneid), data = ? WHERE kind = ? AND uuid = ?",
            (obj.get("name"), obj.get("zoneid"), json.dumps(obj), kind, obj["id"]),
        )
        return obj

    def delete(self, kind: str, uuid: str) -> None:
        self.execute("DELETE FROM sim_object WHERE kind = ? AND uuid = ?", (kind, uuid))

    def get(self, kind: str, uuid: str | None) -> dict | None:
        if not uuid:
            return None
        row = self.execute("SELECT data FROM sim_object WHERE kind = ? AND uuid = ?", (kind, uuid)).fetchone()
        return json.loads(row[0]) if row else None

    def kind_of(self, uuid: str) -> str | None:
        row = self.execute("SELECT kind FROM sim_object WHERE uuid = ?", (uuid,)).fetchone()
        return row[0] if row else None

    def internal_id(self, kind: str, uuid: str) -> int | None:
        """The row number, CloudStack's internal long id (ascending in creation order)."""
        row = self.execute("SELECT id FROM sim_object WHERE kind = ? AND uuid = ?", (kind, uuid)).fetchone()
        return row[0] if row else None

    def _where(self, kind: str, filters: dict[str, Any]) -> tuple[str, list]:
        clauses, args = ["kind = ?"], [kind]
        for column in ("uuid", "name", "zoneid", "parentid"):
            if filters.get(column) is not None:
                clauses.append(f"{column} = ?")
                args.append(filters[column])
        return " AND ".join(clauses), args

    def find(self, kind: str, *, uuid: str | None = None, name: str | None = None,
             zoneid: str | None = None, parentid: str | None = None,
             where: Callable[[dict], bool] | None = None) -> list[dict]:
        """Objects of a kind in creation order; the keyword filters run in SQL, `where` in Python."""
        clause, args = self._where(kind, {"uuid": uuid, "name": name, "zoneid": zoneid, "parentid": parentid})
        rows = self.execute(f"SELECT data FROM sim_object WHERE {clause} ORDER BY id", args).fetchall()
        objects = [json.loads(row[0]) for row in rows]
        return [obj for obj in objects if where(obj)] if where else objects

    def find_one(self, kind: str, **filters: Any) -> dict | None:
        found = self.find(kind, **filters)
        return found[0] if found else None

    def count(self, kind: str, **filters: Any) -> int:
        clause, args = self._where(kind, filters)
        return self.execute(f"SELECT COUNT(*) FROM sim_object WHERE {clause}", args).fetchone()[0]

    def page(self, kind: str, offset: int, limit: int, **filters: Any) -> list[dict]:
        """One page straight from SQL, for lists with no Python-side filter (large listHosts)."""
        clause, args = self._where(kind, filters)
        rows = self.execute(
            f"SELECT data FROM sim_object WHERE {clause} ORDER BY id LIMIT ? OFFSET ?", [*args, limit, offset]
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # -- async jobs -------------------------------------------------------------------------

    def insert_job(self, job: dict) -> None:
        self.execute(
            "INSERT INTO sim_job (uuid, command, params, userid, instance_type, instance_id, status, created,"
            " ready_at, failure) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (job["uuid"], job["command"], json.dumps(job["params"]), job["userid"], job.get("instance_type"),
             job.get("instance_id"), job["created"], job.get("ready_at"),
             json.dumps(job["failure"]) if job.get("failure") else None),
        )

    _JOB_COLUMNS = ("uuid", "command", "params", "userid", "instance_type", "instance_id", "status",
                    "resultcode", "resulttype", "result", "created", "ready_at", "completed", "failure")

    def _job_row(self, row) -> dict:
        job = dict(zip(self._JOB_COLUMNS, row, strict=True))
        job["params"] = json.loads(job["params"])
        job["result"] = json.loads(job["result"]) if job["result"] else None
        job["failure"] = json.loads(job["failure"]) if job["failure"] else None
        return job

    def get_job(self, uuid: str) -> dict | None:
        row = self.execute(f"SELECT {', '.join(self._JOB_COLUMNS)} FROM sim_job WHERE uuid = ?", (uuid,)).fetchone()
        return self._job_row(row) if row else None

    def list_jobs(self) -> list[dict]:
        rows = self.execute(f"SELECT {', '.join(self._JOB_COLUMNS)} FROM sim_job ORDER BY id").fetchall()
        return [self._job_row(row) for row in rows]

    def due_jobs(self, now: float) -> list[dict]:
        rows = self.execute(
            f"SELECT {', '.join(self._JOB_COLUMNS)} FROM sim_job WHERE status = 0 AND ready_at IS NOT NULL"
            " AND ready_at <= ? ORDER BY id", (now,),
        ).fetchall()
        return [self._job_row(row) for row in rows]

    def claim_job(self, uuid: str, now: float) -> bool:
        """Mark a due job as being finished here; False when another process took it first."""
        cursor = self.execute(
            "UPDATE sim_job SET ready_at = NULL, completed = ? WHERE uuid = ? AND status = 0 AND ready_at IS NOT NULL",
            (now, uuid),
        )
        return cursor.rowcount == 1

    def finish_job(self, uuid: str, status: int, resultcode: int, resulttype: str, result: dict,
                   completed: float, instance_id: str | None = None) -> None:
        self.execute(
            "UPDATE sim_job SET status = ?, resultcode = ?, resulttype = ?, result = ?, completed = ?,"
            " instance_id = COALESCE(?, instance_id) WHERE uuid = ?",
            (status, resultcode, resulttype, json.dumps(result), completed, instance_id, uuid),
        )

    # -- timed state changes ----------------------------------------------------------------

    def add_timer(self, due: float, kind: str, uuid: str, changes: dict, expect: dict | None = None) -> None:
        self.execute(
            "INSERT INTO sim_timer (due, kind, uuid, expect, changes) VALUES (?, ?, ?, ?, ?)",
            (due, kind, uuid, json.dumps(expect) if expect else None, json.dumps(changes)),
        )

    def take_due_timers(self, now: float) -> list[dict]:
        rows = self.execute(
            "SELECT id, kind, uuid, expect, changes FROM sim_timer WHERE due <= ? ORDER BY due, id", (now,)
        ).fetchall()
        taken = []
        for row_id, kind, uuid, expect, changes in rows:
            if self.execute("DELETE FROM sim_timer WHERE id = ?", (row_id,)).rowcount == 1:
                taken.append({"kind": kind, "uuid": uuid, "expect": json.loads(expect) if expect else None,
                              "changes": json.loads(changes)})
        return taken

    def next_timer_due(self) -> float | None:
        row = self.execute("SELECT MIN(due) FROM sim_timer").fetchone()
        return row[0] if row else None

    # -- faults -----------------------------------------------------------------------------

    def add_fault(self, fault: dict) -> None:
        self.execute(
            "INSERT INTO sim_fault (command, remaining, errorcode, cserrorcode, errortext, latency, jobresult,"
            " jobdelay) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (fault["command"], fault["remaining"], fault.get("errorcode"), fault.get("cserrorcode"),
             fault.get("errortext"), fault.get("latency", 0.0), fault.get("jobresult"), fault.get("jobdelay")),
        )

    def take_fault(self, command: str) -> dict | None:
        """The oldest live fault for a command, counted down by one (negative counts never run out)."""
        rows = self.execute(
            "SELECT id, remaining, errorcode, cserrorcode, errortext, latency, jobresult, jobdelay FROM sim_fault"
            " WHERE LOWER(command) = LOWER(?) AND remaining != 0 ORDER BY id", (command,),
        ).fetchall()
        for row_id, remaining, errorcode, cserrorcode, errortext, latency, jobresult, jobdelay in rows:
            if remaining > 0:
                updated = self.execute(
                    "UPDATE sim_fault SET remaining = remaining - 1 WHERE id = ? AND remaining = ?", (row_id, remaining)
                )
                if updated.rowcount != 1:
                    continue
            return {"errorcode": errorcode, "cserrorcode": cserrorcode, "errortext": errortext,
                    "latency": latency or 0.0, "jobresult": jobresult, "jobdelay": jobdelay}
        return None

    def clear_faults(self, command: str | None = None) -> int:
        if command:
            return self.execute("DELETE FROM sim_fault WHERE LOWER(command) = LOWER(?)", (command,)).rowcount
        return self.execute("DELETE FROM sim_fault").rowcount

    def list_faults(self) -> list[dict]:
        rows = self.execute(
            "SELECT command, remaining, errorcode, cserrorcode, errortext, latency, jobresult, jobdelay FROM sim_fault"
            " WHERE remaining != 0 ORDER BY id"
        ).fetchall()
        keys = ("command", "remaining", "errorcode", "cserrorcode", "errortext", "latency", "jobresult", "jobdelay")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- sessions ---------------------------------------------------------------------------

    def add_session(self, sessionkey: str, jsessionid: str, userid: str, expires: float) -> None:
        self.execute(
            "INSERT INTO sim_session (sessionkey, jsessionid, userid, expires) VALUES (?, ?, ?, ?)",
            (sessionkey, jsessionid, userid, expires),
        )

    def get_session_by_jsessionid(self, jsessionid: str) -> dict | None:
        row = self.execute(
            "SELECT sessionkey, jsessionid, userid, expires FROM sim_session WHERE jsessionid = ?", (jsessionid,)
        ).fetchone()
        return dict(zip(("sessionkey", "jsessionid", "userid", "expires"), row, strict=True)) if row else None

    def touch_session(self, jsessionid: str, expires: float) -> None:
        self.execute("UPDATE sim_session SET expires = ? WHERE jsessionid = ?", (expires, jsessionid))

    def delete_session(self, jsessionid: str) -> None:
        self.execute("DELETE FROM sim_session WHERE jsessionid = ?", (jsessionid,))


def open_store(location: StateLocation) -> Store:
    return Store(connect(location), location.dialect)


class StorePool:
    """Reuses connections across requests: opening one costs more than a whole listZones."""

    def __init__(self, location: StateLocation, keep: int = 8) -> None:
        self.location = location
        self.keep = keep
        self._idle: list = []
        self._lock = threading.Lock()

    def acquire(self) -> Store:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect(self.location)
        elif self.location.dialect == "mysql":
            conn.ping(reconnect=True)
        return Store(conn, self.location.dialect)

    def release(self, store: Store) -> None:
        try:
            store.rollback()
        except Exception:  # a broken connection is dropped, not pooled
            store.conn.close()
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(store.conn)
                return
        store.conn.close()


def now() -> float:
    return time.time()
