"""The MySQL (MariaDB) store: migrations, claims with SKIP LOCKED, and several API nodes and worker
processes sharing the work."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from tests.support import mariadb
from tests.web.conftest import ApiActions, http_transport, local_environment, new_service, service_env, settings
from web.db import open_store
from web.jobs import NewJob
from web.migrations import LATEST

pytestmark = [pytest.mark.mysql,
              pytest.mark.skipif(not mariadb.available(), reason="needs mariadb-install-db and mariadbd")]

PASSWORD = "s3cret-db-pw"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = mariadb.start(tmp_path_factory.mktemp("mariadb"))
    yield running
    running.stop()


DATABASES = itertools.count(1)


@pytest.fixture
def mysql_url(server):
    name = f"web_{next(DATABASES)}"
    server.create_database(name, "web", PASSWORD)
    return f"mysql://web:{PASSWORD}@127.0.0.1:{server.port}/{name}"


def new_job(number: int, environment: str) -> NewJob:
    return NewJob(id=f"00000000-0000-4000-8000-{number:012d}", entry="ok", environment=environment, vars={},
                  submitted_by="test", request_hash="h")


def test_migrations_and_the_store_interface(mysql_url):
    store = open_store(mysql_url)
    assert store.migrate() == list(range(1, LATEST + 1)) and store.migrate() == []
    store.sync_environments(["x", "y"])
    store.create_job(new_job(1, "x"), time.time(), 60)
    store.create_job(new_job(2, "x"), time.time(), 60)
    claimed = store.claim_job("w1")
    assert claimed.id == new_job(1, "x").id and claimed.status == "running"
    assert store.claim_job("w2") is None  # x is busy
    assert store.environment_states()["x"].running_job == claimed.id
    store.close()


def test_a_claim_skips_an_environment_another_worker_holds(mysql_url):
    """SKIP LOCKED: a worker never waits for another one's claim, it takes the next environment."""
    first, second = open_store(mysql_url), open_store(mysql_url)
    first.migrate()
    first.sync_environments(["x", "y"])
    first.create_job(new_job(1, "x"), time.time(), 60)
    first.create_job(new_job(2, "y"), time.time(), 60)
    with first.transaction():
        first._one("SELECT name FROM environments WHERE name = 'x' FOR UPDATE")  # as if claiming x
        started = time.monotonic()
        claimed = second.claim_job("w2")
        assert time.monotonic() - started < 1.0
        assert claimed.environment == "y"
    assert first.claim_job("w1").environment == "x"
    first.close()
    second.close()


def test_concurrent_claims_never_start_two_jobs_on_one_environment(mysql_url):
    store = open_store(mysql_url)
    store.migrate()
    store.sync_environments(["x", "y", "z"])
    for number in range(30):
        store.create_job(new_job(number, "xyz"[number % 3]), time.time(), 60)
    claims: list = []

    def claim(worker: int) -> None:
        own = open_store(mysql_url)
        claims.append(own.claim_job(f"w{worker}"))
        own.close()

    threads = [threading.Thread(target=claim, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = [job for job in claims if job is not None]
    assert sorted(job.environment for job in got) == ["x", "y", "z"]
    assert sorted(job.id for job in got) == sorted(new_job(n, "").id for n in (0, 1, 2))  # the first of each
    store.close()


def start_worker(config_path, log_path) -> subprocess.Popen:
    with open(log_path, "a") as log:
        return subprocess.Popen([sys.executable, "-m", "web", "worker", "--config", str(config_path),
                                 "--threads", "1"], stdout=log, stderr=subprocess.STDOUT, env=service_env())


def parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_two_api_nodes_and_three_workers_share_the_work(mysql_url, tmp_path):
    markers = tmp_path / "markers"
    config = settings(tmp_path / "node1", environments={name: local_environment(markers) for name in "abc"},
                      markers=markers, STORE=mysql_url, POLL_INTERVAL=0.2)
    node1 = new_service(tmp_path / "node1", config, workers=0)
    node2 = new_service(tmp_path / "node2", config, workers=0, tokens=node1.tokens)
    workers = []
    try:
        node1.start()
        node2.start()
        workers = [start_worker(node1.config_path, tmp_path / f"worker{n}.log") for n in range(3)]
        nodes = itertools.cycle([node1, node2])

        def submit(number: int) -> str:
            node = next(nodes)
            return ApiActions(http_transport(node.url), node.tokens).start("ok", "abc"[number % 3])

        with ThreadPoolExecutor(6) as pool:
            ids = list(pool.map(submit, range(12)))
        # A cancel through one node stops a job that a worker elsewhere runs.
        api1, api2 = node1.api(), node2.api()
        sleeper = api1.start("sleep", "a", {"seconds": 60}, role="operator")
        api2.wait(sleeper, timeout=240, until=lambda job: (markers / f"{sleeper}.started").exists())
        assert api2.cancel(sleeper, role="operator").status == 202
        assert api1.wait(sleeper, timeout=60)["status"] == "canceled"
        api2.call("POST", "/environments/a/clear", role="operator")
        jobs = [api2.wait(job_id, timeout=240) for job_id in ids]
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)
        node1.stop()
        node2.stop()
    assert {job["status"] for job in jobs} == {"successful"}
    store = open_store(mysql_url)
    ran_by = {store.get_job(job["id"]).worker_id for job in jobs}
    store.close()
    assert len(ran_by) >= 2
    for name in "abc":
        mine = sorted((job for job in jobs if job["environment"] == name), key=lambda job: job["number"])
        for earlier, later in itertools.pairwise(mine):
            assert parse(earlier["finished_at"]) <= parse(later["started_at"])
    logs = "".join(path.read_text() for path in tmp_path.glob("**/*.log"))
    assert PASSWORD not in logs and "***" in logs
