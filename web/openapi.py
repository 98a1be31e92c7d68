"""The OpenAPI 3.1 document of /api/v1, built from this deployment's catalog and environments.

A job request is described entry by entry (`oneOf`), each with the environments it may run on and
its own inputs schema, so a client (or schemathesis) learns exactly what will be accepted.
"""

from __future__ import annotations

from typing import Any

from .config import ServiceConfig
from .jobs import STATUSES

NAME_PATTERN = "^[a-z][a-z0-9_-]{0,63}$"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Malformed request or query", 401: "No valid token", 403: "The role may not do this",
             404: "No such resource", 409: "The job already finished", 413: "The body is too large",
             415: "The body is not JSON", 422: "Invalid fields (named in `errors`)",
             503: "The job store cannot be reached, or too many streams"}
    return {str(code): _json(_ref("Error"), texts[code]) for code in codes}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


JOB_ID_PARAMETER = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "The job's id (a UUID)"}
READ_ERRORS = (401, 403, 404, 503)


def openapi_document(service: ServiceConfig) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "acsible job service", "version": "1",
                 "description": "Runs catalog entries (Ansible playbooks) on server-side environments as jobs."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_schemas(), "JobRequest": _job_request(service)},
        },
    }


def _job_request(service: ServiceConfig) -> dict[str, Any]:
    choices = []
    for entry in service.catalog.entries.values():
        environments = [name for name, env in service.environments.items() if env.kind in entry.environment_kinds]
        if not environments:
            continue
        required = ["entry", "environment"] + (["vars"] if entry.inputs.get("required") else [])
        choices.append({
            "type": "object", "additionalProperties": False, "required": required,
            "properties": {"entry": {"const": entry.name}, "environment": {"enum": environments},
                           "vars": entry.inputs},
        })
    if not choices:
        return {"not": {}}  # nothing can run here
    return {"oneOf": choices}


def _schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object", "required": ["code", "message", "description"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                           "description": {"type": "string"},
                           "errors": {"type": "object", "additionalProperties": {"type": "string"},
                                      "description": "field or parameter -> what is wrong with it"}},
        },
        "Job": {
            "type": "object",
            "required": ["id", "number", "entry", "environment", "vars", "status", "finished", "rc", "created_at",
                         "started_at", "finished_at", "submitted_by", "cancel_requested", "explanation",
                         "summary", "outputs", "event_count", "links"],
            "properties": {
                "id": {"type": "string", "format": "uuid"}, "number": {"type": "integer"},
                "entry": {"type": "string"}, "environment": {"type": "string"}, "vars": {"type": "object"},
                "status": {"enum": list(STATUSES)}, "finished": {"type": "boolean"},
                "rc": {"type": ["integer", "null"]}, "created_at": {"type": "string", "format": "date-time"},
                "started_at": NULLABLE_TIME, "finished_at": NULLABLE_TIME, "submitted_by": {"type": "string"},
                "cancel_requested": {"type": "boolean"}, "canceled_by": NULLABLE_STRING,
                "explanation": NULLABLE_STRING, "summary": {"type": ["object", "null"]},
                "outputs": {"type": ["object", "null"]}, "event_count": {"type": "integer"},
                "links": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "JobPage": {
            "type": "object", "required": ["items", "next_before"],
            "properties": {"items": {"type": "array", "items": _ref("Job")},
                           "next_before": {"type": ["integer", "null"]}},
        },
        "Event": {
            "type": "object", "required": ["counter", "event", "stdout", "event_data"],
            "properties": {"counter": {"type": "integer"}, "uuid": {"type": "string"}, "event": {"type": "string"},
                           "created": {"type": "string"}, "host": NULLABLE_STRING, "task": NULLABLE_STRING,
                           "stdout": {"type": "string"}, "event_data": {"type": "object"}},
        },
        "EventPage": {
            "type": "object", "required": ["items", "next_after", "complete", "status"],
            "properties": {"items": {"type": "array", "items": _ref("Event")}, "next_after": {"type": "integer"},
                           "complete": {"type": "boolean"}, "status": {"enum": list(STATUSES)}},
        },
        "CatalogEntry": {
            "type": "object",
            "required": ["name", "description", "inputs", "environment_kinds", "timeout", "roles", "self_service",
                         "runnable"],
            "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                           "inputs": {"type": "object"},
                           "environment_kinds": {"type": "array", "items": {"type": "string"}},
                           "timeout": {"type": "integer"}, "roles": {"type": "array", "items": {"type": "string"}},
                           "self_service": {"type": "boolean"}, "runnable": {"type": "boolean"}},
        },
        "Environment": {
            "type": "object",
            "required": ["name", "kind", "description", "running_job", "needs_attention", "attention"],
            "properties": {"name": {"type": "string"}, "kind": {"type": "string"}, "description": {"type": "string"},
                           "running_job": NULLABLE_STRING, "needs_attention": {"type": "boolean"},
                           "attention": {"type": ["object", "null"]}},
        },
    }


def _paths() -> dict[str, Any]:
    return {
        "/healthz": {"get": {
            "operationId": "healthz", "summary": "Liveness and store reachability", "security": [],
            "responses": {"200": _json({"type": "object", "required": ["status"],
                                        "properties": {"status": {"const": "ok"}}}, "Up"), **_errors(503)}}},
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1"), **_errors(401, 503)}}},
        "/catalog": {"get": {
            "operationId": "catalog", "summary": "The entries jobs can run",
            "responses": {"200": _json({"type": "object", "required": ["entries"],
                                        "properties": {"entries": {"type": "array", "items": _ref("CatalogEntry")}}},
                                       "The catalog"), **_errors(401, 503)}}},
        "/environments": {"get": {
            "operationId": "environments", "summary": "Where jobs run, and their state",
            "responses": {"200": _json({"type": "object", "required": ["environments"],
                                        "properties": {"environments": {"type": "array",
                                                                        "items": _ref("Environment")}}},
                                       "The environments"), **_errors(401, 503)}}},
        "/environments/{name}/clear": {"post": {
            "operationId": "clearEnvironment", "summary": "Clear an environment's need for attention (operator)",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("Environment"), "Cleared"), **_errors(401, 403, 404, 503)}}},
        "/jobs": {
            "post": {
                "operationId": "submitJob", "summary": "Queue a job",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
                                "description": "Same key and body: the first job again; another body: 422"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("JobRequest")}}},
                "responses": {
                    "202": {**_json(_ref("Job"), "Queued (or the job first queued with this Idempotency-Key)"),
                            "headers": {"Location": {"schema": {"type": "string"}, "required": True}}},
                    **_errors(400, 401, 403, 413, 415, 422, 503)}},
            "get": {
                "operationId": "listJobs", "summary": "Jobs, newest first",
                "parameters": [
                    _query("status", {"enum": list(STATUSES)}, "Only jobs in this state"),
                    _query("entry", {"type": "string", "pattern": NAME_PATTERN}, "Only runs of this entry"),
                    _query("environment", {"type": "string", "pattern": NAME_PATTERN}, "Only on this environment"),
                    _query("submitted_by", {"type": "string", "pattern": NAME_PATTERN}, "Only this token's jobs"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size (50)"),
                    _query("before", {"type": "integer", "minimum": 1, "maximum": 2**62},
                           "Jobs numbered below this (the previous page's next_before)"),
                ],
                "responses": {"200": _json(_ref("JobPage"), "A page of jobs"), **_errors(400, 401, 403, 503)}},
        },
        "/jobs/{job_id}": {"get": {
            "operationId": "getJob", "summary": "One job", "parameters": [JOB_ID_PARAMETER],
            "responses": {"200": _json(_ref("Job"), "The job"), **_errors(*READ_ERRORS)}}},
        "/jobs/{job_id}/events": {"get": {
            "operationId": "jobEvents", "summary": "The job's events after a counter",
            "parameters": [JOB_ID_PARAMETER,
                           _query("after", {"type": "integer", "minimum": 0, "maximum": 2**31},
                                  "Events with a larger counter (the previous page's next_after)"),
                           _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size (100)")],
            "responses": {"200": _json(_ref("EventPage"), "A page of events"), **_errors(400, *READ_ERRORS)}}},
        "/jobs/{job_id}/stdout": {"get": {
            "operationId": "jobStdout", "summary": "The job's output as text", "parameters": [JOB_ID_PARAMETER],
            "responses": {"200": {"description": "The output",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}},
                          **_errors(*READ_ERRORS)}}},
        "/jobs/{job_id}/stream": {"get": {
            "operationId": "jobStream", "summary": "The job's events as server-sent events",
            "parameters": [JOB_ID_PARAMETER,
                           _query("after", {"type": "integer", "minimum": 0, "maximum": 9999999999},
                                  "Resume after this event counter (as Last-Event-ID)"),
                           {"name": "Last-Event-ID", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
                            "description": "Resume after this event counter"}],
            "responses": {"200": {"description": "An event stream, ending with an `end` event",
                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                          **_errors(400, *READ_ERRORS)}}},
        "/jobs/{job_id}/cancel": {"post": {
            "operationId": "cancelJob", "summary": "Cancel a job (idempotent)", "parameters": [JOB_ID_PARAMETER],
            "responses": {"202": _json(_ref("Job"), "Canceled, or asked to stop"),
                          **_errors(401, 403, 404, 409, 503)}}},
    }
