"""Public and guest VLAN IP ranges (createVlanIpRange, deleteVlanIpRange, listVlanIpRanges).

ConfigurationManagerImpl.createVlanAndPublicIpRange (the command's checks, then the inner
method that createNetwork also uses for shared networks), deleteVlanAndPublicIpRange and
ManagementServerImpl.searchForVlans. Kind vlaniprange, stored with its zoneid; addresses
in use are kept in `_ipsinuse` (none are, until something allocates them).
"""

from __future__ import annotations

import ipaddress

from ..errors import cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command
from .common import is_ipv4, is_ipv6
from .physicalnetworks import db_id, physical_networks_with_traffic, vnets_of, zone_text

UNTAGGED = "untagged"


# -- NetUtils -----------------------------------------------------------------------------


def ip_long(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def is_netmask(netmask: str | None) -> bool:
    """NetUtils.isValidIp4Netmask: leading ones then zeros, at least one bit set."""
    if not is_ipv4(netmask):
        return False
    bits = format(ip_long(netmask), "032b")
    return "1" in bits and "01" not in bits


def prefix_of(netmask: str) -> int:
    return format(ip_long(netmask), "032b").count("1")


def cidr_of(gateway: str, netmask: str) -> str:
    """NetUtils.getCidrFromGatewayAndNetmask: the network address and prefix."""
    prefix = prefix_of(netmask)
    return str(ipaddress.IPv4Network(f"{gateway}/{prefix}", strict=False))


def netmask_of(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).netmask)


def same_subnet(ip1: str, ip2: str, netmask: str) -> bool:
    mask = ip_long(netmask)
    return ip_long(ip1) & mask == ip_long(ip2) & mask


def in_cidr(ip: str, cidr: str) -> bool:
    return ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(cidr, strict=False)


def cidrs_overlap(cidr1: str, cidr2: str) -> bool:
    return ipaddress.IPv4Network(cidr1, strict=False).overlaps(ipaddress.IPv4Network(cidr2, strict=False))


def ranges_overlap(start1: str, end1: str | None, start2: str, end2: str | None) -> bool:
    """NetUtils.ipRangesOverlap (a missing end is the start)."""
    s1, e1 = ip_long(start1), ip_long(end1 or start1)
    s2, e2 = ip_long(start2), ip_long(end2 or start2)
    return s1 <= e2 and s2 <= e1


def isolation_value(tag: str | None) -> str | None:
    """BroadcastDomainType.getValue: the VLAN id without its vlan:// or vxlan:// scheme."""
    if tag is None:
        return None
    for scheme in ("vlan://", "vxlan://"):
        if tag.lower().startswith(scheme):
            return tag[len(scheme):]
    return tag


def same_isolation(tag1: str | None, tag2: str | None) -> bool:
    """NetUtils.isSameIsolationId: the same value whatever the scheme; untagged matches untagged."""
    return str(isolation_value(tag1)).lower() == str(isolation_value(tag2)).lower()


# -- texts and look-ups -------------------------------------------------------------------


def network_text(ctx: Context, network: dict) -> str:
    offering = db_id(ctx, "networkoffering", network.get("networkofferingid") or "")
    name = network.get("name") if network.get("name") is not None else "null"
    return (f'Network {{"id": {db_id(ctx, "network", network["id"])}, "name": "{name}", "uuid": "{network["id"]}", '
            f'"networkofferingid": {offering}}}')


def pod_text(ctx: Context, pod: dict) -> str:
    return f'HostPod {{"id":{db_id(ctx, "pod", pod["id"])},"uuid":"{pod["id"]}","name":"{pod["name"]}"}}'


def system_network(ctx: Context, zone_id: str, traffic_type: str) -> dict | None:
    """The zone's system network of a traffic type (networks.py creates them with each zone)."""
    return ctx.store.find_one("network", zoneid=zone_id, parentid=f"system:{traffic_type}")


def offering_services(ctx: Context, network: dict) -> dict[str, list[str]]:
    offering = ctx.store.get("networkoffering", network.get("networkofferingid")) or {}
    return offering.get("_services") or {}


def network_vlan(network: dict) -> str | None:
    """The VLAN id of a guest network from its broadcast URI (getNetworkVlanId)."""
    uri = network.get("broadcasturi")
    if uri and uri.startswith("vlan"):
        return uri.split("vlan://", 1)[1]
    return None


def ranges_of_network(ctx: Context, network: dict) -> list[dict]:
    return ctx.store.find("vlaniprange", zoneid=network["zoneid"], where=lambda v: v.get("networkid") == network["id"])


def default_physical_network(ctx: Context, zone: dict, traffic_type: str) -> dict:
    """NetworkModel.getDefaultPhysicalNetworkByZoneAndTrafficType."""
    found = physical_networks_with_traffic(ctx, zone["id"], traffic_type)
    if not found:
        raise invalid_parameter(f"Unable to find the default physical network with traffic={traffic_type} in the "
                                "specified zone id")
    if len(found) > 1:
        raise invalid_parameter(f"More than one physical networks exist in zone id={db_id(ctx, 'zone', zone['id'])} "
                                f"with traffic type={traffic_type}")
    return found[0]


# -- createVlanIpRange --------------------------------------------------------------------


def vlan_owner(ctx: Context, p: dict) -> tuple[dict | None, dict | None]:
    """(owning account, owning domain) of a dedicated range."""
    if p.get("projectid") and p.get("account"):
        raise invalid_parameter("Account and projectId are mutually exclusive")
    if p.get("account") and p.get("domainid"):
        account = ctx.store.find_one("account", name=p["account"],
                                     where=lambda a: a.get("domainid") == p["domainid"] and a.get("state") != "removed")
        if account is None:
            raise invalid_parameter("Please specify a valid account.")
        return (None if account["name"] == "system" else account), None
    if p.get("domainid"):
        domain = ctx.store.get("domain", p["domainid"])
        if domain is None:
            raise invalid_parameter("Please specify a valid domain id")
        return None, domain
    return None, None


def physical_network_for_range(ctx: Context, zone: dict, network: dict | None, for_virtual: bool) -> str:
    if network is not None and network.get("physicalnetworkid"):
        return network["physicalnetworkid"]
    if for_virtual:
        return default_physical_network(ctx, zone, "Public")["id"]
    if zone["networktype"] == "Basic" or zone.get("securitygroupsenabled"):
        return default_physical_network(ctx, zone, "Guest")["id"]
    raise invalid_parameter("Physical Network Id is null, please provide the Network id for Direct vlan creation ")


def network_for_range(ctx: Context, zone: dict, network: dict | None, for_virtual: bool) -> dict:
    """The network a range goes to: the zone's Public network, or a shared guest network."""
    zone_number = db_id(ctx, "zone", zone["id"])
    if for_virtual:
        if network is None:
            public = system_network(ctx, zone["id"], "Public")
            if public is None:
                raise invalid_parameter(f"Unable to find network with traffic type Public in zone {zone_number}")
            return public
        if network.get("type") is not None or network.get("traffictype") != "Public":
            raise invalid_parameter(f"Can't find Public network {network_text(ctx, network)}")
        return network
    if network is None:
        if zone["networktype"] == "Basic":
            system = ctx.store.find_one("account", name="system") or {}
            found = [net for net in ctx.store.find("network", zoneid=zone["id"])
                     if net.get("type") == "Shared" and net.get("traffictype") == "Guest"
                     and net.get("_accountid") == system.get("id")]
            if not found:
                raise invalid_parameter(f"Unable to find network with trafficType Guest and guestType Shared in zone "
                                        f"{zone_number}")
            return found[0]
        found = [net for net in ctx.store.find("network", zoneid=zone["id"])
                 if "SecurityGroup" in offering_services(ctx, net)]
        if not found:
            raise invalid_parameter("Network id is required for Direct vlan creation ")
        return found[0]
    source_nat = "SourceNat" in offering_services(ctx, network)
    if network.get("type") is None or (network["type"] == "Isolated" and source_nat):
        raise invalid_parameter(f"Can't create direct vlan for network {network_text(ctx, network)} with type: "
                                f"{network.get('type') or 'null'}")
    return network


@command("createVlanIpRange")
def create_vlan_ip_range(ctx: Context, p: dict) -> dict:
    network = ctx.store.get("network", p.get("networkid")) if p.get("networkid") else None
    zone_id, pn_id = p.get("zoneid"), p.get("physicalnetworkid")
    if network is not None:
        zone_id, pn_id = network["zoneid"], network.get("physicalnetworkid")
    vlan_id = p.get("vlan")
    if not (vlan_id or "").strip():
        vlan_id = network_vlan(network) if network and network.get("traffictype") == "Guest" else UNTAGGED
    if vlan_id and not vlan_id.startswith("vlan"):
        vlan_id = f"vlan://{vlan_id}"
    for_virtual = p.get("forvirtualnetwork", True)
    for_systemvms = p.get("forsystemvms", False)
    if for_systemvms and p.get("account"):
        raise invalid_parameter("Account name should not be provided when ForSystemVMs is enabled")
    start_ip, ip6_cidr = p.get("startip"), p.get("ip6cidr")
    if start_ip is None and ip6_cidr is None:
        raise invalid_parameter("StartIP or IPv6 CIDR is missing in the parameters!")
    end_ip = p.get("endip") or start_ip
    if ip6_cidr is not None:
        check_ipv6_prefix(ip6_cidr)
    owner, domain = vlan_owner(ctx, p)
    zone = ctx.store.get("zone", zone_id) if zone_id else None
    if zone is None:
        raise invalid_parameter(f"Unable to find zone by id {zone_id}")
    pn_id = pn_id or physical_network_for_range(ctx, zone, network, for_virtual)
    if zone.get("allocationstate") == "Disabled" and ctx.user.get("roletype") != "Admin":
        raise permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone_text(ctx, zone)}")
    if zone.get("securitygroupsenabled") and zone["networktype"] != "Basic" and for_virtual:
        raise invalid_parameter("Can't add virtual ip range into a zone with security group enabled")
    network = network_for_range(ctx, zone, network, for_virtual)
    if not network.get("specifyipranges"):
        raise invalid_parameter(f"Network {network_text(ctx, network)} doesn't support adding ip ranges")
    vlan_id, subnet = check_range_fits_network(ctx, zone, network, vlan_id, p, start_ip, end_ip)
    if ip6_cidr is not None and not p.get("ip6gateway"):
        raise invalid_parameter("Gateway, netmask and zoneId have to be passed in for virtual and direct untagged "
                                "networks")
    if start_ip is not None:
        check_overlap_private_ip_range(ctx, zone, start_ip, end_ip)
    gateway, netmask = p.get("gateway"), p.get("netmask")
    if network.get("traffictype") == "Guest" and network.get("type") == "Shared" and not (subnet and subnet[0]):
        check_dhcp_across_subnets(ctx, network)
    elif subnet is not None:
        gateway, netmask = subnet[1]
    return commit_range(ctx, zone, network, pn_id, for_virtual=for_virtual, for_systemvms=for_systemvms,
                        pod_id=p.get("podid"), start_ip=start_ip, end_ip=end_ip, gateway=gateway, netmask=netmask,
                        vlan_id=vlan_id, bypass_vlan_check=False, domain=domain, owner=owner,
                        ipv6=(p.get("startipv6"), p.get("endipv6") or p.get("startipv6"), p.get("ip6gateway"),
                              ip6_cidr))


def check_ipv6_prefix(ip6_cidr: str) -> None:
    try:
        network = ipaddress.IPv6Network(ip6_cidr, strict=False)
    except ValueError:
        raise invalid_parameter("Please specify a valid IPv6 CIDR") from None
    if network.prefixlen > 64:
        raise invalid_parameter("For IPv6 range, prefix must be /64 or less")


def check_range_fits_network(ctx: Context, zone: dict, network: dict, vlan_id: str | None, p: dict,
                             start_ip: str | None, end_ip: str | None) -> tuple[str | None, tuple | None]:
    """The shared-network and basic-zone subnet rules; returns the VLAN id and (same subnet, (gw, mask))."""
    subnet = None
    if zone["networktype"] == "Advanced":
        if network.get("traffictype") == "Guest":
            if network.get("type") != "Shared":
                raise invalid_parameter("Can execute createVLANIpRanges on shared guest network, but type of this "
                                        f"guest network {network_text(ctx, network)} is {network.get('type')}")
            existing = ranges_of_network(ctx, network)
            if existing:
                tag = existing[0]["vlan"]
                if vlan_id is None or UNTAGGED in vlan_id:
                    vlan_id = tag
                elif not same_isolation(tag, vlan_id):
                    raise invalid_parameter(f"there is already one vlan {tag} on network :"
                                            f"{network_text(ctx, network)}, only one vlan is allowed on guest network")
            subnet = validate_ip_range(ctx, network, existing, start_ip, end_ip, p.get("gateway"), p.get("netmask"))
    elif network.get("traffictype") == "Management":
        raise invalid_parameter("Cannot execute createVLANIpRanges on management network")
    elif zone["networktype"] == "Basic":
        subnet = validate_ip_range(ctx, network, ranges_of_network(ctx, network), start_ip, end_ip,
                                   p.get("gateway"), p.get("netmask"))
    return vlan_id, subnet


def validate_ip_range(ctx: Context, network: dict, existing: list[dict], start_ip: str | None, end_ip: str | None,
                      gateway: str | None, netmask: str | None) -> tuple[bool, tuple[str, str]]:
    """ConfigurationManagerImpl.validateIpRange for IPv4 ranges."""
    same = False
    old_gateway = old_netmask = None
    subnets = [(v["gateway"], v["netmask"]) for v in existing if v.get("gateway")]
    if not existing and network.get("gateway") and network.get("cidr"):
        subnets = [(network["gateway"], netmask_of(network["cidr"]))]
    for old_gateway, old_netmask in subnets:
        same = start_ip is not None and has_same_subnet(old_gateway, old_netmask, gateway, netmask, start_ip, end_ip)
        if same:
            break
    if gateway is None and netmask is None and not same:
        raise invalid_parameter("The ip range dose not belong to any of the existing subnets, Provide the netmask and "
                                "gateway if you want to add new subnet")
    details = (old_gateway, old_netmask) if same else (gateway, netmask)
    if start_ip is not None and details[0] and is_ipv4(details[0]) and is_ipv4(start_ip) and is_ipv4(end_ip) \
            and ranges_overlap(start_ip, end_ip, details[0], details[0]):
        raise invalid_parameter("The gateway ip should not be the part of the ip range being added.")
    return same, details


def has_same_subnet(old_gateway: str, old_netmask: str, gateway: str | None, netmask: str | None, start_ip: str,
                    end_ip: str) -> bool:
    """checkIfSubsetOrSuperset + hasSameSubnet: True when the range extends the existing subnet."""
    if not (is_ipv4(start_ip) and is_ipv4(end_ip)):
        return False
    if gateway is None and netmask is None:
        return same_subnet(start_ip, old_gateway, old_netmask) and same_subnet(end_ip, old_gateway, old_netmask)
    if gateway is None or netmask is None:
        raise invalid_parameter("either both netmask and gateway should be passed or both should me omited.")
    if not (is_ipv4(gateway) and is_netmask(netmask)):
        return False
    if not same_subnet(start_ip, gateway, netmask):
        raise invalid_parameter("The start ip and gateway do not belong to the same subnet")
    if not same_subnet(end_ip, gateway, netmask):
        raise invalid_parameter("The end ip and gateway do not belong to the same subnet")
    new = ipaddress.IPv4Network(cidr_of(gateway, netmask))
    old = ipaddress.IPv4Network(cidr_of(old_gateway, old_netmask))
    if new == old:
        if gateway != old_gateway:
            raise invalid_parameter(f"The gateway of the subnet should be unique. The subnet already has a gateway "
                                    f"{old_gateway}")
        return True
    if new.supernet_of(old):
        raise invalid_parameter(f"The subnet you are trying to add is a superset of the existing subnet having gateway "
                                f"{old_gateway} and netmask {old_netmask}")
    if new.subnet_of(old):
        raise invalid_parameter(f"The subnet you are trying to add is a subset of the existing subnet having gateway "
                                f"{old_gateway} and netmask {old_netmask}")
    return False


def check_dhcp_across_subnets(ctx: Context, network: dict) -> None:
    """A new subnet on a shared network needs a DHCP provider that serves several subnets."""
    providers = offering_services(ctx, network).get("Dhcp")
    if providers is None:
        offering = ctx.store.get("networkoffering", network["networkofferingid"]) or {}
        raise cloud_runtime(f"Service Dhcp is not supported by the network offering NetworkOffering "
                            f"{{\"id\":{db_id(ctx, 'networkoffering', offering.get('id', ''))},"
                            f"\"uuid\":\"{offering.get('id')}\",\"name\":\"{offering.get('name')}\"}}")
    if not any(provider in ("VirtualRouter", "VpcVirtualRouter", "ConfigDrive", "Tungsten") for provider in providers):
        raise invalid_parameter("The dhcp service provider for this network does not support dhcp across multiple "
                                "subnets")


def pod_ip_ranges(pod: dict) -> list[tuple[str, str]]:
    """A pod's private (management) IP ranges, whichever way the pods module stores them."""
    if pod.get("ipranges"):
        return [(r.get("startip"), r.get("endip")) for r in pod["ipranges"] if r.get("startip") and r.get("endip")]
    starts, ends = pod.get("startip"), pod.get("endip")
    if isinstance(starts, str):
        starts, ends = [starts], [ends]
    return [(s, e) for s, e in zip(starts or [], ends or [], strict=False) if s and e]


def check_overlap_private_ip_range(ctx: Context, zone: dict, start_ip: str, end_ip: str) -> None:
    if not (is_ipv4(start_ip) and is_ipv4(end_ip)):
        return  # checkPublicIpRangeErrors reports the bad address later
    for pod in ctx.store.find("pod", zoneid=zone["id"]):
        for pod_start, pod_end in pod_ip_ranges(pod):
            if is_ipv4(pod_start) and is_ipv4(pod_end) and ranges_overlap(start_ip, end_ip, pod_start, pod_end):
                raise invalid_parameter(f"The Start IP and EndIP address range overlap with private IP :{pod_start}:"
                                        f"{pod_end}")


# -- the inner createVlanAndPublicIpRange (also used by createNetwork) --------------------


def commit_range(ctx: Context, zone: dict, network: dict, pn_id: str, *, for_virtual: bool, for_systemvms: bool,
                 pod_id: str | None, start_ip: str | None, end_ip: str | None, gateway: str | None,
                 netmask: str | None, vlan_id: str | None, bypass_vlan_check: bool, domain: dict | None,
                 owner: dict | None, ipv6: tuple = (None, None, None, None)) -> dict:
    start_ipv6, end_ipv6, ip6_gateway, ip6_cidr = ipv6
    if start_ip is None and ip6_cidr is None:
        raise invalid_parameter("Please specify IPv4 or IPv6 address.")
    pn = ctx.store.get("physicalnetwork", pn_id)
    if pn is None:
        raise invalid_parameter("Please specify a valid physical network id")
    pod = check_range_pod(ctx, zone, network, pod_id)
    vlan_id = range_vlan(network, vlan_id)
    if (domain is not None or owner is not None) and zone["networktype"] != "Advanced":
        raise invalid_parameter("Vlan owner can be defined only in the zone of type Advanced")
    if start_ip is not None:
        if not is_ipv4(gateway):
            raise invalid_parameter("Please specify a valid gateway")
        if not is_netmask(netmask):
            raise invalid_parameter("Please specify a valid netmask")
    if ip6_cidr is not None:
        if not is_ipv6(ip6_gateway):
            raise invalid_parameter("Please specify a valid IPv6 gateway")
        check_ipv6_cidr(ip6_cidr)
    offering = ctx.store.get("networkoffering", network.get("networkofferingid")) or {}
    shared_without_vlan = offering.get("guestiptype") == "Shared" and not offering.get("specifyvlan")
    cidr = None
    if start_ip is not None:
        cidr = check_ipv4_range(ctx, zone, network, pn, vlan_id, gateway, netmask, start_ip, end_ip,
                                check_overlap=not shared_without_vlan)
    if ip6_cidr is not None:
        check_ipv6_overlap(ctx, zone, ip6_cidr, start_ipv6, end_ipv6)
    if not (bypass_vlan_check or shared_without_vlan):
        value = isolation_value(vlan_id)
        if value and value.isdigit() and int(value) in vnets_of(pn):
            raise invalid_parameter(f"The VLAN tag {vlan_id} is already being used for dynamic vlan allocation for "
                                    f"the guest network in zone {zone['name']}")
    vlan = {
        "forvirtualnetwork": for_virtual, "zoneid": zone["id"], "vlan": vlan_id,
        "podid": pod["id"] if pod else None, "gateway": gateway if start_ip else None,
        "netmask": netmask if start_ip else None, "cidr": cidr, "startip": start_ip,
        "endip": end_ip if start_ip else None, "networkid": network["id"], "physicalnetworkid": pn["id"],
        "startipv6": start_ipv6, "endipv6": end_ipv6 if start_ipv6 else None,
        "ip6gateway": ip6_gateway, "ip6cidr": ip6_cidr, "forsystemvms": bool(for_systemvms), "_ipsinuse": [],
    }
    vlan.update(range_owner_fields(ctx, network, owner, domain))
    vlan = ctx.store.insert("vlaniprange", vlan)
    if start_ip is not None:
        add_network_subnet(ctx, network, cidr, gateway)
    return vlan


def check_range_pod(ctx: Context, zone: dict, network: dict, pod_id: str | None) -> dict | None:
    if not pod_id:
        return None
    pod = ctx.store.get("pod", pod_id)
    if pod is None:
        raise invalid_parameter("Please specify a valid pod.")
    if pod.get("zoneid") != zone["id"]:
        raise invalid_parameter(f"Pod {pod_text(ctx, pod)} doesn't belong to zone id={db_id(ctx, 'zone', zone['id'])}")
    if zone["networktype"] != "Basic" or network.get("traffictype") != "Guest":
        raise invalid_parameter("Pod id can be specified only for the networks of type Guest in zone of type Basic")
    return pod


def range_vlan(network: dict, vlan_id: str | None) -> str:
    """A guest range takes its network's VLAN; a public one needs one (or untagged)."""
    if network.get("traffictype") == "Guest":
        network_vlan_id = network_vlan(network)
        if vlan_id is not None:
            if network_vlan_id is not None and not same_isolation(network_vlan_id, vlan_id):
                raise invalid_parameter("Vlan doesn't match vlan of the network")
        else:
            vlan_id = network_vlan_id
    elif network.get("traffictype") == "Public" and vlan_id is None:
        raise invalid_parameter("Unable to determine vlan id or untagged vlan for public network")
    return vlan_id or UNTAGGED


def check_ipv6_cidr(ip6_cidr: str) -> None:
    try:
        ipaddress.IPv6Network(ip6_cidr, strict=False)
    except ValueError:
        raise invalid_parameter("Please specify a valid IPv6 CIDR") from None


def check_ipv4_range(ctx: Context, zone: dict, network: dict, pn: dict, vlan_id: str, gateway: str, netmask: str,
                     start_ip: str, end_ip: str | None, *, check_overlap: bool) -> str:
    """The IPv4 checks of the inner createVlanAndPublicIpRange; returns the range's CIDR."""
    cidr = cidr_of(gateway, netmask)
    addresses = (gateway, start_ip, end_ip or start_ip)
    if not all(is_ipv4(ip) and in_cidr(ip, cidr) for ip in addresses):
        raise invalid_parameter("Please specify a valid IP range or valid netmask or valid gateway")
    guest_cidr = zone.get("guestcidraddress")
    # findVnet compares the raw VLAN id: a vlan:// URI never matches a vnet here
    if guest_cidr and cidrs_overlap(cidr, guest_cidr) and vlan_id.isdigit() and int(vlan_id) in vnets_of(pn):
        raise invalid_parameter(f"The new IP range you have specified has  overlapped with the guest network in zone: "
                                f"{zone['name']}along with existing Vlan also. Please specify a different "
                                "gateway/netmask")
    check_public_ip_range_errors(gateway, netmask, start_ip, end_ip)
    if check_overlap:
        check_zone_vlan_ip_overlap(ctx, zone, network, cidr, vlan_id, gateway, netmask, start_ip, end_ip)
    return cidr


def check_public_ip_range_errors(gateway: str, netmask: str, start_ip: str, end_ip: str | None) -> None:
    if not is_ipv4(start_ip):
        raise invalid_parameter("Please specify a valid start IP")
    if end_ip is not None and not is_ipv4(end_ip):
        raise invalid_parameter("Please specify a valid end IP")
    if end_ip is not None and ip_long(start_ip) > ip_long(end_ip):
        raise invalid_parameter("Please specify a valid IP range.")
    if end_ip is not None and not same_subnet(start_ip, end_ip, netmask):
        raise invalid_parameter("Please ensure that your start IP and end IP are in the same subnet, as per the IP "
                                "range's netmask.")
    if not same_subnet(start_ip, gateway, netmask):
        raise invalid_parameter("Please ensure that your start IP is in the same subnet as your IP range's gateway, as "
                                "per the IP range's netmask.")
    if end_ip is not None and not same_subnet(end_ip, gateway, netmask):
        raise invalid_parameter("Please ensure that your end IP is in the same subnet as your IP range's gateway, as "
                                "per the IP range's netmask.")
    if prefix_of(netmask) != 31 and ranges_overlap(start_ip, end_ip, gateway, gateway):
        raise invalid_parameter("The gateway ip should not be the part of the ip range being added.")


def check_zone_vlan_ip_overlap(ctx: Context, zone: dict, network: dict, cidr: str, vlan_id: str, gateway: str,
                               netmask: str, start_ip: str, end_ip: str | None) -> None:
    """checkZoneVlanIpOverlap: the same subnet may only be extended on the same VLAN, without overlap."""
    for other in ctx.store.find("vlaniprange", zoneid=zone["id"]):
        if not (other.get("gateway") and other.get("netmask") and other.get("networkid")):
            continue
        if not cidrs_overlap(cidr, cidr_of(other["gateway"], other["netmask"])):
            continue
        if UNTAGGED in vlan_id.lower() or same_isolation(vlan_id, other["vlan"]):
            if gateway != other["gateway"] or netmask != other["netmask"]:
                raise invalid_parameter(f"The IP range has already been added with gateway {other['gateway']} ,and "
                                        f"netmask {other['netmask']}, Please specify the gateway/netmask if you want "
                                        "to extend ip range")
            if prefix_of(netmask) != 31 and ranges_overlap(start_ip, end_ip, other["startip"], other["endip"]):
                raise invalid_parameter("The IP range already has IPs that overlap with the new range. Please specify "
                                        "a different start IP/end IP.")
        else:
            other_network = ctx.store.get("network", other["networkid"]) or {}
            if network.get("traffictype") == "Public" or other_network.get("traffictype") == "Public":
                raise invalid_parameter(f"The IP range with tag: {other['vlan']} in zone {zone['name']} has "
                                        "overlapped with the subnet. Please specify a different gateway/netmask.")


def check_ipv6_overlap(ctx: Context, zone: dict, ip6_cidr: str, start: str | None, end: str | None) -> None:
    new_net = ipaddress.IPv6Network(ip6_cidr, strict=False)
    new_range = (ipaddress.IPv6Address(start), ipaddress.IPv6Address(end or start)) if start else (
        new_net[0], new_net[-1])
    for other in ctx.store.find("vlaniprange", zoneid=zone["id"]):
        if not other.get("ip6gateway") or not other.get("ip6cidr"):
            continue
        other_net = ipaddress.IPv6Network(other["ip6cidr"], strict=False)
        if other.get("startipv6"):
            other_range = (ipaddress.IPv6Address(other["startipv6"]),
                           ipaddress.IPv6Address(other.get("endipv6") or other["startipv6"]))
        else:
            other_range = (other_net[0], other_net[-1])
        if new_range[0] <= other_range[1] and other_range[0] <= new_range[1]:
            raise invalid_parameter(f"The IPv6 range with tag: {other['vlan']} already has IPs that overlap with the "
                                    "new range.")


def range_owner_fields(ctx: Context, network: dict, owner: dict | None, domain: dict | None) -> dict:
    """The account/domain a range response shows: its owner, its domain, or a guest network's account."""
    if owner is None and domain is None and network.get("traffictype") == "Guest":
        owner = ctx.store.get("account", network.get("_accountid"))
    if owner is not None:
        return {"account": owner["name"], "domainid": owner["domainid"], "domain": owner.get("domain"),
                "domainpath": owner.get("domainpath") or "ROOT", "_accountid": owner["id"]}
    if domain is not None:
        return {"domainid": domain["id"], "domain": domain["name"], "domainpath": domain.get("path") or "ROOT"}
    return {}


def add_network_subnet(ctx: Context, network: dict, cidr: str, gateway: str) -> None:
    """addCidrAndGatewayForIpv4: the network's CIDR and gateway lists take the new subnet."""
    fresh = ctx.store.get("network", network["id"]) or network
    cidrs, gateways = list(fresh.get("_cidrs") or []), list(fresh.get("_gateways") or [])
    if cidr not in cidrs:
        cidrs.append(cidr)
    if gateway not in gateways:
        gateways.append(gateway)
    set_network_subnets(ctx, fresh, cidrs, gateways)


def remove_network_subnet(ctx: Context, network: dict, cidr: str, gateway: str) -> None:
    cidrs = [c for c in network.get("_cidrs") or [] if c != cidr]
    gateways = [g for g in network.get("_gateways") or [] if g != gateway]
    set_network_subnets(ctx, network, cidrs, gateways)


def set_network_subnets(ctx: Context, network: dict, cidrs: list[str], gateways: list[str]) -> None:
    network["_cidrs"], network["_gateways"] = cidrs, gateways
    network["cidr"] = cidrs[0] if cidrs else None
    network["gateway"] = gateways[0] if gateways else None
    network["netmask"] = netmask_of(cidrs[0]) if cidrs else None
    ctx.store.update("network", network)


# -- delete and list ----------------------------------------------------------------------


@command("deleteVlanIpRange")
def delete_vlan_ip_range(ctx: Context, p: dict) -> None:
    vlan = ctx.store.get("vlaniprange", p["id"])
    if vlan is None:
        raise invalid_parameter("Please specify a valid IP range id.")
    in_use = len(vlan.get("_ipsinuse") or [])
    if in_use and not vlan.get("_accountid"):
        raise invalid_parameter(f"{in_use}  Ips are in use. Cannot delete this vlan")
    ctx.store.delete("vlaniprange", vlan["id"])
    network = ctx.store.get("network", vlan.get("networkid"))
    if network is not None and vlan.get("gateway"):
        remove_network_subnet(ctx, network, vlan["cidr"], vlan["gateway"])


@command("listVlanIpRanges")
def list_vlan_ip_ranges(ctx: Context, p: dict) -> list[dict]:
    keyword = p.pop("keyword", None)  # matches the VLAN tag or the IP range, not a name
    ranges = ctx.store.find("vlaniprange", zoneid=p.get("zoneid") if not keyword else None)
    if keyword:
        return [v for v in ranges if keyword.lower() in str(v.get("vlan")).lower()
                or keyword.lower() in f"{v.get('startip')}-{v.get('endip')}".lower()]
    account_id = None
    if p.get("account") and p.get("domainid"):
        account = ctx.store.find_one("account", name=p["account"], where=lambda a: a.get("domainid") == p["domainid"])
        if account is None:
            raise invalid_parameter(f"Unable to find account {p['account']} in specified domain")
        account_id = account["id"]
    filters = {"id": p.get("id"), "vlan": p.get("vlan"), "networkid": p.get("networkid"), "podid": p.get("podid"),
               "physicalnetworkid": p.get("physicalnetworkid"), "forvirtualnetwork": p.get("forvirtualnetwork"),
               "_accountid": account_id}
    for key, value in filters.items():
        if value is not None:
            ranges = [v for v in ranges if v.get(key) == value]
    if p.get("domainid") and not p.get("account"):
        ranges = [v for v in ranges if v.get("domainid") == p["domainid"] and not v.get("_accountid")]
    return ranges
