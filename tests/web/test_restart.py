"""`kill -9` of the service while three jobs run, then a restart: the jobs are `error` with the reason,
none of their processes is left, their environments need attention, and new jobs run."""

from __future__ import annotations

import time

from tests.web.conftest import local_environment, proc_groups, settings
from tests.web.test_cancel import groups_of, wait_for
from web import processes


def test_kill_9_while_three_jobs_run_then_restart(service_factory, tmp_path):
    markers = tmp_path / "markers"
    environments = {name: local_environment(markers) for name in ("e1", "e2", "e3", "e4")}
    config = settings(tmp_path / "svc", environments=environments, markers=markers, WORKERS=4)
    service = service_factory(config, name="svc", workers=4)
    api = service.api()
    jobs = [api.start("sleep", name, {"seconds": 120}, role="operator", key=f"deploy-{name}")
            for name in ("e1", "e2", "e3")]
    for job_id in jobs:
        wait_for(lambda job_id=job_id: (markers / f"{job_id}.started").exists())
    groups = {job_id: groups_of(job_id) for job_id in jobs}
    assert all(groups.values())

    service.kill9()
    # The playbooks outlive the service: ansible-runner starts them in sessions of their own.
    assert all(processes.processes_of(job_id) for job_id in jobs)

    service.start()
    for job_id in jobs:
        job = api.job(job_id)
        assert job["status"] == "error", job
        assert "died while the job ran" in job["explanation"]
        assert processes.processes_of(job_id) == []
        assert not [pid for pid, group in proc_groups().items() if group in groups[job_id]]
        assert not (markers / f"{job_id}.ended").exists()
    assert "on start: 3 jobs of dead workers marked error" in service.log()
    environments = api.environments()
    assert [environments[name]["attention"]["job"] for name in ("e1", "e2", "e3")] == jobs
    assert not environments["e4"]["needs_attention"]
    # The idempotency key still names the same job.
    again = api.submit("sleep", "e1", {"seconds": 120}, role="operator", key="deploy-e1")
    assert again.body["id"] == jobs[0] and again.body["status"] == "error"
    # New jobs run: at once on a healthy environment, after an operator clears a flagged one.
    fresh = api.start("ok", "e4")
    waiting = api.start("ok", "e1")
    assert api.wait(fresh)["status"] == "successful"
    time.sleep(0.5)
    assert api.job(waiting)["status"] == "queued"
    api.call("POST", "/environments/e1/clear", role="operator")
    assert api.wait(waiting)["status"] == "successful"


def test_sigterm_interrupts_running_jobs_and_exits(service_factory, tmp_path):
    from web.db import open_store

    markers = tmp_path / "markers"
    config = settings(tmp_path / "svc", environments={"e1": local_environment(markers)}, markers=markers)
    service = service_factory(config, name="svc", workers=1)
    job_id = service.api().start("sleep", "e1", {"seconds": 120}, role="operator")
    wait_for(lambda: (markers / f"{job_id}.started").exists())
    groups = groups_of(job_id)
    service.stop(timeout=30)
    assert service.process.returncode == 0
    store = open_store(config["STORE"])
    job = store.get_job(job_id)
    environment = store.environment_states()["e1"]
    store.close()
    assert job.status == "error" and job.explanation.startswith("interrupted by the service's shutdown while running")
    assert environment.attention_job == job_id
    assert processes.processes_of(job_id) == []
    assert not [pid for pid, group in proc_groups().items() if group in groups]
