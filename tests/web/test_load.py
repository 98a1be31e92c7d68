"""200 jobs submitted at once to 4 workers across 3 environments: none lost, never two running on one
environment, and each environment runs its jobs in the order they were queued."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from tests.web.conftest import ApiActions, http_transport, local_environment, settings

JOBS = 200
ENVIRONMENTS = ("a", "b", "c")


def parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def all_jobs(api: ApiActions) -> list[dict]:
    jobs, before = [], None
    while True:
        params = {"limit": 200, **({"before": before} if before else {})}
        page = api.call("GET", "/jobs", **params).body
        jobs += page["items"]
        before = page["next_before"]
        if before is None:
            return jobs


def watch_environments(api: ApiActions, stop: threading.Event, seen: list[str]) -> None:
    """Sample what runs where while the jobs run: never two running jobs on one environment."""
    while not stop.wait(0.2):
        running = api.call("GET", "/jobs", status="running", limit=200).body["items"]
        per_environment = defaultdict(list)
        for job in running:
            per_environment[job["environment"]].append(job["id"])
        seen.extend(f"{env}: {ids}" for env, ids in per_environment.items() if len(ids) > 1)


def test_200_jobs_on_4_workers_across_3_environments(service_factory, tmp_path):
    markers = tmp_path / "markers"
    config = settings(tmp_path / "svc", environments={name: local_environment(markers) for name in ENVIRONMENTS},
                      markers=markers, WORKERS=4, POLL_INTERVAL=0.2)
    service = service_factory(config, name="svc", workers=4)
    tokens = service.tokens

    def submit(number: int) -> dict:
        client = ApiActions(http_transport(service.url), tokens)
        reply = client.submit("tiny", ENVIRONMENTS[number % 3], role="requester")
        assert reply.status == 202, reply
        return reply.body

    api = service.api()
    overlaps: list[str] = []
    stop = threading.Event()
    watcher_api = ApiActions(http_transport(service.url), tokens)  # a session of its own (another thread)
    watcher = threading.Thread(target=watch_environments, args=(watcher_api, stop, overlaps), daemon=True)
    watcher.start()
    with ThreadPoolExecutor(16) as pool:
        submitted = list(pool.map(submit, range(JOBS)))
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        left = api.call("GET", "/jobs", status="queued", limit=1).body["items"] + \
            api.call("GET", "/jobs", status="running", limit=1).body["items"]
        if not left:
            break
        time.sleep(1)
    stop.set()
    watcher.join()

    jobs = all_jobs(api)
    assert sorted(job["id"] for job in jobs) == sorted(job["id"] for job in submitted)  # none lost, none extra
    assert {job["status"] for job in jobs} == {"successful"}
    assert all(job["summary"]["ok"] == {"localhost": 1} for job in jobs)
    assert overlaps == []
    for name in ENVIRONMENTS:
        mine = sorted((job for job in jobs if job["environment"] == name), key=lambda job: job["number"])
        assert len(mine) in (JOBS // 3, JOBS // 3 + 1)
        starts = [parse(job["started_at"]) for job in mine]
        assert starts == sorted(starts), f"{name}: jobs did not start in queue order"
        for earlier, later in itertools.pairwise(mine):
            assert parse(earlier["finished_at"]) <= parse(later["started_at"]), f"{name}: two jobs overlapped"
    # The playbooks themselves never overlapped on an environment either (their own event times).
    for name in ENVIRONMENTS:
        spans = []
        for job in sorted((job for job in jobs if job["environment"] == name), key=lambda job: job["number"]):
            events = api.events(job["id"], limit=500).body["items"]
            spans.append((parse(events[0]["created"]), parse(events[-1]["created"])))
        assert all(first[1] < second[0] for first, second in itertools.pairwise(spans))
