"""A canary secret in an environment's credentials never shows: not in events, stdout, the job, the
store, files left on disk, the service's log, a process's command line or environment."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from web import processes
from web.runner import NO_LOG, SCRUBBED, secret_forms, stored_event

ANSIBLE_TMP = Path.home() / ".ansible" / "tmp"


def files_under(root: Path, newer_than: float = 0.0) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= newer_than:
                found.append(path)
        except OSError:
            continue  # removed while walking (another test's job)
    return found


def holders(paths: list[Path], needles: list[str]) -> list[str]:
    hits = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits += [f"{path}: {needle[:12]}..." for needle in needles if needle.encode() in data]
    return hits


def look_at_running_job(job_id: str, run_dir: Path, needles: list[str]) -> dict[str, bool]:
    """While the playbook sleeps: its processes and private directory."""
    seen = {"processes": False, "mid_run": False}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(seen.values()):
        mid_run = False
        for pid in processes.processes_of(job_id):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            seen["processes"] = True
            mid_run = mid_run or cmdline == b"sleep\x003\x00"  # the playbook's own `sleep 3` task
            for needle in needles:
                assert needle.encode() not in cmdline, f"pid {pid} command line holds a secret"
                assert needle.encode() not in environ, f"pid {pid} environment holds a secret"
        env_dir = run_dir / job_id / "env"
        service_vars = env_dir / "service_vars.yml"
        if mid_run and service_vars.exists():
            seen["mid_run"] = True
            assert stat.S_IMODE(service_vars.stat().st_mode) == 0o600
            assert stat.S_IMODE((run_dir / job_id).stat().st_mode) == 0o700
            # The credentials files went as soon as ansible-runner had read them; only this one holds a secret.
            assert not (env_dir / "passwords").exists() and not (env_dir / "ssh_key").exists()
            assert holders(files_under(run_dir / job_id), needles) == [f"{service_vars}: {needles[0][:12]}..."]
        time.sleep(0.05)
    return seen


def test_canary_secret_never_leaks(shared):
    service, api = shared.service, shared.api()
    key_lines = [line for line in shared.key_path.read_text().splitlines() if "PRIVATE KEY" not in line]
    needles = [shared.canary, *key_lines, service.settings["SECRET_KEY"]]
    started = time.time()
    job_id = api.start("canary", "secretive")
    seen = look_at_running_job(job_id, Path(service.settings["RUN_DIR"]), needles)
    assert seen == {"processes": True, "mid_run": True}
    job = api.wait(job_id)
    assert job["status"] == "successful", api.stdout(job_id)
    # The secret did reach the playbook (this file is the playbook's doing, outside the service).
    assert (shared.markers / "canary-delivered").read_text() == shared.canary

    events = api.all_events(job_id)
    stdout = api.stdout(job_id)
    everything = json.dumps(events) + stdout + json.dumps(job) + json.dumps(api.call("GET", "/jobs").body)
    for needle in needles:
        assert needle not in everything
    assert f"the secret is {SCRUBBED}" in stdout and f"failing with {SCRUBBED}" in stdout  # failed, rescued
    assert "Identity added" in stdout  # the key went through ansible-runner's ssh-agent
    assert job["outputs"] == {"leaked": SCRUBBED}
    kept = [e for e in events if e["task"] == "Keep the secret in a fact (no_log)" and e["event"] == "runner_on_ok"]
    assert kept[0]["event_data"]["res"] == NO_LOG
    shown = [e for e in events if e["task"] == "Show the environment the playbook got" and e["event"] == "runner_on_ok"]
    assert shown[0]["event_data"]["res"]["msg"] == "|"  # the service's own variables did not get through

    service.stop()  # flush the log and the store's WAL before grepping them
    try:
        workdir_files = files_under(service.workdir)
        assert any(path.name == "jobs.db" for path in workdir_files)
        assert any(path.name.startswith("service-") for path in workdir_files)
        assert holders(workdir_files, needles) == []
        assert holders(files_under(ANSIBLE_TMP, started), needles) == []
        assert not (Path(service.settings["RUN_DIR"]) / job_id).exists()
    finally:
        service.start()


def test_scrubbing_drops_no_log_results_and_replaces_known_values():
    secret = 'p@ss"word\\1'
    raw = {"counter": 7, "uuid": "u", "event": "runner_on_ok", "created": "now",
           "stdout": f"ok: {secret}\r\nline2 {json.dumps(secret)}",
           "event_data": {"host": "h", "task": "t", "res": {"msg": f"x{secret}y", secret: [secret]},
                          "task_args": f"password={secret}"}}
    event = stored_event(raw, secret_forms([secret]))
    dumped = json.dumps(event.data) + event.stdout
    assert secret not in dumped and json.dumps(secret)[1:-1] not in dumped
    assert event.stdout == f"ok: {SCRUBBED}\nline2 \"{SCRUBBED}\""
    assert event.data["res"] == {"msg": f"x{SCRUBBED}y", SCRUBBED: [SCRUBBED]}
    hidden = stored_event({**raw, "event_data": {"res": {"censored": "the output has been hidden",
                                                         "_ansible_no_log": True}}}, [])
    assert hidden.data["res"] == NO_LOG
    assert os.environ.get("ACSIBLE_WEB_SECRET_KEY") is None
