#!/usr/bin/python3
"""The acsible stand-in's management server: the API simulator, as one node of a CloudStack cloud.

/etc/init.d/cloudstack-management runs this as the cloud user. On start it does what a real management
server does to its database before serving: the first start's upgrade records the package version in
`version`, and the node's row in `mshost` says Up (one row per node, keyed by the MAC-derived msid, as
ClusterManagerImpl keeps it). The cloud's SSH key pair (ConfigurationServerImpl.updateKeyPairs: how the
management servers log in to KVM hosts and system VMs) is made once, with ssh-keygen, by the first server
to start, kept in `configuration` (ssh.privatekey, ssh.publickey; in clear, where the real server encrypts
them), and written to ~/.ssh/id_rsa and id_rsa.pub of the cloud user on every server. Then it becomes
`python3 -m simulator serve` on the same database, so
several nodes on one database act as one cloud. `--mark-down` only sets this node's row Down (on stop).
"""

from __future__ import annotations

import argparse
import os
import pwd
import socket
import subprocess
import sys
import time
import uuid

import pymysql

VERSION = "@VERSION@"
DB_PROPERTIES = "/etc/cloudstack/management/db.properties"
LIB = os.path.dirname(os.path.abspath(__file__))
NO_SUCH_TABLE = 1146


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="0.0.0.0:8080")
    parser.add_argument("--integration-listen", default="", help="empty: no integration port")
    parser.add_argument("--msid", default=socket.gethostname(), help="this node's name (default: the hostname)")
    parser.add_argument("--db-properties", default=DB_PROPERTIES)
    parser.add_argument("--mark-down", action="store_true", help="only set this node's mshost row Down")
    return parser.parse_known_args(argv)


def read_properties(path: str) -> dict[str, str]:
    """key=value lines of a Java properties file (comments and blank lines skipped)."""
    props = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith(("#", "!")) and "=" in line:
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
    return props


def connect(props: dict[str, str]) -> pymysql.connections.Connection:
    return pymysql.connect(host=props.get("db.cloud.host", "localhost"), port=int(props.get("db.cloud.port", "3306")),
                           user=props.get("db.cloud.username", "cloud"), password=props.get("db.cloud.password", ""),
                           database=props.get("db.cloud.name", "cloud"), connect_timeout=10, autocommit=True)


def node_id() -> int:
    """The msid: this host's MAC address as a number, as ManagementServerNode derives it."""
    return uuid.getnode()


def register(conn: pymysql.connections.Connection, props: dict[str, str], name: str) -> None:
    """The package version in `version` and this node Up in `mshost`."""
    with conn.cursor() as cursor:
        cursor.execute("INSERT IGNORE INTO version (version, updated, step) VALUES (%s, UTC_TIMESTAMP(), 'Complete')",
                       (VERSION,))
        cursor.execute(
            "INSERT INTO mshost (msid, runid, name, state, version, service_ip, service_port, last_update)"
            " VALUES (%s, %s, %s, 'Up', %s, %s, %s, UTC_TIMESTAMP())"
            " ON DUPLICATE KEY UPDATE runid = VALUES(runid), name = VALUES(name), state = 'Up',"
            " version = VALUES(version), service_ip = VALUES(service_ip), service_port = VALUES(service_port),"
            " last_update = VALUES(last_update), removed = NULL",
            (node_id(), int(time.time() * 1000), name, VERSION, props.get("cluster.node.IP", "127.0.0.1"),
             int(props.get("cluster.servlet.port", "9090"))),
        )


def update_key_pairs(conn: pymysql.connections.Connection) -> None:
    """The cloud's SSH key pair: from `configuration`, or made here and stored there; then in ~/.ssh."""
    ssh_dir = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".ssh")
    private, public = os.path.join(ssh_dir, "id_rsa"), os.path.join(ssh_dir, "id_rsa.pub")
    keys = stored_key_pair(conn)
    if not keys:
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        for path in (private, public):
            if os.path.exists(path):
                os.unlink(path)
        subprocess.run(["ssh-keygen", "-t", "ecdsa", "-m", "PEM", "-N", "", "-f", private, "-q"], check=True,
                       stdin=subprocess.DEVNULL)
        with open(private) as handle_private, open(public) as handle_public:
            made = {"ssh.privatekey": handle_private.read(), "ssh.publickey": handle_public.read()}
        with conn.cursor() as cursor:
            for name, value in made.items():
                # IGNORE: a server that started at the same moment may have stored its pair first; it wins.
                cursor.execute("INSERT IGNORE INTO configuration (category, instance, component, name, value, "
                               "description) VALUES ('Hidden', 'DEFAULT', 'management-server', %s, %s, %s)",
                               (name, value, f"{'Private' if 'private' in name else 'Public'} key for the entire "
                                             "CloudStack"))
        keys = stored_key_pair(conn)
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    for path, name, mode in ((private, "ssh.privatekey", 0o600), (public, "ssh.publickey", 0o644)):
        if read_text(path) != keys[name]:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(descriptor, "w") as out:
                out.write(keys[name])
        os.chmod(path, mode)


def read_text(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def stored_key_pair(conn: pymysql.connections.Connection) -> dict[str, str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT name, value FROM configuration WHERE name IN ('ssh.privatekey', 'ssh.publickey')")
        found = {name: value for name, value in cursor.fetchall() if value}
    return found if len(found) == 2 else {}


def mark_down(conn: pymysql.connections.Connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute("UPDATE mshost SET state = 'Down', last_update = UTC_TIMESTAMP() WHERE msid = %s",
                       (node_id(),))


def serve(args: argparse.Namespace, extra: list[str]) -> None:
    """Become the simulator (same pid, so the init script's pid file stays right)."""
    argv = [sys.executable, "-m", "simulator", "serve", "--listen", args.listen, "--db-properties",
            args.db_properties, "--msid", args.msid, "--version", VERSION]
    if args.integration_listen:
        argv += ["--integration-listen", args.integration_listen]
    os.environ["PYTHONPATH"] = LIB
    print(f"management server {args.msid}: CloudStack {VERSION} (acsible stand-in) starting", flush=True)
    os.execv(sys.executable, argv + extra)


def main(argv: list[str] | None = None) -> int:
    args, extra = parse_args(argv)
    try:
        props = read_properties(args.db_properties)
        conn = connect(props)
    except (OSError, ValueError, pymysql.MySQLError) as exc:
        print(f"management server {args.msid}: cannot reach the database named by {args.db_properties}: {exc}",
              file=sys.stderr)
        return 1
    try:
        if args.mark_down:
            mark_down(conn)
            return 0
        register(conn, props, args.msid)
        update_key_pairs(conn)
    except pymysql.MySQLError as exc:
        if exc.args[0] != NO_SUCH_TABLE:
            raise
        # A database made without cloudstack-setup-databases (the simulator's init-db alone) has no mshost.
        print(f"management server {args.msid}: not registered ({exc.args[1]})", file=sys.stderr)
    finally:
        conn.close()
    if args.mark_down:
        return 0
    serve(args, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
