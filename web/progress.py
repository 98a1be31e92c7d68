"""What a job's events say while it runs: the current play and task, per-host counts, and a task timeline.

Pure functions over events as the API sends them (`event`, `created`, `host`, `task`, `event_data`),
shared by the job page and the command-line client. Counts follow Ansible's recap: `ok` includes
changed results, a failure with `ignore_errors` is `ignored`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

COUNTS = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")
SLOW_SHARE = 0.2  # a task is slow when it took at least this share of the run ...
SLOW_SECONDS = 1.0  # ... and at least this long
BOUNDARIES = {"playbook_on_play_start", "playbook_on_task_start", "playbook_on_stats"}


def parse_time(text: Any) -> float | None:
    """An event's `created` (ISO 8601; naive means UTC) as a POSIX timestamp; None when unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class Task:
    """One task of the run, from its start to the next task, play or the recap."""

    number: int
    play: str
    name: str
    start: float
    end: float | None = None
    results: dict[str, int] = field(default_factory=dict)  # ok, changed, failures, ... over its hosts
    slow: bool = False

    @property
    def duration(self) -> float:
        return max(0.0, (self.end if self.end is not None else self.start) - self.start)

    @property
    def outcome(self) -> str:
        """The worst result of the task: failed, unreachable, changed, ok, skipped (or running)."""
        for name, label in (("failures", "failed"), ("unreachable", "unreachable"), ("changed", "changed"),
                            ("ok", "ok"), ("ignored", "ok"), ("skipped", "skipped")):
            if self.results.get(name):
                return label
        return "running" if self.end is None else "no hosts"


@dataclass
class Progress:
    """Fed one event at a time (`add`): where the run is and what each host did so far."""

    play: str | None = None
    task: str | None = None
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    first: float | None = None
    last: float | None = None
    ended: bool = False

    def add(self, event: Mapping[str, Any]) -> None:
        name = event.get("event")
        data = event.get("event_data") or {}
        created = parse_time(event.get("created"))
        if created is not None:
            self.first = created if self.first is None else min(self.first, created)
            self.last = created if self.last is None else max(self.last, created)
        if name in BOUNDARIES and self.tasks and self.tasks[-1].end is None:
            self.tasks[-1].end = created if created is not None else self.tasks[-1].start
        if name == "playbook_on_play_start":
            self.play, self.task = str(data.get("play") or data.get("name") or ""), None
        elif name == "playbook_on_task_start":
            self.task = str(data.get("task") or data.get("name") or "")
            if created is not None:
                self.tasks.append(Task(len(self.tasks) + 1, self.play or "", self.task, created))
        elif name == "playbook_on_stats":
            self.ended, self.task = True, None
        else:
            self._result(name, data, event.get("host") or data.get("host"))

    def _result(self, name: Any, data: Mapping[str, Any], host: Any) -> None:
        if not isinstance(name, str) or not name.startswith("runner_on_") or not host:
            return
        counts: list[str] = []
        if name == "runner_on_ok":
            result = data.get("res")
            changed = isinstance(result, dict) and bool(result.get("changed"))
            counts = ["ok", "changed"] if changed else ["ok"]
        elif name == "runner_on_failed":
            counts = ["ignored"] if data.get("ignore_errors") else ["failures"]
        elif name == "runner_on_unreachable":
            counts = ["unreachable"]
        elif name == "runner_on_skipped":
            counts = ["skipped"]
        table = self.hosts.setdefault(str(host), dict.fromkeys(COUNTS, 0))
        for count in counts:
            table[count] += 1
            if self.tasks:
                self.tasks[-1].results[count] = self.tasks[-1].results.get(count, 0) + 1

    def totals(self) -> dict[str, int]:
        """Counts over all hosts: ok, changed, failures, ..."""
        return {count: sum(table[count] for table in self.hosts.values()) for count in COUNTS}

    def timeline(self, now: float | None = None) -> list[Task]:
        """The tasks with their durations (an unfinished one up to `now`), the slow ones marked."""
        if self.tasks and self.tasks[-1].end is None and now is not None:
            self.tasks[-1].end = max(now, self.tasks[-1].start)
        total = self.span()
        for task in self.tasks:
            task.slow = task.duration >= SLOW_SECONDS and total > 0 and task.duration >= SLOW_SHARE * total
        return self.tasks

    def span(self) -> float:
        """Seconds from the first task's start to the last task's end."""
        if not self.tasks:
            return 0.0
        end = max(task.end if task.end is not None else task.start for task in self.tasks)
        return max(0.0, end - self.tasks[0].start)


def recap_rows(summary: Mapping[str, Any] | None, progress: Progress) -> tuple[list[dict[str, Any]], bool]:
    """Per-host rows (host and COUNTS) from the recap when the play ended; else counted from the events.

    Returns the rows and whether they come from the recap.
    """
    if summary:
        hosts = sorted({host for table in summary.values() if isinstance(table, dict) for host in table})
        rows = [{"host": host, **{count: int((summary.get(count) or {}).get(host, 0)) for count in COUNTS}}
                for host in hosts]
        return rows, True
    return [{"host": host, **counts} for host, counts in sorted(progress.hosts.items())], False


def follow(events: Iterable[Mapping[str, Any]]) -> Progress:
    progress = Progress()
    for event in events:
        progress.add(event)
    return progress
