"""The JSON API under /api/v1: jobs, their events, output and stream, the catalog and environments."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, UnsupportedMediaType

from .auth import current_identity, identify, require
from .catalog import Entry, Environment
from .config import ServiceConfig
from .db import get_db, open_store
from .errors import BadQuery, FieldErrors
from .exceptions import IdempotencyConflict
from .inputs import NAME, check_schema, check_variables, parse_submission
from .jobs import CANCELED, STATUSES, AuditEntry, EnvironmentState, Event, Job, JobFilter, NewJob
from .openapi import openapi_document

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JOBS_PAGE, JOBS_PAGE_MAX = 50, 200
EVENTS_PAGE, EVENTS_PAGE_MAX = 100, 500
STREAM_POLL = 0.25
PUBLIC_ENDPOINTS = {"api.healthz"}
QUERY_PARAMETERS = {"api.list_jobs": {"status", "entry", "environment", "submitted_by", "limit", "before"},
                    "api.job_events": {"after", "limit"}, "api.job_stream": {"after"}}


def service() -> ServiceConfig:
    return current_app.extensions["acsible"]


def notify_workers() -> None:
    """Wake the in-process workers (if any) instead of letting them find the job at their next poll."""
    pool = current_app.extensions.get("acsible_pool")
    if pool is not None:
        pool.notify()


@bp.before_request
def authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        g.identity = identify(request.headers.get("Authorization"))
    unknown = set(request.args) - QUERY_PARAMETERS.get(request.endpoint or "", set())
    if unknown:  # a misspelt filter must not silently list everything
        raise BadQuery({name[:64]: "is not a parameter of this operation" for name in sorted(unknown)[:20]})


# -- representations --------------------------------------------------------------------------
def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_json(job: Job) -> dict[str, Any]:
    links = {name: url_for(f"api.{endpoint}", job_id=job.id) for name, endpoint in (
        ("self", "get_job"), ("events", "job_events"), ("stdout", "job_stdout"), ("stream", "job_stream"),
        ("cancel", "cancel_job"))}
    return {
        "id": job.id, "number": job.number, "entry": job.entry, "environment": job.environment,
        "vars": job.vars, "status": job.status, "finished": job.finished, "rc": job.rc,
        "created_at": iso(job.created_at), "started_at": iso(job.started_at), "finished_at": iso(job.finished_at),
        "submitted_by": job.submitted_by, "cancel_requested": job.cancel_requested_at is not None,
        "canceled_by": job.canceled_by, "explanation": job.explanation, "summary": job.summary,
        "outputs": job.outputs, "event_count": job.event_count, "links": links,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {"counter": event.counter, "uuid": event.uuid, "event": event.event, "created": event.created,
            "host": event.host, "task": event.task, "stdout": event.stdout, "event_data": event.data}


def entry_json(entry: Entry) -> dict[str, Any]:
    return {"name": entry.name, "description": entry.description, "inputs": entry.inputs,
            "environment_kinds": list(entry.environment_kinds), "timeout": entry.timeout,
            "roles": ["admin", *entry.roles], "self_service": entry.self_service,
            "runnable": entry.allows(current_identity().role)}


def environment_json(environment: Environment, state: EnvironmentState | None) -> dict[str, Any]:
    attention = None
    if state is not None and state.attention_job is not None:
        attention = {"job": state.attention_job, "reason": state.attention_reason,
                     "since": iso(state.attention_since)}
    return {"name": environment.name, "kind": environment.kind, "description": environment.description,
            "running_job": state.running_job if state else None, "needs_attention": attention is not None,
            "attention": attention}


# -- helpers ----------------------------------------------------------------------------------
def read_json_body() -> Any:
    """The request's JSON: 415 for another type, 413 above the limit, 400 for anything not strict JSON."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the request as Content-Type: application/json")
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequest("the request has no body")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except RecursionError as exc:
        raise BadRequest("the JSON body is nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, our own refusals
        raise BadRequest(f"the body is not valid JSON: {str(exc)[:200]}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:64]!r}")
        result[key] = value
    return result


def int_arg(name: str, default: int | None, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,19}", raw) or not low <= int(raw) <= high:
        errors[name] = f"must be a whole number from {low} to {high}"
        return default
    return int(raw)


def visible_job(job_id: str) -> Job:
    """The job, if it exists and the caller may see it (a requester sees only its own): else 404."""
    job = get_db().get_job(job_id) if JOB_ID.match(job_id) else None
    identity = current_identity()
    if job is None or (identity.role == "requester" and job.submitted_by != identity.name):
        raise NotFound(f"no job {job_id[:64]!r}")
    return job


def record(action: str, job: Job | None = None, environment: str | None = None, **detail: Any) -> None:
    identity = current_identity()
    get_db().audit(AuditEntry(at=time.time(), actor=identity.name, role=identity.role, action=action,
                              source=request.remote_addr, job_id=job.id if job else None,
                              environment=environment or (job.environment if job else None), detail=detail))


def accepted(job: Job, replayed: bool = False) -> Response:
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    response.headers["Retry-After"] = "1"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# -- routes -----------------------------------------------------------------------------------
@bp.get("/healthz")
def healthz() -> Response:
    """Is the service up and its store reachable (no token needed)."""
    get_db().ping()
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API, with this deployment's entries and environments."""
    return jsonify(openapi_document(service()))


@bp.get("/catalog")
def catalog() -> Response:
    """The entries jobs can run."""
    entries = service().catalog.entries.values()
    return jsonify({"entries": [entry_json(entry) for entry in entries]})


@bp.get("/environments")
def environments() -> Response:
    """Where jobs run, which job runs there now, and whether one needs attention."""
    states = get_db().environment_states()
    return jsonify({"environments": [environment_json(env, states.get(name))
                                     for name, env in service().environments.items()]})


@bp.post("/environments/<name>/clear")
@require("operator")
def clear_environment(name: str) -> Response:
    """An operator says the environment is fit for jobs again after a job was killed mid-run."""
    return jsonify(environment_json(*clear_attention(name)))


def clear_attention(name: str) -> tuple[Environment, EnvironmentState | None]:
    """Clear an environment's attention flag (audited when it was set); the pages use it too."""
    environment = service().environments.get(name)
    if environment is None:
        raise NotFound(f"no environment {name[:64]!r}")
    before = get_db().environment_states().get(name)
    state = get_db().clear_attention(name)
    if before is not None and before.attention_job is not None:
        record("clear", environment=name, attention_job=before.attention_job, reason=before.attention_reason)
        log.info("environment %s cleared by %s", name, current_identity().name)
        notify_workers()
    return environment, state


@bp.post("/jobs")
@require("requester")
def submit_job() -> Response:
    """Queue a run of a catalog entry on an environment: 202 with the job and its Location."""
    job, created = queue_job(read_json_body(), request.headers.get("Idempotency-Key"))
    return accepted(job, replayed=not created)


def queue_job(body: Any, key: str | None) -> tuple[Job, bool]:
    """Check a job request (shape, entry, role, environment, vars, schema) and queue it: (job, created).

    A reused Idempotency-Key returns the first job with created=False. The pages use it too, so a job
    launched from a form passes exactly the API's checks.
    """
    submission = parse_submission(body)
    entry = service().catalog.entries.get(submission.entry)
    if entry is None:
        raise FieldErrors({"entry": f"no catalog entry named {submission.entry!r}"})
    identity = current_identity()
    if not entry.allows(identity.role):
        raise Forbidden(f"the {identity.role} role may not run {entry.name!r}")
    environment = service().environments.get(submission.environment)
    if environment is None:
        raise FieldErrors({"environment": f"no environment named {submission.environment!r}"})
    if environment.kind not in entry.environment_kinds:
        raise FieldErrors({"environment": f"is of kind {environment.kind!r}; {entry.name!r} runs on "
                                          f"{', '.join(entry.environment_kinds)}"})
    check_variables(submission.vars)
    check_schema(submission.vars, entry.inputs)
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise BadRequest("Idempotency-Key is 1 to 255 visible ASCII characters")
    new = NewJob(id=str(uuid.uuid4()), entry=entry.name, environment=environment.name, vars=submission.vars,
                 submitted_by=identity.name, request_hash=submission.request_hash(), idempotency_key=key)
    try:
        job, created = get_db().create_job(new, time.time(), current_app.config["IDEMPOTENCY_TTL"])
    except IdempotencyConflict as exc:
        raise FieldErrors({"Idempotency-Key": f"was used for job {exc.job_id} with another request"},
                          "the Idempotency-Key was used with another request") from exc
    if created:
        record("submit", job, entry=entry.name, idempotency_key=key, request_hash=job.request_hash)
        log.info("job %s queued: %s on %s by %s", job.id, entry.name, environment.name, identity.name)
        notify_workers()
    return job, created


@bp.get("/jobs")
@require("viewer")
def list_jobs() -> Response:
    """Jobs, newest first, filtered by status, entry, environment or submitter; paged with `before`."""
    errors: dict[str, str] = {}
    limit = int_arg("limit", JOBS_PAGE, 1, JOBS_PAGE_MAX, errors)
    before = int_arg("before", None, 1, 2**62, errors)
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        errors["status"] = f"must be one of {', '.join(STATUSES)}"
    names = {}
    for key in ("entry", "environment", "submitted_by"):
        names[key] = request.args.get(key)
        if names[key] is not None and not NAME.match(names[key]):
            errors[key] = "must be a name"
    if errors:
        raise BadQuery(errors)
    identity = current_identity()
    if identity.role == "requester":
        names["submitted_by"] = identity.name
    jobs = get_db().list_jobs(JobFilter(status=status, **names), limit, before)
    next_before = jobs[-1].number if len(jobs) == limit else None
    return jsonify({"items": [job_json(job) for job in jobs], "next_before": next_before})


@bp.get("/jobs/<job_id>")
@require("viewer")
def get_job(job_id: str) -> Response:
    """One job."""
    return jsonify(job_json(visible_job(job_id)))


@bp.get("/jobs/<job_id>/events")
@require("viewer")
def job_events(job_id: str) -> Response:
    """The job's events after counter `after`; `complete` once the job is over and all are read."""
    job = visible_job(job_id)
    errors: dict[str, str] = {}
    after = int_arg("after", 0, 0, 2**31, errors)
    limit = int_arg("limit", EVENTS_PAGE, 1, EVENTS_PAGE_MAX, errors)
    if errors:
        raise BadQuery(errors)
    assert after is not None and limit is not None
    events = get_db().events(job.id, after, limit)
    next_after = events[-1].counter if events else after
    complete = job.finished and len(events) < limit
    return jsonify({"items": [event_json(event) for event in events], "next_after": next_after,
                    "complete": complete, "status": job.status})


@bp.get("/jobs/<job_id>/stdout")
@require("viewer")
def job_stdout(job_id: str) -> Response:
    """The job's output as text, rebuilt from its events (cut at STDOUT_LIMIT bytes)."""
    job = visible_job(job_id)
    text, cut = get_db().stdout(job.id, current_app.config["STDOUT_LIMIT"])
    response = Response(text, mimetype="text/plain")
    response.headers["X-Job-Status"] = job.status
    response.headers["X-Stdout-Truncated"] = "true" if cut else "false"
    return response


@bp.get("/jobs/<job_id>/stream")
@require("viewer")
def job_stream(job_id: str) -> Response:
    """The job's events as server-sent events (`id:` is the counter; resume with Last-Event-ID)."""
    return event_stream_response(visible_job(job_id))


def event_stream_response(job: Job, named: bool = True) -> Response:
    """The server-sent events of a job from Last-Event-ID (or `after`); 503 when every stream slot is taken.

    `named`: each event's SSE type is its Ansible event name; else they are all `message` (one
    EventSource listener), and the last is always `end`.
    """
    after = _last_event_id()
    slots: threading.BoundedSemaphore = current_app.extensions["acsible_streams"]
    if not slots.acquire(blocking=False):
        raise ServiceUnavailable("too many open streams; poll /events instead")
    stream = _event_stream(current_app.config["STORE"], job.id, after,
                           float(current_app.config["STREAM_HEARTBEAT"]), named)
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(slots.release)
    return response


def _last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID", request.args.get("after", "0"))
    if not re.fullmatch(r"\d{1,10}", raw.strip()):
        raise BadQuery({"Last-Event-ID": "must be an event counter (a whole number)"})
    return int(raw.strip())


def _event_stream(store_url: str, job_id: str, after: int, heartbeat: float, named: bool = True) -> Iterator[str]:
    """Poll the store for new events; end with an `end` event once the job is over and all are sent."""
    store = open_store(store_url)
    try:
        yield "retry: 2000\n\n"
        last_sent = time.monotonic()
        while True:
            events = store.events(job_id, after, EVENTS_PAGE_MAX)
            for event in events:
                after = event.counter
                kind = f"event: {event.event}\n" if named else ""
                yield f"id: {event.counter}\n{kind}data: {json.dumps(event_json(event))}\n\n"
                last_sent = time.monotonic()
            if events:
                continue
            job = store.get_job(job_id)
            if job is None or job.finished:
                if job is not None and store.events(job_id, after, 1):
                    continue  # the last events landed just before the job ended
                status = job.status if job else "gone"
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            if time.monotonic() - last_sent > heartbeat:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            time.sleep(STREAM_POLL)
    finally:
        store.close()


@bp.post("/jobs/<job_id>/cancel")
@require("requester")
def cancel_job(job_id: str) -> Response:
    """Cancel a job: at once while queued; SIGINT, then the process group killed, while running."""
    response = jsonify(job_json(cancel(visible_job(job_id))))
    response.status_code = 202
    return response


def cancel(job: Job) -> Job:
    """Ask a job to stop (audited once); 409 when it already finished otherwise. The pages use it too."""
    if job.finished and job.status != CANCELED:
        raise Conflict(f"the job already finished: {job.status}")
    identity = current_identity()
    updated = get_db().request_cancel(job.id, identity.name, time.time())
    assert updated is not None
    if updated.finished and updated.status != CANCELED:
        raise Conflict(f"the job already finished: {updated.status}")
    if job.cancel_requested_at is None:
        record("cancel", updated, status_when_asked=job.status)
        log.info("job %s: cancel asked by %s while %s", job.id, identity.name, job.status)
    return updated

