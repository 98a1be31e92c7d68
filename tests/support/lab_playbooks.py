"""Playbooks of this repository run on the lab as an operator runs them, and their results read back.

Each run is a real ansible-playbook over SSH to the lab hosts, its report taken from the ansible.posix.json
callback; `ssh` runs a command on a lab host through `python -m lab ssh`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.config import REPO_ROOT

VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class PlaybookRun:
    """One ansible-playbook run, read from the ansible.posix.json callback."""

    rc: int
    report: dict
    log: Path

    @property
    def recap(self) -> dict[str, dict]:
        return self.report.get("stats", {})

    def changed(self) -> dict[str, int]:
        return {host: stats["changed"] for host, stats in self.recap.items()}

    def results(self, task_name: str, which: str = "last") -> dict[str, dict]:
        """Each host's result of the `which` ("first" or "last") task of that name (a role's task is
        "role : name") that ran on it."""
        found: dict[str, dict] = {}
        for play in self.report.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"].split(" : ")[-1] == task_name:
                    found = {**found, **task["hosts"]} if which == "last" else {**task["hosts"], **found}
        return found

    def changed_tasks(self) -> list[str]:
        return [f"{host}: {task['task']['name']}" for play in self.report.get("plays", []) for task in play["tasks"]
                for host, result in task["hosts"].items() if result.get("changed")]

    def failures(self) -> str:
        """The failed tasks and their messages, for assertion messages."""
        lines = [f"{host}: {task['task']['name']}: {result.get('msg', '')}"
                 for play in self.report.get("plays", []) for task in play["tasks"]
                 for host, result in task["hosts"].items()
                 if (result.get("failed") and not result.get("ignore_errors")) or result.get("unreachable")]
        return "\n".join(lines) or f"rc {self.rc}, see {self.log}"


def ansible_env(callback: str = "ansible.posix.json") -> dict[str, str]:
    """The environment of an operator's run from the repository root (its ansible.cfg, the venv's tools)."""
    return {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": callback, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_FORCE_COLOR": "0"}


def playbook_runner(logs: Path, timeout: float) -> Callable[..., PlaybookRun]:
    """run(NAME, *ARGS): playbooks/NAME against the lab inventory with extra arguments, its log kept in LOGS."""
    count = iter(range(1, 1000))

    def run(name: str, *args: str) -> PlaybookRun:
        log = logs / f"{next(count):02d}-{name}.json"
        with open(log, "w") as out:
            done = subprocess.run([str(VENV_BIN / "ansible-playbook"), f"playbooks/{name}", *args], cwd=REPO_ROOT,
                                  env=ansible_env(), stdout=out, stderr=subprocess.PIPE, text=True, timeout=timeout)
        text = log.read_text()
        try:
            report = json.loads(text[text.index("{"):])
        except ValueError as exc:
            raise AssertionError(f"{name}: no JSON report (rc {done.returncode}): {done.stderr[-3000:]}") from exc
        return PlaybookRun(done.returncode, report, log)

    return run


def ssh(host: str, command: str, check: bool = True) -> str:
    """COMMAND's output on lab host HOST; with check, a failure fails the test."""
    done = subprocess.run([sys.executable, "-m", "lab", "ssh", host, command], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done.stdout
