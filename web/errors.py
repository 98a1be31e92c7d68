"""One JSON shape for every HTTP error: {code, message, description}, plus `errors` for invalid fields.

As microblog-api's `api/errors.py`. An unexpected exception becomes a plain 500 (the traceback goes to
the service log only); a job store that cannot be reached becomes a 503. Outside /api/ (the pages)
the same errors are shown as a page.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable, UnprocessableEntity

from .db import DATABASE_ERRORS
from .inputs import InputError

log = logging.getLogger(__name__)

bp = Blueprint("errors", __name__)


class FieldErrors(UnprocessableEntity):
    """422 naming each field that is wrong."""

    def __init__(self, errors: dict[str, str], description: str = "the request has invalid fields"):
        super().__init__(description)
        self.errors = errors


class BadQuery(HTTPException):
    """400 naming each query parameter that is wrong."""

    code = 400

    def __init__(self, errors: dict[str, str]):
        super().__init__("the query has invalid parameters")
        self.errors = errors


def error_response(error: HTTPException) -> Response:
    if not request.path.startswith("/api/"):
        from .ui import error_page

        return error_page(error)
    body = {"code": error.code, "message": error.name, "description": error.description}
    errors = getattr(error, "errors", None)
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # keeps Allow (405) and friends
            response.headers[name] = value
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="acsible"'
    return response


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return error_response(error)


@bp.app_errorhandler(InputError)
def input_error(error: InputError) -> Response:
    return error_response(FieldErrors(error.errors, error.message))


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return error_response(error)
    if isinstance(error, DATABASE_ERRORS):
        log.error("job store error: %s", error)
        return error_response(ServiceUnavailable("the job store cannot be reached; try again later"))
    log.exception("unexpected error")
    return error_response(InternalServerError("the service failed to answer; the error is in its log"))
