"""Zone converge: one zone_spec task against the same zone as a playbook of per-resource tasks.

Builds a synthetic spec (1 zone, 4 pods, 16 clusters, 256 hosts, 32 primary pools, 2 image
stores) and applies it to an empty simulator twice: the first converge, then a no-op re-converge.
The baseline does the same with a playbook of acsible.cloudstack per-resource modules (a loop
over hosts, pools, ...) on a second empty simulator. Prints wall seconds and API calls by command
(counted by the simulator's request log, so both sides are counted the same way). Asserts nothing.

    .venv/bin/python bench/zone_converge.py [--pods 4] [--clusters-per-pod 4] [--hosts-per-cluster 16]

Aims (issue: declarative zones): no-op re-converge in 40 API calls or fewer, and at least 10x
faster than the per-resource playbook.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_simulator  # noqa: E402


def synthetic_spec(pods: int, clusters_per_pod: int, hosts_per_cluster: int) -> dict:
    """Addresses from 198.18.0.0/15 (reserved for testing); the simulator never connects to them."""
    spec_pods = []
    for p in range(pods):
        clusters = []
        for c in range(clusters_per_pod):
            number = p * clusters_per_pod + c
            clusters.append({
                "clustername": f"bench-c{number}", "hypervisor": "KVM",
                "hosts": [{"url": f"http://198.19.{number}.{h + 1}", "username": "root", "password": "bench"}
                          for h in range(hosts_per_cluster)],
                "primaryStorages": [{"name": f"bench-c{number}-ps{s}", "url": f"nfs://198.18.0.41/primary/{number}/{s}"}
                                    for s in range(2)],
            })
        spec_pods.append({"name": f"bench-pod{p}", "gateway": f"198.18.{100 + p}.1", "netmask": "255.255.255.0",
                          "startip": f"198.18.{100 + p}.10", "endip": f"198.18.{100 + p}.200", "clusters": clusters})
    return {"zones": [{
        "name": "bench-zone", "networktype": "Advanced", "dns1": "198.18.0.1", "internaldns1": "198.18.0.1",
        "physical_networks": [{"name": "bench-pnet", "vlan": "100-999", "isolationmethods": ["VLAN"],
                               "traffictypes": [{"typ": "Management"}, {"typ": "Public"}, {"typ": "Guest"}],
                               "providers": [{"name": "VirtualRouter"}]}],
        "ipranges": [{"startip": "198.18.99.10", "endip": "198.18.99.250", "netmask": "255.255.255.0",
                      "gateway": "198.18.99.1", "vlan": "50"}],
        "pods": spec_pods,
        "secondaryStorages": [{"name": f"bench-sec{i}", "url": f"nfs://198.18.0.41/secondary/{i}"} for i in range(2)],
    }]}


def per_resource_playbook(spec: dict) -> list:
    """The same zone as the ordered tasks an operator writes with per-resource modules."""
    zone = spec["zones"][0]
    pnet = zone["physical_networks"][0]
    clusters = [dict(c, pod=pod["name"]) for pod in zone["pods"] for c in pod["clusters"]]
    hosts = [dict(h, pod=c["pod"], cluster=c["clustername"]) for c in clusters for h in c["hosts"]]
    pools = [dict(s, pod=c["pod"], cluster=c["clustername"]) for c in clusters for s in c["primaryStorages"]]
    z = zone["name"]
    tasks = [
        {"name": "Zone", "acsible.cloudstack.zone": {"name": z, "network_type": "Advanced", "dns1": zone["dns1"],
                                                     "internal_dns1": zone["internaldns1"]}},
        {"name": "Physical network", "acsible.cloudstack.physical_network": {
            "name": pnet["name"], "zone": z, "vlan": pnet["vlan"], "isolation_method": "VLAN"}},
        {"name": "Traffic types", "loop": [t["typ"] for t in pnet["traffictypes"]],
         "acsible.cloudstack.traffic_type": {"traffic_type": "{{ item }}", "physical_network": pnet["name"],
                                             "zone": z}},
        {"name": "Providers", "acsible.cloudstack.network_service_provider": {
            "name": "VirtualRouter", "physical_network": pnet["name"], "zone": z, "state": "enabled"}},
        {"name": "Enable the physical network", "acsible.cloudstack.physical_network": {
            "name": pnet["name"], "zone": z, "state": "enabled"}},
        {"name": "Pods", "loop": zone["pods"], "loop_control": {"label": "{{ item.name }}"},
         "acsible.cloudstack.pod": {"name": "{{ item.name }}", "zone": z, "gateway": "{{ item.gateway }}",
                                    "netmask": "{{ item.netmask }}", "start_ip": "{{ item.startip }}",
                                    "end_ip": "{{ item.endip }}"}},
        {"name": "Clusters", "loop": clusters, "loop_control": {"label": "{{ item.clustername }}"},
         "acsible.cloudstack.cluster": {"name": "{{ item.clustername }}", "zone": z, "pod": "{{ item.pod }}",
                                        "hypervisor": "KVM"}},
        {"name": "Hosts", "loop": hosts, "loop_control": {"label": "{{ item.url }}"},
         "acsible.cloudstack.host": {"url": "{{ item.url }}", "zone": z, "pod": "{{ item.pod }}",
                                     "cluster": "{{ item.cluster }}", "hypervisor": "KVM",
                                     "username": "root", "password": "bench"}},
        {"name": "Primary storage", "loop": pools, "loop_control": {"label": "{{ item.name }}"},
         "acsible.cloudstack.storage_pool": {"name": "{{ item.name }}", "zone": z, "pod": "{{ item.pod }}",
                                             "cluster": "{{ item.cluster }}", "url": "{{ item.url }}"}},
        {"name": "Public range", "acsible.cloudstack.vlan_ip_range": {
            "zone": z, "start_ip": zone["ipranges"][0]["startip"], "end_ip": zone["ipranges"][0]["endip"],
            "gateway": zone["ipranges"][0]["gateway"], "netmask": zone["ipranges"][0]["netmask"],
            "vlan": zone["ipranges"][0]["vlan"], "for_virtual_network": True}},
        {"name": "Image stores", "loop": zone["secondaryStorages"], "loop_control": {"label": "{{ item.name }}"},
         "acsible.cloudstack.image_store": {"name": "{{ item.name }}", "zone": z, "url": "{{ item.url }}"}},
        {"name": "Enable the zone", "acsible.cloudstack.zone": {"name": z, "state": "enabled"}},
    ]
    return [{"name": "Build the zone task by task", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/acsible.cloudstack.cloudstack": {"poll_interval": 0.2}}, "tasks": tasks}]


def zone_spec_playbook(spec_file: Path) -> list:
    return [{"name": "Converge the zone", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Zone spec", "acsible.cloudstack.zone_spec": {"spec_file": str(spec_file), "poll_interval": 0.2}}]}]


def run_playbook(sim, playbook: Path) -> tuple[float, Counter]:
    env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.url, CLOUDSTACK_KEY=sim.apikey, CLOUDSTACK_SECRET=sim.secretkey,
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    seen = len(sim.request_log.read_text().splitlines()) if sim.request_log.exists() else 0
    started = time.perf_counter()
    run = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                          f"ansible_python_interpreter={sys.executable}", str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{playbook.name} failed:\n{run.stdout[-4000:]}")
    lines = sim.request_log.read_text().splitlines()[seen:]
    return seconds, Counter(json.loads(line)["command"] for line in lines)


def report(label: str, seconds: float, calls: Counter) -> None:
    top = ", ".join(f"{name} {count}" for name, count in calls.most_common())
    print(f"{label:<44} {seconds:8.1f} s  {sum(calls.values()):6d} API calls")
    print(f"{'':<44} {top}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=4)
    parser.add_argument("--clusters-per-pod", type=int, default=4)
    parser.add_argument("--hosts-per-cluster", type=int, default=16)
    args = parser.parse_args()
    spec = synthetic_spec(args.pods, args.clusters_per_pod, args.hosts_per_cluster)
    zone = spec["zones"][0]
    clusters = sum(len(p["clusters"]) for p in zone["pods"])
    hosts = sum(len(c["hosts"]) for p in zone["pods"] for c in p["clusters"])
    print(f"spec: 1 zone, {len(zone['pods'])} pods, {clusters} clusters, {hosts} hosts, {clusters * 2} primary "
          f"pools, {len(zone['secondaryStorages'])} image stores")
    with tempfile.TemporaryDirectory(prefix="acsible-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "spec.yml").write_text(yaml.safe_dump(spec))
        (tmp / "zone_spec.yml").write_text(yaml.safe_dump(zone_spec_playbook(tmp / "spec.yml"), sort_keys=False))
        (tmp / "per_resource.yml").write_text(yaml.safe_dump(per_resource_playbook(spec), sort_keys=False))
        figures = {}
        for name in ("zone_spec", "per_resource"):
            sim = start_simulator(tmp / name / "sim", job_delay=0.1, host_up_delay=0.5)
            try:
                figures[name, "first"] = run_playbook(sim, tmp / f"{name}.yml")
                figures[name, "again"] = run_playbook(sim, tmp / f"{name}.yml")
            finally:
                sim.stop()
    for name, label in (("zone_spec", "zone_spec, one task"), ("per_resource", "per-resource playbook (baseline)")):
        report(f"{label}: first converge", *figures[name, "first"])
        report(f"{label}: no-op re-converge", *figures[name, "again"])
    again, baseline = figures["zone_spec", "again"], figures["per_resource", "again"]
    print(f"no-op re-converge: {sum(again[1].values())} API calls (aim: <= 40); "
          f"{baseline[0] / again[0]:.1f}x faster than the per-resource playbook (aim: >= 10x)")
    first, first_baseline = figures["zone_spec", "first"], figures["per_resource", "first"]
    print(f"first converge: {first_baseline[0] / first[0]:.1f}x faster, "
          f"{sum(first_baseline[1].values()) - sum(first[1].values())} fewer API calls")


if __name__ == "__main__":
    main()
