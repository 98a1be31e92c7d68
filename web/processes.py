"""Finding and stopping a job's processes, on Linux, through /proc.

Every process a job starts carries ACSIBLE_JOB_ID=<job id> in its environment (children inherit it,
and ansible-runner starts ansible-playbook in a session of its own). That marker, not a process
name, is what is searched for, so the service never touches processes that are not its jobs', and
it finds the ones that left the playbook's process group (an ssh ControlPersist master) as well.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

MARKER = "ACSIBLE_JOB_ID"
PROC = Path("/proc")


def marker_of(pid: int) -> str | None:
    """The job id in a process's environment, or None (not ours, gone, or unreadable)."""
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    prefix = f"{MARKER}=".encode()
    for item in environ.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix):].decode(errors="replace")
    return None


def job_processes() -> dict[str, list[int]]:
    """Every live process carrying a job marker, by job id."""
    found: dict[str, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        job_id = marker_of(pid)
        if job_id and not is_zombie(pid):
            found.setdefault(job_id, []).append(pid)
    return found


def processes_of(job_id: str) -> list[int]:
    return job_processes().get(job_id, [])


def is_zombie(pid: int) -> bool:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def start_time(pid: int) -> int | None:
    """Clock ticks after boot at which `pid` started: with the pid, it names one process for good."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def is_alive(pid: int, started: int) -> bool:
    return start_time(pid) == started and not is_zombie(pid)


def signal_groups(pids: list[int], signum: int) -> None:
    """Send `signum` to the process group of each pid (never to the service's own group)."""
    own_group = os.getpgrp()
    for pid in pids:
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signum)
            elif pid != os.getpid():
                os.kill(pid, signum)
        except ProcessLookupError:
            continue


def kill_job(job_id: str, timeout: float = 10.0) -> list[int]:
    """SIGKILL every process of the job (and their groups) until none is left; returns what was found."""
    killed: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = processes_of(job_id)
        if not pids:
            return killed
        killed.extend(pid for pid in pids if pid not in killed)
        signal_groups(pids, signal.SIGKILL)
        time.sleep(0.05)
    return killed
