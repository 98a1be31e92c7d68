"""Pods (ConfigurationManagerImpl createPod / editPod / deletePod, ManagementServerImpl.searchForPods).

A pod keeps its management IP range the way host_pod_ref.description does,
"start-end-forsystemvms-vlan", under `_description`, and its CIDR under `_cidraddress` /
`_cidrsize`; the response's `ipranges`, `startip`, `endip`, `forsystemvms` and `vlanid` are
derived from them as ApiResponseHelper.createPodResponse does.
"""

from __future__ import annotations

import ipaddress
import json

from ..errors import cloud_runtime, invalid_parameter
from ..registry import Context, command
from .common import by_id_or_name, check_allocation_state, is_ipv4

POD_DELETE_BLOCKERS = [
    ("privateip", "there are private IP addresses allocated in this pod."),
    ("volume", "there are storage volumes in this pod."),
    ("host", "there are servers in this pod."),
    ("vm", "there are virtual machines in this pod."),
    ("cluster", "there are clusters in this pod."),
]
VM_KINDS = ("uservm", "systemvm", "domainrouter")
DEFAULT_FOR_SYSTEM_VMS = "0"   # DefaultForSystemVmsForPodIpRange
DEFAULT_VLAN = "untagged"      # DefaultVlanForPodIpRange (Vlan.UNTAGGED)


# -- Java's views of objects in messages ------------------------------------------------


def java_string(value: str | None) -> str:
    """A string as commons-lang's JSON ToStringStyle writes it."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False).replace("/", "\\/")


def zone_repr(ctx: Context, zone: dict) -> str:
    """DataCenterVO.toString."""
    number = ctx.store.internal_id("zone", zone["id"])
    return f'Zone {{"id": "{number}", "name": "{zone["name"]}", "uuid": "{zone["id"]}"}}'


def pod_repr(ctx: Context, pod: dict) -> str:
    """HostPodVO.toString (ReflectionToStringBuilderUtils, JSON style)."""
    number = ctx.store.internal_id("pod", pod["id"])
    return f'HostPod {{"id":{number},"name":{java_string(pod["name"])},"uuid":{java_string(pod["id"])}}}'


# -- IPv4 arithmetic as NetUtils does it ------------------------------------------------


def ip_to_int(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def subnet_of(ip: str, size: int) -> int:
    """NetUtils.getCidrSubNet: the address with the host bits cleared."""
    mask = (0xFFFFFFFF << (32 - size)) & 0xFFFFFFFF if size else 0
    return ip_to_int(ip) & mask


def netmask_size(netmask: str) -> int | None:
    """The prefix length of a valid netmask (NetUtils.isValidIp4Netmask), else None."""
    if not is_ipv4(netmask):
        return None
    bits = format(ip_to_int(netmask), "032b")
    if "01" in bits or "1" not in bits:
        return None
    return bits.count("1")


def cidr_netmask(size: int) -> str:
    return str(ipaddress.IPv4Address((0xFFFFFFFF << (32 - size)) & 0xFFFFFFFF if size else 0))


def last_usable_ip(cidr_address: str, size: int) -> str:
    """NetUtils.getIpRangeEndIpFromCidr: the broadcast address less one."""
    network = subnet_of(cidr_address, size)
    return str(ipaddress.IPv4Address(network + (1 << (32 - size)) - 2))


def ranges_overlap(start1: str, end1: str | None, start2: str, end2: str | None) -> bool:
    """NetUtils.ipRangesOverlap."""
    a1, b1 = ip_to_int(start1), ip_to_int(end1 or start1)
    a2, b2 = ip_to_int(start2), ip_to_int(end2 or start2)
    return a1 <= b2 and a2 <= b1


def pod_ranges(pod: dict) -> list[tuple[str, str]]:
    """The (start, end) pairs of a pod's description that are valid IPv4 addresses."""
    out = []
    for item in (pod.get("_description") or "").split(","):
        parts = item.split("-")
        if len(parts) > 1 and is_ipv4(parts[0]) and is_ipv4(parts[1]):
            out.append((parts[0], parts[1]))
    return out


# -- checks -----------------------------------------------------------------------------


def check_range_basics(p: dict) -> int:
    """checkPodRangeParametersBasicsForNonEdgeZone; returns the netmask's prefix length."""
    if not is_ipv4(p.get("startip")):
        raise invalid_parameter("The start IP is invalid")
    if p.get("endip") is not None and not is_ipv4(p["endip"]):
        raise invalid_parameter("The end IP is invalid")
    if not is_ipv4(p.get("gateway")):
        raise invalid_parameter("The gateway is invalid")
    size = netmask_size(p.get("netmask"))
    if size is None:
        raise invalid_parameter("The netmask is invalid")
    return size


def check_ip_range(start: str | None, end: str | None, cidr_address: str, size: int) -> None:
    """ConfigurationManagerImpl.checkIpRange."""
    if start and not is_ipv4(start):
        raise invalid_parameter("The start address of the IP range is not a valid IP address.")
    if end and not is_ipv4(end):
        raise invalid_parameter("The end address of the IP range is not a valid IP address.")
    network = subnet_of(cidr_address, size)
    if start and subnet_of(start, size) != network:
        raise invalid_parameter("The start address of the IP range is not in the CIDR subnet.")
    if end and subnet_of(end, size) != network:
        raise invalid_parameter("The end address of the IP range is not in the CIDR subnet.")
    if end and ip_to_int(start) > ip_to_int(end):
        raise invalid_parameter("The start IP address must have a lower value than the end IP address.")


def check_public_ip_overlap(ctx: Context, zone_id: str, start: str, end: str) -> None:
    """checkOverlapPublicIpRange: no address of the zone's public ranges inside the pod range."""
    low, high = ip_to_int(start), ip_to_int(end)
    for vlan in ctx.store.find("vlaniprange", zoneid=zone_id):
        if not (is_ipv4(vlan.get("startip")) and is_ipv4(vlan.get("endip") or vlan.get("startip"))):
            continue
        first, last = ip_to_int(vlan["startip"]), ip_to_int(vlan.get("endip") or vlan["startip"])
        if first <= high and low <= last:
            hit = ipaddress.IPv4Address(max(first, low))
            raise invalid_parameter(f"The Start IP and endIP address range overlap with Public IP :{hit}")


def check_cidr_subnets(ctx: Context, zone: dict, pod_id: str | None, cidr_address: str, size: int) -> None:
    """checkPodCidrSubnets: the pod's subnet may match neither the guest CIDR nor another pod's.

    The pod being added or edited ("newPod") is checked first, as the HashMap's key -1 comes first.
    """
    others = [pod for pod in ctx.store.find("pod", zoneid=zone["id"])
              if pod["id"] != pod_id and pod.get("_cidraddress")]
    entries = [(None, "newPod", cidr_address, size)]
    entries += [(pod["id"], pod["name"], pod["_cidraddress"], pod["_cidrsize"]) for pod in others]
    guest = zone.get("guestcidraddress")
    guest_ip, guest_size = (guest.split("/")[0], int(guest.split("/")[1])) if guest and "/" in guest else (None, None)
    for key, name, address, bits in entries:
        if guest_ip is not None:
            use = min(bits, guest_size)
            if subnet_of(address, use) == subnet_of(guest_ip, use):
                if key is None:
                    raise invalid_parameter("The subnet of the pod you are adding conflicts with the subnet of the "
                                            "Guest IP Network. Please specify a different CIDR.")
                raise invalid_parameter(
                    f"Warning: The subnet of pod {name} in zone {zone['name']} conflicts with the subnet of the Guest "
                    "IP Network. Please change either the pod's CIDR or the Guest IP Network's subnet, and re-run "
                    "install-vmops-management.")
        for other_key, other_name, other_address, other_bits in entries:
            if other_key == key:
                continue
            use = min(bits, other_bits)
            if subnet_of(address, use) == subnet_of(other_address, use):
                if key is None:
                    raise invalid_parameter(f"The subnet of the pod you are adding conflicts with the subnet of pod "
                                            f"{other_name} in zone {zone['name']}. Please specify a different CIDR.")
                raise invalid_parameter(f"Warning: The pods {name} and {other_name} in zone {zone['name']} have "
                                        "conflicting CIDR subnets. Please change the CIDR of one of these pods.")


def name_taken(ctx: Context, zone_id: str, name: str) -> bool:
    """HostPodDao.findByName (MySQL's case-insensitive comparison)."""
    return any(pod["name"].lower() == name.lower() for pod in ctx.store.find("pod", zoneid=zone_id))


def check_pod_attributes(ctx: Context, zone: dict, pod_id: str | None, name: str, gateway: str, cidr_address: str,
                         size: int, start: str | None, end: str | None, *, check_duplicates: bool,
                         skip_gateway_overlap: bool) -> None:
    """checkPodAttributes and checkPodAttributesForNonEdgeZone, in the server's order."""
    if check_duplicates and name_taken(ctx, zone["id"], name):
        raise invalid_parameter(f"A pod with name: {name} already exists in zone {zone_repr(ctx, zone)}. "
                                "Please specify a different pod name. ")
    if zone.get("type") == "Edge":
        return
    check_ip_range(start, end, cidr_address, size)
    if start:
        check_public_ip_overlap(ctx, zone["id"], start, end or start)
    if not is_ipv4(gateway):
        raise invalid_parameter("The gateway is not a valid IP address.")
    if subnet_of(gateway, size) != subnet_of(cidr_address, size):
        raise invalid_parameter("The gateway is not in the CIDR subnet.")
    if not skip_gateway_overlap and start and ranges_overlap(start, end, gateway, gateway):
        raise invalid_parameter("The gateway shouldn't overlap start/end ip addresses")
    if str(ctx.setting("check.pod.cidrs") or "true").strip().lower() in ("", "true"):
        check_cidr_subnets(ctx, zone, pod_id, cidr_address, size)


# -- the response fields derived from the stored range ----------------------------------


def with_range_fields(pod: dict) -> dict:
    """createPodResponse's ipranges and the parallel startip/endip/forsystemvms/vlanid lists."""
    ranges, starts, ends, system, vlans = [], [], [], [], []
    for item in (pod.get("_description") or "").split(",") if pod.get("_description") else []:
        parts = item.split("-")
        start = parts[0] if parts else ""
        end = parts[1] if len(parts) > 1 else ""
        for_system = parts[2] if len(parts) > 2 else "0"
        vlan = parts[3] if len(parts) > 3 and parts[3] != DEFAULT_VLAN else DEFAULT_VLAN
        vlan_uri = f"vlan://{vlan}"
        ranges.append({"startip": start, "endip": end, "forsystemvms": for_system, "vlanid": vlan_uri})
        starts.append(start)
        ends.append(end)
        system.append(for_system)
        vlans.append(vlan_uri)
    pod.update({"ipranges": ranges, "startip": starts, "endip": ends, "forsystemvms": system, "vlanid": vlans})
    return pod


def with_capacity(ctx: Context, pod: dict, show: bool | None) -> dict:
    if show:
        from .metrics import nested_capacities  # metrics.py builds on this module

        return {**pod, "capacity": nested_capacities(ctx, zone_id=pod["zoneid"], pod_id=pod["id"])}
    return pod


# -- commands ---------------------------------------------------------------------------


@command("createPod")
def create_pod(ctx: Context, p: dict) -> dict:
    zone = ctx.require("zone", p["zoneid"], "zone")
    edge = zone.get("type") == "Edge"
    if edge:
        if any(p.get(key) is not None for key in ("startip", "endip", "gateway", "netmask")):
            raise invalid_parameter("IP range parameters can not be specified for a pod in an edge zone")
        cidr_address, size, start, end, gateway = "", 0, None, None, ""
    else:
        size = check_range_basics(p)
        gateway = p["gateway"]
        cidr_address = str(ipaddress.IPv4Address(subnet_of(gateway, size)))
        start = p["startip"]
        end = p.get("endip") or last_usable_ip(cidr_address, size)
    allocation = p.get("allocationstate") or "Enabled"
    check_pod_attributes(ctx, zone, None, p["name"], gateway, cidr_address, size, start, end,
                         check_duplicates=True, skip_gateway_overlap=False)
    check_allocation_state(allocation)
    description = f"{start}-{end}-{DEFAULT_FOR_SYSTEM_VMS}-{DEFAULT_VLAN}" if start else None
    pod = {
        "name": p["name"], "zoneid": zone["id"], "gateway": gateway, "netmask": cidr_netmask(size),
        "allocationstate": allocation,
        "storageaccessgroups": ",".join(p["storageaccessgroups"]) if p.get("storageaccessgroups") else None,
        "zonestorageaccessgroups": zone.get("storageaccessgroups"), "hasannotations": False,
        "_cidraddress": cidr_address, "_cidrsize": size, "_description": description,
    }
    return ctx.store.insert("pod", with_range_fields(pod), parentid=zone["id"])


@command("updatePod")
def update_pod(ctx: Context, p: dict) -> dict:
    """editPod: the command's startip/endip are never passed on (editPod(cmd) sends nulls)."""
    pod = ctx.require("pod", p["id"], "pod")
    zone = ctx.require("zone", pod["zoneid"], "zone")
    gateway = p.get("gateway") if p.get("gateway") is not None else pod["gateway"]
    netmask = p.get("netmask") if p.get("netmask") is not None else cidr_netmask(pod["_cidrsize"])
    name = p.get("name") if p.get("name") is not None else pod["name"]
    allocation = p.get("allocationstate") or pod["allocationstate"]
    size = netmask_size(netmask)
    cidr_valid = is_ipv4(gateway) and size is not None
    if not cidr_valid and zone.get("type") != "Edge":
        # NetUtils.ipAndNetMaskToCidr gives null, which isValidIp4Cidr refuses.
        if name != pod["name"] and name_taken(ctx, zone["id"], name):
            raise invalid_parameter(f"A pod with name: {name} already exists in zone {zone_repr(ctx, zone)}. "
                                    "Please specify a different pod name. ")
        raise invalid_parameter(f"Please enter a valid CIDR for pod: {name}")
    cidr_address = str(ipaddress.IPv4Address(subnet_of(gateway, size))) if cidr_valid else pod["_cidraddress"]
    size = size if cidr_valid else pod["_cidrsize"]
    check_pod_attributes(ctx, zone, pod["id"], name, gateway, cidr_address, size, None, None,
                         check_duplicates=name != pod["name"], skip_gateway_overlap=True)
    check_allocation_state(allocation)
    if zone.get("type") != "Edge":
        check_existing_ranges(pod, gateway, cidr_address, size)
        pod.update({"gateway": gateway, "netmask": cidr_netmask(size), "_cidraddress": cidr_address,
                    "_cidrsize": size})
    pod.update({"name": name, "allocationstate": allocation})
    return ctx.store.update("pod", with_range_fields(pod))


def check_existing_ranges(pod: dict, gateway: str, cidr_address: str, size: int) -> None:
    """editPod: the pod's ranges must stay inside the new CIDR and clear of the gateway."""
    network = subnet_of(cidr_address, size)
    for start, end in pod_ranges(pod):
        if subnet_of(start, size) != network:
            raise invalid_parameter("The start address of the some IP range is not in the CIDR subnet.")
        if subnet_of(end, size) != network:
            raise invalid_parameter("The end address of the some IP range is not in the CIDR subnet.")
        if ranges_overlap(start, end, gateway, gateway):
            raise invalid_parameter("The gateway shouldn't overlap some start/end ip addresses")


def objects_in_pod(ctx: Context, kind: str, pod: dict) -> list[dict]:
    """The pod's objects of a kind; "vm" means any VM, "privateip" the system VMs holding a pod address."""
    if kind == "privateip":
        return ctx.store.find("systemvm", zoneid=pod["zoneid"], where=lambda vm: vm.get("podid") == pod["id"]
                              and vm.get("state") not in ("Destroyed", "Expunging"))
    kinds = VM_KINDS if kind == "vm" else (kind,)
    found: list[dict] = []
    for each in kinds:
        found += ctx.store.find(each, zoneid=pod["zoneid"], where=lambda obj: obj.get("podid") == pod["id"])
    return found


@command("deletePod")
def delete_pod(ctx: Context, p: dict) -> None:
    pod = ctx.require("pod", p["id"], "pod")
    for kind, reason in POD_DELETE_BLOCKERS:
        if objects_in_pod(ctx, kind, pod):
            raise cloud_runtime(f"The pod cannot be deleted because {reason}")
    # The pod's own VLAN ranges go with it (deletePod removes listPodVlans).
    for vlan in objects_in_pod(ctx, "vlaniprange", pod):
        ctx.store.delete("vlaniprange", vlan["id"])
    ctx.store.delete("pod", pod["id"])


@command("listPods")
def list_pods(ctx: Context, p: dict) -> list[dict]:
    pods = ctx.store.find("pod", zoneid=p.get("zoneid"))
    if p.get("allocationstate"):
        pods = [pod for pod in pods if pod["allocationstate"].lower() == p["allocationstate"].lower()]
    if p.get("storageaccessgroup"):
        pods = [pod for pod in pods if p["storageaccessgroup"] in (pod.get("storageaccessgroups") or "").split(",")]
    pods = by_id_or_name(pods, p)
    # searchForPods sorts by the zone (dataCenterId), then keeps the table's order.
    pods.sort(key=lambda pod: ctx.store.internal_id("zone", pod["zoneid"]) or 0)
    return [with_capacity(ctx, pod, p.get("showcapacities")) for pod in pods]
