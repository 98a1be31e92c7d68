"""`python -m web client` against a real service with real workers and playbook runs: submit and follow,
exit codes for success, failure and cancel, `--json` for machines, and the refusals it reports."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.web.conftest import ROOT, RunningService, local_environment, new_service, service_env, settings
from web.client import EXIT_CANCELED, EXIT_FAILED, EXIT_OK, EXIT_SERVICE, EXIT_UNFINISHED, EXIT_USAGE, main


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[RunningService]:
    workdir = tmp_path_factory.mktemp("client") / "service"
    markers = workdir / "markers"
    config = settings(workdir, environments={"local": local_environment(markers),
                                             "hold": local_environment(markers)}, markers=markers)
    running = new_service(workdir, config, workers=2).start()
    yield running
    running.stop()


def client_env(service: RunningService, role: str | None = "operator", **extra: str) -> dict[str, str]:
    env = {key: value for key, value in service_env().items() if not key.startswith("ACSIBLE_")}
    env["ACSIBLE_URL"] = service.url
    if role is not None:
        env["ACSIBLE_TOKEN"] = service.tokens[role]
    env.update(extra)
    return env


def client(service: RunningService, *args: str, role: str | None = "operator", stdin: str | None = None,
           timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web", "client", *args], cwd=ROOT, capture_output=True, text=True,
                          env=client_env(service, role, **extra), input=stdin, timeout=timeout)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(service, monkeypatch, capsys):
    """The client in this process (`main(argv)`), still over real HTTP: quicker than a new interpreter."""

    def call(*args: str, role: str | None = "operator", **extra: str) -> Done:
        for key in [key for key in os.environ if key.startswith("ACSIBLE_")]:
            monkeypatch.delenv(key)
        for key, value in client_env(service, role, **extra).items():
            if key.startswith("ACSIBLE_"):
                monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return call


def vars_file(tmp_path: Path, data: dict, name: str = "vars.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_submit_and_follow_a_successful_job(service, tmp_path):
    done = client(service, "submit", "ok", "--env", "local", "--vars",
                  vars_file(tmp_path, {"message": "hello from the client"}), "--follow")
    assert done.returncode == EXIT_OK, done.stderr
    assert "msg: hello from the client" in done.stdout and "PLAY RECAP" in done.stdout
    # Progress on stderr: the play and task as they start, the hosts' counts, then the result.
    assert "play: Say something | task: Print the message | hosts ok=0 changed=0 failed=0" in done.stderr
    assert "task: Return the message | hosts ok=1 changed=0 failed=0" in done.stderr
    assert "successful (rc 0)" in done.stderr and "localhost: ok=2 changed=0 failed=0" in done.stderr


def test_a_failed_job_exits_1_with_progress_on_a_terminal(service):
    """stderr is a terminal here: the progress is one line, redrawn in place."""
    leader, follower = pty.openpty()
    received: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-m", "web", "client", "submit", "fail", "--env", "local", "--follow"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, text=True,
                              env=client_env(service), timeout=120)
    finally:
        os.close(follower)
        reader.join(10)
        os.close(leader)
    terminal = b"".join(received).decode()
    assert done.returncode == EXIT_FAILED, terminal
    assert "failing on purpose" in done.stdout
    assert "\r\x1b[K" in terminal and "task: Fail on purpose | hosts ok=0 changed=0 failed=1" in terminal
    assert "failed (rc 2)" in terminal and "localhost: ok=0 changed=0 failed=1" in terminal
    assert "-- job #" not in terminal  # the line-per-task form is for logs, not terminals


def test_a_canceled_job_exits_3(service, run):
    submitted = client(service, "submit", "sleep", "--env", "hold", "--vars", "-", stdin="seconds: 60\n")
    assert submitted.returncode == EXIT_OK, submitted.stderr
    job_id = submitted.stdout.strip()
    follower = subprocess.Popen([sys.executable, "-m", "web", "client", "logs", job_id, "--follow"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=client_env(service, "viewer"))
    try:
        api = service.api()
        deadline = time.monotonic() + 60
        while not any(event["task"] == "Sleep for a while" for event in api.all_events(job_id)):
            assert time.monotonic() < deadline, "the sleep task did not start"
            time.sleep(0.1)
        running = run("status", job_id)
        assert running.returncode == EXIT_UNFINISHED and "status:      running" in running.stdout
        canceled = run("cancel", job_id, "--wait")
        assert canceled.returncode == EXIT_CANCELED, canceled.stderr
        assert "cancel asked (canceled)" in canceled.stdout
        out, err = follower.communicate(timeout=60)
    finally:
        follower.kill()
        follower.wait()
    assert follower.returncode == EXIT_CANCELED, err
    assert "TASK [Sleep for a while]" in out
    assert "task: Sleep for a while" in err and "canceled (rc" in err and "SIGINT sent" in err
    assert run("status", job_id).returncode == EXIT_CANCELED
    assert api.call("POST", "/environments/hold/clear", role="operator").status == 200


def test_json_output_parses(service, run, tmp_path):
    variables = vars_file(tmp_path, {"message": "for machines", "count": 2})
    queued = run("submit", "ok", "--env", "local", "--vars", variables, "--json")
    assert queued.returncode == EXIT_OK, queued.stderr
    job = json.loads(queued.stdout)
    assert job["entry"] == "ok" and job["vars"] == {"message": "for machines", "count": 2}
    followed = run("logs", job["id"], "--follow", "--json")
    assert followed.returncode == EXIT_OK
    final = json.loads(followed.stdout)  # only the finished job on stdout
    assert final["id"] == job["id"] and final["status"] == "successful" and final["outputs"] == {
        "echoed": "for machines"}
    status = json.loads(run("status", job["id"], "--json").stdout)
    assert status["summary"]["ok"] == {"localhost": 2}
    listed = json.loads(run("list", "--entry", "ok", "--json", role="viewer").stdout)
    assert job["id"] in [item["id"] for item in listed["items"]]
    events = [json.loads(line) for line in run("logs", job["id"], "--json").stdout.splitlines()]
    assert events[0]["event"] == "playbook_on_start" and events[-1]["event"] == "playbook_on_stats"
    assert [event["counter"] for event in events] == sorted(event["counter"] for event in events)
    text = run("logs", job["id"])
    assert "msg: for machines" in text.stdout
    table = run("list", "--status", "successful", "--limit", "5").stdout.splitlines()
    assert table[0].split() == ["#", "ID", "STATUS", "ENTRY", "ENVIRONMENT", "BY", "SUBMITTED"]
    assert any(job["id"] in line and "successful" in line for line in table[1:])


def test_token_from_a_file_and_the_url_with_its_api_path(service, run, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(service.tokens["viewer"] + "\n")
    done = run("list", "--token-file", str(token_file), "--url", f"{service.url}/api/v1/", role=None)
    assert done.returncode == EXIT_OK, done.stderr
    done = run("list", role=None, ACSIBLE_TOKEN_FILE=str(token_file))
    assert done.returncode == EXIT_OK, done.stderr


def test_refusals_are_reported_with_their_fields(service, run, tmp_path, monkeypatch):
    bad = run("submit", "ok", "--env", "local", "--vars",
                 vars_file(tmp_path, {"count": 99, "nested": {"ansible_host": "x"}}))
    assert bad.returncode == EXIT_SERVICE
    assert "422 Unprocessable Entity" in bad.stderr and "vars.nested.ansible_host: ansible_* keys" in bad.stderr
    schema = run("submit", "ok", "--env", "local", "--vars", vars_file(tmp_path, {"count": 99}))
    assert "vars.count: 99 is greater than the maximum of 10" in schema.stderr
    forbidden = run("submit", "touch", "--env", "local", role="requester")
    assert forbidden.returncode == EXIT_SERVICE and "403 Forbidden" in forbidden.stderr
    assert service.api().call("GET", "/jobs", entry="touch").body["items"] == []
    unknown = run("status", "00000000-0000-4000-8000-000000000000")
    assert unknown.returncode == EXIT_SERVICE and "404 Not Found" in unknown.stderr
    revoked = run("list", role=None, ACSIBLE_TOKEN="acs_" + "x" * 43)
    assert revoked.returncode == EXIT_SERVICE and "401 Unauthorized" in revoked.stderr
    missing = run("list", role=None)
    assert missing.returncode == EXIT_USAGE and "no API token" in missing.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("[1, 2]"))
    not_a_mapping = run("submit", "ok", "--env", "local", "--vars", "-")
    assert not_a_mapping.returncode == EXIT_USAGE and "must hold a mapping" in not_a_mapping.stderr
    nobody = run("list", ACSIBLE_URL=f"http://127.0.0.1:{free_port()}")
    assert nobody.returncode == EXIT_SERVICE and "cannot reach the job service" in nobody.stderr
    assert "Traceback" not in "".join(done.stderr for done in (bad, schema, forbidden, unknown, revoked, missing,
                                                                not_a_mapping, nobody))


def test_a_retried_submit_with_its_key_is_one_job(run):
    key = f"ci-run-{os.getpid()}-{time.time_ns()}"
    first = json.loads(run("submit", "tiny", "--env", "local", "--idempotency-key", key, "--json").stdout)
    again = json.loads(run("submit", "tiny", "--env", "local", "--idempotency-key", key, "--json").stdout)
    assert first["id"] == again["id"]
