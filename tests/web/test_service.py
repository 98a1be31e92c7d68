"""The real service over real HTTP: the simulator's API as an environment, the event stream, concurrent
idempotent submissions, and `python -m web serve` with no configuration at all."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import ApiActions as CloudStackApi
from tests.conftest import free_port, unique
from tests.web.conftest import ApiActions, Reply, http_transport, service_env


def test_selftest_reaches_the_simulator_api(shared):
    api = shared.api()
    job = api.wait(api.start("selftest", "sim", role="requester"))
    assert job["status"] == "successful", api.stdout(job["id"])
    listed = [e for e in api.all_events(job["id"]) if e["event"] == "runner_on_ok" and e["task"] == "List the zones"]
    assert listed and "count" in listed[0]["event_data"]["res"]
    text = json.dumps(api.all_events(job["id"])) + api.stdout(job["id"])
    assert shared.simulator.secretkey not in text and shared.simulator.apikey not in text


def test_zone_entry_creates_a_zone_through_the_simulator(shared):
    api = shared.api()
    name = unique("web-zone")
    variables = {"zone_name": name, "zone_dns1": "198.18.0.53", "zone_internal_dns1": "198.18.0.54"}
    assert api.submit("zone", "sim", variables, role="requester").status == 403
    assert api.submit("zone", "local", variables, role="operator").body["errors"] == {
        "environment": "is of kind 'local'; 'zone' runs on cloudstack"}
    bad = api.submit("zone", "sim", {**variables, "zone_dns1": "not-an-ip"}, role="operator")
    assert bad.status == 422 and "vars.zone_dns1" in bad.body["errors"]
    job = api.wait(api.start("zone", "sim", variables, role="operator"))
    assert job["status"] == "successful", api.stdout(job["id"])
    zones = CloudStackApi(shared.simulator).listing("listZones", name=name)
    assert [zone["id"] for zone in zones] == [job["outputs"]["zone_id"]]
    assert job["outputs"]["zone_name"] == name and job["summary"]["changed"] == {"localhost": 1}


def read_stream(url: str, token: str, last_event_id: int | None = None) -> list[dict]:
    """Every server-sent event until `end`, as {id, event, data}."""
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events, current = [], {}
    with requests.get(url, headers=headers, stream=True, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for line in response.iter_lines(decode_unicode=True):
            if line == "":
                if "event" in current:
                    events.append(current)
                    if current["event"] == "end":
                        return events
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                current[name] = value
    return events


def test_stream_follows_a_job_and_resumes(shared):
    api = shared.api()
    job_id = api.start("ok", variables={"message": "streamed"})
    url = f"{shared.service.url}/api/v1/jobs/{job_id}/stream"
    token = shared.service.tokens["viewer"]
    events = read_stream(url, token)  # opened while the job is queued or running
    assert events[-1]["event"] == "end" and json.loads(events[-1]["data"]) == {"status": "successful"}
    counters = [int(event["id"]) for event in events[:-1]]
    assert counters == list(range(1, len(counters) + 1))
    assert "streamed" in "".join(json.loads(event["data"])["stdout"] for event in events[:-1])
    resumed = read_stream(url, token, last_event_id=counters[2])
    assert [int(event["id"]) for event in resumed[:-1]] == counters[3:]
    assert read_stream(url, token, last_event_id=counters[-1])[0]["event"] == "end"
    other = requests.get(url, headers={"Authorization": f"Bearer {token}", "Last-Event-ID": "x"}, timeout=10)
    assert other.status_code == 400


def test_concurrent_submissions_with_one_key_make_one_job(shared):
    api = shared.api()
    key = unique("ci-run")

    def submit(_: int) -> Reply:
        return ApiActions(http_transport(shared.service.url), shared.service.tokens).submit(
            "ok", variables={"message": key}, key=key)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(submit, range(8)))
    assert {reply.status for reply in replies} == {202}
    assert len({reply.body["id"] for reply in replies}) == 1
    assert sum(reply.headers.get("Idempotent-Replayed") == "true" for reply in replies) == 7
    matching = [job for job in api.call("GET", "/jobs", limit=200).body["items"] if job["vars"] == {"message": key}]
    assert len(matching) == 1
    api.wait(matching[0]["id"])


def test_serve_works_with_no_configuration(tmp_path):
    """`python -m web serve` in an empty directory: key, token and store appear; selftest runs on local."""
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "web", "serve", "--listen", f"127.0.0.1:{port}"],
                                   cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=service_env())
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/api/v1/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        for name in ("web-secret-key", "web-admin-token", "web-jobs.db"):
            assert (tmp_path / name).stat().st_mode & 0o077 == 0, name
        token = (tmp_path / "web-admin-token").read_text().strip()
        assert token not in log.read_text()
        api = ApiActions(http_transport(base), {"admin": token})
        assert {"selftest", "zone"} <= {entry["name"] for entry in api.call("GET", "/catalog").body["entries"]}
        assert list(api.environments()) == ["local"]
        job = api.wait(api.start("selftest", "local"))
        assert job["status"] == "successful", api.stdout(job["id"])
        assert job["summary"]["ok"] == {"localhost": 2}
        assert (tmp_path / "web-runs").stat().st_mode & 0o777 == 0o700
        assert list((tmp_path / "web-runs").iterdir()) == []
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert process.returncode == 0
    assert "selftest on local" in log.read_text()
