"""Job service figures: submit-to-start latency, overhead against plain ansible-runner, events stored
per second, and the service's memory after 500 jobs against after 10.

Prints figures; asserts nothing. The baseline, plain `ansible-runner run` of the same playbook on the
same inventory, is measured in the same run. The service is a real `python -m web serve` process
(SQLite store, 4 in-process workers) on loopback, with a catalog and playbooks of this script's own.

    .venv/bin/python bench/job_service.py [--jobs 500] [--samples 20] [--events 1000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web.auth import create_token  # noqa: E402
from web.db import open_store  # noqa: E402

VENV_BIN = Path(sys.executable).parent
ENVIRONMENTS = ("b1", "b2", "b3", "b4")
TINY = """\
- name: Tiny
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
"""
CHATTY = """\
- name: Chatty
  hosts: all
  gather_facts: false
  tasks:
    - name: Say many things
      ansible.builtin.debug:
        msg: "item {{ item }}"
      loop: "{{ range(items | int) | list }}"
"""
INVENTORY = """\
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


class Service:
    """A `python -m web serve` process with an admin token."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        project = tmp / "project"
        project.mkdir()
        (project / "tiny.yml").write_text(TINY)
        (project / "chatty.yml").write_text(CHATTY)
        (project / "inventory.yml").write_text(INVENTORY)
        inputs = {"type": "object", "additionalProperties": False,
                  "properties": {"items": {"type": "integer", "minimum": 1, "maximum": 100000}}}
        catalog = {"project_dir": "project", "entries": {
            "tiny": {"playbook": "tiny.yml", "environment_kinds": ["local"], "timeout": 600, "roles": []},
            "chatty": {"playbook": "chatty.yml", "environment_kinds": ["local"], "timeout": 3600, "roles": [],
                       "inputs": inputs}}}
        (tmp / "catalog.yml").write_text(yaml.safe_dump(catalog))
        key = secrets.token_hex(32)
        config = {"SECRET_KEY": key, "STORE": f"sqlite:///{tmp / 'jobs.db'}", "CATALOG": str(tmp / "catalog.yml"),
                  "RUN_DIR": str(tmp / "runs"), "WORKERS": 4, "POLL_INTERVAL": 0.5,
                  "ENVIRONMENTS": {name: {"kind": "local", "inventory": str(project / "inventory.yml")}
                                   for name in ENVIRONMENTS}}
        (tmp / "web.yml").write_text(yaml.safe_dump(config))
        store = open_store(config["STORE"])
        store.migrate()
        self.token = create_token(store, key, "bench", "admin")
        store.close()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = open(tmp / "service.log", "w")  # noqa: SIM115 (open for the service's whole life)
        self.process = subprocess.Popen([sys.executable, "-m", "web", "serve", "--listen", f"127.0.0.1:{self.port}",
                                         "--config", str(tmp / "web.yml")], cwd=tmp, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start")

    def submit(self, entry: str, environment: str, variables: dict | None = None) -> str:
        reply = self.session.post(f"{self.url}/jobs", json={"entry": entry, "environment": environment,
                                                            "vars": variables or {}}, timeout=30)
        reply.raise_for_status()
        return reply.json()["id"]

    def wait(self, job_id: str, poll: float = 0.02) -> dict:
        while True:
            job = self.session.get(f"{self.url}/jobs/{job_id}", timeout=30).json()
            if job["finished"]:
                if job["status"] != "successful":
                    raise RuntimeError(f"job {job_id} ended {job['status']}: {job['explanation']}")
                return job
            time.sleep(poll)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)
        self.log.close()


def latency(service: Service, samples: int) -> list[float]:
    """Submit-to-start with the service idle: one job at a time, the next once the last is over."""
    delays = []
    for _ in range(samples):
        job = service.wait(service.submit("tiny", ENVIRONMENTS[0]))
        delays.append(parse(job["started_at"]) - parse(job["created_at"]))
    return delays


def plain_runner(tmp: Path, number: int) -> float:
    """Wall time of `ansible-runner run` on the same playbook and inventory (a new private dir)."""
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
           "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    private = tmp / f"plain-{number}"
    (private / "project").mkdir(parents=True)
    (private / "project" / "tiny.yml").write_text(TINY)
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts.yml").write_text(INVENTORY)
    started = time.perf_counter()
    subprocess.run([str(VENV_BIN / "ansible-runner"), "run", str(private), "-p", "tiny.yml", "--quiet"],
                   env=env, check=True)
    return time.perf_counter() - started


def through_service(service: Service) -> float:
    """Wall time seen by a client: POST to the job reported finished (polling every 50 ms)."""
    started = time.perf_counter()
    service.wait(service.submit("tiny", ENVIRONMENTS[0]), poll=0.05)
    return time.perf_counter() - started


def overhead(service: Service, tmp: Path, runs: int) -> tuple[list[float], list[float]]:
    """Both, one after the other, so that both see the same load on the machine."""
    plain, served = [], []
    for number in range(runs):
        plain.append(plain_runner(tmp, number))
        served.append(through_service(service))
    return plain, served


def job_event_rate(service: Service, items: int) -> tuple[int, float]:
    """An event-heavy job: its events over its run (Ansible's pace: the service has to keep up)."""
    job = service.wait(service.submit("chatty", ENVIRONMENTS[0], {"items": items}))
    return job["event_count"], parse(job["finished_at"]) - parse(job["started_at"])


def store_event_rate(tmp: Path, count: int) -> float:
    """What the event path can store: realistic events through EventWriter (scrub, JSON, SQLite)."""
    from web.runner import EventWriter

    url = f"sqlite:///{tmp / 'events.db'}"
    store = open_store(url)
    store.migrate()
    store.close()
    template = {"uuid": "u", "event": "runner_on_ok", "created": "2026-01-01T00:00:00+00:00", "stdout": "ok: [host]",
                "event_data": {"host": "host", "task": "Say many things", "res": {"msg": "item", "changed": False,
                                                                                  "_ansible_no_log": False}}}
    writer = EventWriter(url, "bench-job", ["a-secret-value"])
    started = time.perf_counter()
    for counter in range(1, count + 1):
        writer.handle({**template, "counter": counter})
    writer.close(timeout=600)
    seconds = time.perf_counter() - started
    store = open_store(url)
    stored = len(store.events("bench-job", 0, count + 1))
    store.close()
    if stored != count:
        raise RuntimeError(f"stored {stored} of {count} events")
    return count / seconds


def run_many(service: Service, count: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: service.submit("tiny", ENVIRONMENTS[n % len(ENVIRONMENTS)]), range(count)))
    for job_id in ids:
        service.wait(job_id, poll=0.2)


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500, help="jobs before the second memory reading")
    parser.add_argument("--samples", type=int, default=20, help="jobs for latency and overhead")
    parser.add_argument("--events", type=int, default=1000, help="loop items of the event-heavy job")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="acsible-bench-") as name:
        tmp = Path(name)
        service = Service(tmp)
        try:
            delays = latency(service, 10)  # the first ten jobs of the service's life
            after_ten = service.rss_mib()
            delays += latency(service, max(0, args.samples - 10))
            print(f"submit-to-start latency (idle service, {len(delays)} jobs)          "
                  f"p50 {quantile(delays, 0.5) * 1000:7.1f} ms   p95 {quantile(delays, 0.95) * 1000:7.1f} ms")

            plain, served = overhead(service, tmp, args.samples)
            base, ours = statistics.median(plain), statistics.median(served)
            print(f"wall time of one tiny playbook (median of {args.samples})            "
                  f"ansible-runner run {base:5.2f} s   through the service {ours:5.2f} s   "
                  f"overhead {ours - base:+.2f} s ({(ours / base - 1) * 100:+.0f}%)")

            capacity = store_event_rate(tmp, args.events * 20)
            count, seconds = job_event_rate(service, args.events)
            print(f"events stored per second                                   {capacity:7.0f} events/s "
                  f"through the event path ({args.events * 20} events); one real job: {count} events in "
                  f"{seconds:.1f} s ({count / seconds:.0f}/s, Ansible's pace)")

            done = len(delays) + len(served) + 1
            run_many(service, max(0, args.jobs - done))
            after_all = service.rss_mib()
            print(f"service memory (RSS)                                       after 10 jobs "
                  f"{after_ten:6.1f} MiB   after {max(done, args.jobs)} jobs {after_all:6.1f} MiB   "
                  f"({after_all - after_ten:+.1f} MiB)")
            errors = (tmp / "service.log").read_text().count(" ERROR ")
            print(f"errors in the service log: {errors}")
        finally:
            service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
