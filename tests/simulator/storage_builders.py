"""Builders for the storage tests: a zone with an Up KVM host, its storage, and a zone that is ready."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.conftest import ApiActions, unique


def random_subnet() -> str:
    """A /24 of 10.0.0.0/8 of its own, so hosts and pools of different tests never share an address."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}"


@dataclass
class Site:
    zone: dict
    pod: dict
    cluster: dict
    host: dict
    subnet: str

    def pool(self, api: ApiActions, **extra) -> dict:
        params = {"zoneid": self.zone["id"], "podid": self.pod["id"], "clusterid": self.cluster["id"],
                  "name": unique("pool"), "url": f"nfs://{self.subnet}.250/export/{unique('primary')}", **extra}
        return api.call("createStoragePool", **{k: v for k, v in params.items() if v is not None})["storagepool"]

    def image_store(self, api: ApiActions, **extra) -> dict:
        params = {"zoneid": self.zone["id"], "provider": "NFS", "name": unique("secondary"),
                  "url": f"nfs://{self.subnet}.251/export/{unique('secondary')}", **extra}
        return api.call("addImageStore", **params)["imagestore"]

    def enable(self, api: ApiActions) -> dict:
        return api.call("updateZone", id=self.zone["id"], allocationstate="Enabled")["zone"]


def site(api: ApiActions, *, host_up: bool = True, **zone_extra) -> Site:
    """A new (Disabled) zone with a pod, a KVM cluster and one host, Up unless told otherwise."""
    subnet = random_subnet()
    zone = api.create_zone(**zone_extra)
    pod = api.call("createPod", zoneid=zone["id"], name=unique("pod"), gateway=f"{subnet}.1",
                   netmask="255.255.255.0", startip=f"{subnet}.10", endip=f"{subnet}.20")["pod"]
    cluster = api.call("addCluster", zoneid=zone["id"], podid=pod["id"], clustername=unique("cluster"),
                       hypervisor="KVM", clustertype="CloudManaged")["cluster"][0]
    host = api.call("addHost", zoneid=zone["id"], podid=pod["id"], clusterid=cluster["id"],
                    url=f"http://{subnet}.100", username="root", password="secret", hypervisor="KVM")["host"][0]
    if host_up:
        host = api.wait_until(lambda: next((h for h in api.listing("listHosts", id=host["id"])
                                            if h["state"] == "Up"), None))
    return Site(zone, pod, cluster, host, subnet)


def system_vms(api: ApiActions, zone: dict, **extra) -> list[dict]:
    return api.listing("listSystemVms", zoneid=zone["id"], **extra)


def running_system_vms(api: ApiActions, zone: dict) -> list[dict]:
    """Wait for the zone's SSVM and CPVM to be Running."""
    def both_running():
        vms = system_vms(api, zone)
        return vms if len(vms) == 2 and all(vm["state"] == "Running" for vm in vms) else None
    return api.wait_until(both_running)


def ready_site(api: ApiActions) -> Site:
    """A zone with primary and secondary storage, enabled: its system VMs come up."""
    ready = site(api)
    ready.pool(api)
    ready.image_store(api)
    ready.enable(api)
    return ready
