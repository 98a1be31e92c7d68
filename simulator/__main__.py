"""python -m simulator serve|admin-keys|init-db: run the API double or inspect its state."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time

from waitress.server import create_server

from .app import create_app, init_state
from .auth import new_api_key
from .registry import SimConfig
from .store import StateError, StateLocation, open_store, parse_state, read_db_properties

DEFAULT_STATE = "sqlite:///simulator-state.db"
THREADS = 8  # request threads per port


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)

    def state_options(p: argparse.ArgumentParser) -> None:
        where = p.add_mutually_exclusive_group()
        where.add_argument("--state", default=None, help=f"sqlite:///PATH (default {DEFAULT_STATE})")
        where.add_argument("--db-properties",
                           help="a CloudStack db.properties: keep state in its MySQL `cloud` database")

    serve = sub.add_parser("serve", help="serve /client/api")
    serve.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 8080), help="HOST:PORT (127.0.0.1:8080)")
    serve.add_argument("--integration-listen", type=parse_listen, help="HOST:PORT of the unauthenticated port")
    serve.add_argument("--version", default=SimConfig.version, help="CloudStack version to behave as")
    serve.add_argument("--job-delay", type=float, default=SimConfig.job_delay, help="seconds an async job runs")
    serve.add_argument("--host-up-delay", type=float, default=SimConfig.host_up_delay,
                       help="seconds from addHost to the host being Up")
    serve.add_argument("--systemvm-delay", type=float, default=SimConfig.systemvm_delay,
                       help="seconds for system VMs to go from Starting to Running")
    serve.add_argument("--msid", default=None,
                       help="this management server's name (default: the listen address)")
    serve.add_argument("--request-log", help="append one JSON line per command call to this file")
    state_options(serve)

    keys = sub.add_parser("admin-keys", help="print the admin user's apikey and secretkey as JSON")
    state_options(keys)
    init = sub.add_parser("init-db", help="create the tables and seed a fresh cloud (no-op when present)")
    state_options(init)
    return parser


def location_of(args: argparse.Namespace) -> StateLocation:
    if args.db_properties:
        return read_db_properties(args.db_properties)
    return parse_state(args.state or DEFAULT_STATE)


def admin_keys(location: StateLocation) -> dict:
    """The admin user's keys, registered first when it has none (as registerUserKeys would)."""
    init_state(location)
    store = open_store(location)
    try:
        store.begin()
        admin = store.find_one("user", where=lambda u: u.get("username") == "admin" and u.get("accounttype") == 1)
        if not admin.get("apikey") or not admin.get("_secretkey"):
            admin["apikey"], admin["_secretkey"] = new_api_key(), new_api_key()
            store.update("user", admin)
        store.commit()
        return {"apikey": admin["apikey"], "secretkey": admin["_secretkey"], "userid": admin["id"]}
    finally:
        store.close()


def serve(args: argparse.Namespace, location: StateLocation) -> int:
    host, port = args.listen
    config = SimConfig(version=args.version, job_delay=args.job_delay, host_up_delay=args.host_up_delay,
                       systemvm_delay=args.systemvm_delay, msid=args.msid or f"{host}:{port}",
                       request_log=args.request_log)
    # waitress, not Werkzeug's development server: about twice the requests per second, and
    # HTTP/1.1 keep-alive as the real server's Jetty offers it.
    servers = [create_server(create_app(config, location), host=host, port=port, threads=THREADS, map={},
                             ident="Apache-CloudStack-simulator")]
    if args.integration_listen:
        ihost, iport = args.integration_listen
        integration = SimConfig(**{**config.__dict__, "integration": True})
        servers.append(create_server(create_app(integration, location), host=ihost, port=iport, threads=THREADS,
                                     map={}, ident="Apache-CloudStack-simulator"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=server.run, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    integration_note = ""
    if args.integration_listen:
        integration_note = f", integration port {args.integration_listen[0]}:{args.integration_listen[1]}"
    print(f"simulator: CloudStack {config.version} API on http://{host}:{port}/client/api{integration_note}; "
          f"state {location.describe()}", flush=True)
    while not stop.is_set():
        time.sleep(0.2)
    for server in servers:
        server.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        location = location_of(args)
        if args.action == "serve":
            return serve(args, location)
        if args.action == "admin-keys":
            print(json.dumps(admin_keys(location)))
            return 0
        init_state(location)
        print(f"state ready: {location.describe()}")
        return 0
    except (StateError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
