"""The app factory, configuration checks, tokens and roles, the error shape, the store's migrations."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time

import pytest

from tests.web.conftest import ApiActions, flask_transport, settings
from web import create_app
from web.__main__ import main
from web.auth import create_token, token_hash
from web.config import load_config
from web.db import open_store
from web.exceptions import ConfigurationError, StoreError
from web.jobs import AuditEntry
from web.migrations import LATEST


def production(tmp_path, **extra):
    config = settings(tmp_path, **extra)
    config["TESTING"] = False
    return config


def test_factory_takes_a_test_config(app):
    assert app.testing
    assert "touch" in app.extensions["acsible"].catalog.entries  # the tests' catalog
    assert set(app.extensions["acsible"].environments) == {"local", "slow"}


@pytest.mark.parametrize("key", [None, "", "dev", "short-key", "changeme"])
def test_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    config = production(tmp_path, SECRET_KEY=key)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(config=config)


def test_refuses_to_start_without_an_api_token(tmp_path):
    with pytest.raises(ConfigurationError, match="no API token"):
        create_app(config=production(tmp_path))


def test_starts_with_a_secret_key_and_a_token(tmp_path):
    config = production(tmp_path)
    store = open_store(config["STORE"])
    store.migrate()
    create_token(store, config["SECRET_KEY"], "ops", "operator")
    store.close()
    assert not create_app(config=config).testing


def test_defaults_work_with_no_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config["STORE"] == f"sqlite:///{tmp_path / 'web-jobs.db'}"
    assert config["RUN_DIR"] == str(tmp_path / "web-runs")
    assert config["CATALOG"].endswith("web/catalog.yml")
    app = create_app({"TESTING": True}, config=config)
    service = app.extensions["acsible"]
    assert set(service.environments) == {"local"}
    selftest = service.catalog.entries["selftest"]
    assert selftest.playbook == "playbooks/selftest.yml" and selftest.inputs["properties"] == {}
    assert selftest.self_service and "local" in selftest.environment_kinds


def test_config_file_paths_are_relative_to_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "web.yml").write_text("STORE: sqlite:///data/jobs.db\nRUN_DIR: runs\nWORKERS: 1\n")
    config = load_config(tmp_path / "etc" / "web.yml")
    assert config["STORE"] == f"sqlite:///{tmp_path / 'etc' / 'data' / 'jobs.db'}"
    assert config["RUN_DIR"] == str(tmp_path / "etc" / "runs")
    assert config["WORKERS"] == 1


def test_config_file_with_an_unknown_setting_is_refused(tmp_path):
    (tmp_path / "web.yml").write_text("WORKRES: 3\n")
    with pytest.raises(ConfigurationError, match="WORKRES"):
        load_config(tmp_path / "web.yml")


def test_environment_variables_override_the_file(tmp_path, monkeypatch):
    (tmp_path / "web.yml").write_text("WORKERS: 1\n")
    monkeypatch.setenv("ACSIBLE_WEB_WORKERS", "3")
    assert load_config(tmp_path / "web.yml")["WORKERS"] == 3


@pytest.mark.parametrize("catalog_text, problem", [
    ("entries: {x: {playbook: ../../../etc/passwd, environment_kinds: [local]}}", "not a file inside"),
    ("entries: {x: {playbook: ok.yml, environment_kinds: [local], inputs: {type: object}}}", "additionalProperties"),
    ("entries: {x: {playbook: ok.yml, environment_kinds: [local], inputs: {type: object, additionalProperties: false,"
     " properties: {ansible_host: {type: string}}}}}", "ansible_"),
    ("entries: {'../x': {playbook: ok.yml, environment_kinds: [local]}}", "names are"),
    ("entries: {x: {playbook: ok.yml, environment_kinds: [local], roles: [viewer]}}", "roles"),
])
def test_bad_catalogs_are_refused(tmp_path, catalog_text, problem):
    (tmp_path / "ok.yml").write_text("- hosts: all\n")
    (tmp_path / "catalog.yml").write_text(catalog_text)
    with pytest.raises(ConfigurationError, match=problem):
        create_app(settings(tmp_path, CATALOG=str(tmp_path / "catalog.yml")))


def test_a_playbook_symlinked_out_of_the_project_is_refused(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "outside.yml").write_text("- hosts: all\n")
    (tmp_path / "project" / "link.yml").symlink_to(tmp_path / "outside.yml")
    (tmp_path / "catalog.yml").write_text(
        "project_dir: project\nentries: {x: {playbook: link.yml, environment_kinds: [local]}}")
    with pytest.raises(ConfigurationError, match="not a file inside"):
        create_app(settings(tmp_path, CATALOG=str(tmp_path / "catalog.yml")))


# -- tokens and roles --------------------------------------------------------------------------
def test_tokens_are_stored_hashed(app, tokens):
    raw = (app.config["STORE"].removeprefix("sqlite:///"))
    with sqlite3.connect(raw) as conn:
        stored = {row[0]: row[1] for row in conn.execute("SELECT name, token_hash FROM tokens")}
    assert stored["admin"] == token_hash(app.config["SECRET_KEY"], tokens["admin"])
    assert tokens["admin"] not in json.dumps(stored)


def test_token_create_prints_the_token_once(tmp_path, capsys):
    config = settings(tmp_path)
    (tmp_path / "web.yml").write_text(json.dumps({k: v for k, v in config.items() if k != "TESTING"}))
    assert main(["token", "create", "--role", "viewer", "--name", "ci-reader", "--config",
                 str(tmp_path / "web.yml")]) == 0
    token = capsys.readouterr().out.strip()
    app = create_app(config)
    api = ApiActions(flask_transport(app.test_client()), {"viewer": token})
    assert api.call("GET", "/catalog", role="viewer").status == 200
    assert main(["token", "list", "--config", str(tmp_path / "web.yml")]) == 0
    listing = capsys.readouterr().out
    assert "ci-reader" in listing and token not in listing
    assert main(["token", "revoke", "ci-reader", "--config", str(tmp_path / "web.yml")]) == 0
    assert api.call("GET", "/catalog", role="viewer").status == 401


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer nope", "Basic YWRtaW46YWRtaW4=",
                                    "Bearer acs_" + "x" * 43, "Token {token}", "Bearer {token} extra"])
def test_requests_without_a_valid_token_get_401(client, tokens, header):
    headers = {} if header is None else {"Authorization": header.format(token=tokens["admin"])}
    response = client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.get_json()) == {"code", "message", "description"}


@pytest.mark.parametrize("header", ["bearer {token}", "BEARER {token}", "  Bearer   {token}  "])
def test_the_bearer_scheme_is_case_and_space_tolerant(client, tokens, header):
    response = client.get("/api/v1/jobs", headers={"Authorization": header.format(token=tokens["viewer"])})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/catalog", "/environments", "/jobs", "/openapi.json"])
def test_everything_but_healthz_needs_a_token(client, path):
    assert client.get(f"/api/v1{path}").status_code == 401


def test_healthz_needs_no_token(client):
    response = client.get("/api/v1/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("role, status", [("viewer", 403), ("requester", 202), ("operator", 202), ("admin", 202)])
def test_who_may_submit_a_self_service_entry(api, role, status):
    assert api.submit("ok", role=role).status == status


@pytest.mark.parametrize("role, status", [("requester", 403), ("operator", 403), ("admin", 202)])
def test_admin_only_entries(api, role, status):
    assert api.submit("touch", role=role).status == status


def test_requesters_see_and_cancel_only_their_own_jobs(api):
    theirs = api.start("ok", role="operator")
    mine = api.start("ok", role="requester")
    listed = api.call("GET", "/jobs", role="requester").body["items"]
    assert [job["id"] for job in listed] == [mine]
    assert api.call("GET", f"/jobs/{theirs}", role="requester").status == 404
    assert api.cancel(theirs, role="requester").status == 404
    assert api.cancel(mine, role="requester").status == 202
    assert api.call("GET", "/jobs", role="viewer").body["items"][1]["id"] == theirs


def test_viewers_cannot_cancel_or_clear(api):
    job = api.start("ok")
    assert api.cancel(job, role="viewer").status == 403
    assert api.call("POST", "/environments/local/clear", role="viewer").status == 403
    assert api.call("POST", "/environments/local/clear", role="requester").status == 403
    assert api.call("POST", "/environments/local/clear", role="operator").status == 200


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/v1/nothing", 404), ("GET", "/api/", 404), ("DELETE", "/api/v1/jobs", 405),
    ("PUT", "/api/v1/catalog", 405), ("GET", "/api/v1/jobs/not-a-uuid", 404),
    ("GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000", 404),
])
def test_every_error_has_one_json_shape(api, method, path, status):
    response = api.send(method, path, headers={"Authorization": f"Bearer {api.tokens['admin']}"})
    assert response.status == status
    assert set(response.body) == {"code", "message", "description"} and response.body["code"] == status
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_a_crash_is_a_plain_500_without_traceback(app, tokens, monkeypatch, caplog):
    def explode(*_args, **_kwargs):
        raise RuntimeError("kaboom in the catalog")

    monkeypatch.setattr("web.api.entry_json", explode)
    response = app.test_client().get("/api/v1/catalog", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "message": "Internal Server Error",
                                   "description": "the service failed to answer; the error is in its log"}
    assert "kaboom" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert "kaboom" in caplog.text


def test_an_unreachable_store_is_a_503(app, tokens, monkeypatch):
    client = app.test_client()
    monkeypatch.setitem(app.config, "STORE", "mysql://nobody:pw@127.0.0.1:1/none")
    response = client.get("/api/v1/healthz")
    assert response.status_code == 503
    assert "cannot be reached" in response.get_json()["description"]
    assert "pw" not in response.get_data(as_text=True)


# -- the store ---------------------------------------------------------------------------------
def test_migrations_are_versioned_and_applied_once(tmp_path, runner):
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    assert store.migrate() == list(range(1, LATEST + 1))
    assert store.migrate() == []
    assert store.schema_version() == LATEST
    store.close()
    result = runner.invoke(args=["migrate"])
    assert f"schema version {LATEST}" in result.output


def test_a_store_newer_than_the_code_is_refused(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    store.migrate()
    store._execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   (LATEST + 1, "from the future", time.time()))
    with pytest.raises(StoreError, match="knows up to"):
        store.migrate()
    store.close()


def test_the_store_file_is_private(app):
    path = app.config["STORE"].removeprefix("sqlite:///")
    import os

    assert os.stat(path).st_mode & 0o077 == 0


def test_audit_log_records_who_did_what(api, store):
    job = api.start("ok", role="requester")
    api.cancel(job, role="operator")
    api.call("POST", "/environments/local/clear", role="operator")  # nothing to clear: not audited
    actions = [(entry.action, entry.actor, entry.job_id) for entry in store.audit_log(10)]
    assert actions == [("cancel", "operator", job), ("submit", "requester", job)]
    assert isinstance(store.audit_log(1)[0], AuditEntry)


def test_secret_key_file_is_created_private(tmp_path, monkeypatch):
    from web.config import ensure_secret_key_file

    monkeypatch.chdir(tmp_path)
    config = load_config()
    ensure_secret_key_file(config)
    key_file = tmp_path / "web-secret-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(config["SECRET_KEY"]) == 64
    assert load_config()["SECRET_KEY"] == config["SECRET_KEY"] == key_file.read_text().strip()
    assert secrets.compare_digest(config["SECRET_KEY"], key_file.read_text().strip())
