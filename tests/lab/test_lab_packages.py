"""The lab's CloudStack repository and its stand-in packages, on lab hosts over real SSH.

The packages install from the signed repository on 198.18.0.1 (apt checks the signature against the lab key
the host trusts through /etc/apt/keyrings and signed-by), and their scripts behave as CloudStack's do:
cloudstack-setup-databases per version, cloud-install-sys-tmplt, cloudstack-setup-management,
cloudstack-setup-agent. db1 runs Debian's MariaDB for all of them; each test that deploys the database
starts from an empty server. The module owns its hosts: it takes down what an earlier run left of them, and
takes them down at the end, with the lab's services unless hosts it did not start are up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from lab.config import DEFAULT_INVENTORY, LabPaths
from lab.inventory import load_inventory
from lab.operations import down, lab_host_names, up
from lab.repository import SYSTEMVM_TEMPLATES, Repository, debian_version, key_fingerprint
from lab.services import RepoServer
from lab.ssh import ssh_argv
from lab.system import pid_alive
from tests.conftest import sign

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces, mounts)"),
]

INVENTORY = load_inventory(DEFAULT_INVENTORY)
PATHS = LabPaths.from_env()
HOSTS = ["db1", "mgmt1", "mgmt2", "nfs1", "kvm1"]
# What each host installs, from which component (mgmt1 and mgmt2 make one 4.21 cloud; nfs1 tries 4.19).
INSTALLS = {"mgmt1": ("4.21", ["cloudstack-management"]), "mgmt2": ("4.21", ["cloudstack-management"]),
            "nfs1": ("4.19", ["cloudstack-management"]), "kvm1": ("4.21", ["cloudstack-agent"])}
VERSION_OF = {"4.19": "4.19.3.0", "4.21": "4.21.0.0"}
ADMIN, ADMIN_PASSWORD = "labadmin", "lab-admin-pw"  # db1's MariaDB admin, for --deploy-as
CLOUD_PASSWORD = "lab-cloud-pw"
DEPLOY = f"cloudstack-setup-databases cloud:{CLOUD_PASSWORD}@db1 --deploy-as={ADMIN}:{ADMIN_PASSWORD}"
KEYRING = "/etc/apt/keyrings/cloudstack.asc"
APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0"
ALREADY_EXISTS = ("Aborting script as the databases (cloud, cloud_usage) already exist.\n"
                  "Please use the --force-recreate parameter if you want to recreate the schemas.")
INSTALL_SYS_TMPLT = "/usr/share/cloudstack-common/scripts/storage/secondary/cloud-install-sys-tmplt"
REPO = RepoServer(PATHS)


def address(name: str) -> str:
    return str(INVENTORY.get(name).address)


def ssh(name: str, command: str, *, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(ssh_argv(PATHS, INVENTORY.get(name), [command]), input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def ok(name: str, command: str, **kwargs) -> str:
    """Run COMMAND on a host; its output, the test failing if it fails."""
    done = ssh(name, command, **kwargs)
    assert done.returncode == 0, f"{name}: {command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def sql(query: str) -> str:
    """A query on db1 as MariaDB's root (through its socket): rows, tab-separated, no header."""
    return ok("db1", f"mysql -N -B -e {shell_quote(query)}")


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def empty_db1() -> None:
    """The database server as before any CloudStack install."""
    sql("DROP DATABASE IF EXISTS cloud; DROP DATABASE IF EXISTS cloud_usage; "
        "DROP USER IF EXISTS 'cloud'@'localhost', 'cloud'@'%'")


def marker_rows() -> str:
    return sql("SELECT value FROM cloud.configuration WHERE name = 'acsible.test.marker'").strip()


def add_marker() -> None:
    sql("INSERT INTO cloud.configuration (category, instance, component, name, value) "
        "VALUES ('Hidden', 'DEFAULT', 'test', 'acsible.test.marker', 'data worth keeping')")


def sources_line(comp: str, *, signed: bool = True) -> str:
    options = f"[signed-by={KEYRING}] " if signed else ""
    return f"deb {options}{REPO.url}/debian bookworm {comp}\n"


# -- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_hosts():
    """The hosts up from a clean start (the repository built if its sources changed); down at the end."""
    down(INVENTORY, HOSTS, paths=PATHS)
    up(INVENTORY, HOSTS, paths=PATHS)
    yield
    down(INVENTORY, HOSTS, paths=PATHS)


def trust_repository(name: str, comp: str) -> None:
    """What a role does: the lab key in /etc/apt/keyrings, the source with signed-by, apt-get update."""
    key = Repository.of(PATHS).public_key.read_text()
    ok(name, f"mkdir -p /etc/apt/keyrings && cat > {KEYRING}", stdin=key)
    ok(name, "cat > /etc/apt/sources.list.d/cloudstack.list", stdin=sources_line(comp))


def install(name: str) -> None:
    if name == "db1":
        install_mariadb()
        return
    comp, packages = INSTALLS[name]
    trust_repository(name, comp)
    ok(name, f"apt-get -q update && {APT} install --no-install-recommends {' '.join(packages)}")


def install_mariadb() -> None:
    """Debian's MariaDB through the proxy, listening on the lab network, with an admin for --deploy-as."""
    ok("db1", f"apt-get -q update && {APT} install --no-install-recommends mariadb-server")
    ok("db1", "printf '[mysqld]\\nbind-address = 0.0.0.0\\n' > /etc/mysql/mariadb.conf.d/99-acsible-lab.cnf && "
              "service mariadb restart")
    sql(f"CREATE USER IF NOT EXISTS '{ADMIN}'@'%' IDENTIFIED BY '{ADMIN_PASSWORD}'; "
        f"GRANT ALL ON *.* TO '{ADMIN}'@'%' WITH GRANT OPTION")


@pytest.fixture(scope="module")
def installed(lab_hosts):
    """MariaDB on db1 and the stand-in packages on the others, installed side by side."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(HOSTS)) as pool:
        list(pool.map(install, HOSTS))
    return time.monotonic() - started


# -- the repository -----------------------------------------------------------------------------------------


def test_the_repository_is_laid_out_and_signed_like_a_real_one(lab_hosts, tmp_path):
    repo = Repository.of(PATHS)
    dist = repo.www / "debian/dists/bookworm"
    release = (dist / "Release").read_text()
    assert re.search(r"^Components: 4\.19 4\.21$", release, re.MULTILINE)
    assert re.search(r"^Suite: bookworm$", release, re.MULTILINE)
    keyring = tmp_path / "lab.gpg"
    subprocess.run(["gpg", "--batch", "--yes", "--dearmor", "-o", str(keyring), str(repo.public_key)], check=True)
    for signed in (["InRelease"], ["Release.gpg", "Release"]):
        verified = subprocess.run(["gpgv", "--keyring", str(keyring), *(str(dist / name) for name in signed)],
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stderr
    for comp, version in VERSION_OF.items():
        packages = (dist / comp / "binary-amd64/Packages").read_text()
        for name in ("cloudstack-common", "cloudstack-management", "cloudstack-usage", "cloudstack-agent"):
            assert f"Package: {name}\nVersion: {debian_version(version)}\n" in packages
            assert (repo.www / "debian/pool" / comp / f"{name}_{debian_version(version)}_all.deb").is_file()
        assert (repo.www / SYSTEMVM_TEMPLATES[version]).is_file()
    assert direct().get(f"{REPO.url}/release.asc", timeout=10).text == repo.public_key.read_text()


def test_apt_refuses_the_repository_without_the_lab_key(lab_hosts):
    ok("kvm1", "cat > /etc/apt/sources.list.d/cloudstack.list", stdin=sources_line("4.21", signed=False))
    done = ssh("kvm1", "apt-get -q update")
    ok("kvm1", "rm /etc/apt/sources.list.d/cloudstack.list")
    key_id = key_fingerprint(Repository.of(PATHS))[-16:]  # the long key id ends the fingerprint
    assert done.returncode != 0
    assert f"NO_PUBKEY {key_id}" in done.stdout + done.stderr, done.stdout + done.stderr
    assert "is not signed" in done.stdout + done.stderr


def test_the_packages_install_from_the_signed_repository(installed):
    for name, (comp, packages) in INSTALLS.items():
        listing = ok(name, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Status}\\n' 'cloudstack-*'")
        for package in ["cloudstack-common", *packages]:
            assert f"{package} {debian_version(VERSION_OF[comp])} installed" in listing, listing
    assert ok("mgmt1", "ls /usr/bin/cloudstack-setup-databases /usr/bin/cloudstack-setup-management "
                       f"{INSTALL_SYS_TMPLT} /etc/init.d/cloudstack-management "
                       "/usr/share/cloudstack-management/lib/simulator/__main__.py")
    assert ok("kvm1", "ls /usr/bin/cloudstack-setup-agent /etc/init.d/cloudstack-agent "
                      "/etc/cloudstack/agent/agent.properties")
    log = REPO.log.read_text()
    for name in INSTALLS:  # straight from each host to the repository, not through the apt proxy
        assert re.search(rf"^{re.escape(address(name))} .*GET /debian/dists/bookworm/InRelease", log, re.MULTILINE)
        assert re.search(rf"^{re.escape(address(name))} .*GET /debian/pool/.*\.deb", log, re.MULTILINE)


# -- cloudstack-setup-databases -----------------------------------------------------------------------------


def test_setup_databases_without_deploy_as_only_writes_db_properties(installed):
    empty_db1()
    out = ok("mgmt2", f"cloudstack-setup-databases cloud:{CLOUD_PASSWORD}@db1")
    assert "No mysql root user specified, will not create Cloud DB schema" in out
    assert "CloudStack has successfully initialized database" in out
    props = ok("mgmt2", "cat /etc/cloudstack/management/db.properties")
    for line in (f"db.cloud.password={CLOUD_PASSWORD}", "db.cloud.host=db1", "db.cloud.port=3306",
                 "db.usage.host=db1", f"cluster.node.IP={address('mgmt2')}", "region.id=1",
                 "db.cloud.encryption.type=none", "# The cloud database"):
        assert f"\n{line}\n" in props, line
    assert ok("mgmt2", "stat -c '%a %G' /etc/cloudstack/management/key").split() == ["640", "cloud"]
    assert sql("SHOW DATABASES LIKE 'cloud%'") == ""


def test_setup_databases_on_4_21_refuses_existing_databases(installed):
    empty_db1()
    ok("mgmt1", DEPLOY)
    assert sql("SELECT version FROM cloud.version").split() == ["4.0.0"]
    assert sql("SELECT id, type, hypervisor_type FROM cloud.vm_template WHERE type = 'SYSTEM' AND removed IS NULL "
               "ORDER BY id").splitlines() == ["1\tSYSTEM\tXenServer", "3\tSYSTEM\tKVM", "8\tSYSTEM\tVMware",
                                               "9\tSYSTEM\tHyperv"]
    grants = sql("SHOW GRANTS FOR 'cloud'@'%'") + sql("SHOW GRANTS FOR 'cloud'@'localhost'")
    assert grants.count("GRANT PROCESS ON *.*") == 2
    assert grants.count("GRANT ALL PRIVILEGES ON `cloud`.*") == grants.count("`cloud_usage`.*") == 2
    assert sql("SELECT COUNT(*) FROM cloud.sim_object").strip() != "0"
    add_marker()
    before = ok("mgmt1", "cat /etc/cloudstack/management/db.properties")

    again = ssh("mgmt1", DEPLOY)
    assert again.returncode == 1
    assert ALREADY_EXISTS in again.stderr
    assert marker_rows() == "data worth keeping"
    assert ok("mgmt1", "cat /etc/cloudstack/management/db.properties") == before
    assert ssh("mgmt1", "test -e /etc/cloudstack/management/db.properties.origin").returncode == 1

    ok("mgmt1", f"{DEPLOY} --force-recreate")
    assert marker_rows() == ""


def test_setup_databases_on_4_19_drops_and_recreates_without_asking(installed):
    empty_db1()
    ok("nfs1", DEPLOY)
    add_marker()
    again = ok("nfs1", DEPLOY)
    assert "Applying /usr/share/cloudstack-management/setup/create-database.sql" in again
    assert marker_rows() == ""  # the data is gone, as with the real 4.19 script
    refused = ssh("nfs1", f"{DEPLOY} --force-recreate")
    assert refused.returncode == 2
    assert "no such option: --force-recreate" in refused.stderr


# -- cloud-install-sys-tmplt --------------------------------------------------------------------------------


def template_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_cloud_install_sys_tmplt_writes_the_layout_and_refuses_to_overwrite(installed):
    """On nfs1 (4.19), whose database the test above deployed: KVM is template 3."""
    ok("nfs1", "mkdir -p /export/secondary && find /export/secondary -mindepth 1 -delete && "
               "head -c 300000 /dev/zero > /tmp/systemvm.qcow2 && bzip2 -f /tmp/systemvm.qcow2")
    out = ok("nfs1", f"{INSTALL_SYS_TMPLT} -m /export/secondary -f /tmp/systemvm.qcow2.bz2 -h kvm")
    assert "Successfully installed system VM template /tmp/systemvm.qcow2.bz2" in out
    files = ok("nfs1", "cd /export/secondary && find . -type f | sort").split()
    props = template_properties(ok("nfs1", "cat /export/secondary/template/tmpl/1/3/template.properties"))
    uuid = props["qcow2.filename"].removesuffix(".qcow2")
    assert files == [f"./template/tmpl/1/3/{uuid}.qcow2", "./template/tmpl/1/3/template.properties"]
    assert props == {"filename": f"{uuid}.qcow2", "description": "SystemVM Template", "hvm": "false",
                     "size": "300000", "qcow2": "true", "id": "3", "public": "true", "qcow2.filename": f"{uuid}.qcow2",
                     "uniquename": "routing-3", "qcow2.virtualsize": "300000", "virtualsize": "300000",
                     "qcow2.size": "300000"}
    assert sql("SELECT uuid, url FROM cloud.vm_template WHERE id = 3").rstrip("\n").split("\t") == [uuid, ""]

    again = ssh("nfs1", f"{INSTALL_SYS_TMPLT} -m /export/secondary -f /tmp/systemvm.qcow2.bz2 -h kvm")
    assert again.returncode == 2
    assert again.stdout.startswith("Data already exists at destination /export/secondary/template/tmpl/1/3/ -- use -F")
    assert again.stdout.endswith("Installation failed\n")

    url = f"{REPO.url}/{SYSTEMVM_TEMPLATES['4.19.3.0']}"
    ok("nfs1", f"{INSTALL_SYS_TMPLT} -m /export/secondary/ -u {url} -h kvm -F")
    props = template_properties(ok("nfs1", "cat /export/secondary/template/tmpl/1/3/template.properties"))
    assert props["qcow2.virtualsize"] == str(5 * 1024**3)  # read from the qcow2 header
    assert props["qcow2.filename"] != f"{uuid}.qcow2"
    assert sql("SELECT url FROM cloud.vm_template WHERE id = 3").strip() == url


# -- a cloud from the packages ------------------------------------------------------------------------------


def direct() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # straight to the lab, never through a proxy of the environment
    return session


def api(host: str, keys: dict, command: str, /, **params: str) -> dict:
    session = direct()
    signed = sign({"command": command, "response": "json", **params}, keys["apikey"], keys["secretkey"])
    reply = session.get(f"http://{address(host)}:8080/client/api", params=signed, timeout=30)
    assert reply.status_code == 200, reply.text
    [(_, body)] = reply.json().items()
    return body


def wait_for_api(name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            direct().get(f"http://{address(name)}:8080/client/api", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"nothing answers on {address(name)}:8080: {ssh(name, 'tail -20 /var/log/cloudstack/management/*')}")


def admin_keys(name: str) -> dict:
    return json.loads(ok(name, "PYTHONPATH=/usr/share/cloudstack-management/lib python3 -m simulator admin-keys "
                               "--db-properties /etc/cloudstack/management/db.properties"))


def test_a_cloud_from_the_packages_answers_signed_api_calls(installed):
    empty_db1()
    ok("mgmt1", DEPLOY)
    out = ok("mgmt1", "cloudstack-setup-management")
    assert "CloudStack Management Server setup is Done!" in out
    assert ok("mgmt1", "service cloudstack-management status").startswith("cloudstack-management is running")
    wait_for_api("mgmt1")
    keys = admin_keys("mgmt1")
    assert api("mgmt1", keys, "listCapabilities")["capability"]["cloudstackversion"] == "4.21.0.0"
    zone = api("mgmt1", keys, "createZone", name="lab-zone", dns1="198.18.0.53", internaldns1="198.18.0.53",
               networktype="Advanced")["zone"]

    # A second node: db.properties only (no --deploy-as), then the service; one cloud on one database.
    assert "No mysql root user specified" in ok("mgmt2", f"cloudstack-setup-databases cloud:{CLOUD_PASSWORD}@db1")
    ok("mgmt2", "cloudstack-setup-management")
    wait_for_api("mgmt2")
    assert [z["id"] for z in api("mgmt2", keys, "listZones")["zone"]] == [zone["id"]]
    # The simulator lists a node once that node has been asked about itself (the real one: from its start).
    api("mgmt1", keys, "listManagementServers")
    servers = api("mgmt2", keys, "listManagementServers")["managementserver"]
    assert sorted(server["name"] for server in servers) == ["mgmt1", "mgmt2"]
    mshost = sql("SELECT name, state, version, service_ip FROM cloud.mshost ORDER BY name").splitlines()
    assert mshost == [f"mgmt1\tUp\t4.21.0.0\t{address('mgmt1')}", f"mgmt2\tUp\t4.21.0.0\t{address('mgmt2')}"]
    assert sql("SELECT version FROM cloud.version ORDER BY id").split() == ["4.0.0", "4.21.0.0"]

    ok("mgmt2", "service cloudstack-management stop")
    assert ssh("mgmt2", "service cloudstack-management status").returncode == 3
    assert sql("SELECT state FROM cloud.mshost WHERE name = 'mgmt2'").strip() == "Down"


def test_the_usage_server_runs_on_the_management_servers_database(installed):
    """cloudstack-usage after cloudstack-management links its db.properties, as the real postinst does."""
    ok("mgmt1", f"{APT} install cloudstack-usage")
    assert ok("mgmt1", "readlink /etc/cloudstack/usage/db.properties").strip() == \
        "/etc/cloudstack/management/db.properties"
    ok("mgmt1", "service cloudstack-usage start")
    deadline = time.monotonic() + 20
    while not (rows := sql("SELECT host FROM cloud_usage.usage_job").split()) and time.monotonic() < deadline:
        time.sleep(0.2)  # its first heartbeat
    assert rows == ["mgmt1"]
    ok("mgmt1", "service cloudstack-usage stop")


# -- cloudstack-setup-agent ---------------------------------------------------------------------------------


def test_setup_agent_configures_the_kvm_host(installed):
    missing = ssh("kvm1", "cloudstack-setup-agent -a -m mgmt1 -z 1")
    assert missing.returncode == 1
    assert missing.stdout.startswith("Missing operand:pod\nTry /usr/bin/cloudstack-setup-agent --help")
    out = ok("kvm1", "CLOUDSTACK_SETUP_AGENT_PAUSE=0 cloudstack-setup-agent -a -m 198.18.0.21 -z 1 -p 2 -c 3 "
                     "-g 5a7f0c2e-0000-4000-8000-000000000051 --pubNic eth0 --prvNic eth0 --guestNic eth0")
    assert re.search(r"^Configure cloudAgent \.\.\. +\[OK\]$", out, re.MULTILINE)
    assert out.endswith("CloudStack Agent setup is done!\n")
    props = dict(line.split("=", 1) for line in ok("kvm1", "cat /etc/cloudstack/agent/agent.properties").splitlines()
                 if "=" in line and not line.startswith("#"))
    assert {key: props[key] for key in ("host", "port", "zone", "pod", "cluster", "guid", "hypervisor.type",
                                        "private.network.device", "public.network.device", "guest.network.device",
                                        "resource")} == {
        "host": "198.18.0.21", "port": "8250", "zone": "1", "pod": "2", "cluster": "3",
        "guid": "5a7f0c2e-0000-4000-8000-000000000051", "hypervisor.type": "kvm", "private.network.device": "eth0",
        "public.network.device": "eth0", "guest.network.device": "eth0",
        "resource": "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource"}
    assert re.fullmatch(r"[0-9a-f-]{36}", props["local.storage.uuid"])
    assert ok("kvm1", "service cloudstack-agent status").startswith("cloudstack-agent is running")


def test_down_stops_the_repository_server(installed):
    pid = REPO.pid()
    assert pid is not None
    down(INVENTORY, HOSTS, paths=PATHS)
    others = lab_host_names(PATHS)
    if others:
        pytest.skip(f"other lab hosts are up ({', '.join(sorted(others))}): the lab's services stay for them")
    assert REPO.pid() is None and not pid_alive(pid)
    assert processes_naming(Repository.of(PATHS).home) == []  # no gpg-agent either


def processes_naming(path: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # it may have exited while we looked
            if str(path).encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
    return found
