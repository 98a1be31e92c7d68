"""Builders for the compute tests: a zone with a pod, a cluster and hosts, through the API."""

from __future__ import annotations

from tests.conftest import ApiActions, unique


def new_pod(api: ApiActions, zone: dict, *, subnet: str = "192.168.10", **extra) -> dict:
    params = {"zoneid": zone["id"], "name": unique("pod"), "startip": f"{subnet}.10", "endip": f"{subnet}.99",
              "gateway": f"{subnet}.1", "netmask": "255.255.255.0", **extra}
    return api.call("createPod", **params)["pod"]


def new_cluster(api: ApiActions, pod: dict, **extra) -> dict:
    params = {"zoneid": pod["zoneid"], "podid": pod["id"], "clustername": unique("cluster"), "hypervisor": "KVM",
              "clustertype": "CloudManaged", **extra}
    return api.call("addCluster", **params)["cluster"][0]


def new_host(api: ApiActions, cluster: dict, address: str, **extra) -> dict:
    params = {"zoneid": cluster["zoneid"], "podid": cluster["podid"], "clusterid": cluster["id"],
              "url": f"http://{address}", "username": "root", "password": "secret", "hypervisor": "KVM", **extra}
    return api.call("addHost", **params)["host"][0]


def host_now(api: ApiActions, host_id: str) -> dict:
    return api.listing("listHosts", id=host_id)[0]


def wait_up(api: ApiActions, host: dict) -> dict:
    return api.wait_until(lambda: (lambda now: now if now["state"] == "Up" else None)(host_now(api, host["id"])))


def compute_stack(api: ApiActions, hosts: int = 1) -> tuple[dict, dict, dict, list[dict]]:
    """A fresh zone, pod and KVM cluster with `hosts` hosts that are Up."""
    zone = api.create_zone()
    pod = new_pod(api, zone)
    cluster = new_cluster(api, pod)
    made = [new_host(api, cluster, f"10.20.0.{index + 1}") for index in range(hosts)]
    return zone, pod, cluster, [wait_up(api, host) for host in made]
