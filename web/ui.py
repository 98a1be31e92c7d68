"""The web pages: sign in with a token, the job list, a job with its live output, the launch forms and
the environments. Server-rendered (Jinja, web/templates), they work without JavaScript except the
live stream of a job's output (web/static/job.js).

A page signs in with an API token once: the session cookie keeps the token's hash, so revoking the
token ends the session. Every form post carries a session-bound CSRF token. The pages go through the
same checks, roles and audit log as the JSON API (`queue_job`, `cancel`, `clear_attention`), which
still takes bearer tokens only.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import BadRequest, Conflict, Forbidden, HTTPException, NotFound

from . import api
from .auth import TOKEN_SHAPE, Identity, token_hash
from .db import get_db
from .errors import FieldErrors
from .forms import build_fields, place_errors, read_form
from .inputs import NAME, InputError, check_schema, check_variables
from .jobs import STATUSES, Job, JobFilter
from .progress import COUNTS, SLOW_SECONDS, SLOW_SHARE, Progress, recap_rows

log = logging.getLogger(__name__)

bp = Blueprint("ui", __name__)

PUBLIC_ENDPOINTS = {"ui.signin", "ui.signin_post"}
JOBS_PAGE = 50
EVENTS_BATCH = 500
LIST_REFRESH = 5  # seconds between two loads of the job list (and of a job page without JavaScript)
SAFE_NEXT = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                           "object-src 'none'")
COUNT_LABELS = {"ok": "ok", "changed": "changed", "failures": "failed", "unreachable": "unreachable",
                "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}


class CsrfError(BadRequest):
    description = "the form has expired or did not come from this site: reload the page and send it again"


# -- session and identity ----------------------------------------------------------------------
def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf")
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        raise CsrfError()


def session_identity() -> Identity | None:
    """Who the session cookie names, if its token is still active."""
    hashed = session.get("token_hash")
    if not isinstance(hashed, str):
        return None
    found = get_db().token_by_hash(hashed)
    return Identity(found.name, found.role) if found is not None else None


def need(role: str) -> Identity:
    identity: Identity = g.identity
    if not identity.at_least(role):
        raise Forbidden(f"the {identity.role} role may not do this (needs {role})")
    return identity


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no `//`) is followed after sign-in."""
    if target and SAFE_NEXT.match(target) and target.rstrip("?") not in ("/signin", "/signout"):
        return target.rstrip("?")
    return url_for("ui.jobs")


@bp.before_request
def authenticate() -> Response | None:
    if request.method == "POST":
        check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    identity = session_identity()
    if identity is None:
        if session.get("token_hash"):
            session.clear()
            flash("Your token was revoked or the session ended: sign in again.", "error")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("ui.signin", next=target))
    g.identity = identity
    return None


@bp.after_app_request
def page_headers(response: Response) -> Response:
    """Security headers on every page (the JSON API's responses are left as they are)."""
    if not request.path.startswith("/api/"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_context_processor
def template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "identity": g.get("identity"), "COUNTS": COUNTS,
            "COUNT_LABELS": COUNT_LABELS, "SLOW_SHARE": SLOW_SHARE, "SLOW_SECONDS": SLOW_SECONDS}


@bp.app_template_filter("when")
def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "—"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.app_template_filter("iso")
def iso(timestamp: float | None) -> str:
    return api.iso(timestamp) or ""


@bp.app_template_filter("seconds")
def seconds(value: float | None) -> str:
    """A duration as people read it: 40 ms, 2.5 s, 12 s, 3 min 05 s, 1 h 02 min."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@bp.app_template_filter("pretty")
def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def duration(job: Job, now: float) -> float | None:
    if job.started_at is None:
        return None
    return (job.finished_at or now) - job.started_at


# -- errors ------------------------------------------------------------------------------------
def error_page(error: HTTPException) -> Response:
    """An HTTP error as a page (for everything outside /api/)."""
    response = Response(render_template("error.html", error=error), status=error.code or 500,
                        mimetype="text/html")
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


# -- sign in and out ---------------------------------------------------------------------------
@bp.get("/signin")
def signin() -> str:
    if session_identity() is not None:
        return redirect(safe_next(request.args.get("next")))  # type: ignore[return-value]
    return render_template("signin.html", next=request.args.get("next", ""), error=None)


@bp.post("/signin")
def signin_post() -> Any:
    token = request.form.get("token", "").strip()
    target = request.form.get("next", "")
    found = None
    if TOKEN_SHAPE.match(token):
        hashed = token_hash(current_app.config["SECRET_KEY"], token)
        found = get_db().token_by_hash(hashed)
    if found is None:
        log.warning("page sign-in refused an unknown or revoked token from %s", request.remote_addr)
        error = "Enter an API token (acs_…)." if not token else "This token is unknown or was revoked."
        return render_template("signin.html", next=target, error=error), 401
    session.clear()  # a new session (and CSRF token) for the signed-in user
    session.permanent = True
    session["token_hash"] = hashed
    csrf_token()
    log.info("%s (%s) signed in to the pages from %s", found.name, found.role, request.remote_addr)
    return redirect(safe_next(target), code=303)


@bp.post("/signout")
def signout() -> Response:
    session.clear()
    flash("You are signed out.", "status")
    return redirect(url_for("ui.signin"), code=303)


# -- jobs --------------------------------------------------------------------------------------
@bp.get("/")
def index() -> Response:
    return redirect(url_for("ui.jobs"))


@bp.get("/jobs")
def jobs() -> Any:
    """The job list, newest first, with filters; it reloads itself unless paused."""
    identity = need("viewer")
    filters = {key: request.args.get(key, "").strip() for key in ("status", "entry", "environment",
                                                                   "submitted_by")}
    errors = {}
    if filters["status"] and filters["status"] not in STATUSES:
        errors["status"] = f"choose one of {', '.join(STATUSES)}"
    for key in ("entry", "environment", "submitted_by"):
        if filters[key] and not NAME.match(filters[key]):
            errors[key] = "is a name: lower-case letters, digits, '-' and '_'"
    before_raw = request.args.get("before", "")
    before = int(before_raw) if re.fullmatch(r"\d{1,18}", before_raw) else None
    if identity.role == "requester":
        filters["submitted_by"] = identity.name
    paused = request.args.get("refresh") == "off"
    found: list[Job] = []
    if not errors:
        where = JobFilter(**{key: value or None for key, value in filters.items()})
        found = get_db().list_jobs(where, JOBS_PAGE, before)
    now = time.time()
    rows = [{"job": job, "duration": duration(job, now)} for job in found]
    query = {key: value for key, value in filters.items() if value and not (key == "submitted_by"
                                                                              and identity.role == "requester")}
    paging = {**query, "refresh": "off"} if paused else query
    older = {**paging, "before": found[-1].number} if len(found) == JOBS_PAGE else None
    service = api.service()
    return render_template(
        "jobs.html", rows=rows, filters=filters, errors=errors, statuses=STATUSES,
        entries=sorted(service.catalog.entries), environments=sorted(service.environments),
        older=older, newer=paging if before else None, paused=paused, refresh=None if paused else LIST_REFRESH,
        every=LIST_REFRESH, query=query,
    ), 400 if errors else 200


def read_events(job_id: str, limit_bytes: int) -> tuple[Progress, str, bool, int]:
    """The job's events so far: their progress, the output (cut at `limit_bytes`), whether it was cut,
    and the last event's counter (where the live stream starts)."""
    progress, parts, size, cut, after = Progress(), [], 0, False, 0
    while True:
        batch = get_db().events(job_id, after, EVENTS_BATCH)
        for event in batch:
            progress.add(api.event_json(event))
            after = event.counter
            if event.stdout and not cut:
                size += len(event.stdout.encode()) + 1
                cut = size > limit_bytes
                if not cut:
                    parts.append(event.stdout + "\n")
        if len(batch) < EVENTS_BATCH:
            return progress, "".join(parts), cut, after


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    """A job: its details, output (live while it runs), per-host recap and task timeline."""
    need("viewer")
    found = api.visible_job(job_id)
    progress, output, cut, after = read_events(found.id, current_app.config["STDOUT_LIMIT"])
    now = time.time()
    tasks = progress.timeline(now=None if found.finished else now)
    span = progress.span()
    recap, from_recap = recap_rows(found.summary, progress)
    entry = api.service().catalog.entries.get(found.entry)
    return render_template(
        "job.html", job=found, entry=entry, output=output.lstrip("\n"), cut=cut, after=after, progress=progress,
        tasks=tasks, span=span, recap=recap, from_recap=from_recap, duration=duration(found, now),
        can_cancel=not found.finished and found.cancel_requested_at is None and g.identity.at_least("requester"),
        refresh=None if found.finished else LIST_REFRESH,
    )


@bp.get("/jobs/<job_id>/stream")
def job_stream(job_id: str) -> Response:
    """The job page's live output: server-sent events (all `message`, then `end`) for EventSource."""
    need("viewer")
    return api.event_stream_response(api.visible_job(job_id), named=False)


@bp.get("/jobs/<job_id>/output.txt")
def job_output(job_id: str) -> Response:
    need("viewer")
    found = api.visible_job(job_id)
    text, _cut = get_db().stdout(found.id, current_app.config["STDOUT_LIMIT"])
    return Response(text, mimetype="text/plain")


@bp.post("/jobs/<job_id>/cancel")
def cancel_job(job_id: str) -> Response:
    need("requester")
    found = api.visible_job(job_id)
    try:
        updated = api.cancel(found)
    except Conflict as exc:
        flash(f"Not canceled: {exc.description}.", "error")
    else:
        if updated.status == "canceled":
            flash(f"Job #{updated.number} is canceled.", "status")
        else:
            flash(f"Job #{updated.number} is stopping: SIGINT sent, its processes are killed if it does not "
                  "stop in time.", "status")
    return redirect(url_for("ui.job", job_id=found.id), code=303)


# -- launching ---------------------------------------------------------------------------------
@bp.get("/launch")
def launch() -> str:
    identity = need("requester")
    service = api.service()
    entries = [entry for entry in service.catalog.entries.values() if entry.allows(identity.role)]
    return render_template("launch.html", entries=entries)


def launch_entry(name: str) -> Any:
    identity = need("requester")
    entry = api.service().catalog.entries.get(name)
    if entry is None:
        raise NotFound(f"no catalog entry named {name[:64]!r}")
    if not entry.allows(identity.role):
        raise Forbidden(f"the {identity.role} role may not run {entry.name!r}")
    return entry


def environment_choices(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    states = get_db().environment_states()
    choices = []
    for name, environment in api.service().environments.items():
        if environment.kind in kinds:
            state = states.get(name)
            choices.append({"name": name, "description": environment.description,
                            "attention": state is not None and state.attention_job is not None})
    return choices


@bp.get("/launch/<name>")
def launch_form(name: str) -> str:
    entry = launch_entry(name)
    return render_template("launch_form.html", entry=entry, fields=build_fields(entry.inputs),
                           environments=environment_choices(entry.environment_kinds),
                           chosen=request.args.get("environment", ""), environment_error=None, general={},
                           key=f"form-{uuid.uuid4()}")


@bp.post("/launch/<name>")
def launch_post(name: str) -> Any:
    """Check the form as POST /api/v1/jobs checks a body; the job page on success, else the form with
    each problem next to its field."""
    entry = launch_entry(name)
    fields = build_fields(entry.inputs)
    variables, errors = read_form(fields, request.form)
    environment = request.form.get("environment", "")
    key = request.form.get("idempotency_key") or None
    for check in (check_variables, lambda values: check_schema(values, entry.inputs)):
        try:  # every problem at once (the API stops at the first kind), then the API's own checks
            check(variables)
        except InputError as exc:
            for path, problem in exc.errors.items():
                errors.setdefault(path, problem)
    if not errors:
        try:
            created_job, created = api.queue_job({"entry": entry.name, "environment": environment,
                                                  "vars": variables}, key)
        except (InputError, FieldErrors) as exc:
            errors = dict(exc.errors)
        else:
            if created:
                flash(f"Job #{created_job.number} is queued.", "status")
            return redirect(url_for("ui.job", job_id=created_job.id), code=303)
    environment_error = errors.pop("environment", None)
    if not environment:
        environment_error = "is required"
    general = place_errors(fields, errors)
    return render_template("launch_form.html", entry=entry, fields=fields,
                           environments=environment_choices(entry.environment_kinds), chosen=environment,
                           environment_error=environment_error, general=general,
                           key=key or f"form-{uuid.uuid4()}"), 422


# -- environments ------------------------------------------------------------------------------
@bp.get("/environments")
def environments() -> str:
    need("viewer")
    states = get_db().environment_states()
    rows = []
    for name, environment in api.service().environments.items():
        state = states.get(name)
        rows.append({"environment": environment, "running": state.running_job if state else None,
                     "attention": state if state is not None and state.attention_job else None})
    return render_template("environments.html", rows=rows)


@bp.post("/environments/<name>/clear")
def clear_environment(name: str) -> Response:
    need("operator")
    environment, _state = api.clear_attention(name)
    flash(f"Environment {environment.name} is fit for jobs again.", "status")
    return redirect(url_for("ui.environments"), code=303)
