"""Running one job with ansible-runner: a fresh private directory, a scrubbed environment, secrets in files.

What goes where (none of it ever on a command line, in envvars or inline extra vars):
  env/extravars          the client's vars, every string tagged !unsafe (never templated)
  env/service_vars.yml   the environment's vars and secrets and the job's own (acsible_*), 0600,
                         removed by finished_callback; passed last with -e @file so it wins
  env/passwords          ssh/become passwords for runner's prompts; read by prepare(), then removed
  env/ssh_key            the environment's private key for runner's ssh-agent; same
Events arrive through `event_handler`, which only queues them: a writer thread scrubs and stores
them, so a slow store never stalls the playbook. Cancel goes through `cancel_callback`: SIGINT to the
playbook's process group first, then ansible-runner kills the group after the grace period.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ansible_runner import Runner, RunnerConfig

from . import processes
from .catalog import Entry, Environment
from .db import open_store
from .jobs import CANCELED, ERROR, FAILED, SUCCESSFUL, Event, Job, Outcome

log = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent  # ansible-playbook lives beside the interpreter (not resolved: a venv)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
KEPT_VARIABLES = ("HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "USER", "LOGNAME",
                  "TMPDIR", "TERM", "SHELL")
RUNNER_PREFIXES = ("ANSIBLE_", "AWX_", "RUNNER_")  # what ansible-runner sets for its callback
PASSWORD_PROMPTS = {"ssh_password": r"^SSH password:\s*?$", "become_password": r"^BECOME password.*:\s*?$"}
SCRUBBED = "********"
EVENT_BATCH = 200
NO_LOG = "hidden: the task has no_log"
STOP_REASONS = ("cancel", "timeout", "shutdown")
RUNNER_TIMEOUT_MARGIN = 30  # ansible-runner's own job timeout, a backstop behind ours


# -- files ------------------------------------------------------------------------------------
class _UnsafeDumper(yaml.SafeDumper):
    """Dumps every string as `!unsafe`, so Ansible never renders it as a template (AWX's safe_dump)."""


_UnsafeDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar("!unsafe", value))


def unsafe_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_UnsafeDumper, default_flow_style=False, allow_unicode=True, sort_keys=True)


def write_private(path: Path, text: str) -> None:
    """Write a 0600 file atomically (temp file, chmod, rename), as ansible-runner writes its events."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.rename(temporary, path)


def remove_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


# -- scrubbing --------------------------------------------------------------------------------
def secret_forms(values: list[str]) -> list[str]:
    """Each secret as written and as it appears inside JSON text; longest first."""
    forms = set()
    for value in values:
        forms.add(value)
        forms.add(json.dumps(value)[1:-1])
    return sorted((form for form in forms if form), key=len, reverse=True)


def scrub(value: Any, secrets: list[str]) -> Any:
    """`value` with every known secret replaced, in strings and in dict keys, at any depth."""
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, SCRUBBED)
        return value
    if isinstance(value, dict):
        return {scrub(key, secrets): scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    return value


def _is_no_log(data: dict[str, Any]) -> bool:
    result = data.get("res")
    return isinstance(result, dict) and (bool(result.get("_ansible_no_log")) or "censored" in result)


def stored_event(raw: dict[str, Any], secrets: list[str]) -> Event:
    """The event as stored: no_log results dropped, then every known secret value replaced."""
    data = dict(raw.get("event_data") or {})
    if _is_no_log(data):
        data["res"] = NO_LOG
    data = scrub(data, secrets)
    stdout = str(raw.get("stdout") or "").replace("\r\n", "\n")  # the playbook writes to a pty
    return Event(counter=int(raw["counter"]), uuid=str(raw.get("uuid", "")), event=str(raw.get("event", "")),
                 created=str(raw.get("created", "")), host=data.get("host") or data.get("remote_addr"),
                 task=data.get("task"), stdout=scrub(stdout, secrets), data=data)


# -- events -----------------------------------------------------------------------------------
class EventWriter:
    """Takes events from ansible-runner's thread at once and stores them from a thread of its own."""

    def __init__(self, store_url: str, job_id: str, secrets: list[str]):
        self.store_url, self.job_id, self.secrets = store_url, job_id, secrets
        self.queue: queue.Queue[dict | None] = queue.Queue()
        self.saw_playbook_start = False
        self.thread = threading.Thread(target=self._drain, name=f"events-{job_id[:8]}", daemon=True)
        self.thread.start()

    def handle(self, raw: dict[str, Any]) -> bool:
        """ansible-runner's event_handler: queue the event; False keeps it off the disk."""
        if raw.get("event") == "playbook_on_start":
            self.saw_playbook_start = True
        self.queue.put(raw)
        return False

    def close(self, timeout: float = 60.0) -> None:
        self.queue.put(None)
        self.thread.join(timeout)

    def _drain(self) -> None:
        store = None
        try:
            store = open_store(self.store_url)
            done = False
            while not done:
                batch = [self.queue.get()]
                while len(batch) < EVENT_BATCH and not self.queue.empty():
                    batch.append(self.queue.get())
                done = batch[-1] is None
                self._write(store, [raw for raw in batch if raw is not None])
        except Exception:
            log.exception("job %s: storing events failed; later events are lost", self.job_id)
            while self.queue.get() is not None:  # keep the runner unblocked until the end
                pass
        finally:
            if store is not None:
                store.close()

    def _write(self, store: Any, batch: list[dict]) -> None:
        events = [stored_event(raw, self.secrets) for raw in batch if "counter" in raw]
        summary = outputs = None
        for event in events:
            if event.event == "playbook_on_stats":
                summary, outputs = _summary(event.data), event.data.get("artifact_data") or None
        if events or summary is not None:
            store.add_events(self.job_id, events, summary, outputs)


def _summary(stats: dict[str, Any]) -> dict[str, Any]:
    """playbook_on_stats as a per-host count table (runner's `dark` is `unreachable`)."""
    names = {"ok": "ok", "changed": "changed", "failures": "failures", "dark": "unreachable",
             "skipped": "skipped", "ignored": "ignored", "rescued": "rescued", "processed": "processed"}
    return {label: stats.get(key) or {} for key, label in names.items()}


# -- cancel -----------------------------------------------------------------------------------
class Stopper:
    """ansible-runner's cancel_callback: SIGINT to the playbook first, the group killed after `grace`."""

    def __init__(self, job_id: str, timeout: float, grace: float, stop_requested: Callable[[], str | None]):
        self.job_id, self.grace, self.stop_requested = job_id, grace, stop_requested
        self.deadline = time.monotonic() + timeout
        self.reason: str | None = None
        self.interrupted_at: float | None = None
        self.killed = False

    def check(self) -> bool:
        try:
            return self._check()
        except Exception:
            log.exception("job %s: cancel check failed; stopping the run", self.job_id)
            return True

    def _check(self) -> bool:
        if self.reason is None:
            self.reason = self.stop_requested() or ("timeout" if time.monotonic() > self.deadline else None)
            if self.reason is None:
                return False
        if self.interrupted_at is None:
            self.interrupted_at = time.monotonic()
            pids = processes.processes_of(self.job_id)
            if not pids:
                self.killed = True
                return True  # not started yet (or gone): ansible-runner kills its child's group
            processes.signal_groups(pids, signal.SIGINT)
            return False
        self.killed = time.monotonic() - self.interrupted_at >= self.grace
        return self.killed


# -- one run ----------------------------------------------------------------------------------
@dataclass
class RunSettings:
    store_url: str
    run_dir: Path
    project_dir: Path
    ansible_config: Path
    cancel_grace: float
    pexpect_timeout: float


@dataclass
class JobRun:
    """Everything about one run of one job; `run()` returns how it ended and leaves nothing behind."""

    job: Job
    entry: Entry
    environment: Environment
    settings: RunSettings
    stop_requested: Callable[[], str | None]
    spawned: bool = field(default=False, init=False)

    @property
    def private_dir(self) -> Path:
        return self.settings.run_dir / self.job.id

    @property
    def service_vars(self) -> Path:
        return self.private_dir / "env" / "service_vars.yml"

    def run(self) -> Outcome:
        secrets = secret_forms(self.environment.secret_values())
        writer = EventWriter(self.settings.store_url, self.job.id, secrets)
        stopper = Stopper(self.job.id, self.entry.timeout, self.settings.cancel_grace, self.stop_requested)
        try:
            config = self._prepare()
            runner = Runner(config=config, event_handler=writer.handle, cancel_callback=stopper.check,
                            finished_callback=self._finished, status_handler=self._status)
            runner.run()
        except (Exception, SystemExit) as exc:  # a job always ends in a state, whatever failed
            log.error("job %s: the run failed:\n%s", self.job.id, scrub(traceback.format_exc(), secrets))
            explanation = scrub(f"ansible-runner could not run the job: {exc}", secrets)
            return self._cleanup(writer, Outcome(ERROR, None, explanation, needs_attention=self.spawned))
        return self._cleanup(writer, self._outcome(runner, stopper, writer))

    def _cleanup(self, writer: EventWriter, outcome: Outcome) -> Outcome:
        left = processes.kill_job(self.job.id)
        if left:
            log.info("job %s: killed %d leftover processes", self.job.id, len(left))
        writer.close()
        _unblock_key_fifo(self.private_dir / "artifacts" / self.job.id / "ssh_key_data")
        shutil.rmtree(self.private_dir, ignore_errors=True)
        return outcome

    def _outcome(self, runner: Runner, stopper: Stopper, writer: EventWriter) -> Outcome:
        rc, attention = runner.rc, self.spawned
        if stopper.reason == "cancel":
            return Outcome(CANCELED, rc, self._stop_story("canceled", stopper), needs_attention=attention)
        if stopper.reason == "shutdown":
            return Outcome(ERROR, rc, self._stop_story("interrupted by the service's shutdown", stopper),
                           needs_attention=attention)
        if stopper.reason == "timeout" or runner.status == "timeout":
            return Outcome(FAILED, rc, f"timed out after {self.entry.timeout} s", needs_attention=True)
        if runner.status == "successful":
            return Outcome(SUCCESSFUL, rc)
        if rc == 127 or not writer.saw_playbook_start:
            return Outcome(ERROR, rc, f"ansible-playbook did not start the playbook (rc {rc}); see the job's stdout")
        return Outcome(FAILED, rc, f"the playbook failed (rc {rc})")

    def _stop_story(self, what: str, stopper: Stopper) -> str:
        if not self.spawned:
            return f"{what} before the playbook started"
        if stopper.killed:
            return f"{what} while running: SIGINT sent, the process group killed after {self.settings.cancel_grace:g} s"
        return f"{what} while running: SIGINT sent, the playbook stopped within {self.settings.cancel_grace:g} s"

    def _status(self, status: dict[str, Any], runner_config: Any = None) -> None:
        """ansible-runner's status_handler; its `starting` payload holds the whole env: never logged."""
        if status.get("status") == "running":
            self.spawned = True

    def _finished(self, _runner: Runner) -> None:
        """ansible-runner's finished_callback: the secrets file goes as soon as the playbook is over."""
        remove_quietly(self.service_vars)

    def _prepare(self) -> RunnerConfig:
        self.settings.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.private_dir.mkdir(mode=0o700)  # fresh for every job: never shared, never reused
        env_dir = self.private_dir / "env"
        env_dir.mkdir(mode=0o700)
        write_private(env_dir / "extravars", unsafe_yaml(self.job.vars))
        write_private(self.service_vars, unsafe_yaml(self._service_variables()))
        write_private(env_dir / "settings", json.dumps({
            "pexpect_timeout": self.settings.pexpect_timeout,
            "suppress_output_file": True,  # stdout is rebuilt from the stored (scrubbed) events
            "suppress_ansible_output": True,
        }))
        write_private(env_dir / "envvars", json.dumps(self._envvars()))
        passwords = self._passwords()
        if passwords:
            write_private(env_dir / "passwords", json.dumps(passwords))
        if self.environment.ssh_key_file is not None:
            write_private(env_dir / "ssh_key", self.environment.ssh_key_file.read_text())
        config = RunnerConfig(
            private_data_dir=str(self.private_dir), project_dir=str(self.settings.project_dir),
            playbook=self.entry.playbook, inventory=str(self.environment.inventory), ident=self.job.id,
            extravars=str(self.service_vars), cmdline=self._cmdline(), quiet=True,
            timeout=self.entry.timeout + self.settings.cancel_grace + RUNNER_TIMEOUT_MARGIN)
        config.prepare()
        # prepare() has read the credentials into memory: they leave the disk before anything runs.
        remove_quietly(env_dir / "passwords")
        remove_quietly(env_dir / "ssh_key")
        config.env = job_environment(config.env, self._envvars())
        return config

    def _service_variables(self) -> dict[str, Any]:
        return {**self.environment.vars, **self.environment.secrets, "acsible_job_id": self.job.id,
                "acsible_requested_by": self.job.submitted_by, "acsible_environment": self.environment.name,
                "acsible_entry": self.entry.name}

    def _envvars(self) -> dict[str, str]:
        return {processes.MARKER: self.job.id, "ANSIBLE_CONFIG": str(self.settings.ansible_config),
                "ANSIBLE_HOST_KEY_CHECKING": "True",  # ansible-runner would turn it off
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
                "PATH": f"{VENV_BIN}:{os.environ.get('PATH', DEFAULT_PATH)}"}

    def _passwords(self) -> dict[str, str]:
        env = self.environment
        given = {"ssh_password": env.ssh_password, "become_password": env.become_password}
        return {PASSWORD_PROMPTS[name]: value for name, value in given.items() if value}

    def _cmdline(self) -> str | None:
        flags = []
        if self.environment.ssh_password:
            flags.append("--ask-pass")
        if self.environment.become_password:
            flags.append("--ask-become-pass")
        return " ".join(flags) or None


def job_environment(runner_env: dict[str, str], own: dict[str, str]) -> dict[str, str]:
    """The playbook's environment: a few neutral variables of the service's, ansible-runner's, and ours.

    Nothing else of the service's environment (its secret key, store URL with password) gets through.
    """
    kept = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    runner = {name: value for name, value in runner_env.items() if name.startswith(RUNNER_PREFIXES)}
    return {**kept, **runner, **own}


def _unblock_key_fifo(path: Path, wait: float = 1.0) -> None:
    """Read runner's ssh key FIFO if nobody did, so its writer thread ends instead of blocking exit."""
    if not path.exists() or not stat.S_ISFIFO(path.stat().st_mode):
        return
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        deadline, got = time.monotonic() + wait, b""
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                got += chunk
            elif chunk == b"" and got:
                return
            time.sleep(0.01)
    finally:
        os.close(fd)
