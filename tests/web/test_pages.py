"""The web pages through Flask's test client (no JavaScript, as a browser without it would use them):
sign-in and sessions, CSRF, the launch form made from the schema and its messages, roles, the job
list and job page, environments, error pages and headers."""

from __future__ import annotations

import html
import json
import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from tests.web.conftest import ROOT, ApiActions, make_tokens, settings
from web import create_app
from web.db import open_store
from web.forms import build_fields, place_errors, read_form
from web.inputs import InputError, check_schema


class Page(HTMLParser):
    """What a test needs from a page: its form controls, labels, element ids and visible text."""

    def __init__(self, text: str):
        super().__init__()
        self.controls: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}
        self.ids: set[str] = set()
        self.links: list[str] = []
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._skip = 0
        self.words: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append({"tag": tag, **found})
        if tag == "label":
            self._label_for, self._label_text = found.get("for"), []
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        if tag in ("script", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._label_for is not None:
            self._label_text.append(data)
        if not self._skip:
            self.words.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())

    def control(self, name: str) -> dict[str, Any]:
        return next(control for control in self.controls if control.get("name") == name)


def csrf_of(text: str) -> str:
    return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', text).group(1))


class Pages:
    """A browser without JavaScript: the Flask test client, signed in with one role's token."""

    def __init__(self, client, tokens: dict[str, str]):
        self.client, self.tokens = client, tokens
        self.csrf = ""

    def sign_in(self, role: str = "admin", next_path: str = "") -> Any:
        self.csrf = csrf_of(self.client.get("/signin").get_data(as_text=True))
        response = self.client.post("/signin", data={"token": self.tokens[role], "csrf_token": self.csrf,
                                                      "next": next_path})
        assert response.status_code == 303, response.get_data(as_text=True)
        self.csrf = csrf_of(self.client.get("/jobs").get_data(as_text=True))
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, query_string=params or None)

    def page(self, path: str, expect: int = 200, **params: Any) -> Page:
        response = self.get(path, **params)
        assert response.status_code == expect, response.get_data(as_text=True)[:2000]
        return Page(response.get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: str | None = None) -> Any:
        form = MultiDict(data or {})
        form["csrf_token"] = self.csrf if csrf is None else csrf
        return self.client.post(path, data=form)


@pytest.fixture
def pages(client, tokens) -> Pages:
    return Pages(client, tokens)


def other_pages(app, tokens, role: str) -> Pages:
    signed = Pages(app.test_client(), tokens)
    signed.sign_in(role)
    return signed


def wait_finished(api: ApiActions, job_id: str) -> dict:
    return api.wait(job_id, timeout=90)


# -- signing in --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/jobs", "/launch", "/launch/ok", "/environments",
                                  "/jobs/00000000-0000-4000-8000-000000000000"])
def test_pages_need_a_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_sign_in_with_a_token_then_out(pages, client, tokens):
    page = pages.page("/signin")
    assert page.labels["token"] == "API token" and page.control("token")["type"] == "password"
    csrf = csrf_of(client.get("/signin").get_data(as_text=True))
    refused = client.post("/signin", data={"token": "acs_" + "x" * 43, "csrf_token": csrf})
    assert refused.status_code == 401 and "unknown or was revoked" in Page(refused.get_data(as_text=True)).text
    empty = client.post("/signin", data={"token": "", "csrf_token": csrf})
    assert empty.status_code == 401 and "Enter an API token" in Page(empty.get_data(as_text=True)).text
    response = pages.sign_in("operator", next_path="/environments")
    assert response.headers["Location"] == "/environments"
    cookie = response.headers["Set-Cookie"]
    assert "acsible_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert tokens["operator"] not in cookie
    assert "Signed in as operator (operator)" in pages.page("/jobs").text
    out = pages.post("/signout")
    assert out.status_code == 303 and out.headers["Location"] == "/signin"
    assert pages.get("/jobs").status_code == 302


@pytest.mark.parametrize("target", ["//elsewhere.invalid/x", "https://elsewhere.invalid/", "/\\elsewhere",
                                    "jobs"])
def test_sign_in_only_follows_paths_of_this_site(pages, target):
    assert pages.sign_in(next_path=target).headers["Location"] == "/jobs"


def test_a_revoked_token_ends_the_session(pages, store):
    pages.sign_in("viewer")
    assert pages.get("/jobs").status_code == 200
    store.revoke_token("viewer", time.time())
    response = pages.get("/jobs")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    assert "revoked" in pages.page("/signin").text


def test_the_api_takes_bearer_tokens_only(pages):
    pages.sign_in("admin")
    response = pages.client.get("/api/v1/jobs")
    assert response.status_code == 401 and response.get_json()["code"] == 401
    response = pages.client.post("/api/v1/jobs", json={"entry": "ok", "environment": "local"})
    assert response.status_code == 401


# -- CSRF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/launch/ok", "/environments/local/clear", "/signout",
                                  "/jobs/00000000-0000-4000-8000-000000000000/cancel"])
def test_posts_without_the_session_csrf_token_are_refused(pages, store, path):
    pages.sign_in("admin")
    for csrf in ("", "forged", csrf_of(Pages(pages.client.application.test_client(), {}).client
                                       .get("/signin").get_data(as_text=True))):
        response = pages.post(path, {"environment": "local", "vars.message": "x"}, csrf=csrf)
        assert response.status_code == 400, path
        assert "form has expired" in Page(response.get_data(as_text=True)).text
    assert store.count_jobs() == 0
    assert pages.get("/jobs").status_code == 200  # still signed in


def test_sign_in_needs_the_csrf_token_too(client, tokens):
    client.get("/signin")
    response = client.post("/signin", data={"token": tokens["admin"]})
    assert response.status_code == 400
    assert client.get("/jobs").status_code == 302


# -- the launch form ------------------------------------------------------------------------------
def test_the_launch_form_is_made_from_the_schema(pages):
    pages.sign_in("admin")
    page = pages.page("/launch/ok")
    for control in page.controls:  # every control has a label
        assert page.labels.get(control["id"]), control
    assert page.control("environment")["tag"] == "select"
    message = page.control("vars.message")
    assert message["type"] == "text" and message["maxlength"] == "200"
    count = page.control("vars.count")
    assert (count["type"], count["min"], count["max"], count["step"]) == ("number", "0", "10", "1")
    assert page.control("vars.tags")["tag"] == "textarea"
    assert page.control("vars.options.flag")["tag"] == "select"  # an optional boolean: unset, yes or no
    assert page.labels[page.control("vars.options.note")["id"]] == "note"
    zone = pages.page("/launch/zone")
    assert zone.labels[zone.control("vars.zone_name")["id"]] == "zone_name (required)"
    assert zone.control("vars.zone_name")["aria-required"] == "true"
    assert zone.control("vars.zone_network_type")["tag"] == "select"
    no_inputs = pages.page("/launch/tiny")
    assert "This entry takes no inputs." in no_inputs.text


def test_bad_input_is_shown_next_to_its_field_and_nothing_runs(pages, store, api):
    pages.sign_in("operator")
    response = pages.post("/launch/ok", {"environment": "local", "vars.count": "99", "vars.message": "x" * 201,
                                         "vars.tags": "fine\n" + "y" * 21, "vars.options.note": "{{ 7*7 }}"})
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    count = page.control("vars.count")
    assert count["aria-invalid"] == "true" and count["value"] == "99"  # the post is shown again as sent
    assert f"{count['id']}-error" in count["aria-describedby"].split()
    assert "99 is greater than the maximum of 10" in page.text
    assert "is too long" in page.text and "line 2:" in page.text
    assert "template markers" in page.text
    assert "The job was not launched: fix these problems" in page.text
    assert f"#{count['id']}" in page.links  # the summary links to the field
    # The API says the same about the same values: the form goes through the same checks.
    reply = api.submit("ok", "local", {"count": 99}, role="operator")
    assert reply.status == 422 and reply.body["errors"]["vars.count"] in page.text
    not_a_number = Page(pages.post("/launch/ok", {"environment": "local", "vars.count": "many"})
                        .get_data(as_text=True))
    assert "must be a whole number" in not_a_number.text
    no_environment = Page(pages.post("/launch/ok", {"vars.count": "1"}).get_data(as_text=True))
    assert no_environment.control("environment")["aria-invalid"] == "true" and "is required" in no_environment.text
    assert store.count_jobs() == 0  # the API call above was refused too


def test_launch_from_the_form_runs_the_job_and_its_page_shows_it(pages, api, store, workers):
    pages.sign_in("admin")
    form = {"environment": "local", "vars.message": "hello from the form", "vars.count": "3",
            "vars.tags": "a\nb", "vars.options.flag": "true", "idempotency_key": "form-test-1"}
    response = pages.post("/launch/ok", form)
    assert response.status_code == 303
    job_path = response.headers["Location"]
    job_id = job_path.rsplit("/", 1)[1]
    assert pages.post("/launch/ok", form).headers["Location"] == job_path  # a double submit is one job
    assert store.count_jobs() == 1
    job = wait_finished(api, job_id)
    assert job["status"] == "successful"
    assert job["vars"] == {"message": "hello from the form", "count": 3, "tags": ["a", "b"],
                           "options": {"flag": True}}
    page = pages.page(job_path)
    assert "Status: successful" in page.text
    assert "msg: hello from the form" in page.text and "PLAY RECAP" in page.text
    assert re.search(r"From the play recap Host ok changed failed unreachable skipped rescued ignored "
                     r"localhost 2 0 0 0 0 0 0", page.text), page.text
    assert "Print the message" in page.text and "Return the message" in page.text  # the timeline's tasks
    assert '"echoed": "hello from the form"' in page.text
    submits = [entry for entry in store.audit_log(10) if entry.action == "submit"]
    assert [(entry.actor, entry.job_id) for entry in submits] == [("admin", job_id)]
    text = pages.get(f"{job_path}/output.txt")
    assert text.mimetype == "text/plain" and "msg: hello from the form" in text.get_data(as_text=True)


def test_a_failed_job_page_marks_the_host_and_task(pages, api, workers):
    pages.sign_in("operator")
    response = pages.post("/launch/fail", {"environment": "local"})
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    assert wait_finished(api, job_id)["status"] == "failed"
    text = pages.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert re.search(r'<tr class="bad"><th scope="row">localhost</th>', text)
    assert "class=\"bar bar-failed" in text
    assert "failing on purpose" in html.unescape(text)


def test_the_live_stream_of_the_page_is_server_sent_events(pages, api, workers):
    pages.sign_in("viewer")
    job_id = api.start("ok", variables={"message": "streamed"})
    wait_finished(api, job_id)
    response = pages.get(f"/jobs/{job_id}/stream", after=0)
    assert response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    assert "streamed" in body and body.rstrip().endswith('data: {"status": "successful"}')
    assert re.findall(r"^event: (.*)$", body, re.M) == ["end"]  # one listener (`message`) gets every event
    resumed = pages.client.get(f"/jobs/{job_id}/stream", headers={"Last-Event-ID": "3"}).get_data(as_text=True)
    assert re.findall(r"^id: (\d+)$", resumed, re.M)[0] == "4"


# -- roles ----------------------------------------------------------------------------------------
def test_viewers_see_but_neither_launch_nor_cancel_nor_clear(app, tokens, api):
    job_id = api.start("ok")  # stays queued: no workers here
    viewer = other_pages(app, tokens, "viewer")
    assert "/launch" not in viewer.page("/jobs").links
    assert viewer.get("/launch").status_code == 403
    assert "the viewer role may not do this" in Page(viewer.get("/launch/ok").get_data(as_text=True)).text
    assert "Cancel this job" not in viewer.page(f"/jobs/{job_id}").text
    assert viewer.post(f"/jobs/{job_id}/cancel").status_code == 403
    assert viewer.post("/launch/ok", {"environment": "local"}).status_code == 403
    assert viewer.post("/environments/local/clear").status_code == 403
    assert api.job(job_id)["status"] == "queued"


def test_requesters_launch_self_service_entries_and_see_their_own_jobs(app, tokens, api, store):
    theirs = api.start("ok", role="operator")
    requester = other_pages(app, tokens, "requester")
    launch = requester.page("/launch")
    assert "/launch/ok" in launch.links and "/launch/touch" not in launch.links and "/launch/sleep" not in launch.links
    assert requester.get("/launch/touch").status_code == 403
    assert requester.post("/launch/touch", {"environment": "local"}).status_code == 403
    mine = requester.post("/launch/ok", {"environment": "local"}).headers["Location"].rsplit("/", 1)[1]
    listed = requester.page("/jobs")
    assert f"/jobs/{mine}" in listed.links and f"/jobs/{theirs}" not in listed.links
    assert "filter-submitted-by" not in listed.ids  # a requester lists its own jobs only
    assert requester.get(f"/jobs/{theirs}").status_code == 404
    assert requester.post(f"/jobs/{theirs}/cancel").status_code == 404
    assert "Cancel this job" in requester.page(f"/jobs/{mine}").text
    response = requester.post(f"/jobs/{mine}/cancel")
    assert response.status_code == 303
    assert f"Job #{api.job(mine)['number']} is canceled." in requester.page(f"/jobs/{mine}").text
    assert api.job(mine)["status"] == "canceled" and api.job(theirs)["status"] == "queued"
    assert [entry.action for entry in store.audit_log(10)][:2] == ["cancel", "submit"]


def test_operators_clear_an_environment_that_needs_attention(app, tokens, store, api):
    job_id = api.start("ok")
    assert store.claim_job("dead-worker").id == job_id
    assert store.fail_orphan(job_id, "killed in a test", time.time())
    viewer = other_pages(app, tokens, "viewer")
    page = viewer.page("/environments")
    assert "needs attention" in page.text and "killed in a test" in page.text
    assert "Clear local" not in page.text
    operator = other_pages(app, tokens, "operator")
    assert "Clear local: it is fit for jobs" in operator.page("/environments").text
    assert "(needs attention: jobs wait until an operator clears it)" in operator.page("/launch/ok").text
    response = operator.post("/environments/local/clear")
    assert response.status_code == 303 and response.headers["Location"] == "/environments"
    page = operator.page("/environments")
    assert "Environment local is fit for jobs again." in page.text and "needs attention" not in page.text
    cleared = store.audit_log(1)[0]
    assert (cleared.action, cleared.actor, cleared.environment) == ("clear", "operator", "local")
    assert operator.post("/environments/nowhere/clear").status_code == 404


# -- the job list -------------------------------------------------------------------------------
def test_the_job_list_filters_and_refreshes(pages, api):
    first = api.start("ok")
    second = api.start("tiny", role="operator")
    api.cancel(second)
    pages.sign_in("viewer")
    response = pages.get("/jobs")
    text = response.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in text
    page = Page(text)
    assert {f"/jobs/{first}", f"/jobs/{second}"} <= set(page.links)
    assert re.search(r"#2 canceled tiny local operator \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page.text)
    assert re.search(r"#1 queued ok local admin \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC —", page.text)
    canceled = pages.page("/jobs", status="canceled")
    assert f"/jobs/{second}" in canceled.links and f"/jobs/{first}" not in canceled.links
    by_entry = pages.page("/jobs", entry="ok", submitted_by="admin")
    assert f"/jobs/{first}" in by_entry.links and f"/jobs/{second}" not in by_entry.links
    assert "No jobs match these filters." in pages.page("/jobs", environment="slow").text
    paused = pages.get("/jobs", refresh="off").get_data(as_text=True)
    assert "http-equiv" not in paused and "Automatic refresh is paused." in paused
    bad = pages.get("/jobs", status="sleeping")
    assert bad.status_code == 400 and "choose one of queued" in Page(bad.get_data(as_text=True)).text


def test_the_job_list_pages(pages, api, monkeypatch):
    monkeypatch.setattr("web.ui.JOBS_PAGE", 2)
    ids = [api.start("tiny") for _ in range(3)]
    pages.sign_in("viewer")
    first = pages.page("/jobs")
    assert {f"/jobs/{ids[2]}", f"/jobs/{ids[1]}"} <= set(first.links) and f"/jobs/{ids[0]}" not in first.links
    older = next(link for link in first.links if "before=" in link)
    second = pages.page(html.unescape(older))
    assert f"/jobs/{ids[0]}" in second.links and f"/jobs/{ids[2]}" not in second.links


# -- errors and headers ---------------------------------------------------------------------------
def test_errors_outside_the_api_are_pages_and_the_api_keeps_json(pages):
    pages.sign_in("viewer")
    response = pages.get("/nothing-here")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "404 Not Found" in Page(response.get_data(as_text=True)).text
    missing = pages.get("/jobs/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "no job" in Page(missing.get_data(as_text=True)).text
    assert pages.get("/api/v1/nothing").get_json()["code"] == 404


def test_pages_send_security_headers(pages):
    pages.sign_in("viewer")
    response = pages.get("/jobs")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script: the policy allows none
    assert pages.client.get("/static/acsible.css").status_code == 200  # needs no sign-in


# -- the form's conversions ---------------------------------------------------------------------
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["name", "enabled"],
    "properties": {
        "name": {"type": "string", "title": "Zone name", "default": "z1"},
        "enabled": {"type": "boolean"},
        "size": {"type": "number", "minimum": 0},
        "kind": {"enum": ["a", 2, None]},
        "ports": {"type": "array", "items": {"type": "integer", "maximum": 65535}},
        "zones": {"type": "array", "items": {"enum": ["x", "y"]}},
        "extra": {"type": "object"},
        "limits": {"type": "object", "additionalProperties": False, "properties": {"cpu": {"type": "integer"}}},
    },
}


def test_the_form_reads_back_typed_values():
    fields = build_fields(SCHEMA)
    kinds = {field.path: field.kind for top in fields for field in top.walk()}
    assert kinds == {"vars.name": "text", "vars.enabled": "checkbox", "vars.size": "number", "vars.kind": "select",
                     "vars.ports": "lines", "vars.zones": "select", "vars.extra": "json", "vars.limits": "group",
                     "vars.limits.cpu": "integer"}
    assert fields[0].label == "Zone name" and fields[0].value == "z1"
    form = MultiDict([("vars.name", "zone-a"), ("vars.enabled", "true"), ("vars.size", "2.5"),
                      ("vars.kind", "2"), ("vars.ports", "22\n\n443\n"), ("vars.zones", '"y"'),
                      ("vars.zones", '"x"'), ("vars.extra", '{"a": [1]}'), ("vars.limits.cpu", "")])
    values, errors = read_form(fields, form)
    assert errors == {}
    assert values == {"name": "zone-a", "enabled": True, "size": 2.5, "kind": 2, "ports": [22, 443],
                      "zones": ["y", "x"], "extra": {"a": [1]}}
    values, errors = read_form(build_fields(SCHEMA), MultiDict([("vars.kind", '"a"')]))
    assert values == {"enabled": False, "kind": "a"}


def test_the_form_names_what_it_cannot_read_and_places_schema_errors():
    fields = build_fields(SCHEMA)
    form = MultiDict([("vars.size", "NaN"), ("vars.kind", '"forged"'), ("vars.ports", "22\nssh"),
                      ("vars.extra", "{nope"), ("vars.limits.cpu", "1.5")])
    _values, errors = read_form(fields, form)
    assert errors == {"vars.size": "must be a number", "vars.kind": "choose one of the listed values",
                      "vars.ports[1]": "'ssh' is not a number", "vars.extra": errors["vars.extra"],
                      "vars.limits.cpu": "must be a whole number"}
    assert errors["vars.extra"].startswith("is not valid JSON")
    with pytest.raises(InputError) as refused:
        check_schema({"ports": [1, 70000], "name": "n", "enabled": True, "limits": {"cpu": 1, "gpu": 2}}, SCHEMA)
    rest = place_errors(fields, refused.value.errors)
    by_path = {field.path: field for top in fields for field in top.walk()}
    assert by_path["vars.ports"].error == "line 2: 70000 is greater than the maximum of 65535"
    assert rest == {"vars.limits.gpu": "is not an input of this entry"}


def test_every_kind_of_field_renders_labelled_and_posts_back(tmp_path):
    """A catalog entry with every kind of input: each control is labelled, and a post queues the job
    with typed vars."""
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(json.dumps({"project_dir": str(ROOT), "entries": {"kinds": {
        "playbook": "tests/web/playbooks/tiny.yml", "environment_kinds": ["local"], "roles": ["requester"],
        "inputs": SCHEMA}}}))
    app = create_app(settings(tmp_path, CATALOG=str(catalog)))
    signed = Pages(app.test_client(), make_tokens(app.config["STORE"], app.config["SECRET_KEY"]))
    signed.sign_in("requester")
    page = signed.page("/launch/kinds")
    for control in page.controls:
        assert page.labels.get(control["id"]), control
    assert page.control("vars.enabled")["type"] == "checkbox"
    assert "multiple" in page.control("vars.zones")
    assert page.control("vars.extra")["tag"] == "textarea"
    assert page.labels[page.control("vars.name")["id"]] == "Zone name (required)"
    assert page.control("vars.name")["value"] == "z1"  # the schema's default
    response = signed.post("/launch/kinds", {"environment": "local", "vars.name": "z2", "vars.enabled": "true",
                                             "vars.kind": "null", "vars.zones": '"x"', "vars.extra": '{"a": [1, 2]}',
                                             "vars.limits.cpu": "4"})
    assert response.status_code == 303, response.get_data(as_text=True)
    store = open_store(app.config["STORE"])
    try:
        job = store.get_job(response.headers["Location"].rsplit("/", 1)[1])
    finally:
        store.close()
    assert job.vars == {"name": "z2", "enabled": True, "kind": None, "zones": ["x"], "extra": {"a": [1, 2]},
                        "limits": {"cpu": 4}}
