"""Versioned schema migrations of the job store, one list per SQL dialect.

A migration is never edited once released: a change to the schema is a new version appended here.
`schema_migrations` records what a database has; a database newer than this code is refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    mysql: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.mysql


BOOKKEEPING = {
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations "
              "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)",
    "mysql": "CREATE TABLE IF NOT EXISTS schema_migrations "
             "(version INT PRIMARY KEY, name VARCHAR(100) NOT NULL, applied_at DOUBLE NOT NULL) "
             "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
}

_MYSQL_TABLE = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

INITIAL = Migration(
    1,
    "jobs, events, environments, tokens, audit, workers",
    sqlite=(
        """CREATE TABLE jobs (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            entry TEXT NOT NULL,
            environment TEXT NOT NULL,
            vars TEXT NOT NULL,
            status TEXT NOT NULL,
            rc INTEGER,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            submitted_by TEXT NOT NULL,
            idempotency_key TEXT,
            request_hash TEXT NOT NULL,
            worker_id TEXT,
            cancel_requested_at REAL,
            canceled_by TEXT,
            explanation TEXT,
            summary TEXT,
            outputs TEXT,
            event_count INTEGER NOT NULL DEFAULT 0)""",
        "CREATE UNIQUE INDEX jobs_idempotency ON jobs (submitted_by, idempotency_key)",
        "CREATE INDEX jobs_queue ON jobs (status, environment, number)",
        """CREATE TABLE events (
            job_id TEXT NOT NULL,
            counter INTEGER NOT NULL,
            uuid TEXT,
            event TEXT NOT NULL,
            created TEXT,
            host TEXT,
            task TEXT,
            stdout TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (job_id, counter))""",
        """CREATE TABLE environments (
            name TEXT PRIMARY KEY,
            running_job TEXT,
            attention_job TEXT,
            attention_reason TEXT,
            attention_since REAL)""",
        """CREATE TABLE tokens (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            revoked_at REAL)""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            source TEXT,
            job_id TEXT,
            environment TEXT,
            detail TEXT NOT NULL)""",
        """CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            proc_start INTEGER NOT NULL,
            kind TEXT NOT NULL,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL)""",
    ),
    mysql=(
        """CREATE TABLE jobs (
            number BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            id VARCHAR(64) NOT NULL UNIQUE,
            entry VARCHAR(64) NOT NULL,
            environment VARCHAR(64) NOT NULL,
            vars MEDIUMTEXT NOT NULL,
            status VARCHAR(16) NOT NULL,
            rc INT,
            created_at DOUBLE NOT NULL,
            started_at DOUBLE,
            finished_at DOUBLE,
            submitted_by VARCHAR(64) NOT NULL,
            idempotency_key VARCHAR(255),
            request_hash CHAR(64) NOT NULL,
            worker_id VARCHAR(64),
            cancel_requested_at DOUBLE,
            canceled_by VARCHAR(64),
            explanation TEXT,
            summary MEDIUMTEXT,
            outputs MEDIUMTEXT,
            event_count INT NOT NULL DEFAULT 0,
            UNIQUE KEY jobs_idempotency (submitted_by, idempotency_key),
            KEY jobs_queue (status, environment, number))""" + _MYSQL_TABLE,
        """CREATE TABLE events (
            job_id VARCHAR(64) NOT NULL,
            counter INT NOT NULL,
            uuid VARCHAR(64),
            event VARCHAR(64) NOT NULL,
            created VARCHAR(64),
            host VARCHAR(255),
            task TEXT,
            stdout MEDIUMTEXT NOT NULL,
            data MEDIUMTEXT NOT NULL,
            PRIMARY KEY (job_id, counter))""" + _MYSQL_TABLE,
        """CREATE TABLE environments (
            name VARCHAR(64) NOT NULL PRIMARY KEY,
            running_job VARCHAR(64),
            attention_job VARCHAR(64),
            attention_reason TEXT,
            attention_since DOUBLE)""" + _MYSQL_TABLE,
        """CREATE TABLE tokens (
            name VARCHAR(64) NOT NULL PRIMARY KEY,
            role VARCHAR(16) NOT NULL,
            token_hash CHAR(64) NOT NULL UNIQUE,
            created_at DOUBLE NOT NULL,
            revoked_at DOUBLE)""" + _MYSQL_TABLE,
        """CREATE TABLE audit (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            at DOUBLE NOT NULL,
            actor VARCHAR(64) NOT NULL,
            role VARCHAR(16) NOT NULL,
            action VARCHAR(32) NOT NULL,
            source VARCHAR(255),
            job_id VARCHAR(64),
            environment VARCHAR(64),
            detail TEXT NOT NULL)""" + _MYSQL_TABLE,
        """CREATE TABLE workers (
            id VARCHAR(64) NOT NULL PRIMARY KEY,
            host VARCHAR(255) NOT NULL,
            pid INT NOT NULL,
            proc_start BIGINT NOT NULL,
            kind VARCHAR(16) NOT NULL,
            started_at DOUBLE NOT NULL,
            heartbeat_at DOUBLE NOT NULL)""" + _MYSQL_TABLE,
    ),
)

MIGRATIONS: tuple[Migration, ...] = (INITIAL,)
LATEST = MIGRATIONS[-1].version
