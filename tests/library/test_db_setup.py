"""library/cloudstack_db_setup: deploy, join, nothing, or a refusal, with the stand-in cloudstack-setup-databases
of 4.21 and 4.19 against a real MariaDB, through ansible-playbook."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.library.helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    install_management,
    query,
    run_module,
    run_tasks,
    table_rows,
)

pytestmark = pytest.mark.mysql

CLOUD_PASSWORD, MANAGEMENT_KEY, DATABASE_KEY = "cl0ud-db-pw", "mgmt-key-41", "db-key-42"
SECRETS = (CLOUD_PASSWORD, MANAGEMENT_KEY, DATABASE_KEY, ADMIN_PASSWORD)
MODULE = "cloudstack_db_setup"


def args_for(server, ms, *, admin: bool = True, **extra) -> dict:
    """The module's arguments for management server MS (its own conf dir and script, its version)."""
    args = {
        "cloudstack_version": ms.version,
        "db_host": "127.0.0.1",
        "db_port": server.port,
        "cloud_password": CLOUD_PASSWORD,
        "management_key": MANAGEMENT_KEY,
        "database_key": DATABASE_KEY,
        "management_ip": "198.18.0.21",
        "db_properties": str(ms.db_properties),
        "key_file": str(ms.key_file),
        "db_files_path": str(ms.files),
        "setup_command": str(ms.setup_command),
    }
    if admin:
        args.update(deploy_as_user=ADMIN, deploy_as_password=ADMIN_PASSWORD)
    return {**args, **extra}


def add_marker(server) -> None:
    query(
        server,
        "INSERT INTO cloud.configuration (category, instance, component, name, value) "
        "VALUES ('Advanced', 'DEFAULT', 'test', 'acsible.test.marker', 'data worth keeping')",
    )


def databases(server) -> list[str]:
    return sorted(row[0] for row in query(server, "SHOW DATABASES") if row[0].startswith("cloud"))


# -- deploy, then nothing ------------------------------------------------------------------------------------


def test_deploy_then_a_rerun_changes_nothing_and_keeps_the_data(empty_server, tmp_path):
    ms = install_management(tmp_path / "ms1", "4.21.0.0")
    before = ms.db_properties.read_bytes()
    # Without cloudstack_version: the behaviour is read from the script's --help.
    check = run_module(tmp_path, MODULE, args_for(empty_server, ms, cloudstack_version=None), check=True, diff=True)
    assert check["changed"] and check["decision"] == "deploy", check
    assert check["commands"] == [] and check["facts"]["schema"] == "missing"
    assert check["facts"]["script_version"] == "4.21"
    assert "db.cloud.host=127.0.0.1" in check["diff"]["after"]
    assert "db.cloud.password=********" in check["diff"]["after"]
    assert databases(empty_server) == []
    assert ms.db_properties.read_bytes() == before
    assert not ms.key_file.exists()

    run = run_tasks(tmp_path, [{"name": "Deploy", MODULE: args_for(empty_server, ms)}], diff=True)
    deploy = run.results[0]
    assert deploy["changed"] and deploy["decision"] == "deploy", deploy
    assert "--deploy-as=dbadmin:********" in deploy["commands"][0]
    assert "--force-recreate" not in deploy["commands"][0]
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr + str(deploy)
    props = ms.properties()
    assert props["db.cloud.host"] == "127.0.0.1" and props["db.cloud.port"] == str(empty_server.port)
    assert props["cluster.node.IP"] == "198.18.0.21"
    assert props["acsible.cloud.id"] == deploy["cloud_id"]
    assert ms.key_file.read_text() == MANAGEMENT_KEY
    assert databases(empty_server) == ["cloud", "cloud_usage"]
    assert query(empty_server, "SELECT cloud_id FROM cloud.acsible_identity") == [(deploy["cloud_id"],)]
    assert "db.cloud.password=********" in deploy["diff"]["after"]

    add_marker(empty_server)
    rows, props_text = table_rows(empty_server), ms.db_properties.read_text()
    again = run_tasks(
        tmp_path,
        [
            {"name": "Again", MODULE: args_for(empty_server, ms)},
            {"name": "Again in check mode", MODULE: args_for(empty_server, ms), "check_mode": True},
            {"name": "Again as role deploy", MODULE: args_for(empty_server, ms, role="deploy")},
            {"name": "Again with force_recreate", MODULE: args_for(empty_server, ms, force_recreate=True)},
        ],
    ).results
    for result in again:
        assert not result["changed"] and result["decision"] == "none", result
        assert result["facts"]["properties_match"] and result["facts"]["schema"] == "complete"
    assert table_rows(empty_server) == rows
    assert ms.db_properties.read_text() == props_text
    assert query(empty_server, "SELECT value FROM cloud.configuration WHERE name = 'acsible.test.marker'") == [
        ("data worth keeping",)
    ]


# -- join --------------------------------------------------------------------------------------------------


def test_a_second_server_joins_without_touching_the_schema(empty_server, tmp_path):
    ms1, ms2 = install_management(tmp_path / "ms1", "4.21.0.0"), install_management(tmp_path / "ms2", "4.21.0.0")
    deploy = run_module(tmp_path, MODULE, args_for(empty_server, ms1))
    assert deploy["decision"] == "deploy", deploy
    add_marker(empty_server)
    rows = table_rows(empty_server)
    second = args_for(empty_server, ms2, admin=False, management_ip="198.18.0.22")
    results = run_tasks(
        tmp_path,
        [
            {"name": "Join in check mode", MODULE: second, "check_mode": True},
            {"name": "Join", MODULE: second},
            {"name": "Join again", MODULE: second},
        ],
        diff=True,
    ).results
    check, join, again = results
    assert check["changed"] and check["decision"] == "join" and check["commands"] == [], check
    assert join["changed"] and join["decision"] == "join", join
    assert not any(arg.startswith("--deploy-as") for arg in join["commands"][0])
    assert join["cloud_id"] == deploy["cloud_id"]
    assert f"acsible.cloud.id={deploy['cloud_id']}" in join["diff"]["after"]
    assert not again["changed"] and again["decision"] == "none", again
    props = ms2.properties()
    assert (props["cluster.node.IP"], props["acsible.cloud.id"]) == ("198.18.0.22", deploy["cloud_id"])
    assert ms2.key_file.read_text() == MANAGEMENT_KEY
    assert table_rows(empty_server) == rows


def test_join_needs_a_cloud_and_refuses_other_keys(empty_server, tmp_path):
    ms1, ms2 = install_management(tmp_path / "ms1", "4.21.0.0"), install_management(tmp_path / "ms2", "4.21.0.0")
    untouched = ms2.db_properties.read_bytes()
    nothing, deploy = run_tasks(
        tmp_path,
        [
            {"name": "Join nothing", MODULE: args_for(empty_server, ms2, role="join")},
            {"name": "Deploy", MODULE: args_for(empty_server, ms1)},
        ],
    ).results
    assert nothing["failed"] and "role=join: there is no cloud database" in nothing["msg"], nothing
    assert nothing["facts"]["schema"] == "missing"
    assert deploy["decision"] == "deploy", deploy
    rows = table_rows(empty_server)
    results = run_tasks(
        tmp_path,
        [
            {
                "name": "Join with another management key",
                MODULE: args_for(empty_server, ms2, management_key="other-key"),
            },
            {
                "name": "Join with another database key",
                MODULE: args_for(empty_server, ms2, admin=False, database_key="other-key"),
            },
            {
                "name": "Rerun the first with another key",
                MODULE: args_for(empty_server, ms1, management_key="other-key"),
            },
            {"name": "Join with another password", MODULE: args_for(empty_server, ms2, cloud_password="wrong-pw")},
        ],
    ).results
    management, database, first, password = results
    assert management["failed"] and management["msg"].startswith("management_key differs from the key cloud "), (
        management
    )
    assert management["facts"]["management_key_matches"] is False
    assert database["failed"] and database["msg"].startswith("database_key differs"), database
    assert first["failed"] and first["msg"].startswith("management_key differs"), first
    assert password["failed"] and password["msg"].startswith("cloud_password: cloud cannot log in"), password
    assert ms2.db_properties.read_bytes() == untouched
    assert not ms2.key_file.exists()
    assert ms1.key_file.read_text() == MANAGEMENT_KEY
    assert table_rows(empty_server) == rows


# -- refusals and force_recreate -----------------------------------------------------------------------------


def killed_deploy(server, ms) -> None:
    """What a deploy killed after create-schema.sql leaves: the cloud tables, no settings, no templates, no usage."""
    for name in ("create-database.sql", "create-schema.sql"):
        done = subprocess.run(
            ["mysql", f"--user={ADMIN}", "--host=127.0.0.1", f"--port={server.port}"],
            input=(ms.files / name).read_text(),
            env={**os.environ, "MYSQL_PWD": ADMIN_PASSWORD},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


def test_a_half_made_schema_is_refused_then_recreated_only_with_force(empty_server, tmp_path):
    ms = install_management(tmp_path / "ms1", "4.21.0.0")
    killed_deploy(empty_server, ms)
    rows, props = table_rows(empty_server), ms.db_properties.read_bytes()
    refused, join, check = run_tasks(
        tmp_path,
        [
            {"name": "Set up", MODULE: args_for(empty_server, ms)},
            {"name": "Join with force_recreate", MODULE: args_for(empty_server, ms, role="join", force_recreate=True)},
            {
                "name": "Recreate in check mode",
                MODULE: args_for(empty_server, ms, force_recreate=True),
                "check_mode": True,
            },
        ],
    ).results
    assert refused["failed"], refused
    assert refused["msg"] == (
        f"half-made schema at 127.0.0.1:{empty_server.port}: cloud.configuration is empty; cloud.vm_template has no "
        "SYSTEM templates; the cloud_usage database is missing. Nothing was changed; drop the cloud and cloud_usage "
        "databases, or set force_recreate: true (their data is lost)"
    )
    assert refused["facts"]["schema"] == "half-made" and refused["facts"]["versions"] == ["4.0.0"]
    assert join["failed"] and join["msg"].endswith(
        "Nothing was changed; deploy it again from the first management server"
    ), join
    assert check["changed"] and check["decision"] == "deploy" and check["commands"] == [], check
    assert table_rows(empty_server) == rows and databases(empty_server) == ["cloud"]
    assert ms.db_properties.read_bytes() == props

    recreate, again = run_tasks(
        tmp_path,
        [
            {"name": "Recreate", MODULE: args_for(empty_server, ms, force_recreate=True)},
            {"name": "Recreate again", MODULE: args_for(empty_server, ms, force_recreate=True)},
        ],
    ).results
    assert recreate["changed"] and recreate["decision"] == "deploy", recreate
    assert "--force-recreate" in recreate["commands"][0]
    assert not again["changed"] and again["decision"] == "none", again
    assert databases(empty_server) == ["cloud", "cloud_usage"]
    assert query(empty_server, "SELECT COUNT(*) FROM cloud.vm_template WHERE type = 'SYSTEM'") == [(4,)]


def test_a_database_of_another_cloud_is_refused(empty_server, tmp_path):
    ms1, ms2 = install_management(tmp_path / "ms1", "4.21.0.0"), install_management(tmp_path / "ms2", "4.21.0.0")
    results = run_tasks(
        tmp_path,
        [
            {"name": "Deploy", MODULE: args_for(empty_server, ms1)},
            {
                "name": "Deploy over a cloud this server is not part of",
                MODULE: args_for(empty_server, ms2, role="deploy"),
            },
            {
                "name": "Deploy over it with force_recreate",
                MODULE: args_for(empty_server, ms2, role="deploy", force_recreate=True),
            },
            {"name": "The first server on the new cloud", MODULE: args_for(empty_server, ms1)},
        ],
    ).results
    first, refused, recreated, other = results
    assert refused["failed"] and refused["msg"].startswith("role=deploy: a complete cloud database already exists"), (
        refused
    )
    assert recreated["changed"] and recreated["decision"] == "deploy", recreated
    assert recreated["cloud_id"] != first["cloud_id"]
    assert other["failed"], other
    assert other["msg"].startswith(
        f"the database belongs to another cloud: this server's {ms1.db_properties} names cloud {first['cloud_id']}, "
        f"but the cloud database at 127.0.0.1:{empty_server.port} is cloud {recreated['cloud_id']}"
    )
    assert ms1.properties()["acsible.cloud.id"] == first["cloud_id"]


def test_bad_input_is_refused_before_any_change(empty_server, tmp_path):
    ms = install_management(tmp_path / "ms1", "4.21.0.0")
    before = ms.db_properties.read_bytes()
    results = run_tasks(
        tmp_path,
        [
            {"name": "A colon in the password", MODULE: args_for(empty_server, ms, cloud_password="a:b")},
            {"name": "A quote in a key", MODULE: args_for(empty_server, ms, management_key='k"ey')},
            {"name": "No administrator", MODULE: args_for(empty_server, ms, admin=False)},
            {"name": "Unknown version", MODULE: args_for(empty_server, ms, cloudstack_version="4.18")},
            {"name": "Same users", MODULE: args_for(empty_server, ms, deploy_as_user="cloud")},
            {"name": "Force with join", MODULE: args_for(empty_server, ms, role="join", force_recreate=True)},
        ],
    ).results
    messages = [result["msg"] for result in results]
    assert all(result["failed"] for result in results), results
    assert messages[0] == "cloud_password: must not contain ':' (cloudstack-setup-databases cannot pass it on)"
    assert messages[1].startswith("management_key: must not contain quotes")
    assert messages[2].startswith(f"cloud_password: cloud cannot log in to 127.0.0.1:{empty_server.port}")
    assert messages[2].endswith("give deploy_as_password to deploy one")
    assert messages[3] == "cloudstack_version: 4.18 is older than 4.19, the oldest version supported"
    assert messages[4].startswith("deploy_as_user: must differ from cloud_user")
    assert messages[5].startswith("role=join: there is no cloud database at")  # force_recreate changes nothing
    assert databases(empty_server) == []
    assert ms.db_properties.read_bytes() == before


# -- 4.19: the script drops existing databases silently ------------------------------------------------------


def test_on_4_19_a_rerun_never_reaches_the_dropping_script(empty_server, tmp_path):
    ms1, ms2 = install_management(tmp_path / "ms1", "4.19.3.0"), install_management(tmp_path / "ms2", "4.19.3.0")
    deploy = run_module(tmp_path, MODULE, args_for(empty_server, ms1))
    assert deploy["decision"] == "deploy" and deploy["facts"]["script_version"] == "4.19", deploy
    add_marker(empty_server)
    rows = table_rows(empty_server)
    results = run_tasks(
        tmp_path,
        [
            {"name": "Again", MODULE: args_for(empty_server, ms1)},
            {"name": "Join", MODULE: args_for(empty_server, ms2, cloudstack_version="4.20.1.0")},
        ],
    ).results
    again, join = results
    assert not again["changed"] and again["decision"] == "none", again
    assert join["changed"] and join["decision"] == "join", join
    assert table_rows(empty_server) == rows


@pytest.mark.parametrize(("version", "flag"), [("4.19.3.0", False), ("4.21.0.0", True)])
def test_an_empty_database_is_deployed(empty_server, tmp_path, version, flag):
    """One the DBA made beforehand: 4.21 needs --force-recreate for it (nothing is lost), 4.19 does not know it."""
    query(empty_server, "CREATE DATABASE cloud")
    ms = install_management(tmp_path / "ms1", version)
    deploy = run_module(tmp_path, MODULE, args_for(empty_server, ms))
    assert deploy["decision"] == "deploy" and deploy["facts"]["schema"] == "empty", deploy
    assert ("--force-recreate" in deploy["commands"][0]) is flag
    assert query(empty_server, "SELECT COUNT(*) FROM cloud.vm_template WHERE type = 'SYSTEM'") == [(4,)]
