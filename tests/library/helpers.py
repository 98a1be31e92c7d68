"""Helpers of the library tests: the stand-in packages' scripts in a temporary prefix, ansible-playbook runs.

The stand-in cloudstack-management and cloudstack-common scripts (simulator/packaging) are installed into a
temporary prefix per test, as the lab's package build makes them (@VERSION@ filled in); a private MariaDB on
loopback holds the cloud database. Only what a package install would fix differs: the scripts' Python is this
venv's (the lab hosts have python3-flask and python3-pymysql), and the simulator they seed is this checkout's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support import mariadb

PACKAGING = ROOT / "simulator" / "packaging"
MANAGEMENT = PACKAGING / "cloudstack-management" / "root"
COMMON = PACKAGING / "cloudstack-common" / "root"
SECONDARY_SCRIPTS = "usr/share/cloudstack-common/scripts/storage/secondary"
ADMIN, ADMIN_PASSWORD = "dbadmin", "db-admin-pw"
CALLBACKS = Path(__file__).parent / "callback_plugins"


def install_file(source: Path, target: Path, version: str, replacements: dict[str, str] | None = None) -> None:
    """Copy one packaged file as the lab's package build does: @VERSION@ filled in, the mode kept."""
    text = source.read_text().replace("@VERSION@", version)
    for old, new in (replacements or {}).items():
        assert old in text, f"{old!r} not in {source}"
        text = text.replace(old, new)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(0o755 if source.stat().st_mode & 0o111 else 0o644)


@dataclass
class ManagementServer:
    """One management server's files: its conf dir (db.properties, key) and the installed script."""

    root: Path
    version: str

    @property
    def conf(self) -> Path:
        return self.root / "etc/cloudstack/management"

    @property
    def db_properties(self) -> Path:
        return self.conf / "db.properties"

    @property
    def key_file(self) -> Path:
        return self.conf / "key"

    @property
    def setup_command(self) -> Path:
        return self.root / "usr/bin/cloudstack-setup-databases"

    @property
    def files(self) -> Path:
        return self.root / "usr/share/cloudstack-management/setup"

    def properties(self) -> dict[str, str]:
        values = {}
        for line in self.db_properties.read_text().splitlines():
            if line.strip() and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        return values


def install_management(root: Path, version: str) -> ManagementServer:
    """cloudstack-management's database tooling under ROOT: the script, its SQL files and db.properties."""
    server = ManagementServer(root, version)
    install_file(
        MANAGEMENT / "usr/bin/cloudstack-setup-databases",
        server.setup_command,
        version,
        {
            "#!/usr/bin/python3": f"#!{sys.executable}",
            'SIMULATOR_LIB = "/usr/share/cloudstack-management/lib"': f'SIMULATOR_LIB = "{ROOT}"',
        },
    )
    for sql in (MANAGEMENT / "usr/share/cloudstack-management/setup").glob("*.sql"):
        install_file(sql, server.files / sql.name, version)
    install_file(MANAGEMENT / "etc/cloudstack/management/db.properties", server.db_properties, version)
    return server


def install_common(root: Path, version: str) -> Path:
    """cloudstack-common's secondary storage scripts under ROOT; the path of cloud-install-sys-tmplt."""
    for name in ("cloud-install-sys-tmplt", "createtmplt.sh"):
        install_file(COMMON / SECONDARY_SCRIPTS / name, root / SECONDARY_SCRIPTS / name, version)
    return root / SECONDARY_SCRIPTS / "cloud-install-sys-tmplt"


PLAY = {"name": "Run library modules", "hosts": "localhost", "gather_facts": False}


@dataclass
class Run:
    """One ansible-playbook run: the registered result of each task, and what ansible-playbook printed."""

    results: list[dict]
    stdout: str
    stderr: str
    returncode: int


def run_tasks(tmp_path: Path, tasks: list[dict], *, diff: bool = False) -> Run:
    """ansible-playbook over TASKS (dicts as in a playbook); every task is ignore_errors, so that a refusal can
    be asserted on. The results come from a test callback (callback_plugins/record_results.py), as registered."""
    playbook, out = tmp_path / "playbook.yml", tmp_path / "results.json"
    playbook.write_text(json.dumps([{**PLAY, "tasks": [{**task, "ignore_errors": True} for task in tasks]}]))
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ACSIBLE_TEST_RESULTS": str(out),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            *(["--diff"] if diff else []),
            str(playbook),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if not out.exists():
        pytest.fail(f"ansible-playbook did not finish (rc {done.returncode}):\n{done.stdout}\n{done.stderr}")
    results = json.loads(out.read_text())
    assert len(results) == len(tasks), done.stdout
    return Run(results, done.stdout, done.stderr, done.returncode)


def run_module(tmp_path: Path, module: str, args: dict, *, check: bool = False, diff: bool = False) -> dict:
    """One task of MODULE; its result."""
    task = {"name": f"Run {module}", module: args, "check_mode": check}
    return run_tasks(tmp_path, [task], diff=diff).results[0]


def reset(server: mariadb.MariaDB) -> None:
    """The database server as before any CloudStack install."""
    with server.root() as conn, conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS cloud")
        cur.execute("DROP DATABASE IF EXISTS cloud_usage")
        cur.execute("DROP USER IF EXISTS 'cloud'@'localhost', 'cloud'@'%'")


def table_rows(server: mariadb.MariaDB, schema: str = "cloud") -> dict[str, int]:
    """{table: row count} of every table of SCHEMA."""
    with server.root() as conn, conn.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (schema,))
        tables = sorted(row[0] for row in cur.fetchall())
        counts = {}
        for table in tables:
            cur.execute(f"SELECT COUNT(*) FROM `{schema}`.`{table}`")
            counts[table] = cur.fetchone()[0]
        return counts


def query(server: mariadb.MariaDB, sql: str, args: tuple = ()) -> list[tuple]:
    with server.root() as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def needs_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: scripts/setup.sh installs them")
