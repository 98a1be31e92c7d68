"""Jobs and the job store: the states a job goes through and the one interface both stores implement.

A job is `queued`, then `running` once a worker claims it, then `successful`, `failed`, `canceled` or
`error` (could not run at all, or its worker died). Terminal states never change. An environment runs
one job at a time; a job killed mid-run leaves its environment needing attention.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

QUEUED = "queued"
RUNNING = "running"
SUCCESSFUL = "successful"
FAILED = "failed"
CANCELED = "canceled"
ERROR = "error"
STATUSES = (QUEUED, RUNNING, SUCCESSFUL, FAILED, CANCELED, ERROR)
TERMINAL = frozenset({SUCCESSFUL, FAILED, CANCELED, ERROR})

ROLES = ("viewer", "requester", "operator", "admin")


@dataclass(frozen=True)
class NewJob:
    """What a client asked for, after validation."""

    id: str
    entry: str
    environment: str
    vars: dict[str, Any]
    submitted_by: str
    request_hash: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Job:
    id: str
    number: int
    entry: str
    environment: str
    vars: dict[str, Any]
    status: str
    rc: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    submitted_by: str
    idempotency_key: str | None
    request_hash: str
    worker_id: str | None
    cancel_requested_at: float | None
    canceled_by: str | None
    explanation: str | None
    summary: dict[str, Any] | None
    outputs: dict[str, Any] | None
    event_count: int

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as the worker records it."""

    status: str
    rc: int | None
    explanation: str | None = None
    needs_attention: bool = False


@dataclass(frozen=True)
class Event:
    """One ansible-runner event, already scrubbed of secrets."""

    counter: int
    uuid: str
    event: str
    created: str
    host: str | None
    task: str | None
    stdout: str
    data: dict[str, Any]


@dataclass(frozen=True)
class EnvironmentState:
    name: str
    running_job: str | None
    attention_job: str | None
    attention_reason: str | None
    attention_since: float | None


@dataclass(frozen=True)
class Token:
    name: str
    role: str
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    role: str
    action: str
    source: str | None = None
    job_id: str | None = None
    environment: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerInfo:
    """A process that claims and runs jobs; `proc_start` tells a live pid from a reused one."""

    id: str
    host: str
    pid: int
    proc_start: int
    kind: str
    started_at: float
    heartbeat_at: float


@dataclass(frozen=True)
class JobFilter:
    status: str | None = None
    entry: str | None = None
    environment: str | None = None
    submitted_by: str | None = None


class JobStore(abc.ABC):
    """The job store. SQLite (one machine) and MySQL (several API nodes and workers) implement it."""

    # -- schema ----------------------------------------------------------------------------
    @abc.abstractmethod
    def migrate(self) -> list[int]:
        """Apply the migrations this store lacks; returns the versions applied."""

    @abc.abstractmethod
    def schema_version(self) -> int: ...

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise unless the store answers (a read, nothing else)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- jobs ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_job(self, new: NewJob, now: float, idempotency_ttl: float) -> tuple[Job, bool]:
        """Insert a queued job; returns (job, created). A reused key returns the first job (created=False)
        or raises IdempotencyConflict when that job was asked with another body."""

    @abc.abstractmethod
    def get_job(self, job_id: str) -> Job | None: ...

    @abc.abstractmethod
    def list_jobs(self, where: JobFilter, limit: int, before: int | None) -> list[Job]:
        """Newest first; `before` is a job number (cursor paging)."""

    @abc.abstractmethod
    def claim_job(self, worker_id: str) -> Job | None:
        """Move the oldest queued job of a free environment to running, for this worker (started now:
        the time is taken once the claim holds its lock, so it never precedes the job's creation)."""

    @abc.abstractmethod
    def finish_job(self, job_id: str, outcome: Outcome, now: float) -> None:
        """Record the end of a running job and free (or flag) its environment."""

    @abc.abstractmethod
    def request_cancel(self, job_id: str, actor: str, now: float) -> Job | None:
        """Cancel a queued job at once, or flag a running one; finished jobs are left as they are."""

    @abc.abstractmethod
    def cancel_requested(self, worker_id: str) -> set[str]:
        """Ids of this worker's running jobs that were asked to stop."""

    @abc.abstractmethod
    def running_jobs(self) -> list[Job]: ...

    @abc.abstractmethod
    def count_jobs(self) -> int: ...

    # -- events ----------------------------------------------------------------------------
    @abc.abstractmethod
    def add_events(self, job_id: str, events: list[Event], summary: dict | None, outputs: dict | None) -> None: ...

    @abc.abstractmethod
    def events(self, job_id: str, after: int, limit: int) -> list[Event]: ...

    @abc.abstractmethod
    def stdout(self, job_id: str, limit_bytes: int) -> tuple[str, bool]:
        """The job's output, rebuilt from its events in order; True when cut at `limit_bytes`."""

    # -- environments ----------------------------------------------------------------------
    @abc.abstractmethod
    def sync_environments(self, names: list[str]) -> None: ...

    @abc.abstractmethod
    def environment_states(self) -> dict[str, EnvironmentState]: ...

    @abc.abstractmethod
    def clear_attention(self, name: str) -> EnvironmentState | None: ...

    # -- tokens ----------------------------------------------------------------------------
    @abc.abstractmethod
    def add_token(self, name: str, role: str, token_hash: str, now: float) -> None: ...

    @abc.abstractmethod
    def token_by_hash(self, token_hash: str) -> Token | None: ...

    @abc.abstractmethod
    def tokens(self) -> list[Token]: ...

    @abc.abstractmethod
    def revoke_token(self, name: str, now: float) -> bool: ...

    # -- audit -----------------------------------------------------------------------------
    @abc.abstractmethod
    def audit(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def audit_log(self, limit: int) -> list[AuditEntry]: ...

    # -- workers ---------------------------------------------------------------------------
    @abc.abstractmethod
    def register_worker(self, worker: WorkerInfo) -> None: ...

    @abc.abstractmethod
    def heartbeat(self, worker_id: str, now: float) -> None: ...

    @abc.abstractmethod
    def remove_worker(self, worker_id: str) -> None: ...

    @abc.abstractmethod
    def workers(self) -> dict[str, WorkerInfo]: ...

    @abc.abstractmethod
    def fail_orphan(self, job_id: str, explanation: str, now: float) -> bool:
        """Mark a running job whose worker died as `error`, its environment needing attention."""
