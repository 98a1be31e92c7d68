"""The whole lab cloud from playbooks/site.yml (issue 7): real ansible-playbook runs over SSH on every lab host.

The module owns the whole lab while it runs: it takes every host down, brings them all up fresh, and takes
the lab down at the end. The tests run in order, each from where the previous one left the cloud:

1. site.yml from nothing, killed midway (while the second management server is being set up, after the
   first has made the cloud database), then started again: it completes, and builds the whole cloud.
2. site.yml again: every host reports changed=0 (read from the recap), the database setup and the
   template seeding report that they did nothing, and no row of the cloud's databases is lost; then
   site.yml --check --diff: nothing would change.
3. mgmt1's server stopped: the API still answers through lb1 (from mgmt2), and a zone change converges.
4. The database setup refuses mgmt2 set up with another management key, then, the cloud schema made again
   empty as a killed first deploy leaves it, refuses the half-made schema: neither changes a file or a row.

Results are read back as a user would: signed API calls through lb1, the databases over TCP, files over SSH.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pymysql
import pytest
import requests
import yaml
from pymysql.constants import CLIENT

from lab import main as lab_main
from lab.config import DEFAULT_INVENTORY, REPO_ROOT, LabPaths
from lab.inventory import load_inventory
from tests.conftest import sign
from tests.support.lab_playbooks import VENV_BIN, PlaybookRun, ansible_env, playbook_runner, ssh

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces, mounts)"),
]

INVENTORY = load_inventory(DEFAULT_INVENTORY)
HOSTS = INVENTORY.names
ADMIN_USER, ADMIN_PASSWORD = "labadmin", "lab-admin-pw"  # inventory/lab/group_vars/db.yml
LB_API = f"http://{INVENTORY.get('lb1').address}:8080/client/api"
KEYS_FILE = LabPaths.from_env().state / "secrets" / "cloudstack_api.yml"  # acsible_secrets_dir in the lab
PLAYBOOK_TIMEOUT = 1500
# The task whose start on mgmt2 the first run is killed at: mgmt1 has deployed the database, mgmt2 has
# joined it (db.properties written), cloudstack-setup-management has not run there yet.
KILL_AT = "TASK [cloudstack_management : Configure the management server with cloudstack-setup-management]"


@pytest.fixture(scope="module")
def lab_cloud() -> Iterator[None]:
    """Every lab host up from scratch for the module; the whole lab down at the end."""
    assert lab_main(["down"]) == 0
    assert lab_main(["up"]) == 0
    yield
    assert lab_main(["down"]) == 0


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ansible")


@pytest.fixture(scope="module")
def playbook(lab_cloud, logs) -> Callable[..., PlaybookRun]:
    """Run playbooks/NAME against the lab inventory with extra arguments; the run as the json callback saw it."""
    return playbook_runner(logs, PLAYBOOK_TIMEOUT)


def run_killed_at(logs: Path, marker: str, occurrence: int) -> str:
    """site.yml with the default callback, killed (its whole process group) when `marker` starts the
    `occurrence`-th time; what it printed until then."""
    log = logs / "00-site-killed.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(VENV_BIN / "ansible-playbook"), "playbooks/site.yml"], cwd=REPO_ROOT,
                                   env=ansible_env("ansible.builtin.default"), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        seen = 0
        deadline = time.monotonic() + PLAYBOOK_TIMEOUT
        try:
            for line in process.stdout:
                out.write(line)
                if line.startswith(marker):
                    seen += 1
                    if seen == occurrence:
                        os.killpg(process.pid, signal.SIGKILL)
                        break
                assert time.monotonic() < deadline, f"site.yml ran past {PLAYBOOK_TIMEOUT}s, see {log}"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert seen == occurrence, f"site.yml ended (rc {process.returncode}) before {marker!r}: see {log}"
    return log.read_text()


def connect_db1(**options) -> pymysql.Connection:
    return pymysql.connect(host=str(INVENTORY.get("db1").address), user=ADMIN_USER, password=ADMIN_PASSWORD,
                           autocommit=True, connect_timeout=10, **options)


def sql(query: str, args: tuple = ()) -> list[tuple]:
    with connect_db1() as connection, connection.cursor() as cursor:
        cursor.execute(query, args)
        return list(cursor.fetchall())


def sql_script(script: str, database: str) -> None:
    """Every statement of SCRIPT in DATABASE, as the mysql client runs a file."""
    with connect_db1(database=database, client_flag=CLIENT.MULTI_STATEMENTS) as connection, \
            connection.cursor() as cursor:
        cursor.execute(script)
        while cursor.nextset():
            pass


# The stand-in server's queue of pending timers (a host coming Up, a job finishing): rows leave it as they fire.
QUEUES = ("sim_timer",)


def row_counts() -> dict[str, int]:
    """Rows of every table of the cloud's databases, queues aside."""
    tables = sql("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                 "AND table_schema IN ('cloud', 'cloud_usage') AND table_name NOT IN %s ORDER BY 1, 2", (QUEUES,))
    return {f"{schema}.{table}": sql(f"SELECT COUNT(*) FROM `{schema}`.`{table}`")[0][0] for schema, table in tables}


def kept_keys() -> dict[str, str]:
    return yaml.safe_load(KEYS_FILE.read_text())


def api(command: str, **params: str) -> requests.Response:
    """A signed call through lb1 with the keys site.yml kept, in a new session (no sticky cookie)."""
    keys = kept_keys()
    signed = sign({"command": command, "response": "json", **params}, keys["cloudstack_api_key"],
                  keys["cloudstack_api_secret"])
    return requests.get(LB_API, params=signed, timeout=30)


def answering_servers(count: int) -> list[str]:
    """Which management server answered each of `count` new clients' signed listZones through lb1 (from the
    SERVERID cookie haproxy sets), each answer checked."""
    servers = []
    for _ in range(count):
        reply = api("listZones")
        assert reply.status_code == 200, reply.text
        assert "listzonesresponse" in reply.json()
        servers.append(reply.cookies.get("SERVERID"))
    return servers


def haproxy_states() -> dict[str, str]:
    """The state haproxy gives each server of the API's backend, from its statistics page (loopback on lb1)."""
    csv = ssh("lb1", "python3 -c 'import urllib.request; "
                     "print(urllib.request.urlopen(\"http://127.0.0.1:8404/stats;csv\").read().decode())'")
    rows = [line.split(",") for line in csv.splitlines() if line.startswith("cloudstack_api,")]
    return {row[1]: row[17] for row in rows if row[1] not in ("FRONTEND", "BACKEND")}


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what} not met within {timeout}s")


def test_site_killed_midway_then_started_again_builds_the_cloud(playbook, logs):
    printed = run_killed_at(logs, KILL_AT, occurrence=2)
    assert "mgmt2" in printed.rsplit("Set up the management servers, one at a time", 1)[-1]
    assert sql("SELECT COUNT(*) FROM cloud.mshost WHERE state = 'Up'") == [(1,)]  # mgmt1 only

    run = playbook("site.yml")
    assert run.rc == 0, run.failures()
    assert set(run.recap) >= {*HOSTS, "localhost"}

    # The database tier, the management servers and the usage server.
    assert sorted(sql("SELECT name, state FROM cloud.mshost")) == [("mgmt1", "Up"), ("mgmt2", "Up")]
    assert sql("SELECT COUNT(*) FROM cloud_usage.usage_job WHERE host = 'mgmt1'")[0][0] >= 1
    assert "SyslogHost" not in ssh("mgmt1", "cat /etc/cloudstack/management/log4j-cloud.xml")  # Log4j 2 (4.21)
    log4j = ssh("mgmt1", "grep -A1 '<Syslog name=\"SYSLOG\"' /etc/cloudstack/management/log4j-cloud.xml")
    assert 'host="198.18.0.1"' in log4j and 'facility="LOCAL0"' in log4j and 'protocol="UDP"' in log4j

    # The API through lb1, with the keys kept 0600 on the controller and never printed.
    assert stat.S_IMODE(KEYS_FILE.stat().st_mode) == 0o600
    keys = kept_keys()
    assert keys["cloudstack_api_url"] == LB_API
    assert keys["cloudstack_api_secret"] not in run.log.read_text()
    assert set(answering_servers(6)) == {"mgmt1", "mgmt2"}  # round robin over both, for new clients

    # The system VM template, seeded by mgmt1 through its mount point, is on nfs1's export.
    seeded = run.results("Seed the system VM template on the secondary storage")["mgmt1"]
    assert seeded["path"] == "seeded", seeded
    listing = ssh("nfs1", "find /export/secondary/template -name template.properties -exec cat {} +")
    assert "description=SystemVM Template" in listing and "qcow2=true" in listing

    # The KVM hosts: bridges, libvirt listening, the management servers' key authorized; the zone's hosts Up.
    for host in ("kvm1", "kvm2"):
        assert {"cloudbr0", "cloudbr1"} <= set(ssh(host, "ls /sys/class/net").split())
        assert "16509" in ssh(host, "ss -ltn")
        cloud_key = ssh("mgmt1", "cat /var/lib/cloudstack/management/.ssh/id_rsa.pub").split()[1]
        assert cloud_key in ssh(host, "cat /root/.ssh/authorized_keys")
    zone = api("listZones", name="lab-zone1").json()["listzonesresponse"]["zone"][0]
    hosts = api("listHosts", zoneid=zone["id"], type="Routing").json()["listhostsresponse"]["host"]
    assert sorted((h["ipaddress"], h["state"]) for h in hosts) == [("198.18.0.51", "Up"), ("198.18.0.52", "Up")]


@pytest.fixture(scope="module")
def counts_before_second_run(lab_cloud) -> dict[str, int]:
    return row_counts()


def test_a_second_run_changes_nothing_and_keeps_every_row(playbook, counts_before_second_run):
    run = playbook("site.yml")
    assert run.rc == 0, run.failures()
    assert run.changed() == {host: 0 for host in run.recap}, run.changed_tasks()
    assert set(run.recap) >= {*HOSTS, "localhost"}

    setups = run.results("Set up the cloud database (first server) or join it (the others)")
    assert {host: (result["changed"], result["decision"], result["commands"]) for host, result in setups.items()} == {
        "mgmt1": (False, "none", []), "mgmt2": (False, "none", [])}
    assert setups["mgmt1"]["cloud_id"] == setups["mgmt2"]["cloud_id"]
    seeded = run.results("Seed the system VM template on the secondary storage")["mgmt1"]
    assert seeded["path"] == "present" and not seeded["changed"], seeded

    counts = row_counts()
    assert counts.keys() == counts_before_second_run.keys()
    assert {table: n for table, n in counts.items() if n < counts_before_second_run[table]} == {}
    assert counts["cloud.configuration"] == counts_before_second_run["cloud.configuration"]
    assert counts["cloud.mshost"] == counts_before_second_run["cloud.mshost"] == 2


def test_check_mode_on_the_built_cloud_changes_nothing(playbook):
    before = row_counts()
    run = playbook("site.yml", "--check", "--diff")
    assert run.rc == 0, run.failures()
    assert run.changed() == {host: 0 for host in run.recap}, run.changed_tasks()
    assert row_counts() == before


def test_with_mgmt1_stopped_the_api_answers_through_lb1_and_a_zone_change_converges(playbook):
    ssh("mgmt1", "service cloudstack-management stop")
    try:
        # haproxy passes a refused connection to mgmt2 at once (redispatch), then marks mgmt1 DOWN.
        assert set(answering_servers(6)) == {"mgmt2"}
        wait_until(lambda: haproxy_states()["mgmt1"] == "DOWN", 30, "haproxy to mark mgmt1 DOWN")
        zone_change = json.dumps({"lab_zone_dns": "198.18.0.2"})
        run = playbook("zone.yml", "-e", zone_change, "-e", f"@{KEYS_FILE}")
        assert run.rc == 0, run.failures()
        assert run.changed() == {"localhost": 1}
        zone = api("listZones", name="lab-zone1").json()["listzonesresponse"]["zone"][0]
        assert (zone["dns1"], zone["internaldns1"]) == ("198.18.0.2", "198.18.0.2")
        again = playbook("zone.yml", "-e", zone_change, "-e", f"@{KEYS_FILE}")
        assert again.rc == 0 and again.changed() == {"localhost": 0}, again.failures()
    finally:
        ssh("mgmt1", "service cloudstack-management start")
    restored = playbook("zone.yml", "-e", f"@{KEYS_FILE}")
    assert restored.rc == 0, restored.failures()


DB_SETUP = "Set up the cloud database (first server) or join it (the others)"
SCHEMA_SCRIPT = "/usr/share/cloudstack-management/setup/create-schema.sql"


def test_the_database_setup_refuses_another_key_then_a_half_made_schema(playbook):
    """Last, as it breaks the cloud: both refusals come before any change (files and rows as they were)."""
    before = row_counts()
    server_files = "sha256sum /etc/cloudstack/management/db.properties /etc/cloudstack/management/key"
    files = ssh("mgmt2", server_files)
    run = playbook("management.yml", "--limit", "mgmt2", "-e", "cloudstack_management_key=another-key")
    assert run.rc != 0
    refused = run.results(DB_SETUP)["mgmt2"]
    assert refused["failed"] and refused["msg"].startswith("management_key differs"), refused
    assert ssh("mgmt2", server_files) == files
    after = row_counts()  # (the servers are running: rows may come, none may go)
    assert after.keys() == before.keys()
    assert {table: n for table, n in after.items() if n < before[table]} == {}

    # What a first deploy killed after create-schema.sql leaves: the cloud's tables, with no settings.
    for host in ("mgmt1", "mgmt2"):
        ssh(host, "service cloudstack-management stop")
    ssh("mgmt1", "service cloudstack-usage stop")
    sql_script(ssh("mgmt1", f"cat {SCHEMA_SCRIPT}"), "cloud")
    half_made = row_counts()
    assert half_made["cloud.configuration"] == half_made["cloud.mshost"] == 0  # no settings, no servers
    files = ssh("mgmt1", server_files)
    run = playbook("management.yml", "--limit", "mgmt1")
    assert run.rc != 0
    refused = run.results(DB_SETUP)["mgmt1"]
    assert refused["failed"] and "half-made schema" in refused["msg"], refused
    assert "force_recreate" in refused["msg"]
    assert ssh("mgmt1", server_files) == files
    assert row_counts() == half_made
