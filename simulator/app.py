"""The management-server API: `/client/api`, as ApiServlet and ApiServer answer it.

Order of work for a request (the servlet's): read parameters; `login`/`logout`; a session
(JSESSIONID + sessionkey) or a signature; then the command: control characters, parameters,
faults, and either the handler or a queued async job. Every failure leaves as CloudStack's
error envelope with its HTTP status; a simulator bug leaves as a 530, never a trace.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from . import envelopes, jobs
from .auth import caller_is_enabled, find_user_by_apikey, system_caller
from .errors import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    UNAUTHORIZED,
    UNSUPPORTED_ACTION_ERROR,
    ApiError,
)
from .params import check_control_characters, convert, page_window
from .registry import Context, Handler, Query, SimConfig, catalog, cs_date, handlers, render
from .seed import seed_fresh_cloud
from .signing import parse_expires, signature_matches
from .spec import Command
from .store import StateLocation, Store, StorePool, open_store

log = logging.getLogger(__name__)

VERIFY_FAILED = "unable to verify user credentials and/or request signature"
SESSION_FAILED = "unable to verify user credentials"
SESSION_TIMEOUT = 1800  # session.timeout=30 minutes
MAX_BODY = 2 * 1024 * 1024
_READ_ONLY_PREFIXES = ("list", "get", "query", "find", "search", "login", "logout", "readyFor")


@dataclass
class Reply:
    """What the dispatcher sends back: an envelope (or raw text) and the HTTP status."""

    body: dict | str
    status: int = 200
    headers: dict | None = None


def create_app(config: SimConfig, location: StateLocation) -> Flask:
    """The Flask app for one port; `config.integration` makes it the unauthenticated port."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["SIM"] = config
    app.config["STATE"] = location
    app.config["HANDLERS"] = handlers()
    init_state(location)
    app.config["POOL"] = StorePool(location)
    if not config.integration:
        register_management_server(location, config)

    if config.integration:
        # The integration listener serves every path (its handler is registered for "*").
        app.add_url_rule("/", "api", api_view, methods=["GET", "POST"])
        app.add_url_rule("/<path:_any>", "api_any", api_view, methods=["GET", "POST"])
    else:
        app.add_url_rule("/client/api", "api", api_view, methods=["GET", "POST"])
        app.add_url_rule("/client/api/", "api_slash", api_view, methods=["GET", "POST"])
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    app.teardown_appcontext(close_store)
    return app


def init_state(location: StateLocation) -> None:
    """Create the tables and seed a fresh cloud, once per database."""
    store = open_store(location)
    try:
        store.seed_lock(acquire=True)
        store.begin()
        store.create_schema()
        if store.get_meta("seeded") is None:
            seed_fresh_cloud(store, cs_date(time.time()))
            store.set_meta("seeded", cs_date(time.time()))
        store.commit()
        store.seed_lock(acquire=False)
    finally:
        store.close()


def register_management_server(location: StateLocation, config: SimConfig) -> None:
    """Each management server has its mshost row from its start, as the real ones do."""
    from .commands.server import this_management_server  # the mshost rows live with their commands

    store = open_store(location)
    try:
        store.begin()
        this_management_server(Context(store=store, config=config, now=time.time(), user={}, account={}))
        store.commit()
    finally:
        store.close()


def get_store() -> Store:
    if "store" not in g:
        g.store = current_app.config["POOL"].acquire()
    return g.store


def close_store(_exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None:
        current_app.config["POOL"].release(store)


# -- the request ------------------------------------------------------------------------


def api_view(_any: str | None = None) -> Response:
    config: SimConfig = current_app.config["SIM"]
    params = read_params(config)
    response_type = "json" if params.get("response", "").lower() == "json" else "xml"
    try:
        reply = handle(config, params)
    except ApiError as exc:
        get_store().rollback()
        reply = error_reply(params, exc)
    return make_response(reply, response_type, config)


def read_params(config: SimConfig) -> dict[str, str]:
    """First value of each name: the query string, plus the form body on the servlet port."""
    params: dict[str, str] = {}
    sources = [request.args] if config.integration else [request.args, request.form]
    for source in sources:
        for key in source:
            params.setdefault(key, source.get(key, ""))
    return params


def handle(config: SimConfig, params: dict[str, str]) -> Reply:
    store = get_store()
    catalog_handlers: dict[str, Handler] = current_app.config["HANDLERS"]
    advance(store, config, catalog_handlers)
    name = params.get("command")

    if config.integration:
        if not name:
            raise ApiError(UNSUPPORTED_ACTION_ERROR, "Invalid request, no command sent")
        if name in ("login", "logout"):
            return Reply("")
        if name not in catalog_handlers:
            raise ApiError(UNSUPPORTED_ACTION_ERROR, f"Unknown API command: {name}")
        user, account = system_caller(store)
        return run_command(store, config, catalog_handlers[name], params, user, account)

    if name == "login":
        from .commands.session import login
        return login(store, config, params)
    if name == "logout":
        from .commands.session import logout
        return logout(store, config)

    user, account = authenticate(store, config, params, name, catalog_handlers)
    if enforce_post(store, config) and request.method != "POST" and not name.startswith(_READ_ONLY_PREFIXES):
        raise ApiError(BAD_REQUEST, f"State changing command {name} needs to be sent using POST request")
    return run_command(store, config, catalog_handlers[name], params, user, account)


def advance(store: Store, config: SimConfig, catalog_handlers: dict[str, Handler]) -> None:
    """Finish due jobs and timers in a transaction of their own, before the request's."""
    now = time.time()
    if not (store.due_jobs(now) or (store.next_timer_due() or now + 1) <= now):
        store.rollback()
        return
    store.begin()
    try:
        jobs.tick(store, config, now, catalog_handlers)
        store.commit()
    except Exception:
        store.rollback()
        raise


def enforce_post(store: Store, config: SimConfig) -> bool:
    """enforce.post.requests.and.timestamps, new in 4.21."""
    if version_tuple(config.version) < (4, 21):
        return False
    row = store.find_one("configuration", name="enforce.post.requests.and.timestamps")
    return bool(row) and str(row.get("value")).lower() == "true"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def authenticate(store: Store, config: SimConfig, params: dict[str, str], name: str | None,
                 catalog_handlers: dict[str, Handler]) -> tuple[dict, dict]:
    """A live session, else a valid signature; anything else is the servlet's 401."""
    session = session_of(store)
    if session is not None:
        if not session_key_matches(store, config, session, params):
            store.delete_session(session["jsessionid"])
            store.commit()
            raise ApiError(UNAUTHORIZED, SESSION_FAILED, None)
        user = store.get("user", session["userid"])
        account, usable = caller_is_enabled(store, user) if user else (None, False)
        if not usable:
            raise ApiError(UNAUTHORIZED, SESSION_FAILED, None)
        store.touch_session(session["jsessionid"], time.time() + SESSION_TIMEOUT)
        if not name or name not in catalog_handlers or not command_allowed(catalog_handlers[name], user):
            raise ApiError(UNAUTHORIZED, VERIFY_FAILED, None)
        return user, account
    return verify_signature(store, params, name, catalog_handlers)


def session_of(store: Store) -> dict | None:
    jsessionid = request.cookies.get("JSESSIONID")
    if not jsessionid:
        return None
    session = store.get_session_by_jsessionid(jsessionid)
    if session is None or session["expires"] < time.time():
        return None
    return session


def session_key_matches(store: Store, config: SimConfig, session: dict, params: dict[str, str]) -> bool:
    """api.sessionkey.check.locations (4.19.2+, default CookieAndParameter); before it, cookie or parameter."""
    if version_tuple(config.version) < (4, 19, 2):
        mode = "CookieOrParameter"
    else:
        row = store.find_one("configuration", name="api.sessionkey.check.locations")
        mode = (row.get("value") if row else None) or "CookieAndParameter"
    cookie = request.cookies.get("sessionkey")
    param = params.get("sessionkey")
    expected = session["sessionkey"]
    if mode.lower() == "parameteronly":
        return param == expected
    if mode.lower() == "cookieorparameter":
        present = [value for value in (cookie, param) if value is not None]
        return bool(present) and all(value == expected for value in present)
    return cookie == expected and param == expected


def verify_signature(store: Store, params: dict[str, str], name: str | None,
                     catalog_handlers: dict[str, Handler]) -> tuple[dict, dict]:
    """ApiServer.verifyRequest for a request without a session."""
    fail = ApiError(UNAUTHORIZED, VERIFY_FAILED, None)
    if not name or name not in catalog_handlers:
        raise fail
    signature = next((v for k, v in params.items() if k.lower() == "signature"), None)
    apikey = next((v for k, v in params.items() if k.lower() == "apikey"), None)
    if signature is None or apikey is None:
        raise fail
    version = next((v for k, v in params.items() if k.lower() == "signatureversion"), None)
    expires = next((v for k, v in params.items() if k.lower() == "expires"), None)
    enforced = store.find_one("configuration", name="enforce.post.requests.and.timestamps")
    strict = bool(enforced) and str(enforced.get("value")).lower() == "true"
    if version == "3":
        when = parse_expires(expires) if expires is not None else None
        now = datetime.now(UTC)
        if when is None or when < now:
            raise fail
        if strict and (when - now).total_seconds() > 15 * 60:
            raise fail
    elif strict:
        raise fail
    user = find_user_by_apikey(store, apikey)
    if user is None:
        raise fail
    account, usable = caller_is_enabled(store, user)
    if not usable or not user.get("_secretkey") or not command_allowed(catalog_handlers[name], user):
        raise fail
    if not signature_matches(params, user["_secretkey"], signature):
        raise fail
    return user, account


def command_allowed(handler: Handler, user: dict) -> bool:
    """Root admins may call everything; other roles only user APIs or those authorized for them."""
    if user.get("roletype") == "Admin":
        return True
    if handler.admin_only:
        return False
    authorized = handler.command.raw.get("authorized")
    if authorized:
        return user.get("roletype") in authorized
    classes = [handler.command.raw.get("class", ""), *handler.command.raw.get("other_classes", [])]
    return any("/command/user/" in path for path in classes)


def run_command(store: Store, config: SimConfig, handler: Handler, params: dict[str, str],
                user: dict, account: dict) -> Reply:
    cmd = handler.command
    check_control_characters(params)
    log_request(config, cmd, params)
    values = convert(cmd, params, lambda kinds, uuid: entity_exists(store, kinds, uuid))
    fault = store.take_fault(cmd.name)
    store.commit()
    if fault and fault["latency"]:
        time.sleep(min(fault["latency"], 600))
    if fault and fault["errorcode"] and not fault["jobresult"]:
        raise ApiError(fault["errorcode"], fault["errortext"] or f"Simulated failure of {cmd.name}",
                       fault["cserrorcode"])

    read_only = cmd.name.startswith(_READ_ONLY_PREFIXES)
    if not read_only:
        store.begin()
    ctx = Context(store=store, config=config, now=time.time(), user=user, account=account, command=cmd)
    if cmd.is_async:
        from .commands.server import new_job_refusal  # the shutdown state lives with its commands

        refusal = new_job_refusal(ctx)
        if refusal is not None:
            raise refusal
        body = jobs.submit(ctx, handler, values, fault)
    else:
        body = respond(ctx, handler, values, handler.func(ctx, values))
    if not read_only:
        jobs.run_reconcilers(store, config, ctx.now)
    store.commit()
    return Reply(body)


# Entities whose real table holds more kinds than the response class says: vm_instance has
# user VMs, routers and system VMs alike (listRouters declares its id as a UserVmResponse).
_ENTITY_ALIASES = {"uservm": ("uservm", "domainrouter", "systemvm")}


def entity_exists(store: Store, kinds: tuple[str, ...], uuid: str) -> bool:
    if "asyncjob" in kinds and store.get_job(uuid) is not None:
        return True
    kind = store.kind_of(uuid)
    accepted = {alias for wanted in kinds for alias in _ENTITY_ALIASES.get(wanted, (wanted,))}
    return kind is not None and kind in accepted


def respond(ctx: Context, handler: Handler, values: dict, result: Any) -> dict:
    """Wrap a synchronous handler's result in the command's envelope."""
    cmd = handler.command
    if cmd.response_kind == "success":
        return envelopes.success_response(cmd.wrapper)
    if cmd.response_kind == "flat":
        return envelopes.flat_response(cmd.wrapper, result)
    if cmd.response_kind == "object":
        return envelopes.object_response(cmd.wrapper, cmd.object_name, render(ctx, result, cmd.response_fields))
    total, page = paginate(ctx, cmd, values, result)
    return envelopes.list_response(cmd.wrapper, cmd.object_name,
                                   total, [render(ctx, obj, cmd.response_fields) for obj in page])


def paginate(ctx: Context, cmd: Command, values: dict, result: list[dict] | Query) -> tuple[int, list[dict]]:
    """The total and one page, after the generic `keyword` filter on names."""
    offset, limit = page_window(cmd, values) if "page" in cmd.params or "pagesize" in cmd.params else (0, None)
    keyword = values.get("keyword")
    if isinstance(result, Query) and not keyword:
        total = ctx.store.count(result.kind, **result.filters)
        page = ctx.store.page(result.kind, offset, limit if limit is not None else total, **result.filters)
        return total, page
    items = ctx.store.find(result.kind, **result.filters) if isinstance(result, Query) else result
    if keyword:
        items = [obj for obj in items if keyword.lower() in str(obj.get("name", "")).lower()]
    return len(items), items[offset: offset + limit if limit is not None else None]


def log_request(config: SimConfig, cmd: Command, params: dict[str, str]) -> None:
    """With --request-log: one JSON line per command, with the parameter names it was sent."""
    if not config.request_log:
        return
    names = sorted(key for key in params if key.lower() not in ("command", "apikey", "signature",
                                                                  "signatureversion", "expires", "sessionkey"))
    with open(config.request_log, "a") as out:
        out.write(json.dumps({"command": cmd.name, "params": names}) + "\n")


# -- replies ----------------------------------------------------------------------------


def error_reply(params: dict[str, str], exc: ApiError) -> Reply:
    """The error envelope; the wrapper is the command's unless 432, unknown, or no parameters."""
    name = params.get("command")
    known = catalog().get(name) if name else None
    wrapper = "errorresponse" if exc.errorcode == UNSUPPORTED_ACTION_ERROR or not params or known is None \
        else known.wrapper
    body = envelopes.error_response(wrapper, exc.errorcode, exc.errortext, exc.cserrorcode)
    headers = {"X-Description": exc.errortext} if exc.cserrorcode is not None else None
    return Reply(body, exc.errorcode, headers)


def make_response(reply: Reply, response_type: str, config: SimConfig) -> Response:
    if isinstance(reply.body, str):
        return Response(reply.body, status=reply.status, content_type="text/plain; charset=UTF-8",
                        headers=reply.headers)
    if response_type == "json":
        text, content_type = envelopes.to_json(reply.body), envelopes.JSON_CONTENT_TYPE
    else:
        text, content_type = envelopes.to_xml(reply.body, config.version), envelopes.XML_CONTENT_TYPE
    headers = {key: value.replace("\r", " ").replace("\n", " ")[:1000] for key, value in (reply.headers or {}).items()}
    response = Response(text, status=reply.status, content_type=content_type, headers=headers)
    for cookie in getattr(g, "set_cookies", []):
        response.headers.add("Set-Cookie", cookie)
    return response


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's own refusals (413 body too large, 404 path, 405 method) in the API's shape."""
    if exc.code == 404:
        return Response("Not Found", status=404, content_type="text/plain")
    code = exc.code or BAD_REQUEST
    body = envelopes.error_response("errorresponse", code, exc.description or exc.name)
    return Response(envelopes.to_json(body), status=code, content_type=envelopes.JSON_CONTENT_TYPE)


def unexpected_error(exc: Exception) -> Response:
    """A simulator bug: logged with its trace, answered as the server's 530 without one."""
    log.exception("unhandled error in the simulator")
    body = envelopes.error_response("errorresponse", INTERNAL_ERROR, "Internal error executing command, please "
                                    "contact your system administrator", 4250)
    return Response(envelopes.to_json(body), status=INTERNAL_ERROR, content_type=envelopes.JSON_CONTENT_TYPE)

