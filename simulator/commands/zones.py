"""Zones (ConfigurationManagerImpl createZone / editZone / deleteZone)."""

from __future__ import annotations

import hashlib

from ..errors import cloud_runtime, invalid_parameter
from ..registry import Context, Query, command
from .common import by_id_or_name, changed, check_allocation_state, is_ipv4, is_ipv6

ZONE_DELETE_BLOCKERS = [
    ("host", "there are servers in this zone."),
    ("pod", "there are pods in this zone."),
    ("physicalnetwork", "there are physical networks in this zone."),
    ("imagestore", "there are Secondary storages in this zone"),
]


def check_zone_parameters(ctx: Context, p: dict, *, zone_id: str | None = None) -> None:
    name = p.get("name")
    if name is not None:
        same = ctx.store.find("zone", name=name)
        if any(zone["id"] != zone_id for zone in same):
            raise invalid_parameter("A zone with that name already exists. Please specify a unique zone name.")
    for key, label in (("dns1", "DNS1"), ("dns2", "DNS2"), ("internaldns1", "internal DNS1"),
                       ("internaldns2", "internal DNS2")):
        if p.get(key) and not is_ipv4(p[key]):
            raise invalid_parameter(f"Please enter a valid IP address for {label}")
    for key, label in (("ip6dns1", "IP6 DNS1"), ("ip6dns2", "IP6 DNS2")):
        if p.get(key) and not is_ipv6(p[key]):
            raise invalid_parameter(f"Please enter a valid IPv6 address for {label}")
    check_allocation_state(p.get("allocationstate"))


@command("createZone")
def create_zone(ctx: Context, p: dict) -> dict:
    network_type = p["networktype"]
    if network_type.lower() not in ("basic", "advanced"):
        raise invalid_parameter("Invalid zone type; only Advanced and Basic values are supported")
    basic = network_type.lower() == "basic"
    if basic and p.get("guestcidraddress"):
        raise invalid_parameter("guestCidrAddress parameter is not supported for Basic zone")
    if basic and p.get("isedge"):
        raise invalid_parameter("Only advanced network type zones can be edge zones")
    check_zone_parameters(ctx, p)
    zone = {
        "name": p["name"], "dns1": p["dns1"], "dns2": p.get("dns2"), "ip6dns1": p.get("ip6dns1"),
        "ip6dns2": p.get("ip6dns2"), "internaldns1": p["internaldns1"], "internaldns2": p.get("internaldns2"),
        "guestcidraddress": p.get("guestcidraddress") if not basic else None,
        "networktype": "Basic" if basic else "Advanced",
        "securitygroupsenabled": True if basic else bool(p.get("securitygroupenabled")),
        "allocationstate": p.get("allocationstate") or "Disabled",
        "localstorageenabled": bool(p.get("localstorageenabled")),
        "domain": p.get("domain"), "domainid": p.get("domainid"),
        "dhcpprovider": "VirtualRouter", "type": "Edge" if p.get("isedge") else "Core",
        "tags": [], "hasannotations": False, "allowuserspecifyvrmtu": False,
        "routerprivateinterfacemaxmtu": 1500, "routerpublicinterfacemaxmtu": 1500,
        "isnsxenabled": False, "ismultiarch": False, "routedmodeenabled": False,
        "storageaccessgroups": ",".join(p["storageaccessgroups"]) if p.get("storageaccessgroups") else None,
    }
    zone["zonetoken"] = zone_token(zone["name"])
    if zone["domainid"]:
        zone["domainname"] = ctx.name_of("domain", zone["domainid"])
    return ctx.store.insert("zone", zone)


def zone_token(name: str) -> str:
    """A stable per-zone token, as the real server's random one is stable per zone."""
    return hashlib.sha1(name.encode()).hexdigest()[:32]


@command("updateZone")
def update_zone(ctx: Context, p: dict) -> dict:
    zone = ctx.require("zone", p["id"], "zone")
    check_zone_parameters(ctx, p, zone_id=zone["id"])
    changed(zone, p, ("name", "dns1", "dns2", "ip6dns1", "ip6dns2", "internaldns1", "internaldns2",
                      "allocationstate", "domain", "localstorageenabled", "dhcpprovider"))
    if "guestcidraddress" in p:
        if zone["networktype"] == "Basic":
            raise invalid_parameter("guestCidrAddress parameter is not supported for Basic zone")
        zone["guestcidraddress"] = p["guestcidraddress"]
    if "details" in p:
        zone["resourcedetails"] = {k: v for entry in p["details"] for k, v in entry.items()}
    return ctx.store.update("zone", zone)


@command("deleteZone")
def delete_zone(ctx: Context, p: dict) -> None:
    zone = ctx.require("zone", p["id"], "zone")
    for kind, reason in ZONE_DELETE_BLOCKERS:
        if ctx.store.count(kind, zoneid=zone["id"]):
            raise cloud_runtime(f"The zone cannot be deleted because {reason}")
    ctx.store.delete("zone", zone["id"])


@command("listZones")
def list_zones(ctx: Context, p: dict) -> list[dict] | Query:
    zones = ctx.store.find("zone")
    if p.get("networktype"):
        zones = [zone for zone in zones if zone["networktype"].lower() == p["networktype"].lower()]
    if p.get("domainid"):
        zones = [zone for zone in zones if zone.get("domainid") in (None, p["domainid"])]
    return by_id_or_name(zones, p)
