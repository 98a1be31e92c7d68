"""acsible.cloudstack.zone_spec: whole zones converged from one spec, through real ansible runs.

Each test starts from an empty cloud of its own (a fresh simulator) and reads the cloud back
through the API to check what the module did, not only what it says it did.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, ApiActions, start_simulator
from tests.integration.conftest import ansible_env

EXAMPLES = ROOT / "inventory" / "examples"
MARVIN = Path(__file__).parent / "data" / "marvin-advanced.cfg"


@pytest.fixture
def sim(tmp_path):
    simulator = start_simulator(tmp_path / "sim", job_delay=0.1, host_up_delay=0.2)
    yield simulator
    simulator.stop()


@pytest.fixture
def api(sim):
    return ApiActions(sim)


def example(name="zone-advanced.yml"):
    return yaml.safe_load((EXAMPLES / name).read_text())


def zone_spec(sim, check=False, **args):
    """One zone_spec task (ad hoc, JSON output); returns the task's result."""
    args.setdefault("poll_interval", 0.1)
    env = dict(ansible_env(sim), ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    command = ["ansible", "localhost", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
               "-m", "acsible.cloudstack.zone_spec", "-a", json.dumps(args)]
    run = subprocess.run([*command, *(["--check"] if check else [])], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    try:
        return json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(f"no task result:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}") from None


def requests_made(sim) -> int:
    return len(sim.request_log.read_text().splitlines()) if sim.request_log.exists() else 0


def listed(api, command, key, **params):
    return api.call(command, **params).get(key, [])


def test_an_empty_cloud_is_converged_from_a_spec_and_a_rerun_changes_nothing(sim, api, tmp_path):
    first = zone_spec(sim, spec=example(), wait_for_system_vms=True)
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] and first["plan"][:3] == [
        "update setting expunge.delay: value 86400 -> 60", "update setting network.gc.interval: value 600 -> 60",
        "create zone adv1"]
    zone = listed(api, "listZones", "zone", name="adv1")[0]
    assert zone["allocationstate"] == "Enabled" and first["zones"] == {"adv1": zone["id"]}
    hosts = listed(api, "listHosts", "host", zoneid=zone["id"], type="Routing")
    assert sorted(h["ipaddress"] for h in hosts) == ["198.18.21.101", "198.18.21.102", "198.18.22.101"]
    assert all(h["state"] == "Up" for h in hosts)
    assert {p["name"] for p in listed(api, "listStoragePools", "storagepool", zoneid=zone["id"])} == \
        {"adv1-c1-ps1", "adv1-c2-ps1"}
    providers = listed(api, "listNetworkServiceProviders", "networkserviceprovider",
                       physicalnetworkid=listed(api, "listPhysicalNetworks", "physicalnetwork",
                                                zoneid=zone["id"])[0]["id"])
    assert {p["name"] for p in providers if p["state"] == "Enabled"} >= {"VirtualRouter", "VpcVirtualRouter",
                                                                          "InternalLbVm"}
    system_vms = listed(api, "listSystemVms", "systemvm", zoneid=zone["id"])
    assert sorted((vm["systemvmtype"], vm["state"]) for vm in system_vms) == [
        ("consoleproxy", "Running"), ("secondarystoragevm", "Running")]

    again = zone_spec(sim, spec=example())
    assert again["changed"] is False and again["plan"] == []
    assert sum(again["api_calls"].values()) <= 40
    assert set(again["api_calls"]) <= {c for c in again["api_calls"] if c.startswith("list")}


def test_check_mode_plans_a_whole_new_zone_and_changes_nothing(sim, api, tmp_path):
    before = requests_made(sim)
    planned = zone_spec(sim, check=True, spec=example())
    assert planned["changed"] and "create primary storage adv1-c2-ps1 in cluster adv1-c2" in planned["plan"]
    assert planned["plan"][-1] == "enable zone adv1: allocationstate (none) -> Enabled"
    assert listed(api, "listZones", "zone") == []
    assert set(planned["api_calls"]) == {"listZones", "listConfigurations"}
    assert requests_made(sim) - before == sum(planned["api_calls"].values()) + 1  # + our listZones

    done = zone_spec(sim, spec=example())
    assert done["plan"] == planned["plan"]


def test_a_changed_spec_is_planned_then_applied_exactly(sim, api, tmp_path):
    assert not zone_spec(sim, spec=example()).get("failed")
    changed = example()
    zone = changed["zones"][0]
    zone["pods"][0]["clusters"][0]["hosts"][0]["hosttags"] = ["fast", "gpu"]
    del zone["pods"][1]["clusters"][0]  # cluster adv1-c2 with its host and pool goes
    zone["pods"].append({"name": "adv1-pod3", "gateway": "198.18.23.1", "netmask": "255.255.255.0",
                         "startip": "198.18.23.10", "endip": "198.18.23.99"})
    expected = [
        "update host 198.18.21.101: hosttags [fast] -> [fast, gpu]",
        "create pod adv1-pod3",
        "delete primary storage adv1-c2-ps1",
        "delete host 198.18.22.101",
        "delete cluster adv1-c2",
    ]
    planned = zone_spec(sim, check=True, spec=changed, prune=True)
    assert planned["plan"] == expected
    assert len(listed(api, "listClusters", "cluster")) == 2

    applied = zone_spec(sim, spec=changed, prune=True)
    assert not applied.get("failed"), applied.get("msg")
    assert applied["plan"] == expected
    assert [c["name"] for c in listed(api, "listClusters", "cluster")] == ["adv1-c1"]
    assert {p["name"] for p in listed(api, "listPods", "pod")} == {"adv1-pod1", "adv1-pod2", "adv1-pod3"}
    host = listed(api, "listHosts", "host", name="198.18.21.101")[0]
    assert sorted(host["hosttags"].split(",")) == ["fast", "gpu"]
    assert zone_spec(sim, spec=changed, prune=True)["plan"] == []


def test_without_prune_nothing_is_ever_deleted(sim, api, tmp_path):
    assert not zone_spec(sim, spec=example()).get("failed")
    smaller = example()
    smaller["zones"][0]["pods"].pop()
    result = zone_spec(sim, spec=smaller)
    assert result["changed"] is False and result["plan"] == []
    assert len(listed(api, "listPods", "pod")) == 2


def test_a_bad_spec_is_refused_with_its_place_before_any_api_call(sim, tmp_path):
    bad = example()
    bad["zones"][0]["pods"][1]["startip"] = "10.1.1.300"
    before = requests_made(sim)
    result = zone_spec(sim, spec=bad)
    assert result["failed"] and "zones[0].pods[1].startip: 10.1.1.300 is not an IPv4 address" in result["msg"]
    assert result["errors"] == ["zones[0].pods[1].startip: 10.1.1.300 is not an IPv4 address"]
    assert result["api_calls"] == {}
    assert requests_made(sim) == before


def test_what_cloudstack_cannot_change_fails_before_any_change(sim, api, tmp_path):
    assert not zone_spec(sim, spec=example()).get("failed")
    moved = example()
    moved["zones"][0]["pods"][0]["endip"] = "198.18.21.120"
    moved["zones"][0]["pods"][0]["clusters"][0]["hosts"][0]["hosttags"] = ["other"]
    result = zone_spec(sim, spec=moved)
    assert result["failed"]
    assert result["errors"] == ["zones[0].pods[0].startip: pod adv1-pod1 has the range 198.18.21.10-198.18.21.99; "
                                "CloudStack cannot change a pod's range (remove the pod and add it again)"]
    assert set(result["api_calls"]) <= {c for c in result["api_calls"] if c.startswith("list")}
    host = listed(api, "listHosts", "host", name="198.18.21.101")[0]
    assert host["hosttags"] == "fast"


def test_a_converge_that_fails_midway_is_finished_by_a_rerun_without_duplicates(sim, api, tmp_path):
    api.call("configureSimulatorFault", name="addHost", count=1, errorcode=530,
             errortext="Unable to add the host: injected")
    api.call("configureSimulatorFault", name="createStoragePool", count=1, errorcode=530, errortext="injected")
    failed = zone_spec(sim, spec=example())
    assert failed["failed"] and failed["msg"].startswith("add host 198.18.21.101: ")
    assert "create cluster adv1-c1 in pod adv1-pod1" in failed["done"]

    second = zone_spec(sim, spec=example())
    assert second["failed"] and second["msg"].startswith("create primary storage adv1-c1-ps1")
    assert "create zone adv1" not in second["done"] and "add host 198.18.21.101" in second["done"]

    third = zone_spec(sim, spec=example())
    assert not third.get("failed"), third.get("msg")
    hosts = listed(api, "listHosts", "host", type="Routing")
    assert sorted(h["ipaddress"] for h in hosts) == ["198.18.21.101", "198.18.21.102", "198.18.22.101"]
    assert len(listed(api, "listPods", "pod")) == 2 and len(listed(api, "listZones", "zone")) == 1
    assert zone_spec(sim, spec=example())["plan"] == []


def test_a_marvin_config_file_is_converged_as_it_is(sim, api, tmp_path):
    api.call("updateConfiguration", name="hypervisor.list", value="KVM,Simulator")  # as Marvin's dev setup has it
    first = zone_spec(sim, spec_file=str(MARVIN))
    assert not first.get("failed"), first.get("msg")
    assert {"dbSvr", "logger", "mgtSvr"} <= set(first["ignored"])
    hosts = listed(api, "listHosts", "host", type="Routing")
    assert len(hosts) == 4 and all(h["name"].startswith("SimulatedAgent.") for h in hosts)
    assert zone_spec(sim, spec_file=str(MARVIN))["plan"] == []


def test_the_basic_and_zone_wide_examples_converge(sim, api, tmp_path):
    for name in ("zone-basic-sg.yml", "zone-wide-storage.yml"):
        result = zone_spec(sim, spec_file=str(EXAMPLES / name))
        assert not result.get("failed"), result.get("msg")
        assert zone_spec(sim, spec_file=str(EXAMPLES / name))["plan"] == []
    network = listed(api, "listNetworks", "network", listall=True)
    assert [n["name"] for n in network] == ["guestNetworkForBasicZone"]
    pool = listed(api, "listStoragePools", "storagepool", name="zws1-zone-ps")[0]
    assert pool["scope"] == "ZONE"


def test_diff_shows_the_plan_and_host_passwords_never_show(sim, tmp_path):
    spec = copy.deepcopy(example())
    playbook = tmp_path / "zone.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Converge", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Plan the zone", "acsible.cloudstack.zone_spec": {"spec": spec, "poll_interval": 0.1}}],
    }]))
    run = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                          f"ansible_python_interpreter={sys.executable}", "--check", "--diff", "-vvv", str(playbook)],
                         cwd=ROOT, env=ansible_env(sim), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "create pod adv1-pod2\n" in run.stdout and "add host 198.18.22.101\n" in run.stdout
    assert "lab-host-secret" not in run.stdout + run.stderr
