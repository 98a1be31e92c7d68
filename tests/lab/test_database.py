"""The database tier (issue 6) on lab hosts db1 and db2: real ansible-playbook runs over SSH.

The module owns db1 and db2 while it runs: it takes them down, brings them up fresh, and takes them down
at the end (other lab hosts are left alone). The tests run in order on one pair of servers, each
starting from where the previous one left it: converge, converge again (nothing changes), check mode,
a broken replica detected then repaired, backup and restore, and the failover drill last, since it
makes db2 the primary. Results are read back over TCP with pymysql, as the lab's admin account.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pymysql
import pytest

from lab import main as lab_main
from lab.config import DEFAULT_INVENTORY
from lab.inventory import load_inventory
from tests.support.lab_playbooks import PlaybookRun, playbook_runner, ssh

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces, mounts)"),
]

HOSTS = ["db1", "db2"]
INVENTORY = load_inventory(DEFAULT_INVENTORY)
MANAGEMENT = [host.name for host in INVENTORY.hosts if "management" in host.groups]
ADMIN_USER, ADMIN_PASSWORD = "labadmin", "lab-admin-pw"  # inventory/lab/group_vars/db.yml
PLAYBOOK_TIMEOUT = 600


def replication_health(run: PlaybookRun) -> dict[str, dict]:
    """mysql_replication_health of each server, as the role reported it (before the verify play's)."""
    return {host: result["mysql_replication_health"]
            for host, result in run.results("Report replication health", which="first").items()
            if "mysql_replication_health" in result}


@pytest.fixture(scope="module")
def lab_db() -> Iterator[None]:
    """db1 and db2 up from scratch for the module, and no management server (the failover drill must find
    none to repoint); db1 and db2 down at the end."""
    assert lab_main(["down", *HOSTS, *MANAGEMENT]) == 0
    assert lab_main(["up", *HOSTS]) == 0
    yield
    assert lab_main(["down", *HOSTS]) == 0


@pytest.fixture(scope="module")
def playbook(lab_db, tmp_path_factory) -> Callable[..., PlaybookRun]:
    """Run playbooks/NAME against the lab inventory (ansible.cfg at the repo root) with extra arguments."""
    return playbook_runner(tmp_path_factory.mktemp("ansible"), PLAYBOOK_TIMEOUT)


def connect(host: str, database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(host=str(INVENTORY.get(host).address), user=ADMIN_USER, password=ADMIN_PASSWORD,
                           database=database, autocommit=True, connect_timeout=10)


def sql(host: str, query: str, args: tuple = ()) -> list[tuple]:
    with connect(host) as connection, connection.cursor() as cursor:
        cursor.execute(query, args)
        return list(cursor.fetchall())


def count(host: str, table: str) -> int | None:
    """Rows in a table, or None while it does not exist (yet)."""
    try:
        return sql(host, f"SELECT COUNT(*) FROM {table}")[0][0]
    except pymysql.err.ProgrammingError:
        return None


def replica_status(host: str) -> dict:
    with connect(host) as connection, connection.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute("SHOW REPLICA STATUS")
        return cursor.fetchone() or {}


def user_databases(host: str) -> list[str]:
    return [name for (name,) in sql(host, "SELECT schema_name FROM information_schema.schemata WHERE schema_name "
                                          "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")]


def checksums(host: str, *databases: str) -> dict[str, int]:
    """CHECKSUM TABLE of every base table of the databases, keyed by table (without its database when one)."""
    tables = sql(host, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                       "'BASE TABLE' AND table_schema IN %s ORDER BY 1, 2", (databases,))
    if not tables:
        return {}
    rows = sql(host, "CHECKSUM TABLE " + ", ".join(f"`{schema}`.`{table}`" for schema, table in tables))
    return {name.split(".", 1)[1] if len(databases) == 1 else name: checksum for name, checksum in rows}


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} not met within {timeout}s")


def service(host: str, action: str) -> None:
    """Start or stop MariaDB on a lab host, as an operator (or a crash) would."""
    ssh(host, f"service mariadb {action}")


def test_replication_carries_writes_and_health_is_reported(playbook):
    run = playbook("database.yml")
    assert run.rc == 0, run.failures()
    health = replication_health(run)
    assert health["db1"]["role"] == "primary" and health["db1"]["healthy"]
    replica = health["db2"]
    assert replica["role"] == "replica" and replica["healthy"] and replica["consistent"] is not False
    assert (replica["io_running"], replica["sql_running"]) == ("Yes", "Yes")
    assert replica["seeded_at"] is not None  # a new replica starts from a dump of the primary

    sql("db1", "CREATE DATABASE drill")
    sql("db1", "CREATE TABLE drill.rows (id INT PRIMARY KEY, v VARCHAR(40))")
    sql("db1", "INSERT INTO drill.rows VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    wait_until(lambda: count("db2", "drill.rows") == 3, what="the rows on db2")
    assert checksums("db1", "drill") == checksums("db2", "drill")
    assert sql("db2", "SELECT @@GLOBAL.read_only") == [(1,)] and sql("db1", "SELECT @@GLOBAL.read_only") == [(0,)]
    assert sql("db1", "SELECT @@server_id") != sql("db2", "SELECT @@server_id")


def test_a_second_run_changes_nothing(playbook):
    run = playbook("database.yml")
    assert run.rc == 0, run.failures()
    assert run.changed() == {"db1": 0, "db2": 0}
    assert replication_health(run)["db2"]["consistent"] is True  # the data comparison ran, and found nothing


def test_check_mode_on_the_converged_pair_changes_nothing(playbook):
    run = playbook("database.yml", "--check")
    assert run.rc == 0, run.failures()
    assert run.changed() == {"db1": 0, "db2": 0}


def test_a_broken_replica_is_detected_then_repaired(playbook):
    sql("db2", "STOP REPLICA")
    sql("db2", "UPDATE drill.rows SET v = 'changed on the replica' WHERE id = 2")
    assert checksums("db1", "drill") != checksums("db2", "drill")

    found = playbook("database.yml")
    assert found.rc != 0
    broken = replication_health(found)["db2"]
    assert not broken["healthy"] and broken["running"]  # its threads were started again, without error
    assert broken["differing_tables"] == ["drill.rows"] and broken["consistent"] is False, broken

    repaired = playbook("database.yml", "-e", "mysql_replication_repair=true")
    assert repaired.rc == 0, repaired.failures()
    health = replication_health(repaired)["db2"]
    assert health["repaired"] and health["found_before_repair"]["differing_tables"] == ["drill.rows"]
    assert health["healthy"] and health["consistent"] is True and health["seeded_at"]
    assert sql("db2", "SELECT v FROM drill.rows WHERE id = 2") == [("two",)]
    assert checksums("db1", "drill") == checksums("db2", "drill")


def test_backup_then_restore_into_scratch_databases(playbook):
    for database, tables in {"cloud": ["vm_instance", "host", "configuration"], "cloud_usage": ["usage_event"]}.items():
        sql("db1", f"CREATE DATABASE {database}")
        for table in tables:
            sql("db1", f"CREATE TABLE {database}.{table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), "
                       "created DATETIME, blob_data BLOB)")
            sql("db1", f"INSERT INTO {database}.{table} (name, created, blob_data) SELECT CONCAT('{table}-', seq), "
                       f"NOW() - INTERVAL seq MINUTE, UNHEX(MD5(seq)) FROM {database}.seq_1_to_500")
    sql("db1", "CREATE TABLE cloud.empty_table (id INT PRIMARY KEY)")
    source = {db: checksums("db1", db) for db in ("cloud", "cloud_usage")}

    backup = playbook("db-backup.yml")
    assert backup.rc == 0, backup.failures()
    made = backup.results("Record the backup", which="first")["db1"]["ansible_facts"]["mysql_backup_result"]
    assert made["checksums"] == source
    listing = ssh("db1", f"cd {made['directory']} && sha256sum --check SHA256SUMS && ls")
    assert set(listing.split()) >= {"cloud.sql.gz", "cloud_usage.sql.gz", "checksums.json", "meta.json", "SHA256SUMS"}

    restore = playbook("db-restore.yml")
    assert restore.rc == 0, restore.failures()
    for database in ("cloud", "cloud_usage"):
        restored = checksums("db1", f"{database}_restore")
        assert restored == source[database] and len(restored) == len(made["checksums"][database])
    # The scratch databases replicate like any other.
    wait_until(lambda: checksums("db2", "cloud_restore") == source["cloud"], what="cloud_restore on db2")


def test_failover_drill(playbook):
    sql("db1", "CREATE TABLE drill.failover (id INT AUTO_INCREMENT PRIMARY KEY, written_on VARCHAR(8))")
    sql("db1", "INSERT INTO drill.failover (written_on) SELECT 'db1' FROM drill.seq_1_to_200")
    service("db1", "stop")

    promoted = playbook("db-failover.yml")
    assert promoted.rc == 0, promoted.failures()
    assert count("db2", "drill.failover") == 200
    assert replica_status("db2") == {}
    assert sql("db2", "SELECT @@GLOBAL.read_only") == [(0,)]
    sql("db2", "INSERT INTO drill.failover (written_on) SELECT 'db2' FROM drill.seq_1_to_50")
    # No management server is up in this module: that play skips them instead of failing.
    answers = promoted.results("Check that the management server answers", which="first")
    assert answers and all(result.get("unreachable") for result in answers.values()), answers

    service("db1", "start")
    rejoined = playbook("db-failover.yml")
    assert rejoined.rc == 0, rejoined.failures()
    status = replica_status("db1")
    assert status["Master_Host"] == str(INVENTORY.get("db2").address)
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    wait_until(lambda: count("db1", "drill.failover") == 250, what="db1 to catch up")
    assert count("db2", "drill.failover") == 250
    assert sql("db1", "SELECT @@GLOBAL.read_only") == [(1,)]
    databases = user_databases("db2")
    assert set(databases) == set(user_databases("db1")) >= {"drill", "cloud", "cloud_usage", "cloud_restore"}
    assert checksums("db1", *databases) == checksums("db2", *databases)
    health = replication_health(rejoined)
    assert health["db2"]["role"] == "primary" and health["db1"]["healthy"] and health["db1"]["consistent"] is True
