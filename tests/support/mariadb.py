"""A private MariaDB server for one test session: its own datadir, socket and loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

INSTALL_DB = "mariadb-install-db"
SERVER = "/usr/sbin/mariadbd"


def available() -> bool:
    return shutil.which(INSTALL_DB) is not None and Path(SERVER).exists()


@dataclass
class MariaDB:
    datadir: Path
    socket_path: Path
    port: int
    process: subprocess.Popen

    def root(self, database: str | None = None) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=str(self.socket_path), user="root", database=database, autocommit=True)

    def create_database(self, name: str, user: str, password: str) -> None:
        """A database and a user that may use it from loopback, as cloudstack-setup-databases makes them."""
        with self.root() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"CREATE DATABASE `{name}`")
            for host in ("localhost", "127.0.0.1"):
                cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (user, host, password))
                cur.execute(f"GRANT ALL ON `{name}`.* TO %s@%s", (user, host))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(base: Path) -> MariaDB:
    """Initialise a datadir and start mariadbd on 127.0.0.1 only; waits until it answers."""
    datadir, sock, port = base / "data", base / "mysqld.sock", free_port()
    datadir.mkdir(parents=True)
    subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={datadir}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True)
    log = open(base / "mysqld.log", "w")  # noqa: SIM115 (open for the server's whole life)
    process = subprocess.Popen(
        [SERVER, "--no-defaults", f"--datadir={datadir}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", "--user=root", f"--pid-file={base / 'mysqld.pid'}",
         "--innodb-buffer-pool-size=64M", "--skip-name-resolve", "--log-error=" + str(base / "error.log")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    server = MariaDB(datadir, sock, port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited: {(base / 'error.log').read_text()[-2000:]}")
        try:
            server.root().close()
            return server
        except pymysql.MySQLError:
            time.sleep(0.2)
    server.stop()
    raise TimeoutError("mariadbd did not answer within 60 s")
