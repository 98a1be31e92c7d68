"""Fixtures of the job service's tests: flaskr's app/client/runner, tokens per role, in-process workers,
and real `python -m web serve` processes reached over HTTP on loopback."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import free_port
from web import create_app
from web.auth import create_token
from web.db import open_store
from web.jobs import ROLES, TERMINAL
from web.worker import WorkerPool

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CATALOG = HERE / "catalog.yml"
LOCAL_INVENTORY = HERE / "inventories" / "local.yml"
SLOW_INVENTORY = HERE / "inventories" / "slow.py"


def local_environment(markers: Path, inventory: Path = LOCAL_INVENTORY, kind: str = "local") -> dict[str, Any]:
    return {"kind": kind, "description": f"{kind} test environment", "inventory": str(inventory),
            "vars": {"marker_dir": str(markers)}}


def settings(tmp: Path, environments: dict[str, Any] | None = None, markers: Path | None = None,
             **extra: Any) -> dict[str, Any]:
    """A test configuration: everything in `tmp`, short grace and poll intervals."""
    markers = markers or tmp / "markers"
    markers.mkdir(parents=True, exist_ok=True)
    return {
        "TESTING": True,
        "SECRET_KEY": secrets.token_hex(32),
        "STORE": f"sqlite:///{tmp / 'jobs.db'}",
        "CATALOG": str(CATALOG),
        "RUN_DIR": str(tmp / "runs"),
        "ENVIRONMENTS": environments or {"local": local_environment(markers),
                                         "slow": local_environment(markers, SLOW_INVENTORY)},
        "WORKERS": 2,
        "CANCEL_GRACE": 2.0,
        "POLL_INTERVAL": 0.1,
        "PEXPECT_TIMEOUT": 0.2,
        "HEARTBEAT_INTERVAL": 1.0,
        "WORKER_TIMEOUT": 10.0,
        **extra,
    }


def make_tokens(store_url: str, secret_key: str) -> dict[str, str]:
    """One token per role, named after it."""
    store = open_store(store_url)
    try:
        store.migrate()
        return {role: create_token(store, secret_key, role, role) for role in ROLES}
    finally:
        store.close()


# -- a client for both transports --------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    text: str

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:500]!r})"


@dataclass
class ApiActions:
    """Calls of /api/v1 with a role's token; `send` is the transport (Flask test client or requests)."""

    send: Callable[..., Reply]
    tokens: dict[str, str]

    def call(self, method: str, path: str, *, role: str | None = "admin", json_body: Any = None,
             headers: dict[str, str] | None = None, **params: Any) -> Reply:
        sent = dict(headers or {})
        if role is not None:
            sent["Authorization"] = f"Bearer {self.tokens[role]}"
        return self.send(method, f"/api/v1{path}", json_body=json_body, headers=sent, params=params)

    def submit(self, entry: str, environment: str = "local", variables: dict | None = None, *,
               role: str = "admin", key: str | None = None) -> Reply:
        body: dict[str, Any] = {"entry": entry, "environment": environment}
        if variables is not None:
            body["vars"] = variables
        headers = {"Idempotency-Key": key} if key else None
        return self.call("POST", "/jobs", role=role, json_body=body, headers=headers)

    def start(self, entry: str, environment: str = "local", variables: dict | None = None, **kw: Any) -> str:
        reply = self.submit(entry, environment, variables, **kw)
        assert reply.status == 202, reply
        return reply.body["id"]

    def job(self, job_id: str, role: str = "admin") -> dict:
        reply = self.call("GET", f"/jobs/{job_id}", role=role)
        assert reply.status == 200, reply
        return reply.body

    def wait(self, job_id: str, timeout: float = 90.0, until: Callable[[dict], bool] | None = None) -> dict:
        """Poll the job until `until(job)` (default: it finished)."""
        until = until or (lambda job: job["status"] in TERMINAL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if until(job):
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} still {self.job(job_id)['status']} after {timeout}s")

    def cancel(self, job_id: str, role: str = "admin") -> Reply:
        return self.call("POST", f"/jobs/{job_id}/cancel", role=role)

    def events(self, job_id: str, **params: Any) -> Reply:
        return self.call("GET", f"/jobs/{job_id}/events", **params)

    def all_events(self, job_id: str) -> list[dict]:
        items, after = [], 0
        while True:
            page = self.events(job_id, after=after, limit=500).body
            items += page["items"]
            after = page["next_after"]
            if not page["items"]:
                return items

    def stdout(self, job_id: str) -> str:
        reply = self.call("GET", f"/jobs/{job_id}/stdout")
        assert reply.status == 200, reply
        return reply.text

    def environments(self) -> dict[str, dict]:
        return {env["name"]: env for env in self.call("GET", "/environments").body["environments"]}


def flask_transport(client) -> Callable[..., Reply]:
    def send(method: str, path: str, *, json_body: Any = None, headers: dict | None = None,
             params: dict | None = None, data: bytes | None = None) -> Reply:
        response = client.open(path, method=method, json=json_body, headers=headers, query_string=params,
                               data=data)
        text = response.get_data(as_text=True)
        body = response.get_json(silent=True)
        return Reply(response.status_code, dict(response.headers), body, text)

    return send


def http_transport(base_url: str, session: requests.Session | None = None) -> Callable[..., Reply]:
    session = session or requests.Session()

    def send(method: str, path: str, *, json_body: Any = None, headers: dict | None = None,
             params: dict | None = None, data: bytes | None = None) -> Reply:
        response = session.request(method, base_url + path, json=json_body, headers=headers, params=params,
                                   data=data, timeout=60)
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status_code, dict(response.headers), body, response.text)

    return send


# -- flaskr-style fixtures ---------------------------------------------------------------------
@pytest.fixture
def config(tmp_path) -> dict[str, Any]:
    return settings(tmp_path)


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tokens(app) -> dict[str, str]:
    return make_tokens(app.config["STORE"], app.config["SECRET_KEY"])


@pytest.fixture
def api(client, tokens) -> ApiActions:
    return ApiActions(flask_transport(client), tokens)


@pytest.fixture
def store(app):
    opened = open_store(app.config["STORE"])
    yield opened
    opened.close()


@pytest.fixture
def workers(app) -> Iterator[WorkerPool]:
    """In-process workers for the app, as `serve` starts them."""
    pool = WorkerPool(app.extensions["acsible"], threads=app.config["WORKERS"], kind="test")
    pool.start()
    app.extensions["acsible_pool"] = pool
    yield pool
    pool.stop()


# -- real service processes --------------------------------------------------------------------
def service_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACSIBLE_WEB_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


@dataclass
class RunningService:
    """A `python -m web serve` (or `worker`) process and how to reach it."""

    workdir: Path
    config_path: Path
    settings: dict[str, Any]
    tokens: dict[str, str]
    port: int
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / f"service-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self) -> ApiActions:
        return ApiActions(http_transport(self.url), self.tokens)

    def start(self, timeout: float = 60.0) -> RunningService:
        command = [sys.executable, "-m", "web", "serve", "--listen", f"127.0.0.1:{self.port}",
                   "--config", str(self.config_path), *self.args]
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                            env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/api/v1/healthz", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the service did not answer: {self.log_path.read_text()[-3000:]}")

    def stop(self, timeout: float = 60.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text()


def write_config(path: Path, config: dict[str, Any], secret_key_in_file: bool = True) -> None:
    left_out = {"TESTING"} | (set() if secret_key_in_file else {"SECRET_KEY"})
    written = {key: value for key, value in config.items() if key not in left_out}
    path.write_text(yaml.safe_dump(written))
    path.chmod(0o600)


def new_service(workdir: Path, config: dict[str, Any], *, workers: int = 4, args: list[str] | None = None,
                env: dict[str, str] | None = None, config_dir: Path | None = None,
                secret_key_in_env: bool = False, tokens: dict[str, str] | None = None) -> RunningService:
    """A service (not started yet) with its config file, a store holding one token per role."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = (config_dir or workdir) / "web.yml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    write_config(config_path, config, secret_key_in_file=not secret_key_in_env)
    if secret_key_in_env:
        env = {**(env or {}), "ACSIBLE_WEB_SECRET_KEY": config["SECRET_KEY"]}
    tokens = tokens or make_tokens(config["STORE"], config["SECRET_KEY"])
    return RunningService(workdir=workdir, config_path=config_path, settings=config, tokens=tokens,
                          port=free_port(), args=["--workers", str(workers), *(args or [])],
                          env=service_env(env))


@pytest.fixture
def service_factory(tmp_path) -> Iterator[Callable[..., RunningService]]:
    """Start services for one test; all are stopped at its end."""
    started: list[RunningService] = []

    def make(config: dict[str, Any] | None = None, *, name: str = "service", **kw: Any) -> RunningService:
        workdir = tmp_path / name
        service = new_service(workdir, config or settings(workdir), **kw)
        started.append(service)
        return service.start()

    yield make
    for service in started:
        service.stop()


def proc_groups() -> dict[int, int]:
    """pid -> process group of every live process."""
    groups = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                groups[int(entry.name)] = int(fields[2])
    return groups


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# -- one service shared by the real-HTTP tests ---------------------------------------------------
@dataclass
class Shared:
    service: RunningService
    canary: str
    key_path: Path
    markers: Path
    simulator: Any

    def api(self) -> ApiActions:
        return self.service.api()


@pytest.fixture(scope="session")
def shared(tmp_path_factory, simulator) -> Iterator[Shared]:
    """A real `serve` process with 4 workers and environments for several tests: local, slow (a slow
    inventory), hold (for cancel), secretive (canary credentials), sim (the simulator's API)."""
    tmp = tmp_path_factory.mktemp("shared")
    secrets_dir, markers, workdir = tmp / "secrets", tmp / "markers", tmp / "service"
    secrets_dir.mkdir(mode=0o700)
    canary = "canary-" + secrets.token_hex(12)
    key_path = secrets_dir / "id_canary"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "canary key", "-f", str(key_path)],
                   check=True)
    environments = {
        "local": local_environment(markers),
        "slow": local_environment(markers, SLOW_INVENTORY),
        "hold": local_environment(markers),
        "secretive": {**local_environment(markers, kind="secretive"), "secrets": {"canary_secret": canary},
                      "become_password": f"{canary}-become", "ssh_key_file": str(key_path)},
        "sim": {"kind": "cloudstack", "inventory": str(LOCAL_INVENTORY),
                "vars": {"cloudstack_api_url": simulator.url},
                "secrets": {"cloudstack_api_key": simulator.apikey, "cloudstack_api_secret": simulator.secretkey}},
    }
    config = settings(workdir, environments=environments, markers=markers, WORKERS=4)
    service = new_service(workdir, config, workers=4, config_dir=secrets_dir, secret_key_in_env=True)
    service.start()
    yield Shared(service, canary, key_path, markers, simulator)
    service.stop()
