"""The lab over real SSH: up, status, ssh, apt through the proxy, crash recovery, and a down that leaves nothing.

The tests run in order and own the lab while they run: the first takes down whatever an earlier run left.
One `up` of a subset serves most checks; one full `up` of every inventory host measures the time it takes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab import main
from lab.config import CONTROLLER_ADDRESS, DEFAULT_INVENTORY, NETWORK, PREFIX, REPO_ROOT, LabPaths
from lab.inventory import load_inventory
from lab.services import APT_PROXY_PORT

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces, mounts)"),
]

SUBSET = ["db1", "mgmt1"]
TIMING = re.compile(r"up: (\d+) hosts answer ssh \((\d+) started\) in ([\d.]+)s")
INVENTORY = load_inventory(DEFAULT_INVENTORY)
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Leftovers:
    """What the lab could leave behind, counted on the whole machine."""

    mounts: int
    links: int
    named_netns: int
    net_namespaces: int
    lab_processes: int
    lab_mounts: int
    lab_links: int

    @classmethod
    def count(cls) -> Leftovers:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout.splitlines()
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout.split("\n")
        state = str(LabPaths.from_env().state)
        return cls(
            mounts=len(mounts),
            links=len(links),
            named_netns=len([line for line in netns if line.strip()]),
            net_namespaces=len(net_namespaces()),
            lab_processes=len(lab_processes(state)),
            lab_mounts=len([line for line in mounts if state in line or "/run/netns/" + PREFIX in line]),
            lab_links=len([line for line in links if PREFIX in line]),
        )


def net_namespaces() -> set[int]:
    """Every network namespace some process is in (by inode)."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):  # it may have exited while we looked
                found.add(os.stat(proc / "ns/net").st_ino)
    return found


def lab_processes(state: str) -> list[int]:
    """Processes outside our network namespace, or naming the lab's state dir, or an apt-cacher-ng."""
    own_netns = os.stat("/proc/self/ns/net").st_ino
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace")
            elsewhere = os.stat(proc / "ns/net").st_ino != own_netns
        except OSError:
            continue
        if argv and (elsewhere or state in argv or "apt-cacher-ng" in argv):
            found.append(int(proc.name))
    return found


def lab(capsys, *args: str) -> tuple[int, str]:
    """Run `python -m lab ARGS` in this process: its exit code and what it printed."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def lab_ssh(name: str, command: str) -> subprocess.CompletedProcess:
    """`python -m lab ssh NAME COMMAND` as a subprocess (ssh's own output is not Python's to capture)."""
    return subprocess.run([sys.executable, "-m", "lab", "ssh", name, command], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)


def host_status(capsys) -> dict[str, dict]:
    code, out = lab(capsys, "status", "--json")
    assert code == 0, out
    return {host["name"]: host for host in json.loads(out)["hosts"]}


def report(capsys, text: str) -> None:
    """A figure for the reader of the test run (not an assertion)."""
    with capsys.disabled():
        print(f"\n    [lab] {text}", flush=True)


@pytest.fixture(scope="module")
def baseline() -> Leftovers:
    """The machine with no lab: leftovers of an earlier run are taken down first."""
    assert main(["down"]) == 0
    counted = Leftovers.count()
    assert (counted.lab_processes, counted.lab_mounts, counted.lab_links) == (0, 0, 0)
    return counted


@pytest.fixture(scope="module")
def subset_up(baseline) -> str:
    """One `up` of db1 and mgmt1 for the module (cold on a fresh machine: it builds the image); its output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["up", *SUBSET])
    assert code == 0, out.getvalue()
    return out.getvalue()


def test_up_prints_progress_and_the_time_it_took(subset_up, capsys):
    assert "controller packages" in subset_up
    assert re.search(r"base image \w+ (cached|built in [\d.]+s)", subset_up)
    for name in SUBSET:
        assert re.search(rf"lab: {name} started \(198\.18\.0\.\d+, pid \d+\)", subset_up)
    hosts, started, seconds = TIMING.search(subset_up).groups()
    assert (int(hosts), int(started)) == (2, 2)
    built = re.search(r"base image \w+ built in ([\d.]+)s", subset_up)
    report(capsys, f"up {' '.join(SUBSET)}: {seconds}s" + (f" (image build {built[1]}s)" if built else
                                                                  " (image cached)"))


def test_up_twice_is_a_noop(subset_up, capsys):
    before = host_status(capsys)
    code, out = lab(capsys, "up", *SUBSET)
    assert code == 0, out
    assert TIMING.search(out).groups()[:2] == ("2", "0")
    assert all(f"{name} already up" in out for name in SUBSET)
    assert host_status(capsys) == before


def test_status_shows_the_subset_up_and_the_rest_down(subset_up, capsys):
    code, out = lab(capsys, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["bridge"]["up"] and status["bridge"]["address"] == "198.18.0.1/24"
    assert status["apt_proxy"]["pid"] and status["image"]["cached"]
    states = {host["name"]: host["state"] for host in status["hosts"]}
    assert states == {name: "up" if name in SUBSET else "down" for name in INVENTORY.names}
    code, text = lab(capsys, "status")
    assert re.search(r"db1\s+198\.18\.0\.11\s+up\s+pid \d+", text)


@pytest.mark.parametrize("name", SUBSET)
def test_ssh_reaches_a_host_shaped_as_promised(subset_up, name):
    host = INVENTORY.get(name)
    script = ("hostname; cat /proc/1/comm; readlink /proc/1/exe; ip -4 route show default; "
              "findmnt -n -o FSTYPE /; findmnt -n -o FSTYPE /proc; findmnt -n -o FSTYPE /sys; "
              "findmnt -n -o FSTYPE /run; test -c /dev/null && echo dev-ok; ip -4 -o addr show dev eth0")
    done = lab_ssh(name, script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == [name, "sysvinit", "/usr/sbin/sshd"]  # sshd is PID 1, under a name that gives sysvinit facts
    assert lines[3].startswith(f"default via {CONTROLLER_ADDRESS} dev eth0")
    assert lines[4:9] == ["overlay", "proc", "sysfs", "tmpfs", "dev-ok"]
    assert f"inet {host.address}/24" in lines[9]


def test_every_host_resolves_every_lab_host(subset_up):
    done = lab_ssh("mgmt1", f"getent hosts {' '.join(INVENTORY.names)} && timeout 5 bash -c 'echo > /dev/tcp/db1/22'")
    assert done.returncode == 0, done.stderr
    resolved = dict(reversed(line.split()) for line in done.stdout.splitlines())
    assert resolved == {host.name: str(host.address) for host in INVENTORY.hosts}


def test_ansible_reaches_the_hosts_with_the_settings_up_wrote(subset_up):
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
           "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_HOST_KEY_CHECKING": "True"}
    done = subprocess.run([str(VENV_BIN / "ansible"), "-i", str(DEFAULT_INVENTORY), ",".join(SUBSET), "-m",
                           "ansible.builtin.setup", "-a", "filter=ansible_default_ipv4,ansible_service_mgr"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    hosts = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]
    for name in SUBSET:
        facts = hosts[name]["ansible_facts"]
        assert facts["ansible_default_ipv4"]["address"] == str(INVENTORY.get(name).address)
        assert facts["ansible_default_ipv4"]["gateway"] == str(CONTROLLER_ADDRESS)
        assert facts["ansible_service_mgr"] == "sysvinit"


def test_apt_installs_a_package_through_the_controller_proxy(subset_up, capsys):
    done = lab_ssh("db1", "apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello && hello")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip().endswith("Hello, world!")
    proxy_log = LabPaths.from_env().services / "apt-proxy" / "log" / "apt-cacher.log"
    assert re.search(r"\|198\.18\.0\.11\|.*/hello_[^/]*\.deb", proxy_log.read_text())


def test_the_lab_uses_only_its_own_addresses(subset_up):
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "0"
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    proxy_sockets = [line.split()[3] for line in listening.splitlines() if "apt-cacher-ng" in line]
    assert proxy_sockets == [f"{CONTROLLER_ADDRESS}:{APT_PROXY_PORT}"]
    done = lab_ssh("db1", "ip -o addr show | awk '{print $4}'")
    addresses = set(done.stdout.split())
    assert addresses <= {"127.0.0.1/8", "::1/128", f"{INVENTORY.get('db1').address}/{NETWORK.prefixlen}"}


def test_up_after_a_crash_clears_the_leftovers_first(subset_up, capsys):
    before = host_status(capsys)
    os.kill(before["db1"]["pid"], 9)  # db1's PID 1 dies; its netns, veth and mounts stay behind
    subprocess.run(["ip", "netns", "add", f"{PREFIX}db2"], check=True)  # as if an `up db2` died half way
    after_crash = host_status(capsys)
    assert (after_crash["db1"]["state"], after_crash["db2"]["state"]) == ("broken", "broken")
    code, out = lab(capsys, "up", *SUBSET)
    assert code == 0, out
    assert "cleared leftovers of db1, db2" in out
    now = host_status(capsys)
    assert now["db1"]["state"] == "up" and now["db1"]["pid"] != before["db1"]["pid"]
    assert now["mgmt1"] == before["mgmt1"] and now["db2"]["state"] == "down"
    assert lab_ssh("db1", "hostname").stdout.strip() == "db1"


def test_down_leaves_nothing_behind(subset_up, baseline, capsys):
    code, out = lab(capsys, "down")
    assert code == 0, out
    assert Leftovers.count() == baseline


def test_up_again_then_down_leaves_nothing_behind(baseline, capsys):
    code, out = lab(capsys, "up", *SUBSET)
    assert code == 0, out
    assert TIMING.search(out).groups()[:2] == ("2", "2")
    assert all(lab_ssh(name, "hostname").stdout.strip() == name for name in SUBSET)
    code, out = lab(capsys, "down")
    assert code == 0, out
    assert Leftovers.count() == baseline


def test_the_whole_lab_comes_up_and_goes_down(baseline, capsys):
    code, out = lab(capsys, "up")
    assert code == 0, out
    hosts, started, seconds = TIMING.search(out).groups()
    assert int(hosts) == int(started) == len(INVENTORY.hosts)
    report(capsys, f"up of all {hosts} hosts (image cached): {seconds}s")
    for name in INVENTORY.names:
        assert lab_ssh(name, "hostname").stdout.strip() == name
    code, out = lab(capsys, "down")
    assert code == 0, out
    report(capsys, re.search(r"down: .*", out)[0])
    assert Leftovers.count() == baseline
