"""Workers: threads that claim queued jobs from the store, run them, and record how they ended.

One WorkerPool per process (`serve` has one in-process; `python -m web worker` is one on its own).
Its monitor thread sends heartbeats, collects cancel requests for the jobs it runs, and reaps jobs
whose worker died: those become `error`, their processes on this machine are killed, and their
environment needs attention.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable

from . import processes
from .config import ServiceConfig
from .db import DATABASE_ERRORS, open_store
from .jobs import CANCELED, ERROR, Job, JobStore, Outcome, WorkerInfo
from .runner import JobRun, RunSettings

log = logging.getLogger(__name__)

FINISH_RETRY_FOR = 120.0  # seconds to keep trying to record an outcome while the store is down
CANCEL_POLL = 0.5


class WorkerPool:
    def __init__(self, service: ServiceConfig, threads: int, kind: str):
        self.service = service
        self.threads = threads
        self.host = socket.gethostname()
        self.info = WorkerInfo(id=f"{self.host}-{os.getpid()}-{uuid.uuid4().hex[:8]}", host=self.host,
                               pid=os.getpid(), proc_start=processes.start_time(os.getpid()) or 0, kind=kind,
                               started_at=time.time(), heartbeat_at=time.time())
        self.run_settings = RunSettings(store_url=service.store_url, run_dir=service.run_dir,
                                        project_dir=service.catalog.project_dir,
                                        ansible_config=service.ansible_config, cancel_grace=service.cancel_grace,
                                        pexpect_timeout=service.pexpect_timeout)
        self.stopping = threading.Event()
        self.work_available = threading.Event()
        self.cancel_ids: frozenset[str] = frozenset()
        self._threads: list[threading.Thread] = []

    @property
    def id(self) -> str:
        return self.info.id

    def start(self) -> list[str]:
        """Register, reap what dead workers left, then start the threads; returns the reaped job ids."""
        store = open_store(self.service.store_url)
        try:
            store.sync_environments(list(self.service.environments))
            store.register_worker(self.info)
            reaped = reap(store, self.service, self.host)
        finally:
            store.close()
        self._spawn(self._monitor, "monitor")
        for number in range(self.threads):
            self._spawn(self._work, f"worker-{number}")
        return reaped

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def notify(self) -> None:
        self.work_available.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming; running jobs are interrupted (SIGINT, then killed) and recorded as `error`."""
        self.stopping.set()
        self.work_available.set()
        limit = timeout if timeout is not None else self.service.cancel_grace + 30
        deadline = time.monotonic() + limit
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        store = open_store(self.service.store_url)
        try:
            store.remove_worker(self.id)
        finally:
            store.close()

    # -- the work loop ---------------------------------------------------------------------
    def _work(self) -> None:
        store = open_store(self.service.store_url)
        try:
            while not self.stopping.is_set():
                job = self._claim(store)
                if job is None:
                    self.work_available.wait(self.service.poll_interval)
                    self.work_available.clear()
                    continue
                try:
                    self._run(store, job)
                except Exception:  # never leave a claimed job running with a live worker
                    log.exception("job %s: the worker failed", job.id)
                    self._finish(store, job, Outcome(ERROR, None, "the worker failed; see the service log",
                                                     needs_attention=True))
        finally:
            store.close()

    def _claim(self, store: JobStore) -> Job | None:
        try:
            return store.claim_job(self.id)
        except DATABASE_ERRORS as exc:
            log.warning("worker %s: cannot claim a job: %s", self.id, exc)
            return None

    def _run(self, store: JobStore, job: Job) -> None:
        log.info("job %s started by %s: %s on %s", job.id, self.id, job.entry, job.environment)
        entry = self.service.catalog.entries.get(job.entry)
        environment = self.service.environments.get(job.environment)
        if entry is None or environment is None:
            outcome = Outcome(ERROR, None, f"{job.entry} on {job.environment} is no longer configured on this worker")
        elif self._stop_reason(job.id) is not None:
            outcome = self._not_started(job.id)
        else:
            outcome = JobRun(job, entry, environment, self.run_settings, lambda: self._stop_reason(job.id)).run()
        self._finish(store, job, outcome)

    def _not_started(self, job_id: str) -> Outcome:
        if self._stop_reason(job_id) == "cancel":
            return Outcome(CANCELED, None, "canceled before the playbook started")
        return Outcome(ERROR, None, "the service stopped before the playbook started")

    def _stop_reason(self, job_id: str) -> str | None:
        if job_id in self.cancel_ids:
            return "cancel"
        if self.stopping.is_set():
            return "shutdown"
        return None

    def _finish(self, store: JobStore, job: Job, outcome: Outcome) -> None:
        deadline = time.monotonic() + FINISH_RETRY_FOR
        while True:
            try:
                store.finish_job(job.id, outcome, time.time())
                break
            except DATABASE_ERRORS as exc:
                if time.monotonic() > deadline:
                    log.error("job %s: could not record its end (%s); the reaper will", job.id, exc)
                    return
                time.sleep(1.0)
        log.info("job %s finished: %s (rc %s)%s", job.id, outcome.status, outcome.rc,
                 "; its environment needs attention" if outcome.needs_attention else "")

    # -- the monitor -------------------------------------------------------------------------
    def _monitor(self) -> None:
        store = open_store(self.service.store_url)
        last_beat = last_reap = time.monotonic()
        try:
            while not self.stopping.wait(CANCEL_POLL):
                try:
                    self.cancel_ids = frozenset(store.cancel_requested(self.id))
                    now = time.monotonic()
                    if now - last_beat >= self.service.heartbeat_interval:
                        store.heartbeat(self.id, time.time())
                        last_beat = now
                    if now - last_reap >= self.service.worker_timeout / 2:
                        reap(store, self.service, self.host)
                        last_reap = now
                except DATABASE_ERRORS as exc:
                    log.warning("worker %s: monitor cannot reach the store: %s", self.id, exc)
        finally:
            store.close()


def death_of(worker: WorkerInfo | None, host: str, timeout: float, now: float) -> str | None:
    """Why a job's worker is dead, or None while it lives."""
    if worker is None:
        return "its worker is gone"
    if worker.host == host:
        if processes.is_alive(worker.pid, worker.proc_start):
            return None
        return f"its worker (pid {worker.pid} on {worker.host}) died"
    if now - worker.heartbeat_at > timeout:
        return f"its worker on {worker.host} sent no heartbeat for {int(now - worker.heartbeat_at)} s"
    return None


def reap(store: JobStore, service: ServiceConfig, host: str) -> list[str]:
    """Mark running jobs of dead workers `error`, and kill any process left by a finished job here."""
    now = time.time()
    workers = store.workers()
    reaped = []
    for job in store.running_jobs():
        worker = workers.get(job.worker_id or "")
        why = death_of(worker, host, service.worker_timeout, now)
        if why is None:
            continue
        if worker is None or worker.host == host:
            processes.kill_job(job.id)
            shutil.rmtree(service.run_dir / job.id, ignore_errors=True)
        if store.fail_orphan(job.id, f"{why} while the job ran; it was stopped, its environment needs attention",
                             now):
            log.warning("job %s reaped: %s", job.id, why)
            reaped.append(job.id)
    for worker in workers.values():
        if death_of(worker, host, service.worker_timeout, now) is not None:
            store.remove_worker(worker.id)
    for job_id in processes.job_processes():
        job = store.get_job(job_id)
        if job is not None and job.finished:  # only our store's jobs: other services' processes are not ours
            log.warning("job %s: killing processes left after it ended", job_id)
            processes.kill_job(job_id)
    return reaped
