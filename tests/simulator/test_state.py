"""State: SQLite by default, MySQL through a CloudStack db.properties; several processes, one cloud."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.store import StateError, parse_state, read_db_properties
from tests.conftest import ROOT, ApiActions, start_simulator, unique
from tests.support import mariadb

DB_PROPERTIES = """\
# written the way cloudstack-setup-databases writes it
cluster.node.IP=127.0.0.1
db.cloud.username=cloud
db.cloud.password={password}
db.cloud.host=127.0.0.1
db.cloud.port={port}
db.cloud.name=cloud
db.cloud.driver=jdbc:mysql
"""


@pytest.fixture(scope="module")
def mariadb_server(tmp_path_factory):
    if not mariadb.available():
        pytest.fail("MariaDB is not installed: the test command installs mariadb-server")
    server = mariadb.start(tmp_path_factory.mktemp("mariadb"))
    yield server
    server.stop()


@pytest.fixture
def db_properties(mariadb_server, tmp_path):
    mariadb_server.create_database("cloud", "cloud", "cl0ud-secret")
    path = tmp_path / "db.properties"
    path.write_text(DB_PROPERTIES.format(password="cl0ud-secret", port=mariadb_server.port))
    return path


@pytest.mark.mysql
def test_two_simulators_on_one_mysql_database_are_one_cloud(db_properties, tmp_path):
    first = start_simulator(tmp_path / "a", state=["--db-properties", str(db_properties)])
    second = start_simulator(tmp_path / "b", state=["--db-properties", str(db_properties)])
    try:
        assert (first.apikey, first.secretkey) == (second.apikey, second.secretkey)
        one, two = ApiActions(first), ApiActions(second)
        zone = one.create_zone(unique("shared"))
        assert [z["name"] for z in two.listing("listZones", id=zone["id"])] == [zone["name"]]
        duplicate = two.error("createZone", name=zone["name"], dns1="198.18.0.53", internaldns1="198.18.0.53",
                              networktype="Basic")
        assert duplicate["errortext"] == "A zone with that name already exists. Please specify a unique zone name."
    finally:
        first.stop()
        second.stop()


@pytest.mark.mysql
def test_mysql_tables_live_in_the_cloud_database(db_properties, mariadb_server, tmp_path):
    sim = start_simulator(tmp_path, state=["--db-properties", str(db_properties)])
    sim.stop()
    with mariadb_server.root("cloud") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM sim_object WHERE kind = 'configuration'")
        assert cur.fetchone()[0] >= 900
        cur.execute("SELECT COUNT(*) FROM sim_object WHERE kind = 'user'")
        assert cur.fetchone()[0] == 3


def test_sqlite_state_survives_a_restart(tmp_path):
    sim = start_simulator(tmp_path)
    zone = ApiActions(sim).create_zone()
    sim.stop()
    again = start_simulator(tmp_path)
    try:
        assert ApiActions(again).listing("listZones", id=zone["id"])[0]["name"] == zone["name"]
    finally:
        again.stop()


def test_db_properties_with_an_encrypted_password_is_refused_clearly(tmp_path):
    path = tmp_path / "db.properties"
    path.write_text("db.cloud.password=ENC(abcdef)\n")
    with pytest.raises(StateError, match="encrypted"):
        read_db_properties(path)


def test_state_url_must_be_sqlite(tmp_path):
    with pytest.raises(StateError, match="expected sqlite:///PATH"):
        parse_state("postgres://x")


def test_cli_reports_bad_state_without_a_traceback(tmp_path):
    missing = tmp_path / "nowhere" / "db.properties"
    result = subprocess.run([sys.executable, "-m", "simulator", "admin-keys", "--db-properties", str(missing)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr
