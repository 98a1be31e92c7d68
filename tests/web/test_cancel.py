"""Cancel while queued, while starting and while running, on the real service: the job ends `canceled`
and nothing of it is left running (neither its marked processes nor anything in their process groups)."""

from __future__ import annotations

import os
import time

from tests.web.conftest import proc_groups
from web import processes


def groups_of(job_id: str) -> set[int]:
    groups = set()
    for pid in processes.processes_of(job_id):
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            continue
    return groups


def assert_nothing_left(job_id: str, groups: set[int]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [pid for pid, group in proc_groups().items() if group in groups]
        if not left and not processes.processes_of(job_id):
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} left processes: {left} {processes.processes_of(job_id)}")


def wait_for(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def test_cancel_while_queued_and_while_running(shared):
    api = shared.api()
    running = api.start("sleep", "hold", {"seconds": 60}, role="operator")
    queued = api.start("sleep", "hold", {"seconds": 60}, role="operator")
    wait_for(lambda: (shared.markers / f"{running}.started").exists())
    assert api.job(queued)["status"] == "queued"
    # Queued: canceled at once, never started.
    reply = api.cancel(queued, role="operator")
    assert reply.status == 202 and reply.body["status"] == "canceled" and reply.body["started_at"] is None
    # Running: SIGINT to the playbook, its process group killed after the grace period.
    groups = wait_for(lambda: groups_of(running))
    asked = time.monotonic()
    reply = api.cancel(running, role="operator")
    assert reply.status == 202 and reply.body["status"] == "running" and reply.body["cancel_requested"]
    assert api.cancel(running, role="operator").status == 202  # idempotent
    job = api.wait(running, timeout=30)
    assert time.monotonic() - asked < 2 + 5 + 3  # grace + ansible-runner's poll + slack
    assert job["status"] == "canceled" and job["canceled_by"] == "operator"
    assert job["explanation"].startswith("canceled while running: SIGINT sent")
    assert_nothing_left(running, groups)
    assert not (shared.markers / f"{running}.ended").exists()
    assert not (shared.markers / f"{queued}.started").exists()
    assert api.cancel(running, role="operator").status == 202  # still idempotent once canceled
    # Killed mid-run: the environment needs attention until an operator clears it.
    hold = api.environments()["hold"]
    assert hold["needs_attention"] and hold["attention"]["job"] == running
    assert api.call("POST", "/environments/hold/clear", role="operator").body["needs_attention"] is False


def test_cancel_while_starting(shared):
    """The `slow` environment's inventory takes seconds to load: the playbook exists but sent no event."""
    api = shared.api()
    job_id = api.start("sleep", "slow", {"seconds": 60}, role="operator")
    wait_for(lambda: api.job(job_id)["status"] == "running")
    groups = wait_for(lambda: groups_of(job_id), timeout=10)
    assert api.job(job_id)["event_count"] == 0
    assert api.cancel(job_id, role="operator").status == 202
    job = api.wait(job_id, timeout=30)
    assert job["status"] == "canceled"
    assert_nothing_left(job_id, groups)
    assert not (shared.markers / f"{job_id}.started").exists()
    api.call("POST", "/environments/slow/clear", role="operator")


def test_cancel_of_a_finished_job_is_409(shared):
    api = shared.api()
    job_id = api.start("ok", "local")
    assert api.wait(job_id)["status"] == "successful"
    reply = api.cancel(job_id)
    assert reply.status == 409 and reply.body["message"] == "Conflict"
