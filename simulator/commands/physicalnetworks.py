"""Physical networks, traffic types, network service providers and their elements.

NetworkServiceImpl (createPhysicalNetwork, addTrafficTypeToPhysicalNetwork,
addProviderToPhysicalNetwork, updateNetworkServiceProvider ...), VirtualRouterElement and
InternalLoadBalancerElement. Kinds: physicalnetwork (zoneid), traffictype, provider and the
elements virtualrouterprovider / internalloadbalancerelement (parentid = their owner).
"""

from __future__ import annotations

from ..errors import INTERNAL_ERROR, ApiError, cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command
from .common import zone_of

# Network.Service names in PhysicalNetworkServiceProviderVO.getEnabledServices order (the
# only services a provider's servicelist shows: NetworkACL and Connectivity never appear).
LISTED_SERVICES = ("Vpn", "Dhcp", "Dns", "Gateway", "Firewall", "Lb", "SourceNat", "StaticNat", "PortForwarding",
                   "UserData", "SecurityGroup")
ALL_SERVICES = ("Vpn", "Dhcp", "Dns", "Gateway", "Firewall", "Lb", "UserData", "SourceNat", "StaticNat",
                "PortForwarding", "SecurityGroup", "NetworkACL", "Connectivity")

_VR = ("Lb", "Firewall", "Vpn", "Dns", "UserData", "Dhcp", "Gateway", "SourceNat", "StaticNat", "PortForwarding")
# Provider name -> (services of its element's getCapabilities(), canEnableIndividualServices),
# for the elements a standard (noredist) 4.22 management server loads.
PROVIDER_ELEMENTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "VirtualRouter": (_VR, True),
    "VpcVirtualRouter": ((*(s for s in _VR if s != "Firewall"), "NetworkACL"), True),
    "InternalLbVm": (("Lb",), True),
    "SecurityGroupProvider": (("SecurityGroup",), False),
    "ConfigDrive": (("UserData", "Dhcp", "Dns"), True),
    "BaremetalDhcpProvider": (("Dhcp",), False),
    "BaremetalPxeProvider": ((), False),
    "BaremetalUserdataProvider": (("UserData",), True),
    "Tungsten": (("Dhcp", "SourceNat", "Connectivity", "SecurityGroup", "StaticNat", "Dns", "Firewall", "Lb",
                  "PortForwarding"), True),
    "Nsx": (("Dhcp", "Dns", "StaticNat", "Lb", "PortForwarding", "NetworkACL", "Firewall", "SourceNat"), True),
    "Netris": (("Dhcp", "Dns", "StaticNat", "Lb", "PortForwarding", "NetworkACL", "Firewall", "Gateway",
                "SourceNat"), True),
    "Ovs": (("Connectivity", "Lb", "PortForwarding", "StaticNat"), True),
    "Netscaler": (("Firewall", "Lb", "StaticNat"), True),
    "NiciraNvp": (("Connectivity", "Gateway", "PortForwarding", "SourceNat", "StaticNat"), True),
    "PaloAlto": (("Firewall", "Gateway", "PortForwarding", "SourceNat", "StaticNat"), True),
    "CiscoVnmc": (("Firewall", "Gateway", "PortForwarding", "SourceNat", "StaticNat"), True),
    "BigSwitchBcf": (("NetworkACL", "Connectivity", "Firewall", "Gateway", "SourceNat", "StaticNat"), True),
    "BrocadeVcs": (("Connectivity",), True),
    "Opendaylight": (("Connectivity",), False),
    "GloboDns": (("Dns",), True),
    "ElasticLoadBalancerVm": (("Lb",), False),
    "JuniperContrailRouter": (("Connectivity", "Dhcp", "SourceNat", "StaticNat"), True),
    "JuniperContrailVpcRouter": (("Connectivity", "Dhcp", "SourceNat", "StaticNat"), True),
}
# Network.Provider names that exist but have no element in a standard build.
PROVIDERS_WITHOUT_ELEMENT = ("JuniperSRX", "F5BigIp", "ExternalDhcpServer", "ExternalGateWay", "None")
# Elements whose isReady() is false without a device or configuration the API here cannot add.
NEVER_READY = ("Ovs", "PaloAlto")

TRAFFIC_TYPES = ("None", "Public", "Guest", "Storage", "Management", "Control", "Vpn")
SYSTEM_TRAFFIC = ("Storage", "Management", "Control", "Public")   # one physical network per zone for these
XEN_LABEL_SETTINGS = {"Public": "xenserver.public.network.device", "Guest": "xenserver.guest.network.device",
                      "Storage": "xenserver.storage.network.device1",
                      "Management": "xenserver.private.network.device"}
LABEL_KEYS = ("xennetworklabel", "kvmnetworklabel", "vmwarenetworklabel", "hypervnetworklabel", "ovm3networklabel")

VNET_LIMITS = {"GRE": (0, 4294967295), "VXLAN": (0, 16777214)}
VLAN_LIMITS = (0, 4095)


# -- texts the server builds from its VOs (toString) --------------------------------------


def db_id(ctx: Context, kind: str, uuid: str) -> int:
    """The object's internal numeric id, as the server's messages print it."""
    return ctx.store.internal_id(kind, uuid) or 0


def zone_text(ctx: Context, zone: dict) -> str:
    return f'Zone {{"id": "{db_id(ctx, "zone", zone["id"])}", "name": "{zone["name"]}", "uuid": "{zone["id"]}"}}'


def physical_network_text(ctx: Context, pn: dict) -> str:
    number = db_id(ctx, "physicalnetwork", pn["id"])
    return f'PhysicalNetwork {{"id":{number},"uuid":"{pn["id"]}","name":"{pn["name"]}"}}'


def job_failure(text: str) -> ApiError:
    """A job that fails on anything but InvalidParameterValueException reports 530 with the message."""
    return ApiError(INTERNAL_ERROR, text)


# -- vnet ranges (NetworkServiceImpl.addOrRemoveVnets / validateVlanRange) ----------------


def java_split(text: str, sep: str) -> list[str]:
    """String.split: no separator gives [text]; trailing empty strings are dropped."""
    if sep not in text:
        return [text]
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def java_int(text: str) -> int | None:
    """Integer.parseInt, or None where it throws NumberFormatException."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isdigit() or not body.isascii():
        return None
    value = int(text)
    return value if -(2**31) <= value < 2**31 else None


def vnets_of(pn: dict) -> set[int]:
    vnets: set[int] = set()
    for block in (pn.get("vlan") or "").split(","):
        if "-" in block:
            start, end = block.split("-")[:2]
            vnets.update(range(int(start), int(end) + 1))
    return vnets


def vnet_string(vnets: set[int]) -> str | None:
    """generateVnetString: sorted, consecutive vnets joined into start-end blocks."""
    blocks = []
    for vnet in sorted(vnets):
        if blocks and vnet == blocks[-1][1] + 1:
            blocks[-1][1] = vnet
        else:
            blocks.append([vnet, vnet])
    return ",".join(f"{start}-{end}" for start, end in blocks) or None


def allocated_vnets(ctx: Context, pn: dict) -> set[int]:
    """Guest vnets taken by networks of this physical network (op_dc_vnet_alloc rows with taken set)."""
    networks = ctx.store.find("network", zoneid=pn["zoneid"],
                              where=lambda net: net.get("physicalnetworkid") == pn["id"] and net.get("_vnet"))
    return {int(net["_vnet"]) for net in networks if str(net["_vnet"]).isdigit()}


def parse_vnet_ranges(ctx: Context, pn: dict, text: str) -> list[tuple[int, int]]:
    methods = pn.get("_isolationmethods") or []
    vxlan = "GRE" not in methods and ("VXLAN" in methods or "Netris" in methods)
    low, high = VNET_LIMITS["GRE"] if "GRE" in methods else VNET_LIMITS["VXLAN"] if vxlan else VLAN_LIMITS
    suffix = f" between {low} and {high}"
    ranges: list[tuple[int, int]] = []
    for token in java_split(text, ","):
        bounds = java_split(token, "-")
        if vxlan:
            check_vni_unique(ctx, pn, bounds)
        if len(bounds) == 1 and bounds[0] == "":
            return ranges
        if len(bounds) < 2:
            raise invalid_parameter("Please provide valid vnet range. vnet range should be a comma separated list of "
                                    "vlan ranges. example 500-500,600-601" + suffix)
        start, end = java_int(bounds[0]), java_int(bounds[1])
        if start is None or end is None:
            raise invalid_parameter("Please provide valid vnet range. The vnet range should be a comma separated "
                                    "list example 2001-2012,3000-3005." + suffix)
        if start < low or end > high:
            raise invalid_parameter("Vnet range has to be" + suffix)
        if start > end:
            raise invalid_parameter("Vnet range has to be" + suffix
                                    + " and start range should be lesser than or equal to stop range")
        ranges.append((start, end))
    return ranges


def check_vni_unique(ctx: Context, pn: dict, bounds: list[str]) -> None:
    """A VXLAN VNI belongs to one physical network of the zone (only the range ends are looked at)."""
    others = ctx.store.find("physicalnetwork", zoneid=pn["zoneid"], where=lambda other: other["id"] != pn["id"])
    for vni in bounds:
        value = java_int(vni)
        if value is not None and any(value in vnets_of(other) for other in others):
            zone = zone_of(ctx, pn["zoneid"])
            raise invalid_parameter(f"VNI {vni} already exists on another network in zone ({zone_text(ctx, zone)}), "
                                    "please specify a unique range")


def set_vnet_ranges(ctx: Context, pn: dict, text: str) -> None:
    """Replace the physical network's vnets by the given ranges; taken vnets cannot go."""
    ranges = parse_vnet_ranges(ctx, pn, text)
    wanted = {vnet for start, end in ranges for vnet in range(start, end + 1)}
    taken = allocated_vnets(ctx, pn)
    if not ranges and taken:
        raise invalid_parameter(f"physicalnetwork {physical_network_text(ctx, pn)} has {len(taken)} vnets in use")
    removed = vnets_of(pn) - wanted
    for block in (vnet_string(removed) or "").split(","):
        if block:
            start, end = (int(part) for part in block.split("-"))
            if any(start <= vnet <= end for vnet in taken):
                raise invalid_parameter(f"physicalnetwork {physical_network_text(ctx, pn)} has allocated vnets in "
                                        f"the range {start}-{end}")
    pn["vlan"] = vnet_string(wanted)


# -- physical networks --------------------------------------------------------------------


def physical_network_view(pn: dict) -> dict:
    return {**pn, "tags": ",".join(pn.get("_tags") or []) or None,
            "isolationmethods": ",".join(pn.get("_isolationmethods") or []) or None}


def check_create_physical_network(ctx: Context, p: dict, zone: dict) -> str:
    """The checks before createPhysicalNetwork's transaction; returns the broadcast domain range."""
    if zone.get("allocationstate") == "Enabled":
        raise permission_denied("Cannot create PhysicalNetwork since the Zone is currently enabled, "
                                f"zone: {zone_text(ctx, zone)}")
    basic = zone["networktype"] == "Basic"
    if basic and ctx.store.count("physicalnetwork", zoneid=zone["id"]):
        raise cloud_runtime(f"Cannot add the physical network to basic zone: {zone_text(ctx, zone)}, there is a "
                            "physical network already existing in this basic Zone")
    if len(p.get("tags") or []) > 1:
        raise invalid_parameter("Only one tag can be specified for a physical network at this time")
    if len(p.get("isolationmethods") or []) > 1:
        raise invalid_parameter("Only one isolationMethod can be specified for a physical network at this time")
    if p.get("vlan") is not None and basic:
        raise invalid_parameter("Can't add vnet range to the physical network in the Basic zone")
    wanted = p.get("broadcastdomainrange")
    if wanted:
        if wanted.upper() not in ("POD", "ZONE"):
            raise invalid_parameter(f"Unable to resolve broadcastDomainRange '{wanted}' to a supported value "
                                    "{Pod or Zone}")
        if basic and wanted.upper() != "POD":
            raise invalid_parameter("Basic zone can have broadcast domain type of value POD only")
        if not basic and wanted.upper() != "ZONE":
            raise invalid_parameter("Advance zone can have broadcast domain type of value ZONE only")
    return "POD" if basic else "ZONE"


def create_physical_network_entity(ctx: Context, p: dict) -> str:
    zone = zone_of(ctx, p["zoneid"])
    broadcast = check_create_physical_network(ctx, p, zone)
    pn = {
        "name": p["name"], "broadcastdomainrange": broadcast, "zoneid": zone["id"], "state": "Disabled",
        "vlan": None, "domainid": p.get("domainid"), "networkspeed": p.get("networkspeed"),
        "_tags": p.get("tags") or [], "_isolationmethods": p.get("isolationmethods") or [],
        "_created": ctx.timestamp(),
    }
    pn = ctx.store.insert("physicalnetwork", pn)
    if p.get("vlan") is not None:
        try:
            set_vnet_ranges(ctx, pn, p["vlan"])
        except ApiError:  # the transaction's catch-all turns every failure into this text
            raise cloud_runtime("Fail to create a physical network") from None
        ctx.store.update("physicalnetwork", pn)
    add_default_providers(ctx, pn, zone)
    return pn["id"]


@command("createPhysicalNetwork", instance_type="PhysicalNetwork", create=create_physical_network_entity)
def create_physical_network(ctx: Context, p: dict) -> dict:
    return physical_network_view(ctx.require("physicalnetwork", p["id"], "physical network"))


@command("updatePhysicalNetwork", instance_type="PhysicalNetwork")
def update_physical_network(ctx: Context, p: dict) -> dict:
    pn = ctx.store.get("physicalnetwork", p["id"])
    if pn is None:
        raise invalid_parameter("Physical Network with specified id doesn't exist in the system")
    zone = zone_of(ctx, pn["zoneid"])
    if p.get("vlan") is not None and zone["networktype"] == "Basic":
        raise invalid_parameter("Can't add vnet range to the physical network in the Basic zone")
    tags = p.get("tags")
    if tags is not None and len(tags) > 1:
        raise invalid_parameter("Unable to support more than one tag on network yet")
    if tags is not None and not tags:
        for traffic in ctx.store.find("traffictype", parentid=pn["id"]):
            check_untagged_networks(ctx, pn, traffic["traffictype"])
    state = p.get("state")
    if state and state not in ("Enabled", "Disabled"):
        raise invalid_parameter(f"Unable to resolve state '{state}' to a supported value {{Enabled or Disabled}}")
    if state:
        pn["state"] = state
    if tags is not None:
        pn["_tags"] = tags
    if p.get("networkspeed") is not None:
        pn["networkspeed"] = p["networkspeed"]
    if p.get("vlan") is not None:
        set_vnet_ranges(ctx, pn, p["vlan"])
    return physical_network_view(ctx.store.update("physicalnetwork", pn))


@command("deletePhysicalNetwork", instance_type="PhysicalNetwork")
def delete_physical_network(ctx: Context, p: dict) -> None:
    pn = ctx.store.get("physicalnetwork", p["id"])
    if pn is None:
        raise invalid_parameter("Physical Network with specified id doesn't exist in the system")
    check_physical_network_deletable(ctx, pn)
    for vlan in ctx.store.find("vlaniprange", zoneid=pn["zoneid"],
                               where=lambda v: v.get("physicalnetworkid") == pn["id"]):
        ctx.store.delete("vlaniprange", vlan["id"])
    for provider in ctx.store.find("provider", parentid=pn["id"]):
        delete_provider(ctx, provider)
    for traffic in ctx.store.find("traffictype", parentid=pn["id"]):
        ctx.store.delete("traffictype", traffic["id"])
    ctx.store.delete("physicalnetwork", pn["id"])


def check_physical_network_deletable(ctx: Context, pn: dict) -> None:
    reasons = []
    if allocated_vnets(ctx, pn):
        reasons.append("there are allocated vnets for this physical network")
    if ctx.store.find("network", zoneid=pn["zoneid"], where=lambda net: net.get("physicalnetworkid") == pn["id"]):
        reasons.append("there are networks associated to this physical network")
    in_use = ctx.store.find("vlaniprange", zoneid=pn["zoneid"],
                            where=lambda v: v.get("physicalnetworkid") == pn["id"] and v.get("_ipsinuse"))
    if in_use:
        reasons.append("there are public IP addresses allocated for this physical network")
    if reasons:
        raise job_failure("The Physical Network is not deletable because " + reasons[0])


@command("listPhysicalNetworks")
def list_physical_networks(ctx: Context, p: dict) -> list[dict]:
    networks = ctx.store.find("physicalnetwork", uuid=p.get("id"), zoneid=p.get("zoneid"))
    if p.get("name"):
        networks = [pn for pn in networks if p["name"].lower() in pn["name"].lower()]
    return [physical_network_view(pn) for pn in networks]


# -- traffic types ------------------------------------------------------------------------


def physical_networks_with_traffic(ctx: Context, zoneid: str, traffic_type: str) -> list[dict]:
    """PhysicalNetworkDao.listByZoneAndTrafficType."""
    holders = {t["physicalnetworkid"] for t in ctx.store.find("traffictype", zoneid=zoneid)
               if t["traffictype"] == traffic_type}
    return [pn for pn in ctx.store.find("physicalnetwork", zoneid=zoneid) if pn["id"] in holders]


def check_untagged_networks(ctx: Context, pn: dict, traffic_type: str) -> None:
    """Only one untagged physical network may carry a traffic type in a zone."""
    untagged = [other for other in physical_networks_with_traffic(ctx, pn["zoneid"], traffic_type)
                if not other.get("_tags")]
    if untagged:
        zone = zone_of(ctx, pn["zoneid"])
        raise cloud_runtime(f"There are more than 1 physical network without tags in the zone: {zone_text(ctx, zone)}")


def add_traffic_type_entity(ctx: Context, p: dict) -> str:
    pn = ctx.store.get("physicalnetwork", p["physicalnetworkid"])
    if pn is None:
        raise invalid_parameter(f"Physical Network id={p['physicalnetworkid']}doesn't exist in the system")
    traffic_type = p["traffictype"]
    if traffic_type not in TRAFFIC_TYPES:
        raise invalid_parameter(f"Unable to resolve trafficType '{traffic_type}' to a supported value")
    if any(t["traffictype"] == traffic_type for t in ctx.store.find("traffictype", parentid=pn["id"])):
        raise cloud_runtime(f"This physical network already supports the traffic type: {traffic_type}")
    if traffic_type in SYSTEM_TRAFFIC and physical_networks_with_traffic(ctx, pn["zoneid"], traffic_type):
        raise cloud_runtime("Fail to add the traffic type to physical network because Zone already has a physical "
                            f"network with this traffic type: {traffic_type}")
    if not pn.get("_tags"):
        check_untagged_networks(ctx, pn, traffic_type)
    xen_label = p.get("xennetworklabel")
    if xen_label is None:
        xen_label = ("cloud_link_local_network" if traffic_type == "Control"
                     else ctx.setting(XEN_LABEL_SETTINGS[traffic_type]) if traffic_type in XEN_LABEL_SETTINGS
                     else None)
    traffic = {
        "traffictype": traffic_type, "physicalnetworkid": pn["id"], "xennetworklabel": xen_label,
        "kvmnetworklabel": p.get("kvmnetworklabel"), "vmwarenetworklabel": p.get("vmwarenetworklabel"),
        "hypervnetworklabel": p.get("hypervnetworklabel"), "ovm3networklabel": p.get("ovm3networklabel"),
        "_vlan": p.get("vlan"), "_isolationmethod": p.get("isolationmethod"),
    }
    return ctx.store.insert("traffictype", traffic, zoneid=pn["zoneid"], parentid=pn["id"])["id"]


@command("addTrafficType", instance_type="TrafficType", create=add_traffic_type_entity)
def add_traffic_type(ctx: Context, p: dict) -> dict:
    return ctx.require("traffictype", p["id"], "traffic type")


@command("updateTrafficType", instance_type="TrafficType")
def update_traffic_type(ctx: Context, p: dict) -> dict:
    traffic = ctx.store.get("traffictype", p["id"])
    if traffic is None:
        raise invalid_parameter(f"Traffic Type with id={p['id']}doesn't exist in the system")
    for key in LABEL_KEYS:
        if p.get(key) is not None:
            traffic[key] = p[key] or None  # an empty label clears it
    return ctx.store.update("traffictype", traffic)


@command("deleteTrafficType", instance_type="TrafficType")
def delete_traffic_type(ctx: Context, p: dict) -> None:
    traffic = ctx.store.get("traffictype", p["id"])
    if traffic is None:
        raise invalid_parameter(f"Traffic Type with id={p['id']}doesn't exist in the system")
    if traffic["traffictype"] == "Guest":
        networks = ctx.store.find("network", where=lambda net: net.get("physicalnetworkid") == traffic[
            "physicalnetworkid"] and net.get("traffictype") == "Guest")
        if networks:
            raise job_failure("The Traffic Type is not deletable because there are existing networks with this "
                              "traffic type:Guest")
    ctx.store.delete("traffictype", traffic["id"])


@command("listTrafficTypes")
def list_traffic_types(ctx: Context, p: dict) -> list[dict]:
    p.pop("keyword", None)  # ListTrafficTypesCmd ignores keyword (see report: core keyword filter)
    pn = ctx.store.get("physicalnetwork", p["physicalnetworkid"])
    if pn is None:
        raise invalid_parameter("Physical Network with specified id doesn't exist in the system")
    return ctx.store.find("traffictype", parentid=pn["id"])


# -- network service providers ------------------------------------------------------------


def element_of(name: str) -> tuple[tuple[str, ...], bool]:
    """The element implementing a provider (Network.Provider names match case-insensitively)."""
    for known, element in PROVIDER_ELEMENTS.items():
        if known.lower() == name.lower():
            return element
    if name.lower() in (known.lower() for known in PROVIDERS_WITHOUT_ELEMENT):
        raise invalid_parameter(f"Unable to find the Network Element implementing the Service Provider '{name}'")
    raise invalid_parameter(f"Invalid Network Service Provider={name}")


def listed_services(services: list[str] | tuple[str, ...]) -> list[str]:
    return [service for service in LISTED_SERVICES if service in services]


def canonical_service(name: str) -> str | None:
    return next((service for service in ALL_SERVICES if service.lower() == name.lower()), None)


def new_provider(ctx: Context, pn: dict, name: str, services: list[str] | tuple[str, ...],
                 destination: str | None = None) -> dict:
    _, can_enable = element_of(name)
    provider = {
        "name": name, "physicalnetworkid": pn["id"], "destinationphysicalnetworkid": destination,
        "state": "Disabled", "servicelist": listed_services(services), "canenableindividualservice": can_enable,
    }
    return ctx.store.insert("provider", provider, zoneid=pn["zoneid"], parentid=pn["id"])


def add_provider(ctx: Context, pn: dict, name: str) -> dict:
    """addProviderToPhysicalNetwork with every service of the element."""
    return new_provider(ctx, pn, name, element_of(name)[0])


def enable_first_provider(ctx: Context, name: str) -> None:
    """NetworkServiceImpl.enableProvider: enables the first provider of that name, whatever its network."""
    first = ctx.store.find_one("provider", name=name)
    if first is not None:
        first["state"] = "Enabled"
        ctx.store.update("provider", first)


def add_default_providers(ctx: Context, pn: dict, zone: dict) -> None:
    """The providers createPhysicalNetwork adds, in its order, with their elements."""
    advanced = zone["networktype"] == "Advanced"
    router = add_provider(ctx, pn, "VirtualRouter")
    add_element(ctx, "virtualrouterprovider", router, "VirtualRouter")
    if "GRE" in (pn.get("_isolationmethods") or []):
        add_provider(ctx, pn, "Ovs")
    add_provider(ctx, pn, "SecurityGroupProvider")
    vpc_router = add_provider(ctx, pn, "VpcVirtualRouter")
    add_element(ctx, "virtualrouterprovider", vpc_router, "VPCVirtualRouter")
    if advanced:
        add_provider(ctx, pn, "BaremetalPxeProvider")
        enable_first_provider(ctx, "BaremetalPxeProvider")
    else:
        for name in ("BaremetalDhcpProvider", "BaremetalPxeProvider", "BaremetalUserdataProvider"):
            add_provider(ctx, pn, name)
    internal_lb = add_provider(ctx, pn, "InternalLbVm")
    add_element(ctx, "internalloadbalancerelement", internal_lb, "InternalLbVm")
    add_provider(ctx, pn, "Tungsten")
    if advanced:
        add_provider(ctx, pn, "ConfigDrive")
        enable_first_provider(ctx, "ConfigDrive")
        add_provider(ctx, pn, "Nsx")
        add_provider(ctx, pn, "Netris")
        enable_first_provider(ctx, "Netris")


def add_element(ctx: Context, kind: str, provider: dict, element_type: str) -> dict:
    element = {"nspid": provider["id"], "enabled": False, "_type": element_type}
    return ctx.store.insert(kind, element, zoneid=None, parentid=provider["id"])


def delete_provider(ctx: Context, provider: dict) -> None:
    """deleteNetworkServiceProvider: shutting the element down removes it."""
    for kind in ("virtualrouterprovider", "internalloadbalancerelement"):
        for element in ctx.store.find(kind, parentid=provider["id"]):
            ctx.store.delete(kind, element["id"])
    ctx.store.delete("provider", provider["id"])


def check_enabled_services(name: str, services: list[str], element: tuple[tuple[str, ...], bool]) -> list[str]:
    capabilities, can_enable = element
    if not can_enable and len(services) != len(capabilities):
        raise invalid_parameter("Cannot enable subset of Services, Please specify the complete list of Services for "
                                f"this Service Provider '{name}'")
    chosen, add_gateway = [], False
    routed = not any(service.lower() == "sourcenat" for service in services)
    for service_name in services:
        service = canonical_service(service_name)
        if service is None or service == "Gateway":
            raise invalid_parameter(f"Invalid Network Service specified={service_name}")
        if service == "SourceNat" or (routed and name.lower() in ("nsx", "netris")):
            add_gateway = True
        if service not in capabilities:
            raise invalid_parameter(f"{name} Provider cannot provide this Service specified={service_name}")
        chosen.append(service)
    return [*chosen, "Gateway"] if add_gateway else chosen


def add_network_service_provider_entity(ctx: Context, p: dict) -> str:
    pn = ctx.store.get("physicalnetwork", p["physicalnetworkid"])
    if pn is None:
        raise invalid_parameter("Physical Network with specified id doesn't exist in the system")
    destination = p.get("destinationphysicalnetworkid")
    if destination and ctx.store.get("physicalnetwork", destination) is None:
        raise invalid_parameter("Destination Physical Network with specified id doesn't exist in the system")
    name = p["name"]
    if name.lower() not in (known.lower() for known in (*PROVIDER_ELEMENTS, *PROVIDERS_WITHOUT_ELEMENT)):
        raise invalid_parameter(f"Invalid Network Service Provider={name}")
    if ctx.store.find("provider", name=name, parentid=pn["id"]):
        raise cloud_runtime(f"The '{name}' provider already exists on physical network : "
                            f"{physical_network_text(ctx, pn)}")
    element = element_of(name)
    services = element[0] if p.get("servicelist") is None else check_enabled_services(name, p["servicelist"], element)
    return new_provider(ctx, pn, name, services, destination)["id"]


@command("addNetworkServiceProvider", instance_type="PhysicalNetworkServiceProvider",
         create=add_network_service_provider_entity)
def add_network_service_provider(ctx: Context, p: dict) -> dict:
    return ctx.require("provider", p["id"], "network service provider")


def provider_is_ready(ctx: Context, provider: dict) -> bool:
    """The element's isReady(): a router element enabled, a management network for Tungsten."""
    name = provider["name"].lower()
    if name in ("virtualrouter", "vpcvirtualrouter"):
        elements = ctx.store.find("virtualrouterprovider", parentid=provider["id"])
        return any(element["enabled"] for element in elements)
    if name == "internallbvm":
        elements = ctx.store.find("internalloadbalancerelement", parentid=provider["id"])
        return any(element["enabled"] for element in elements)
    if name == "tungsten":
        return any(t["traffictype"] == "Management"
                   for t in ctx.store.find("traffictype", parentid=provider["physicalnetworkid"]))
    return name not in (n.lower() for n in NEVER_READY)


@command("updateNetworkServiceProvider", instance_type="PhysicalNetworkServiceProvider")
def update_network_service_provider(ctx: Context, p: dict) -> dict:
    provider = ctx.store.get("provider", p["id"])
    if provider is None:
        raise invalid_parameter(f"Network Service Provider id={p['id']}doesn't exist in the system")
    _, can_enable = element_of(provider["name"])
    state = p.get("state")
    if state and state not in ("Enabled", "Disabled", "Shutdown"):
        raise invalid_parameter(f"Unable to resolve state '{state}' to a supported value {{Enabled or Disabled}}")
    if state == "Enabled":
        if not provider_is_ready(ctx, provider):
            raise job_failure("Provider is not ready, cannot Enable the provider, please configure the provider first")
        provider["state"] = "Enabled"
    elif state == "Disabled":
        provider["state"] = "Disabled"
    elif state == "Shutdown":
        raise invalid_parameter("Updating the provider state to 'Shutdown' is not supported")
    if p.get("servicelist") is not None:
        if not can_enable:
            raise invalid_parameter(f"Cannot update set of Services for this Service Provider '{provider['name']}'")
        services = []
        for service_name in p["servicelist"]:
            service = canonical_service(service_name)
            if service is None:
                raise invalid_parameter(f"Invalid Network Service specified={service_name}")
            services.append(service)
        provider["servicelist"] = listed_services(services)
    return ctx.store.update("provider", provider)


@command("listNetworkServiceProviders")
def list_network_service_providers(ctx: Context, p: dict) -> list[dict]:
    p.pop("keyword", None)  # the service ignores keyword
    providers = ctx.store.find("provider", name=p.get("name"), parentid=p.get("physicalnetworkid"))
    if p.get("state"):
        providers = [nsp for nsp in providers if nsp["state"].lower() == p["state"].lower()]
    return list(reversed(providers))  # Filter(id, ascending=false)


# -- provider elements --------------------------------------------------------------------


def list_elements(ctx: Context, kind: str, p: dict) -> list[dict]:
    p.pop("keyword", None)  # the element searches ignore keyword
    elements = ctx.store.find(kind, uuid=p.get("id"), parentid=p.get("nspid"))
    if p.get("enabled") is not None:
        elements = [element for element in elements if element["enabled"] == p["enabled"]]
    return elements


@command("configureVirtualRouterElement")
def configure_virtual_router_element(ctx: Context, p: dict) -> dict:
    element = ctx.store.get("virtualrouterprovider", p["id"])
    if element is None:
        raise job_failure("Failed to configure the virtual router provider")
    element["enabled"] = bool(p["enabled"])
    return ctx.store.update("virtualrouterprovider", element)


@command("listVirtualRouterElements")
def list_virtual_router_elements(ctx: Context, p: dict) -> list[dict]:
    return list_elements(ctx, "virtualrouterprovider", p)


@command("configureInternalLoadBalancerElement")
def configure_internal_load_balancer_element(ctx: Context, p: dict) -> dict:
    element = ctx.store.get("internalloadbalancerelement", p["id"])
    if element is None:
        raise invalid_parameter(f"Can't find InternalLbVm element with network service provider id {p['id']} to be "
                                "used as a provider for InternalLbVm")
    element["enabled"] = bool(p["enabled"])
    return ctx.store.update("internalloadbalancerelement", element)


@command("listInternalLoadBalancerElements")
def list_internal_load_balancer_elements(ctx: Context, p: dict) -> list[dict]:
    return list_elements(ctx, "internalloadbalancerelement", p)
