"""login and logout: the servlet's session API (ground truth section 4).

These run before any signature check, so they are called by the app directly rather than
through the handler registry; `registerUserKeys`/`getUserKeys` are ordinary commands.
"""

from __future__ import annotations

import secrets
import time

from flask import g, request

from ..app import SESSION_TIMEOUT, Reply
from ..auth import caller_is_enabled, new_session_key, password_matches
from ..errors import ACCOUNT_ERROR, METHOD_NOT_ALLOWED, PARAM_ERROR, ApiError
from ..registry import SimConfig, management_server_id
from ..store import Store


def login(store: Store, config: SimConfig, params: dict[str, str]) -> Reply:
    if request.method != "POST":
        return Reply("Please use HTTP POST to authenticate using this API", METHOD_NOT_ALLOWED)
    username = params.get("username", "")
    domain = find_login_domain(store, params)
    domain_label = domain["id"] if domain else (
        params.get("domainId") or params.get("domainid") or params.get("domain") or "/")
    user = None
    if domain is not None:
        user = store.find_one("user", where=lambda u: u.get("username") == username
                              and u.get("domainid") == domain["id"] and not u.get("_hidden"))
    account, usable = caller_is_enabled(store, user) if user else (None, False)
    if not usable or not password_matches(user.get("_password"), params.get("password", "")):
        raise ApiError(ACCOUNT_ERROR, f"Failed to authenticate user {username} in domain {domain_label}; "
                       "please provide valid credentials", None)

    store.begin()
    old = request.cookies.get("JSESSIONID")
    if old:
        store.delete_session(old)
    sessionkey = new_session_key()
    jsessionid = secrets.token_hex(16).upper()
    store.add_session(sessionkey, jsessionid, user["id"], time.time() + SESSION_TIMEOUT)
    store.commit()
    g.set_cookies = [f"JSESSIONID={jsessionid}; Path=/client; HttpOnly",
                     f"sessionkey={sessionkey};HttpOnly;SameSite=Lax"]
    body = {
        "username": user["username"], "userid": user["id"], "domainid": user["domainid"],
        "timeout": SESSION_TIMEOUT, "account": account["name"], "firstname": user.get("firstname"),
        "lastname": user.get("lastname"), "type": str(account["accounttype"]), "registered": "false",
        "sessionkey": sessionkey, "is2faenabled": "false", "is2faverified": "true", "issuerfor2fa": "cloudstack",
    }
    if account["accounttype"] == 1:
        body["managementserverid"] = management_server_id(config.msid)
    return Reply({"loginresponse": {key: value for key, value in body.items() if value is not None}})


def find_login_domain(store: Store, params: dict[str, str]) -> dict | None:
    """domainId (uuid) wins over domain (a path such as / or /sub/)."""
    domain_id = params.get("domainId") or params.get("domainid")
    if domain_id:
        return store.get("domain", domain_id)
    path = "/" + params.get("domain", "/").strip("/")
    wanted = "ROOT" if path == "/" else "ROOT" + path
    return store.find_one("domain", where=lambda d: d.get("path") == wanted)


def logout(store: Store, config: SimConfig) -> Reply:
    jsessionid = request.cookies.get("JSESSIONID")
    session = store.get_session_by_jsessionid(jsessionid) if jsessionid else None
    if session is None:
        raise ApiError(PARAM_ERROR, "Session not found for the logout process.", None)
    store.begin()
    store.delete_session(jsessionid)
    store.commit()
    g.set_cookies = [f"{name}=; Max-Age=0; Path=/client" for name in request.cookies]
    return Reply({"logoutresponse": {"description": "success"}})
