"""The attack list (anchors-job-service.md part c): each request is refused with a 4xx and nothing runs.

Workers are running during every attack, so anything accepted would really run: afterwards the
store holds no job and no marker file exists (the payloads would create one if executed).
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import make_tokens, settings
from web import create_app
from web.db import open_store
from web.worker import WorkerPool

MARKER = "PWNED-MARKER"  # replaced by a path in the test's tmp dir


@dataclass
class Attack:
    name: str
    body: Any = None                  # JSON body (dict) or raw bytes
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    role: str = "admin"
    method: str = "POST"
    path: str = "/api/v1/jobs"
    status: int | tuple[int, ...] = 422
    field: str | None = None          # the field the error must name


def job(vars_: dict | None = None, entry: str = "ok", environment: str = "local") -> dict:
    body: dict[str, Any] = {"entry": entry, "environment": environment}
    if vars_ is not None:
        body["vars"] = vars_
    return body


PIPE = "{{ lookup('pipe', 'touch " + MARKER + "') }}"

ATTACKS = [
    # entry names: never a path, only a catalog key
    Attack("traversal", job(entry="../../etc/passwd"), field="entry"),
    Attack("absolute path", job(entry="/etc/passwd"), field="entry"),
    Attack("encoded traversal", job(entry="%2e%2e%2f"), field="entry"),
    Attack("a playbook file not in the catalog", job(entry="tests/web/playbooks/touch.yml"), field="entry"),
    Attack("the playbook's file name", job(entry="touch.yml"), field="entry"),
    Attack("unknown entry", job(entry="deploy"), field="entry"),
    Attack("unicode look-alike", job(entry="\u043ek"), field="entry"),  # Cyrillic o + k
    Attack("empty entry", job(entry=""), field="entry"),
    Attack("10 KB entry", job(entry="a" * 10_000), field="entry"),
    Attack("entry of another type", job(entry=["ok"]), field="entry"),
    Attack("environment traversal", job(environment="../local"), field="environment"),
    Attack("unknown environment", job(environment="prod"), field="environment"),
    # variables that change where and how Ansible runs
    Attack("ansible_connection", job({"ansible_connection": "local"}), field="vars.ansible_connection"),
    Attack("ProxyCommand", job({"ansible_ssh_common_args": f"-o ProxyCommand=touch {MARKER}"}),
           field="vars.ansible_ssh_common_args"),
    Attack("interpreter", job({"ansible_python_interpreter": "/bin/sh"}), field="vars.ansible_python_interpreter"),
    Attack("become_exe", job({"ansible_become_exe": f"touch {MARKER}"}), field="vars.ansible_become_exe"),
    Attack("upper-case ansible_", job({"ANSIBLE_HOST": "evil"}), field="vars.ANSIBLE_HOST"),
    Attack("hostvars", job({"hostvars": {}}), field="vars.hostvars"),
    Attack("underscore", job({"_x": 1}), field="vars._x"),
    Attack("key with a space", job({"a b": 1}), field="vars.a b"),
    Attack("service variable", job({"acsible_job_id": "x"}), field="vars.acsible_job_id"),
    Attack("become", job({"become": True}), field="vars.become"),
    Attack("nested ansible_ key", job({"options": {"ansible_host": "x"}}), field="vars.options.ansible_host"),
    Attack("ansible_ key in a list", job({"tags": [{"ansible_connection": "local"}]}),
           field="vars.tags[0].ansible_connection"),
    Attack("deeply nested ansible_", job({"options": {"a": {"b": {"c": {"ansible_shell_executable": "/x"}}}}}),
           field="vars.options.a.b.c.ansible_shell_executable"),
    Attack("value setting an ansible_ variable", job({"message": "x ansible_connection=local"}),
           field="vars.message"),
    # template injection: in values, keys, nested, and wrapped
    Attack("pipe lookup", job({"message": PIPE}), field="vars.message"),
    Attack("raw-wrapped", job({"message": "{% raw %}" + PIPE + "{% endraw %}"}), field="vars.message"),
    Attack("statement", job({"message": "{% for x in lookup('pipe','id') %}{% endfor %}"}), field="vars.message"),
    Attack("comment marker", job({"message": "{# x #}"}), field="vars.message"),
    Attack("template in a list", job({"tags": [PIPE]}), field="vars.tags[0]"),
    Attack("template in a dict", job({"options": {"note": PIPE}}), field="vars.options.note"),
    Attack("template in a key", job({"{{x}}": 1}), field="vars.{{x}}"),
    Attack("template in a nested key", job({"options": {PIPE[:40]: 1}})),
    Attack("template in the entry", job(entry="{{ lookup('pipe','id') }}"), field="entry"),
    # CLI surface: there is none; fields that would be are refused
    Attack("limit field", {**job(), "limit": "all,localhost"}, field="body.limit"),
    Attack("tags field", {**job(), "tags": "x --extra-vars @/etc/shadow"}, field="body.tags"),
    Attack("playbook field", {**job(), "playbook": "../../etc/passwd"}, field="body.playbook"),
    Attack("limit as a variable", job({"limit": "all"}), field="vars.limit"),
    # type and shape
    Attack("number as string", job({"count": "3"}), field="vars.count"),
    Attack("out of range", job({"count": 11}), field="vars.count"),
    Attack("bool as number", job({"options": {"flag": 1}}), field="vars.options.flag"),
    Attack("too many items", job({"tags": ["a"] * 6}), field="vars.tags"),
    Attack("vars not an object", job(["x"]), field="vars"),
    Attack("body not an object", ["ok", "local"], field="body"),
    Attack("1 MB string", job({"message": "x" * 1_000_000}), status=413),
    Attack("10k-element list", job({"tags": ["a"] * 10_000}), status=(413, 422)),
    Attack("nesting depth 1000", raw=b'{"entry":"ok","environment":"local","vars":{"options":'
           + b'{"a":' * 1000 + b"1" + b"}" * 1002, status=(400, 422)),
    Attack("nesting depth 20", job({"options": json.loads('{"a":' * 20 + "1" + "}" * 20)}), field=None),
    Attack("duplicate keys", raw=b'{"entry":"ok","entry":"touch","environment":"local"}', status=400),
    Attack("not JSON", raw=b"entry=ok&environment=local", status=400),
    Attack("text/plain", raw=b'{"entry":"ok","environment":"local"}', headers={"Content-Type": "text/plain"},
           status=415),
    Attack("form encoded", raw=b"entry=ok", headers={"Content-Type": "application/x-www-form-urlencoded"},
           status=415),
    Attack("missing body", raw=b"", status=400),
    Attack("UTF-8 BOM", raw=b'\xef\xbb\xbf{"entry":"ok","environment":"local"}', status=400),
    Attack("NaN", raw=b'{"entry":"ok","environment":"local","vars":{"count":NaN}}', status=400),
    Attack("Infinity", raw=b'{"entry":"ok","environment":"local","vars":{"count":Infinity}}', status=400),
    Attack("invalid UTF-8", raw=b'{"entry":"ok","environment":"local","vars":{"message":"\xff"}}', status=400),
    Attack("NUL in a value", job({"message": "a\u0000b"}), field="vars.message"),
    # who may run what
    Attack("requester runs an admin-only entry", job(entry="touch"), role="requester", status=403),
    Attack("operator runs an admin-only entry", job(entry="touch"), role="operator", status=403),
    Attack("viewer submits", job(), role="viewer", status=403),
    Attack("no token", job(), role="", status=401),
    Attack("entry of another environment kind", job(entry="canary"), field="environment"),
    Attack("bad Idempotency-Key", job(), headers={"Idempotency-Key": "a b"}, status=400),
    # ids in paths
    Attack("job id with globs", method="GET", path="/api/v1/jobs/*", status=404),
    Attack("job id traversal", method="GET", path="/api/v1/jobs/..%2f..%2fetc", status=404),
    Attack("events of a glob", method="GET", path="/api/v1/jobs/*/events", status=404),
    Attack("cancel a glob", method="POST", path="/api/v1/jobs/%2A/cancel", status=404),
    Attack("events after a negative counter", method="GET",
           path="/api/v1/jobs/00000000-0000-4000-8000-000000000000/events?after=-1", status=404),
    Attack("clear an unknown environment", method="POST", path="/api/v1/environments/..%2Flocal/clear",
           status=404),
]


def _prepare(attack: Attack, marker: str) -> tuple[bytes | None, dict[str, str]]:
    headers = dict(attack.headers)
    if attack.raw is not None:
        data = attack.raw.replace(MARKER.encode(), marker.encode())
        headers.setdefault("Content-Type", "application/json")
    elif attack.body is not None:
        data = json.dumps(attack.body).replace(MARKER, marker).encode()
        headers.setdefault("Content-Type", "application/json")
    else:
        data = None
    return data, headers


@dataclass
class Target:
    """One app with running workers for every attack: anything accepted would really run."""

    client: Any
    tokens: dict[str, str]
    store: Any
    tmp: Path


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    app = create_app(settings(tmp))
    pool = WorkerPool(app.extensions["acsible"], threads=2, kind="test")
    pool.start()
    app.extensions["acsible_pool"] = pool
    store = open_store(app.config["STORE"])
    yield Target(app.test_client(), make_tokens(app.config["STORE"], app.config["SECRET_KEY"]), store, tmp)
    store.close()
    pool.stop()


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_attack_is_refused_and_nothing_runs(target, attack):
    marker = str(target.tmp / "pwned")
    data, headers = _prepare(attack, marker)
    if attack.role:
        headers["Authorization"] = f"Bearer {target.tokens[attack.role]}"
    response = target.client.open(attack.path, method=attack.method, data=data, headers=headers)
    expected = attack.status if isinstance(attack.status, tuple) else (attack.status,)
    assert response.status_code in expected, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert {"code", "message", "description"} <= set(body)
    if attack.field is not None:
        assert attack.field in body.get("errors", {}), body
    assert target.store.count_jobs() == 0  # jobs are recorded before a worker can see them


def test_after_all_attacks_nothing_ran(target):
    time.sleep(1.0)  # longer than a worker's poll interval
    assert target.store.count_jobs() == 0
    assert not (target.tmp / "pwned").exists()
    assert list((target.tmp / "markers").iterdir()) == []
    assert not (target.tmp / "runs").exists()


def test_attacks_over_real_http_are_refused(service_factory, tmp_path):
    """What only a real server sees: raw paths, a body larger than the limit, a lying Content-Length."""
    service = service_factory()
    token = service.tokens["admin"]
    requests_ = [
        ("GET", "/api/v1/jobs/../../etc/passwd", None, 404),
        ("GET", "/api/v1/../../../etc/passwd", None, 404),
        ("GET", "/api/v1/jobs/%2e%2e%2f%2e%2e%2fetc", None, 404),
        ("POST", "/api/v1/jobs", b"{" + b'"x":1,' * 20_000 + b'"entry":"ok"}', 413),
        ("POST", "/api/v1/jobs", json.dumps(job({"message": "y" * 100_000})).encode(), 413),
    ]
    for method, path, body, status in requests_:
        conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "X-Forwarded-For": "10.9.9.9"}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read())
        assert response.status == status, (path, payload)
        assert payload["code"] == status
        conn.close()
    jobs = service.api().call("GET", "/jobs").body["items"]
    assert jobs == []
    assert "10.9.9.9" not in service.log()


def test_injected_template_is_never_rendered_even_past_the_api(app, store, tmp_path):
    """Defense in depth: a template string written straight into a job's vars stays a literal."""
    from web.jobs import NewJob
    from web.runner import JobRun, RunSettings

    marker = tmp_path / "rendered"
    payload = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    service = app.extensions["acsible"]
    new = NewJob(id="6f1f9a52-3c55-4a57-9b43-7a9a3e6f0c11", entry="ok", environment="local",
                 vars={"message": payload, "options": {payload: payload}}, submitted_by="test", request_hash="x")
    store.create_job(new, time.time(), 60)
    job = store.claim_job("test-worker")
    settings = RunSettings(store_url=app.config["STORE"], run_dir=service.run_dir,
                           project_dir=service.catalog.project_dir, ansible_config=service.ansible_config,
                           cancel_grace=1.0, pexpect_timeout=0.2)
    outcome = JobRun(job, service.catalog.entries["ok"], service.environments["local"], settings,
                     lambda: None).run()
    assert outcome.status == "successful", outcome
    assert not marker.exists()
    printed = [event for event in store.events(job.id, 0, 100) if event.event == "runner_on_ok"
               and event.task == "Print the message"]
    assert printed[0].data["res"]["msg"] == payload  # printed as it was sent, not evaluated
    store.finish_job(job.id, outcome, time.time())
    assert store.get_job(job.id).outputs == {"echoed": payload}
