"""Virtual routers (listRouters, start/stop/reboot/destroy).

VirtualNetworkApplianceManagerImpl and the router commands. A router (kind domainrouter)
exists once a guest network is implemented with a VirtualRouter or VpcVirtualRouter
provider (networks.py calls create_router); it starts like a system VM, Starting then
Running after the system VM delay, on an Up host of its zone when there is one.
"""

from __future__ import annotations

from ..errors import INTERNAL_ERROR, ApiError, invalid_parameter
from ..registry import Context, command

ROLE = "VIRTUAL_ROUTER"


def router_host(ctx: Context, zone_id: str) -> dict | None:
    return ctx.store.find_one("host", zoneid=zone_id,
                              where=lambda h: h.get("type") == "Routing" and h.get("state") == "Up"
                              and h.get("resourcestate", "Enabled") == "Enabled")


def router_template(ctx: Context, hypervisor: str | None) -> dict | None:
    """The system VM template of the host's hypervisor (the zone's router.template.* setting)."""
    system = ctx.store.find("template", where=lambda t: str(t.get("templatetype")).upper() == "SYSTEM")
    return next((t for t in system if hypervisor and str(t.get("hypervisor")).lower() == hypervisor.lower()),
                system[0] if system else None)


def router_offering(ctx: Context, network_offering: dict) -> dict | None:
    chosen = network_offering.get("serviceofferingid")
    if chosen:
        return ctx.store.get("serviceoffering", chosen)
    return ctx.store.find_one("serviceoffering", where=lambda so: so.get("_unique_name") == "Cloud.Com-SoftwareRouter")


def mac_address(seed: int, prefix: str) -> str:
    return f"{prefix}:{(seed >> 16) & 0xff:02x}:{(seed >> 8) & 0xff:02x}:{seed & 0xff:02x}"


def create_router(ctx: Context, network: dict, zone: dict, network_offering: dict) -> dict:
    """Deploy the network's virtual router (implementNetwork's VR part)."""
    host = router_host(ctx, zone["id"])
    template = router_template(ctx, host.get("hypervisor") if host else None)
    offering = router_offering(ctx, network_offering) or {}
    control = ctx.store.find_one("network", zoneid=zone["id"], parentid="system:Control")
    version = ".".join(ctx.config.version.split(".")[:3])
    router = {
        "zoneid": zone["id"], "dns1": zone.get("dns1"), "dns2": zone.get("dns2"), "ip6dns1": zone.get("ip6dns1"),
        "ip6dns2": zone.get("ip6dns2"), "networkdomain": network.get("networkdomain"),
        "podid": host.get("podid") if host else None, "hostid": host["id"] if host else None,
        "hostname": host.get("name") if host else None, "hypervisor": host.get("hypervisor") if host else None,
        "linklocalnetmask": "255.255.0.0", "linklocalnetworkid": control["id"] if control else None,
        "guestipaddress": network.get("gateway"), "guestnetmask": network.get("netmask"),
        "guestnetworkid": network["id"], "guestnetworkname": network.get("name"),
        "templateid": template["id"] if template else None, "templatename": template.get("name") if template else None,
        "created": ctx.timestamp(), "state": "Starting", "account": network.get("account") or "system",
        "domainid": network.get("domainid"), "domain": network.get("domain"),
        "domainpath": network.get("domainpath") or "ROOT", "serviceofferingid": offering.get("id"),
        "serviceofferingname": offering.get("name"), "isredundantrouter": False, "redundantstate": "UNKNOWN",
        "version": version, "scriptsversion": None, "vpcid": network.get("vpcid"), "role": ROLE,
        "requiresupgrade": False, "healthchecksfailed": False, "arch": host.get("arch") if host else "x86_64",
        "hasannotations": False, "_networkids": [network["id"]],
    }
    router = ctx.store.insert("domainrouter", router, zoneid=zone["id"], parentid=network["id"])
    number = ctx.store.internal_id("domainrouter", router["id"]) or 0
    router["name"] = f"r-{number}-VM"
    router["linklocalip"] = f"169.254.{(number >> 8) & 0xff}.{number & 0xff or 1}"
    router["linklocalmacaddress"] = mac_address(number, "0e:00:a9")
    router["guestmacaddress"] = mac_address(number, "02:00:4c")
    router["nic"] = router_nics(router, network)
    ctx.store.update("domainrouter", router)
    ctx.schedule("domainrouter", router["id"], ctx.config.systemvm_delay, {"state": "Running"}, {"state": "Starting"})
    return router


def router_nics(router: dict, network: dict) -> list[dict]:
    return [
        {"id": f"{router['id'][:24]}{index:012d}", "networkid": net_id, "networkname": name, "netmask": mask,
         "gateway": gateway, "ipaddress": ip, "traffictype": traffic, "type": kind, "isdefault": default,
         "macaddress": mac}
        for index, (net_id, name, mask, gateway, ip, traffic, kind, default, mac) in enumerate([
            (network["id"], network.get("name"), network.get("netmask"), network.get("gateway"),
             network.get("gateway"), "Guest", network.get("type"), False, router["guestmacaddress"]),
            (router.get("linklocalnetworkid"), None, "255.255.0.0", None, router["linklocalip"], "Control",
             None, False, router["linklocalmacaddress"]),
        ])
    ]


def destroy_routers_of(ctx: Context, network_id: str) -> None:
    """A network's shutdown destroys its routers (they are expunged at once)."""
    for router in ctx.store.find("domainrouter", parentid=network_id):
        ctx.store.delete("domainrouter", router["id"])


def find_router(ctx: Context, router_id: str) -> dict:
    """The Start/StopRouterCmd check: only VIRTUAL_ROUTER routers are found."""
    router = ctx.store.get("domainrouter", router_id)
    if router is None or router.get("role") != ROLE:
        raise invalid_parameter("Can't find router by id")
    return router


def running(ctx: Context, router: dict) -> dict:
    host = router_host(ctx, router["zoneid"]) if not router.get("hostid") else ctx.store.get("host", router["hostid"])
    router.update({"state": "Running", "hostid": host["id"] if host else None,
                   "hostname": host.get("name") if host else None, "podid": host.get("podid") if host else None,
                   "hypervisor": host.get("hypervisor") if host else router.get("hypervisor")})
    return ctx.store.update("domainrouter", router)


@command("listRouters")
def list_routers(ctx: Context, p: dict) -> list[dict]:
    routers = ctx.store.find("domainrouter", uuid=p.get("id"), zoneid=p.get("zoneid"))
    exact = {"podid": "podid", "hostid": "hostid", "vpcid": "vpcid", "version": "version", "arch": "arch",
             "healthchecksfailed": "healthchecksfailed"}
    for param, key in exact.items():
        if p.get(param) is not None:
            routers = [r for r in routers if r.get(key) == p[param]]
    if p.get("name"):
        routers = [r for r in routers if r.get("name", "").lower() == p["name"].lower()]
    if p.get("state"):
        routers = [r for r in routers if r["state"].lower() == p["state"].lower()]
    if p.get("networkid"):
        routers = [r for r in routers if p["networkid"] in r.get("_networkids", [])]
    if p.get("forvpc") is not None:
        routers = [r for r in routers if bool(r.get("vpcid")) == p["forvpc"]]
    if p.get("clusterid"):
        hosts = {h["id"] for h in ctx.store.find("host", parentid=p["clusterid"])}
        routers = [r for r in routers if r.get("hostid") in hosts]
    if p.get("account") and p.get("domainid"):
        routers = [r for r in routers if r.get("account") == p["account"] and r.get("domainid") == p["domainid"]]
    return routers


@command("startRouter", instance_type="DomainRouter")
def start_router(ctx: Context, p: dict) -> dict:
    return running(ctx, find_router(ctx, p["id"]))


@command("stopRouter", instance_type="DomainRouter")
def stop_router(ctx: Context, p: dict) -> dict:
    router = find_router(ctx, p["id"])
    router.update({"state": "Stopped", "hostid": None, "hostname": None})
    return ctx.store.update("domainrouter", router)


@command("rebootRouter", instance_type="DomainRouter")
def reboot_router(ctx: Context, p: dict) -> dict:
    router = ctx.store.get("domainrouter", p["id"])
    if router is None:
        raise invalid_parameter(f"Unable to find domain router with id {p['id']}.")
    if router["state"] != "Running":
        zone_number = ctx.store.internal_id("zone", router["zoneid"]) or 0
        raise ApiError(INTERNAL_ERROR, f"Resource [DataCenter:{zone_number}] is unreachable: Unable to reboot domR, "
                                       f"it is not in right state {router['state']}")
    return running(ctx, router)


@command("destroyRouter", instance_type="DomainRouter")
def destroy_router(ctx: Context, p: dict) -> dict:
    router = ctx.store.get("domainrouter", p["id"])
    if router is None:
        raise invalid_parameter(f"Unable to find router with id {p['id']}")
    ctx.store.delete("domainrouter", router["id"])
    return {**router, "state": "Expunging", "hostid": None, "hostname": None}
