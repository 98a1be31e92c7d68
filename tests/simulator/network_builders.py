"""Builders for the networking tests: physical networks, traffic types and providers, through the API."""

from __future__ import annotations

from tests.conftest import ApiActions, unique


def new_physical_network(api: ApiActions, zone: dict, **extra) -> dict:
    """createPhysicalNetwork, waited for: the job's physicalnetwork."""
    params = {"zoneid": zone["id"], "name": unique("pn"), **extra}
    return api.run_async("createPhysicalNetwork", **params)["physicalnetwork"]


def add_traffic(api: ApiActions, pn: dict, traffic_type: str, **labels) -> dict:
    job = api.run_async("addTrafficType", physicalnetworkid=pn["id"], traffictype=traffic_type, **labels)
    return job["traffictype"]


def provider(api: ApiActions, pn: dict, name: str) -> dict:
    [found] = api.listing("listNetworkServiceProviders", physicalnetworkid=pn["id"], name=name)
    return found


def enable_router_provider(api: ApiActions, pn: dict, name: str = "VirtualRouter") -> dict:
    """The deployer's order: configure the provider's element, then enable the provider."""
    nsp = provider(api, pn, name)
    [element] = api.listing("listVirtualRouterElements", nspid=nsp["id"])
    api.run_async("configureVirtualRouterElement", id=element["id"], enabled="true")
    return api.run_async("updateNetworkServiceProvider", id=nsp["id"], state="Enabled")["networkserviceprovider"]


def advanced_zone(api: ApiActions, *, vlan: str = "3000-3099", **zone_extra) -> tuple[dict, dict]:
    """A new advanced zone with an enabled physical network carrying Guest, Public and Management traffic."""
    zone = api.create_zone(guestcidraddress="10.1.0.0/16", **zone_extra)
    pn = new_physical_network(api, zone, isolationmethods="VLAN", vlan=vlan)
    for traffic_type in ("Guest", "Public", "Management"):
        add_traffic(api, pn, traffic_type, kvmnetworklabel="cloudbr0")
    enable_router_provider(api, pn)
    pn = api.run_async("updatePhysicalNetwork", id=pn["id"], state="Enabled")["physicalnetwork"]
    return zone, pn


def offering(api: ApiActions, name: str) -> dict:
    [found] = api.listing("listNetworkOfferings", name=name)
    return found


def system_network(api: ApiActions, zone: dict, traffic_type: str) -> dict:
    [found] = [net for net in api.listing("listNetworks", issystem="true", zoneid=zone["id"])
               if net["traffictype"] == traffic_type]
    return found
