"""Who is calling: API keys, passwords and login sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from .store import Store

PBKDF2_ROUNDS = 1000  # the real PBKDF2 encoder's shape; few rounds, since every login pays them


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ROUNDS)
    return f"{base64.b64encode(salt).decode()}:{base64.b64encode(digest).decode()}"


def password_matches(stored: str | None, password: str) -> bool:
    if not stored or ":" not in stored:
        return False
    salt_b64, digest_b64 = stored.split(":", 1)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt_b64), PBKDF2_ROUNDS)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def new_api_key() -> str:
    """Keys look like CloudStack's: 86 url-safe base64 characters."""
    return secrets.token_urlsafe(64)


def new_session_key() -> str:
    """20 random bytes, base64url, as ApiServer.createLoginResponse makes it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(20)).decode().rstrip("=")


def find_user_by_apikey(store: Store, apikey: str) -> dict | None:
    for user in store.find("user", where=lambda u: u.get("apikey") == apikey):
        return user
    return None


def caller_is_enabled(store: Store, user: dict) -> tuple[dict | None, bool]:
    """(account, usable): both the user and its account must be enabled."""
    account = store.get("account", user["accountid"])
    usable = bool(account) and user.get("state") == "enabled" and account.get("state") == "enabled"
    return account, usable


def system_caller(store: Store) -> tuple[dict, dict]:
    """The SYSTEM user and account, as which the integration port runs every call."""
    user = store.find_one("user", where=lambda u: u.get("username") == "system")
    account = store.get("account", user["accountid"])
    return user, account
