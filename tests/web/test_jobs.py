"""Jobs through the API with in-process workers: the life of a job, its events and output, outcomes,
idempotency, listing, and reaping the jobs of dead workers."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.web.conftest import ApiActions, flask_transport, make_tokens, settings
from web import create_app, processes
from web.jobs import Outcome, WorkerInfo
from web.worker import WorkerPool, reap


def test_a_job_runs_and_reports_everything(api, workers, config, tmp_path):
    reply = api.submit("ok", variables={"message": "hello from the test", "count": 2})
    assert reply.status == 202
    job_id = reply.body["id"]
    assert reply.headers["Location"] == f"/api/v1/jobs/{job_id}"
    assert reply.headers["Retry-After"] == "1"
    assert reply.body["status"] in ("queued", "running")
    job = api.wait(job_id)
    assert job["status"] == "successful" and job["rc"] == 0 and job["finished"]
    assert job["started_at"] and job["finished_at"] >= job["started_at"] >= job["created_at"]
    assert job["summary"]["ok"] == {"localhost": 2} and job["summary"]["failures"] == {}
    assert job["outputs"] == {"echoed": "hello from the test"}
    assert job["explanation"] is None and job["submitted_by"] == "admin"
    events = api.all_events(job_id)
    assert [event["counter"] for event in events] == list(range(1, len(events) + 1)) == list(
        range(1, job["event_count"] + 1))
    assert events[0]["event"] == "playbook_on_start" and events[-1]["event"] == "playbook_on_stats"
    assert "hello from the test" in api.stdout(job_id)
    assert "PLAY RECAP" in api.stdout(job_id)
    assert not (tmp_path / "runs" / job_id).exists()  # the private data dir is gone


def test_events_are_paged_by_counter(api, workers):
    job_id = api.start("ok")
    api.wait(job_id)
    first = api.events(job_id, after=0, limit=2).body
    assert [e["counter"] for e in first["items"]] == [1, 2] and first["next_after"] == 2
    assert not first["complete"]
    second = api.events(job_id, after=first["next_after"], limit=500).body
    assert second["items"][0]["counter"] == 3 and second["complete"] and second["status"] == "successful"
    last = api.events(job_id, after=second["next_after"]).body
    assert last == {"items": [], "next_after": second["next_after"], "complete": True, "status": "successful"}
    assert api.events(job_id, after="x").status == 400
    assert api.events(job_id, limit=501).status == 400


def test_a_failing_playbook_is_failed(api, workers):
    job = api.wait(api.start("fail"))
    assert (job["status"], job["rc"]) == ("failed", 2)
    assert job["explanation"] == "the playbook failed (rc 2)"
    assert job["summary"]["failures"] == {"localhost": 1}
    assert "failing on purpose" in api.stdout(job["id"])
    assert not api.environments()["local"]["needs_attention"]


BROKEN = """\
- name: Broken
  hosts: all
  tasks:
    - name: Call a module that does not exist
      acsible.nothing.here:
        foo: bar
"""


def test_a_playbook_that_cannot_start_is_error(tmp_path):
    """It never parses: no playbook_on_start event, rc 4, status `error` (it could not run at all)."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "broken.yml").write_text(BROKEN)  # written here: the linters never see it
    (tmp_path / "catalog.yml").write_text(
        "project_dir: project\nentries: {broken: {playbook: broken.yml, environment_kinds: [local]}}")
    app = create_app(settings(tmp_path, CATALOG=str(tmp_path / "catalog.yml")))
    api = ApiActions(flask_transport(app.test_client()), make_tokens(app.config["STORE"], app.config["SECRET_KEY"]))
    pool = WorkerPool(app.extensions["acsible"], threads=1, kind="test")
    pool.start()
    try:
        job = api.wait(api.start("broken"))
    finally:
        pool.stop()
    assert (job["status"], job["rc"]) == ("error", 4)
    assert job["explanation"].startswith("ansible-playbook did not start the playbook (rc 4)")
    assert "playbook_on_start" not in [event["event"] for event in api.all_events(job["id"])]
    assert "acsible.nothing.here" in api.stdout(job["id"])


def test_timeout_stops_the_job_and_flags_the_environment(api, workers):
    job = api.wait(api.start("short"))
    assert job["status"] == "failed" and job["explanation"] == "timed out after 3 s"
    assert processes.processes_of(job["id"]) == []
    local = api.environments()["local"]
    assert local["needs_attention"] and local["attention"]["job"] == job["id"]
    # A new job on the environment waits until an operator clears it.
    waiting = api.start("ok")
    time.sleep(0.5)
    assert api.job(waiting)["status"] == "queued"
    assert api.call("POST", "/environments/local/clear", role="operator").body["needs_attention"] is False
    assert api.wait(waiting)["status"] == "successful"


# -- idempotency -------------------------------------------------------------------------------
def test_same_key_and_body_returns_the_first_job(api, store):
    first = api.submit("ok", variables={"message": "once"}, key="deploy-42")
    again = api.submit("ok", variables={"message": "once"}, key="deploy-42")
    assert first.status == again.status == 202
    assert again.body["id"] == first.body["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert store.count_jobs() == 1


def test_same_key_with_another_body_is_422(api, store):
    api.submit("ok", variables={"message": "once"}, key="deploy-43")
    other = api.submit("ok", variables={"message": "twice"}, key="deploy-43")
    assert other.status == 422 and "Idempotency-Key" in other.body["errors"]
    assert store.count_jobs() == 1


def test_keys_belong_to_one_token(api, store):
    mine = api.submit("ok", key="shared-key", role="operator")
    theirs = api.submit("ok", key="shared-key", role="requester")
    assert mine.body["id"] != theirs.body["id"] and store.count_jobs() == 2


def test_a_key_can_be_used_again_after_its_ttl(app, api, store):
    app.config["IDEMPOTENCY_TTL"] = 0.2
    first = api.submit("ok", key="nightly")
    time.sleep(0.3)
    second = api.submit("ok", variables={"message": "another body"}, key="nightly")
    assert second.status == 202 and second.body["id"] != first.body["id"]
    assert api.submit("ok", variables={"message": "another body"}, key="nightly").body["id"] == second.body["id"]


# -- listing -----------------------------------------------------------------------------------
def test_jobs_are_listed_newest_first_with_filters_and_paging(api):
    ids = [api.start("ok") for _ in range(4)] + [api.start("fail")]
    page = api.call("GET", "/jobs", limit=2).body
    assert [job["id"] for job in page["items"]] == [ids[4], ids[3]]
    rest = api.call("GET", "/jobs", limit=2, before=page["next_before"]).body
    assert [job["id"] for job in rest["items"]] == [ids[2], ids[1]]
    last = api.call("GET", "/jobs", limit=2, before=rest["next_before"]).body
    assert [job["id"] for job in last["items"]] == [ids[0]] and last["next_before"] is None
    assert len(api.call("GET", "/jobs", entry="fail").body["items"]) == 1
    assert len(api.call("GET", "/jobs", status="queued", environment="local").body["items"]) == 5
    assert api.call("GET", "/jobs", status="successful").body["items"] == []
    assert api.call("GET", "/jobs", submitted_by="admin").body["items"][0]["id"] == ids[4]


@pytest.mark.parametrize("params, field", [({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                                           ({"limit": "ten"}, "limit"), ({"before": -1}, "before"),
                                           ({"status": "done"}, "status"), ({"entry": "../x"}, "entry")])
def test_bad_list_parameters_are_named(api, params, field):
    reply = api.call("GET", "/jobs", **params)
    assert reply.status == 400 and field in reply.body["errors"]


def test_catalog_and_environments(api):
    entries = {entry["name"]: entry for entry in api.call("GET", "/catalog", role="requester").body["entries"]}
    assert entries["ok"]["self_service"] and entries["ok"]["runnable"]
    assert not entries["touch"]["runnable"] and entries["touch"]["roles"] == ["admin"]
    assert entries["ok"]["inputs"]["properties"]["count"]["maximum"] == 10
    assert "playbook" not in entries["ok"]
    environments = api.environments()
    assert environments["local"] == {"name": "local", "kind": "local", "description": "local test environment",
                                     "running_job": None, "needs_attention": False, "attention": None}
    assert "inventory" not in environments["slow"] and "vars" not in environments["slow"]


# -- cancel while queued (no worker) -------------------------------------------------------------
def test_cancel_while_queued_is_immediate_and_idempotent(api, store):
    job_id = api.start("ok")
    first = api.cancel(job_id)
    assert first.status == 202 and first.body["status"] == "canceled"
    assert first.body["explanation"] == "canceled by admin while queued"
    assert api.cancel(job_id).status == 202
    assert [entry.action for entry in store.audit_log(10)].count("cancel") == 1


def test_cancel_of_a_finished_job_is_409(api, store):
    job_id = api.start("ok")
    store.claim_job("w")
    store.finish_job(job_id, Outcome("successful", 0), time.time())
    reply = api.cancel(job_id)
    assert reply.status == 409 and reply.body["description"] == "the job already finished: successful"


# -- reaping ---------------------------------------------------------------------------------------
def test_jobs_of_a_silent_remote_worker_become_error(app, api, store):
    service = app.extensions["acsible"]
    job_id = api.start("ok")
    now = time.time()
    store.register_worker(WorkerInfo("far-away-1", "another-host", 4242, 1, "worker", now - 600, now - 600))
    store.claim_job("far-away-1")
    assert reap(store, service, "this-host") == [job_id]
    job = api.job(job_id)
    assert job["status"] == "error" and "another-host sent no heartbeat" in job["explanation"]
    assert api.environments()["local"]["attention"]["job"] == job_id
    assert "far-away-1" not in store.workers()


def test_jobs_of_a_dead_local_worker_become_error(app, api, store):
    service = app.extensions["acsible"]
    dead = subprocess.Popen(["true"])
    dead.wait()
    job_id = api.start("ok")
    store.register_worker(WorkerInfo("dead-1", "this-host", dead.pid, 12345, "serve", time.time(), time.time()))
    store.claim_job("dead-1")
    assert reap(store, service, "this-host") == [job_id]
    assert f"pid {dead.pid} on this-host) died" in api.job(job_id)["explanation"]


def test_a_live_worker_is_left_alone(app, api, store, workers):
    service = app.extensions["acsible"]
    assert reap(store, service, workers.host) == []
    assert workers.id in store.workers()


def run_directly(app, store, variables=None, **settings_changes):
    """Claim one queued `ok` job and run it with JobRun, outside any worker."""
    import dataclasses
    import uuid

    from web.jobs import NewJob
    from web.runner import JobRun, RunSettings

    service = app.extensions["acsible"]
    new = NewJob(id=str(uuid.uuid4()), entry="ok", environment="local", vars=variables or {}, submitted_by="t",
                 request_hash="h")
    store.create_job(new, time.time(), 60)
    job = store.claim_job("direct")
    settings = RunSettings(store_url=app.config["STORE"], run_dir=service.run_dir,
                           project_dir=service.catalog.project_dir, ansible_config=service.ansible_config,
                           cancel_grace=1.0, pexpect_timeout=0.2)
    settings = dataclasses.replace(settings, **settings_changes)
    return job, JobRun(job, service.catalog.entries["ok"], service.environments["local"], settings,
                       lambda: None).run()


def test_ansible_playbook_missing_is_an_error_not_a_crash(app, store, monkeypatch, tmp_path):
    monkeypatch.setattr("web.runner.VENV_BIN", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    job, outcome = run_directly(app, store)
    assert (outcome.status, outcome.rc) == ("error", 127)
    assert not outcome.needs_attention
    assert processes.processes_of(job.id) == []


def test_a_failing_event_store_does_not_stop_the_job(app, store, caplog):
    job, outcome = run_directly(app, store, store_url="mysql://nobody:x@127.0.0.1:1/none")
    assert outcome.status == "successful"
    assert "storing events failed" in caplog.text
    assert store.events(job.id, 0, 10) == []
