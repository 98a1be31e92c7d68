"""python -m web serve|worker|token|migrate|environment|audit|client: run, administer and use the job service."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from waitress.server import create_server

from . import create_app
from .auth import create_token, has_active_token
from .config import ServiceConfig, check_secret_key, ensure_secret_key_file, load_config
from .db import DATABASE_ERRORS, open_store
from .exceptions import WebError
from .jobs import ROLES, AuditEntry
from .worker import WorkerPool, reap

log = logging.getLogger("web")

ADMIN_TOKEN_FILE = "web-admin-token"


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", help="a YAML (or .py) file of settings (see web/config.py DEFAULTS)")
        p.add_argument("--store", help="sqlite:///PATH (default ./web-jobs.db) or mysql://USER:PW@HOST:PORT/DB")

    serve = sub.add_parser("serve", help="serve the API, with in-process workers")
    common(serve)
    serve.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 8200), help="HOST:PORT (127.0.0.1:8200)")
    serve.add_argument("--workers", type=int, help="in-process worker threads (default 4; 0: API only)")

    worker = sub.add_parser("worker", help="run jobs from the store, without the API")
    common(worker)
    worker.add_argument("--threads", type=int, help="worker threads (default: WORKERS, 4)")

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_action", required=True)
    create = token_sub.add_parser("create", help="make a token and print it (once)")
    common(create)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="who holds it (recorded in the audit log)")
    listing = token_sub.add_parser("list", help="token names, roles and states (never the tokens)")
    common(listing)
    revoke = token_sub.add_parser("revoke", help="revoke a token by name")
    common(revoke)
    revoke.add_argument("name")

    migrate = sub.add_parser("migrate", help="bring the store's schema up to date")
    common(migrate)

    environment = sub.add_parser("environment", help="environments")
    env_sub = environment.add_subparsers(dest="environment_action", required=True)
    clear = env_sub.add_parser("clear", help="say an environment that needs attention is fit for jobs again")
    common(clear)
    clear.add_argument("name")

    audit = sub.add_parser("audit", help="print the audit log, newest first, as JSON lines")
    common(audit)
    audit.add_argument("--limit", type=int, default=100)

    sub.add_parser("client", add_help=False,
                   help="use a running service: submit|status|logs|cancel|list (`client --help`)")
    return parser


def settings_from(args: argparse.Namespace) -> Any:
    overrides: dict[str, Any] = {}
    if args.store:
        overrides["STORE"] = args.store
    if getattr(args, "workers", None) is not None:
        overrides["WORKERS"] = args.workers
    if getattr(args, "threads", None) is not None:
        overrides["WORKERS"] = args.threads
    return load_config(args.config, overrides)


def wait_for_signal() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass


def bootstrap_admin_token(config: Any) -> None:
    """A fresh store has no token: make an admin one and leave it in a 0600 file (never in the log)."""
    store = open_store(config["STORE"])
    try:
        store.migrate()
        if has_active_token(store):
            return
        names, name, number = {token.name for token in store.tokens()}, "admin", 1
        while name in names:  # names stay taken after revocation
            number += 1
            name = f"admin-{number}"
        token = create_token(store, config["SECRET_KEY"], name, "admin")
    finally:
        store.close()
    path = Path(ADMIN_TOKEN_FILE).resolve()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    print(f"web: the store had no API token; an admin token ({name!r}) is in {path} (0600)", flush=True)


def serve(args: argparse.Namespace) -> int:
    config = settings_from(args)
    ensure_secret_key_file(config)
    bootstrap_admin_token(config)
    app = create_app(config=config)
    service: ServiceConfig = app.extensions["acsible"]
    pool = WorkerPool(service, threads=service.workers, kind="serve") if service.workers else None
    if pool is not None:
        reaped = pool.start()
        app.extensions["acsible_pool"] = pool
    else:
        reaped = _reap_once(service)
    if reaped:
        log.warning("on start: %d jobs of dead workers marked error: %s", len(reaped), ", ".join(reaped))
    host, port = args.listen
    # send_bytes=1: waitress holds a running response's writes until 18000 bytes by default, which would
    # hold back server-sent events (the job stream) instead of sending each as it comes.
    server = create_server(app, host=host, port=port, threads=int(config["SERVER_THREADS"]), map={},
                           ident="acsible-web", send_bytes=1)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    print(f"web: pages on http://{host}:{port}/, the API on http://{host}:{port}/api/v1, {service.workers} workers; "
          f"store {_describe_store(service.store_url)}", flush=True)
    wait_for_signal()
    server.close()
    if pool is not None:
        pool.stop()
    return 0


def worker(args: argparse.Namespace) -> int:
    config = settings_from(args)
    service = ServiceConfig.from_config(config)
    store = open_store(service.store_url)
    try:
        store.migrate()
    finally:
        store.close()
    pool = WorkerPool(service, threads=service.workers or 1, kind="worker")
    reaped = pool.start()
    if reaped:
        log.warning("on start: %d jobs of dead workers marked error: %s", len(reaped), ", ".join(reaped))
    print(f"web: worker {pool.id} with {pool.threads} threads; store {_describe_store(service.store_url)}",
          flush=True)
    wait_for_signal()
    pool.stop()
    return 0


def _reap_once(service: ServiceConfig) -> list[str]:
    store = open_store(service.store_url)
    try:
        return reap(store, service, socket.gethostname())
    finally:
        store.close()


def _describe_store(url: str) -> str:
    from .mysql_store import redact

    return redact(url)


def token(args: argparse.Namespace) -> int:
    config = settings_from(args)
    store = open_store(config["STORE"])
    try:
        store.migrate()
        if args.token_action == "create":
            ensure_secret_key_file(config)
            check_secret_key(config["SECRET_KEY"])
            print(create_token(store, config["SECRET_KEY"], args.name, args.role))
            print(f"token {args.name!r} ({args.role}) created; it is shown only this once", file=sys.stderr)
        elif args.token_action == "list":
            for item in store.tokens():
                state = "revoked" if item.revoked_at else "active"
                print(json.dumps({"name": item.name, "role": item.role, "state": state}))
        elif not store.revoke_token(args.name, time.time()):
            print(f"no active token named {args.name!r}", file=sys.stderr)
            return 1
        return 0
    finally:
        store.close()


def migrate(args: argparse.Namespace) -> int:
    store = open_store(settings_from(args)["STORE"])
    try:
        applied = store.migrate()
        print(f"schema version {store.schema_version()}; applied {applied or 'nothing'}")
        return 0
    finally:
        store.close()


def environment(args: argparse.Namespace) -> int:
    config = settings_from(args)
    store = open_store(config["STORE"])
    try:
        state = store.environment_states().get(args.name)
        if state is None:
            print(f"no environment {args.name!r} in the store", file=sys.stderr)
            return 1
        store.clear_attention(args.name)
        if state.attention_job:
            store.audit(AuditEntry(at=time.time(), actor=f"cli:{getpass.getuser()}", role="admin", action="clear",
                                   environment=args.name,
                                   detail={"attention_job": state.attention_job, "reason": state.attention_reason}))
        print(f"environment {args.name} is fit for jobs")
        return 0
    finally:
        store.close()


def audit(args: argparse.Namespace) -> int:
    store = open_store(settings_from(args)["STORE"])
    try:
        for entry in store.audit_log(args.limit):
            print(json.dumps(entry.__dict__, sort_keys=True))
        return 0
    finally:
        store.close()


ACTIONS = {"serve": serve, "worker": worker, "token": token, "migrate": migrate, "environment": environment,
           "audit": audit}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:  # the client has its own parser, and needs neither logging nor a store
        from . import client

        return client.main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return ACTIONS[args.action](args)
    except (WebError, *DATABASE_ERRORS) as exc:
        print(f"web: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
