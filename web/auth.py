"""API tokens: made once, stored as an HMAC of SECRET_KEY, sent as `Authorization: Bearer TOKEN`.

Roles, each allowed what the one before it is: viewer (read everything), requester (run the
self-service entries, see and cancel its own jobs), operator (run the entries that list it, cancel any
job, clear an environment), admin (run every entry).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from .db import get_db
from .exceptions import ConfigurationError
from .inputs import NAME
from .jobs import ROLES, JobStore

log = logging.getLogger(__name__)

TOKEN_PREFIX = "acs_"
TOKEN_SHAPE = re.compile(r"^acs_[A-Za-z0-9_-]{43}$")
RANK = {role: rank for rank, role in enumerate(ROLES)}

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Identity:
    name: str
    role: str

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def create_token(store: JobStore, secret_key: str, name: str, role: str) -> str:
    """Store a new token's hash and return the token itself (shown once, never stored)."""
    if role not in ROLES:
        raise ConfigurationError(f"role must be one of {', '.join(ROLES)}")
    if not NAME.match(name):
        raise ConfigurationError("a token name is lower-case letters, digits, '-' and '_' (at most 64)")
    if any(token.name == name for token in store.tokens()):
        raise ConfigurationError(f"a token named {name!r} exists (names are kept after revocation)")
    token = new_token()
    store.add_token(name, role, token_hash(secret_key, token), time.time())
    return token


def has_active_token(store: JobStore) -> bool:
    return any(token.revoked_at is None for token in store.tokens())


def identify(header: str | None) -> Identity:
    """The caller named by an Authorization header; 401 for anything else."""
    if not header:
        raise Unauthorized("send an API token: Authorization: Bearer TOKEN")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not TOKEN_SHAPE.match(token):
        raise Unauthorized("the Authorization header must be: Bearer TOKEN")
    found = get_db().token_by_hash(token_hash(current_app.config["SECRET_KEY"], token))
    if found is None:
        log.warning("refused an unknown or revoked token from %s", request.remote_addr)
        raise Unauthorized("unknown or revoked token")
    return Identity(found.name, found.role)


def current_identity() -> Identity:
    return g.identity


def require(role: str) -> Callable[[F], F]:
    """Let the view run only for callers with at least `role`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            identity = current_identity()
            if not identity.at_least(role):
                raise Forbidden(f"the {identity.role} role may not do this (needs {role})")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
