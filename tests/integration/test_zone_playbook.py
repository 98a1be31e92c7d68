"""playbooks/zone.yml and the cloudstack_zone role: the lab inventory's zone spec applied to a simulator.

The lab's own run (site.yml on the lab hosts) is in tests/lab; here the same playbook and spec run
against a local simulator, so the spec and the role are checked without the lab.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, ApiActions, start_simulator
from tests.integration.conftest import ansible_env


@pytest.fixture
def sim(tmp_path):
    simulator = start_simulator(tmp_path / "sim", job_delay=0.1, host_up_delay=0.2)
    yield simulator
    simulator.stop()


def zone_playbook(sim, *args: str) -> subprocess.CompletedProcess:
    api = {"cloudstack_api_url": sim.url, "cloudstack_api_key": sim.apikey, "cloudstack_api_secret": sim.secretkey}
    extra = [item for key, value in api.items() for item in ("-e", f"{key}={value}")]
    return subprocess.run(["ansible-playbook", "-i", "inventory/lab", "-e",
                           f"ansible_python_interpreter={sys.executable}", *extra, *args, "playbooks/zone.yml"],
                          cwd=ROOT, env=ansible_env(sim), capture_output=True, text=True, timeout=600)


def recap(run: subprocess.CompletedProcess) -> dict[str, int]:
    found = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", run.stdout)
    assert found, run.stdout[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, found.groups()), strict=True))


def test_the_lab_zone_is_planned_built_and_left_alone(sim):
    planned = zone_playbook(sim, "--check", "--diff")
    assert planned.returncode == 0, planned.stdout[-3000:]
    assert "create cluster lab-cluster1 in pod lab-pod1" in planned.stdout
    assert "add host 198.18.0.51" in planned.stdout and "add host 198.18.0.52" in planned.stdout
    assert "update setting host" in planned.stdout

    built = zone_playbook(sim)
    assert built.returncode == 0, built.stdout[-3000:]
    assert recap(built)["changed"] == 1
    api = ApiActions(sim)
    zone = api.call("listZones", name="lab-zone1")["zone"][0]
    assert zone["allocationstate"] == "Enabled"
    hosts = api.call("listHosts", zoneid=zone["id"], type="Routing")["host"]
    assert sorted((h["ipaddress"], h["state"]) for h in hosts) == [("198.18.0.51", "Up"), ("198.18.0.52", "Up")]
    # Agents and system VMs are sent to the load balancer, lb1.
    settings = api.call("listConfigurations", name="host")["configuration"]  # a name filter matches parts of names
    assert [c["value"] for c in settings if c["name"] == "host"] == ["198.18.0.31"]

    again = zone_playbook(sim)
    assert recap(again)["changed"] == 0 and recap(again)["failed"] == 0
    assert "the zones match the spec" in again.stdout


def test_the_role_refuses_to_run_without_a_spec(sim):
    run = zone_playbook(sim, "-e", '{"cloudstack_zone_spec": {}}')
    assert run.returncode != 0
    assert "cloudstack_zone_spec or cloudstack_zone_spec_file: give the zone spec" in run.stdout


def test_a_spec_file_given_relative_to_the_working_directory_is_planned(sim):
    run = zone_playbook(sim, "--check", "-e", '{"cloudstack_zone_spec": {}}',
                        "-e", "cloudstack_zone_spec_file=inventory/examples/zone-wide-storage.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "create primary storage zws1-zone-ps in zone zws1" in run.stdout
    assert ApiActions(sim).call("listZones").get("zone", []) == []
