#!/usr/bin/python3
"""The acsible stand-in's usage server: it aggregates nothing, it only shows it is alive.

/etc/init.d/cloudstack-usage runs this as the cloud user. Like the real server it reads the db.usage.* keys
of /etc/cloudstack/usage/db.properties and keeps a row of cloud_usage.usage_job with its host, pid and a
heartbeat; a database it cannot reach is logged and tried again at the next heartbeat.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time

import pymysql

DB_PROPERTIES = "/etc/cloudstack/usage/db.properties"


def read_properties(path: str) -> dict[str, str]:
    props = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith(("#", "!")) and "=" in line:
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
    return props


def heartbeat(props: dict[str, str], job_id: int | None) -> int:
    """Insert this run's usage_job row, or refresh its heartbeat; the row's id."""
    conn = pymysql.connect(host=props.get("db.usage.host", "localhost"), port=int(props.get("db.usage.port", "3306")),
                           user=props.get("db.usage.username", "cloud"), password=props.get("db.usage.password", ""),
                           database=props.get("db.usage.name", "cloud_usage"), connect_timeout=10, autocommit=True)
    try:
        with conn.cursor() as cursor:
            if job_id is None:
                cursor.execute("INSERT INTO usage_job (host, pid, job_type, scheduled, heartbeat)"
                               " VALUES (%s, %s, 0, 0, UTC_TIMESTAMP())", (socket.gethostname(), os.getpid()))
                return cursor.lastrowid
            cursor.execute("UPDATE usage_job SET heartbeat = UTC_TIMESTAMP() WHERE id = %s", (job_id,))
            return job_id
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-properties", default=DB_PROPERTIES)
    parser.add_argument("--heartbeat", type=float, default=60.0, help="seconds between heartbeats")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"usage server (acsible stand-in) started on {socket.gethostname()}", flush=True)
    job_id = None
    while not stop.is_set():
        try:
            job_id = heartbeat(read_properties(args.db_properties), job_id)
        except (OSError, ValueError, pymysql.MySQLError) as exc:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} usage database not reachable: {exc}", flush=True)
        stop.wait(args.heartbeat)
    print("usage server stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
