"""Fixtures shared by every test: a running simulator over real HTTP, and clients for it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from simulator.signing import compute_signature

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class RunningSimulator:
    """A `python -m simulator serve` process and how to reach it."""

    url: str
    integration_url: str
    apikey: str
    secretkey: str
    state: str
    process: subprocess.Popen
    log_path: Path
    request_log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


_TEMPLATE: list[Path] = []


def seeded_template() -> Path:
    """A freshly seeded SQLite state, made once per test process and copied for each new simulator."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="acsible-seed-")) / "state.db"
        subprocess.run([sys.executable, "-m", "simulator", "init-db", "--state", f"sqlite:///{path}"], cwd=ROOT,
                       capture_output=True, text=True, check=True)
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def start_simulator(tmp: Path, *, state: list[str] | None = None, extra: list[str] | None = None,
                    job_delay: float = 0.2, host_up_delay: float = 0.3,
                    systemvm_delay: float = 0.3) -> RunningSimulator:
    """Start a simulator on free loopback ports; `state` defaults to a new SQLite file in `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    if state is None and not (tmp / "state.db").exists():
        shutil.copy(seeded_template(), tmp / "state.db")
    state = state or ["--state", f"sqlite:///{tmp / 'state.db'}"]
    keys = subprocess.run([sys.executable, "-m", "simulator", "admin-keys", *state], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    creds = json.loads(keys.stdout)
    port, iport = free_port(), free_port()
    log_path = tmp / f"simulator-{port}.log"
    request_log = tmp / f"requests-{port}.jsonl"
    cmd = [sys.executable, "-m", "simulator", "serve", "--listen", f"127.0.0.1:{port}",
           "--integration-listen", f"127.0.0.1:{iport}", "--job-delay", str(job_delay),
           "--host-up-delay", str(host_up_delay), "--systemvm-delay", str(systemvm_delay),
           "--request-log", str(request_log), *state, *(extra or [])]
    with open(log_path, "w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port)
    wait_for_port(iport)
    return RunningSimulator(f"http://127.0.0.1:{port}/client/api", f"http://127.0.0.1:{iport}/client/api",
                            creds["apikey"], creds["secretkey"], " ".join(state), process, log_path, request_log)


def sign(params: dict[str, str], apikey: str, secretkey: str, *, version3: bool = True,
         expires_in: timedelta = timedelta(minutes=10)) -> dict[str, str]:
    """Add apiKey, v3 expiry and the signature, by the server's own rules."""
    signed = {**params, "apiKey": apikey}
    if version3:
        signed["signatureVersion"] = "3"
        signed["expires"] = (datetime.now(UTC) + expires_in).strftime("%Y-%m-%dT%H:%M:%S+0000")
    signed["signature"] = compute_signature(signed, secretkey)
    return signed


@dataclass
class ApiResult:
    status: int
    body: dict
    headers: dict

    @property
    def inner(self) -> dict:
        """What is under the single top-level wrapper key."""
        [(_, value)] = self.body.items()
        return value

    @property
    def wrapper(self) -> str:
        [(key, _)] = self.body.items()
        return key


@dataclass
class ApiActions:
    """Signed calls to a running simulator, with helpers for the async job dance."""

    sim: RunningSimulator
    session: requests.Session = field(default_factory=requests.Session)

    def raw(self, command: str, /, *, method: str = "GET", signed: bool = True, **params: str) -> ApiResult:
        payload = {"command": command, "response": "json", **{k: str(v) for k, v in params.items()}}
        if signed:
            payload = sign(payload, self.sim.apikey, self.sim.secretkey)
        if method == "GET":
            response = self.session.get(self.sim.url, params=payload, timeout=30)
        else:
            response = self.session.post(self.sim.url, data=payload, timeout=30)
        return ApiResult(response.status_code, response.json(), dict(response.headers))

    def call(self, command: str, /, **params) -> dict:
        """A successful call's inner body; fails the test on any error status."""
        result = self.raw(command, **params)
        assert result.status == 200, f"{command} {params} -> {result.status} {result.body}"
        return result.inner

    def error(self, command: str, /, **params) -> dict:
        """A call that must fail: its error body (errorcode, cserrorcode, errortext)."""
        result = self.raw(command, **params)
        assert result.status != 200, f"{command} {params} unexpectedly succeeded: {result.body}"
        assert result.inner["errorcode"] == result.status
        return result.inner

    def wait(self, jobid: str, timeout: float = 20.0) -> dict:
        """Poll queryAsyncJobResult until the job is no longer pending; returns the job."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.call("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {jobid} still pending after {timeout}s")

    def run_async(self, command: str, /, **params) -> dict:
        """Queue an async command and wait: its jobresult on success, the test fails otherwise."""
        reply = self.call(command, **params)
        job = self.wait(reply["jobid"])
        assert job["jobstatus"] == 1, f"{command} job failed: {job.get('jobresult')}"
        return job["jobresult"]

    def wait_until(self, predicate, timeout: float = 20.0, interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError("condition not met in time")

    def listing(self, command: str, /, **params) -> list[dict]:
        """Every object of a list command (empty list for the `{}` reply)."""
        inner = self.call(command, **params)
        keys = [key for key in inner if key != "count"]
        return inner[keys[0]] if keys else []

    # -- builders for a small cloud, so tests of one family can stand on the others ------

    def create_zone(self, name: str | None = None, **extra) -> dict:
        params = {"name": name or unique("zone"), "dns1": "198.18.0.53", "internaldns1": "198.18.0.53",
                  "networktype": "Advanced", **extra}
        return self.call("createZone", **params)["zone"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def simulator(tmp_path_factory) -> RunningSimulator:
    """One simulator for the whole session: tests name what they create with `unique()`."""
    sim = start_simulator(tmp_path_factory.mktemp("simulator"))
    yield sim
    sim.stop()


@pytest.fixture
def fresh_simulator(tmp_path) -> RunningSimulator:
    """A simulator of its own, for tests that need an empty cloud or change global behaviour."""
    sim = start_simulator(tmp_path)
    yield sim
    sim.stop()


@pytest.fixture
def api(simulator) -> ApiActions:
    return ApiActions(simulator)


@pytest.fixture
def fresh_api(fresh_simulator) -> ApiActions:
    return ApiActions(fresh_simulator)


@pytest.fixture
def cs_client(simulator):
    """The `cs` library (an outside client) pointed at the shared simulator."""
    from cs import CloudStack

    return CloudStack(endpoint=simulator.url, key=simulator.apikey, secret=simulator.secretkey, timeout=30)


def pytest_configure(config) -> None:
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
