"""Fixtures of the library tests: one private MariaDB on loopback for the session."""

from __future__ import annotations

import pytest

from tests.library.helpers import ADMIN, ADMIN_PASSWORD, reset
from tests.support import mariadb


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory):
    """One MariaDB for the library tests, with an administrator reachable over loopback TCP."""
    if not mariadb.available():
        pytest.fail("MariaDB is not installed: the test command installs mariadb-server")
    server = mariadb.start(tmp_path_factory.mktemp("library-mariadb"))
    with server.root() as conn, conn.cursor() as cur:
        for host in ("localhost", "127.0.0.1"):
            cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (ADMIN, host, ADMIN_PASSWORD))
            cur.execute("GRANT ALL ON *.* TO %s@%s WITH GRANT OPTION", (ADMIN, host))
    yield server
    server.stop()


@pytest.fixture
def empty_server(mariadb_server):
    """The database server as before any CloudStack install."""
    reset(mariadb_server)
    yield mariadb_server
    reset(mariadb_server)
