"""Hosts: addHost, maintenance, updates, tags, deletion (ResourceManagerImpl, QueryManagerImpl).

A host is stored with parentid = its cluster, so a large listHosts pages straight from SQL.
addHost never connects to the URL: the host is named after the URL's host part, starts
`Connecting`, and a timer brings it `Up` after `host_up_delay` seconds, as an agent would.
The hardware figures are what a simulated agent reports.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid as uuidlib
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import quote_plus, urlsplit

from ..errors import INTERNAL_ERROR, ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, Query, command
from .clusters import cluster_repr, cpu_arch, find_cluster_by_name, new_cluster
from .hypervisors import hypervisor_list, hypervisor_type
from .pods import ip_to_int, java_string, pod_repr, zone_repr

# What a simulated agent reports for every host.
CPU_SOCKETS, CPU_NUMBER, CPU_SPEED_MHZ = 2, 16, 2400
MEMORY_BYTES = 64 * 1024 ** 3

HOST_DETAILS = ("all", "capacity", "events", "stats", "min")  # ApiConstants.HostDetails
# Fields HostJoinDaoImpl.setNewHostResponseBase fills only for some `details` values.
DETAIL_GROUPS = {
    "names": (("all", "capacity", "stats", "events"), ("oscategoryid", "oscategoryname", "clustertype")),
    "capacity": (("all", "capacity"), (
        "memorytotal", "memorywithoverprovisioning", "memoryallocated", "memoryallocatedbytes",
        "memoryallocatedpercentage", "hosttags", "istagarule", "hahost", "explicithosttags", "implicithosttags",
        "hypervisorversion", "arch", "storageaccessgroups", "cpuallocatedvalue", "cpuallocated",
        "cpuallocatedpercentage", "cpuallocatedwithoverprovisioning", "cpuwithoverprovisioning")),
    "stats": (("all", "stats"), ("cpuused", "cpuloadaverage", "memoryused", "networkkbsread", "networkkbswrite")),
    "events": (("all", "events"), ("events",)),
    "details": (("all",), ("details", "encryptionsupported", "instanceconversionsupported")),
}
# Status.getPossibleEvents, in the order the state machine declares them.
STATUS_EVENTS = {
    "Connecting": ["AgentConnected", "Ready", "PingTimeout", "ShutdownRequested", "HostDown", "Ping",
                   "ManagementServerDown", "StartAgentRebalance", "AgentDisconnected"],
    "Up": ["PingTimeout", "AgentDisconnected", "ShutdownRequested", "HostDown", "Ping", "AgentConnected",
           "ManagementServerDown", "StartAgentRebalance", "Remove"],
    "Disconnected": ["ShutdownRequested", "PingTimeout", "AgentConnected", "Ping", "HostDown",
                     "ManagementServerDown", "WaitedTooLong", "Remove", "AgentDisconnected"],
    "Alert": ["AgentConnected", "Ping", "Remove", "ManagementServerDown", "AgentDisconnected", "ShutdownRequested",
              "HostDown"],
}
MAINTENANCE_STATES = ("Maintenance", "ErrorInMaintenance", "PrepareForMaintenance", "ErrorInPrepareForMaintenance")
# ResourceState's transitions for the admin's events (the FSM in ResourceState.java).
RESOURCE_TRANSITIONS = {
    ("Enabled", "Enable"): "Enabled", ("Enabled", "Disable"): "Disabled",
    ("Disabled", "Enable"): "Enabled", ("Disabled", "Disable"): "Disabled",
    ("ErrorInPrepareForMaintenance", "Disable"): "Disabled", ("ErrorInMaintenance", "Disable"): "Disabled",
    ("Enabled", "AdminAskMaintenance"): "PrepareForMaintenance",
    ("ErrorInMaintenance", "AdminAskMaintenance"): "PrepareForMaintenance",
    ("Degraded", "AdminAskMaintenance"): "Maintenance",
}
# ManagementServerImpl.supportedHypervisors for updateHostPassword.
PASSWORD_HYPERVISORS = ("KVM", "XenServer")


# -- small helpers ----------------------------------------------------------------------


def decimal_format(value: float) -> str:
    """new DecimalFormat("#.##").format(value): at most two decimals, half-even, no trailing zeros."""
    text = format(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def host_repr(ctx: Context, host: dict) -> str:
    """HostVO.toString (ReflectionToStringBuilderUtils, JSON style)."""
    number = ctx.store.internal_id("host", host["id"])
    return (f'Host {{"id":{number},"name":{java_string(host["name"])},"type":{java_string(host.get("type"))},'
            f'"uuid":{java_string(host["id"])}}}')


def name_uuid(text: str) -> str:
    """java.util.UUID.nameUUIDFromBytes: an MD5, version 3 UUID."""
    digest = bytearray(hashlib.md5(text.encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuidlib.UUID(bytes=bytes(digest)))


def encode_uri_component(url: str) -> str:
    """UriUtils.encodeURIComponent: URL-encode each path segment, keep the rest."""
    tail = url.find("://")
    start = url.find("/", tail + 3) if tail > 0 else url.find("/")
    if start <= 0:
        return url
    segments = url[start + 1:].split("/")
    return url[:start] + "".join("/" + quote_plus(segment, safe="*") for segment in segments)


def url_host(url: str) -> str:
    """URI.getHost: the authority less user info and port, case kept."""
    netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.split(":", 1)[0]


def lastpinged(now: float) -> int:
    """HostVO.lastPinged is seconds >> 10, which HostResponse shows as a Date: early 1970."""
    return (int(now * 1000) >> 10) / 1000.0


def host_status(state: str) -> dict:
    """The changes that move a host's agent status, with the events the new status allows."""
    return {"state": state, "events": "; ".join(STATUS_EVENTS.get(state, []))}


def set_tags(ctx: Context, host: dict, tags: list[str] | None, is_rule: bool = False) -> None:
    """HostTagsDao.persist: the new tags replace the old, duplicates dropped; `hahost` follows ha.tag."""
    unique = list(dict.fromkeys(tags or []))
    joined = ",".join(unique) if unique else None
    ha_tag = ctx.setting("ha.tag")
    host.update({"_tags": unique, "hosttags": joined, "explicithosttags": joined, "istagarule": bool(is_rule),
                 "hahost": bool(ha_tag) and ha_tag in unique})


def ratio(value: str | None) -> float:
    try:
        return float(value or 1)
    except ValueError:
        return 1.0


def management_server(ctx: Context) -> dict:
    server = ctx.store.find_one("managementserver")
    return {"managementserverid": server["id"], "managementservername": server.get("name")} if server else {}


# -- addHost ----------------------------------------------------------------------------


def host_cluster(ctx: Context, p: dict, zone: dict, pod: dict, hypervisor: str) -> dict:
    """The cluster the host joins: by id, else by name (created when new), as discoverHostsFull does."""
    if p.get("clusterid"):
        return ctx.require("cluster", p["clusterid"], "cluster")
    name = p.get("clustername") or f"Standalone-{p['url']}"
    existing = find_cluster_by_name(ctx, pod["id"], name)
    if existing:
        return existing
    return new_cluster(ctx, zone, pod, name, hypervisor_type(ctx, hypervisor), ratios=("1", "1"))


def check_credentials(p: dict) -> None:
    kind = p["hypervisor"].lower()
    if kind in ("vmware", "secondarystorage"):
        return
    if kind == "kvm":
        if not (p.get("username") or "").strip():
            raise invalid_parameter("Username need to be provided.")
    elif not (p.get("username") or "").strip() or not (p.get("password") or "").strip():
        raise invalid_parameter("Username and Password need to be provided.")


def validated_host_url(url: str, hypervisor: str) -> str:
    """ResourceManagerImpl.validatedHostUrl; returns the encoded URI."""
    uri = encode_uri_component(url)
    parts = urlsplit(uri)
    if not parts.scheme:
        if hypervisor.lower() != "external":
            raise invalid_parameter(f"uri.scheme is null {url}, add nfs:// (or cifs://) as a prefix")
    elif parts.scheme.lower() == "nfs" and (not parts.hostname or not parts.path):
        raise invalid_parameter("Your host and/or path is wrong.  Make sure it's of the format nfs://hostname/path")
    return uri


def discovery_failure(text: str) -> ApiError:
    """AddHostCmd turns a DiscoveryException into a bare ServerApiException: 530 / 9999."""
    return ApiError(INTERNAL_ERROR, text)


# A private index of the addresses of a zone's hosts, so that adding the 10,000th host does not
# read the other 9,999 (the real server looks the agent's GUID up in an indexed column too).
ADDRESS_INDEX = "hostaddress"


def duplicate_host(ctx: Context, zone: dict, address: str) -> dict | None:
    """The Routing host of the zone with this address (the discoverers compare GUIDs made from it)."""
    # By name only: SQLite would otherwise pick the (kind, zoneid) index and read the whole zone.
    for row in ctx.store.find(ADDRESS_INDEX, name=address):
        host = ctx.store.get("host", row["hostid"])
        if host and host.get("zoneid") == zone["id"] and host.get("type") == "Routing" \
                and host.get("ipaddress") == address:
            return host
    return None


def remember_address(ctx: Context, host: dict) -> None:
    ctx.store.insert(ADDRESS_INDEX, {"name": host["ipaddress"], "hostid": host["id"]}, zoneid=host["zoneid"],
                     parentid=host["id"])


def forget_address(ctx: Context, host: dict) -> None:
    for row in ctx.store.find(ADDRESS_INDEX, parentid=host["id"]):
        ctx.store.delete(ADDRESS_INDEX, row["id"])


def new_host(ctx: Context, p: dict, zone: dict, pod: dict, cluster: dict, address: str, guid: str) -> dict:
    cpu_factor = ratio(cluster.get("cpuovercommitratio"))
    memory_factor = ratio(cluster.get("memoryovercommitratio"))
    memory = int(MEMORY_BYTES * memory_factor)
    kvm = cluster["hypervisortype"] == "KVM"
    host = {
        "name": address, "type": "Routing", "ipaddress": address, "zoneid": zone["id"], "podid": pod["id"],
        "clusterid": cluster["id"], "clustertype": cluster.get("clustertype"),
        "hypervisor": cluster["hypervisortype"], "version": ctx.config.version,
        "cpusockets": CPU_SOCKETS, "cpunumber": CPU_NUMBER, "cpuspeed": CPU_SPEED_MHZ,
        "cpuallocated": "0%", "cpuallocatedvalue": 0, "cpuallocatedpercentage": "0%",
        "cpuallocatedwithoverprovisioning": "0%", "cpuused": "0%",
        "cpuwithoverprovisioning": decimal_format(CPU_NUMBER * CPU_SPEED_MHZ * cpu_factor),
        "cpuloadaverage": 0.0, "networkkbsread": 0, "networkkbswrite": 0,
        "memorytotal": memory, "memorywithoverprovisioning": decimal_format(memory),
        "memoryallocated": 0, "memoryallocatedpercentage": "0%", "memoryallocatedbytes": 0, "memoryused": 0,
        "capabilities": "hvm,snapshot" if kvm else "hvm", "lastpinged": ctx.timestamp(lastpinged(ctx.now)),
        **management_server(ctx),
        "islocalstorageactive": False, "created": ctx.timestamp(),
        "hostha": {"haenable": False, "hastate": "Disabled"},
        "outofbandmanagement": {"powerstate": "Disabled", "enabled": False},
        "resourcestate": "Enabled", "ueficapability": False, "arch": cluster.get("arch") or "x86_64",
        "username": p.get("username"), "hasannotations": False,
        "storageaccessgroups": ",".join(p["storageaccessgroups"]) if p.get("storageaccessgroups") else None,
        "_guid": guid, "_url": p["url"], "_password": p.get("password"),
    }
    if kvm:
        host.update({"details": {"secured": "true"}, "encryptionsupported": False,
                     "instanceconversionsupported": False})
    host.update(host_status("Connecting"))
    set_tags(ctx, host, p.get("hosttags"))
    return host


@command("addHost")
def add_host(ctx: Context, p: dict) -> list[dict]:
    zone = ctx.require("zone", p["zoneid"], "zone")
    pod = ctx.require("pod", p["podid"], "pod")
    if pod["zoneid"] != zone["id"]:
        raise invalid_parameter(f"Pod with specified pod {pod_repr(ctx, pod)} doesn't belong to the zone with "
                                f"specified zone {zone_repr(ctx, zone)}")
    if p.get("clustername") is not None and p.get("clusterid"):
        raise invalid_parameter("Can't specify cluster by both id and name")
    check_credentials(p)
    wanted = p["hypervisor"]
    if wanted.lower() == "baremetal" and not p.get("hosttags"):
        raise invalid_parameter("hosttag is mandatory while adding host of type Baremetal")
    cluster = host_cluster(ctx, p, zone, pod, wanted)
    uri = validated_host_url(p["url"], wanted)
    if wanted.lower() not in (name.lower() for name in hypervisor_list(ctx)):
        raise discovery_failure(f"Do not support HypervisorType {wanted} for {p['url']}")
    scheme = urlsplit(uri).scheme
    # The discoverer gives up (null) on a cluster of another hypervisor or a URL it cannot handle.
    if cluster["hypervisortype"].lower() != wanted.lower() or (wanted.lower() in ("kvm", "lxc") and scheme != "http"):
        raise discovery_failure(f"Unable to add the host: Cannot find the server resources at {p['url']}")
    if cluster["hypervisortype"] == "Simulator":
        return [add_simulated_host(ctx, p, zone, pod, cluster, uri)]
    address = url_host(uri)
    existing = duplicate_host(ctx, zone, address)
    if existing:
        raise duplicate_failure(ctx, uri, zone, pod, cluster, address, existing)
    guid = name_uuid(address)
    host = new_host(ctx, p, zone, pod, cluster, address, f"{guid}-LibvirtComputingResource" if
                    cluster["hypervisortype"] in ("KVM", "LXC") else guid)
    ctx.store.insert("host", host, parentid=cluster["id"])
    remember_address(ctx, host)
    ctx.schedule("host", host["id"], ctx.config.host_up_delay, host_status("Up"), {"state": "Connecting"})
    return [host]


def add_simulated_host(ctx: Context, p: dict, zone: dict, pod: dict, cluster: dict, uri: str) -> dict:
    """SimulatorDiscoverer: http://sim/... adds a new mock agent on every call, named
    SimulatedAgent.<guid>, with an address from the pod's range (MockAgentManagerImpl)."""
    if urlsplit(uri).scheme != "http" or not (urlsplit(uri).hostname or "").startswith("sim"):
        raise discovery_failure(f"Unable to add the host: Cannot find the server resources at {p['url']}")
    guid = str(uuidlib.uuid4())
    host = new_host(ctx, p, zone, pod, cluster, free_pod_address(ctx, pod), guid)
    host["name"] = f"SimulatedAgent.{guid}"
    ctx.store.insert("host", host, parentid=cluster["id"])
    ctx.schedule("host", host["id"], ctx.config.host_up_delay, host_status("Up"), {"state": "Connecting"})
    return host


def free_pod_address(ctx: Context, pod: dict) -> str:
    """The first address of the pod's range no host of the pod holds (MockAgentManagerImpl.getIpAddress)."""
    used = {host.get("ipaddress") for host in ctx.store.find("host", zoneid=pod["zoneid"],
                                                             where=lambda host: host.get("podid") == pod["id"])}
    for item in (pod.get("_description") or "").split(","):  # the pod's ranges: start-end-...
        bounds = item.split("-")
        if len(bounds) < 2 or not bounds[0]:
            continue
        for number in range(ip_to_int(bounds[0]), ip_to_int(bounds[1] or bounds[0]) + 1):
            address = str(ipaddress.IPv4Address(number))
            if address not in used:
                return address
    raise cloud_runtime(f"Unable to get an IP address for a simulated host in pod {pod['name']}")


def duplicate_failure(ctx: Context, uri: str, zone: dict, pod: dict, cluster: dict, address: str,
                      existing: dict) -> ApiError:
    """What the discoverers answer for an address already in the zone."""
    if cluster["hypervisortype"] not in ("KVM", "LXC"):
        # The XenServer and other discoverers skip it silently, so nothing is added.
        return ApiError(INTERNAL_ERROR, "Failed to add host")
    guid = name_uuid(address)
    skip = (f"Skipping host {address} because {guid} is already in the database for resource "
            f"{existing.get('_guid')} with ID {existing['id']}")
    reason = f" can't setup agent, due to com.cloud.utils.exception.CloudRuntimeException: {skip} - {skip}"
    return discovery_failure(f"Could not add host at [{uri}] with zone [{zone_repr(ctx, zone)}], pod "
                             f"[{pod_repr(ctx, pod)}] and cluster [{cluster_repr(ctx, cluster)}] due to: [{reason}].")


# -- maintenance ------------------------------------------------------------------------


def start_maintenance(ctx: Context, host: dict) -> dict:
    """ResourceManagerImpl.maintain(cmd): the checks, then AdminAskMaintenance."""
    state = host["resourcestate"]
    if state in ("Maintenance", "PrepareForMaintenance", "ErrorInPrepareForMaintenance"):
        raise cloud_runtime(f"Host is already in state {state}. Cannot recall for maintenance until resolved.")
    busy = ctx.store.find("host", parentid=host.get("clusterid"), where=lambda other: other["resourcestate"] in
                          ("PrepareForMaintenance", "ErrorInPrepareForMaintenance"))
    if busy:
        cluster = ctx.require("cluster", host["clusterid"], "cluster")
        raise cloud_runtime("There are other servers attempting migrations for maintenance. Found hosts in "
                            "PrepareForMaintenance OR ErrorInPrepareForMaintenance STATUS in cluster "
                            f"{cluster_repr(ctx, cluster)}")
    if host.get("state") not in ("Up", "Connecting"):
        # The agent cannot answer the MaintainCommand.
        raise cloud_runtime(f"Unable to prepare for maintenance host {host_repr(ctx, host)}")
    target = RESOURCE_TRANSITIONS.get((state, "AdminAskMaintenance"))
    if target is None:
        raise cloud_runtime(f"Cannot transit resource state of {host_repr(ctx, host)} to Maintenance"
                            f"No next resource state found for current state = {state} event = AdminAskMaintenance")
    host["resourcestate"] = target
    ctx.store.update("host", host)
    if target == "PrepareForMaintenance":
        # With no VMs to migrate away, the maintenance checker moves it on shortly.
        ctx.schedule("host", host["id"], ctx.config.host_up_delay, {"resourcestate": "Maintenance"},
                     {"resourcestate": "PrepareForMaintenance"})
    return host


def end_maintenance(ctx: Context, host: dict) -> dict:
    """ResourceManagerImpl.cancelMaintenance(cmd): AdminCancelMaintenance back to Enabled."""
    if host["resourcestate"] not in MAINTENANCE_STATES:
        raise cloud_runtime(f"Cannot perform cancelMaintenance when resource state is {host['resourcestate']}, "
                            f"host: {host_repr(ctx, host)}")
    host["resourcestate"] = "Enabled"
    return ctx.store.update("host", host)


@command("prepareHostForMaintenance", instance_type="Host")
def prepare_host_for_maintenance(ctx: Context, p: dict) -> dict:
    host = ctx.require("host", p["id"], "host")
    try:
        return start_maintenance(ctx, host)
    except ApiError as exc:
        # PrepareForHostMaintenanceCmd wraps a CloudRuntimeException in a bare ServerApiException.
        raise ApiError(INTERNAL_ERROR, f"Failed to prepare host for maintenance due to: {exc.errortext}") from exc


@command("cancelHostMaintenance", instance_type="Host")
def cancel_host_maintenance(ctx: Context, p: dict) -> dict:
    return end_maintenance(ctx, ctx.require("host", p["id"], "host"))


# -- updateHost, updateHostPassword, deleteHost -----------------------------------------


def host_update_failure(ctx: Context, host: dict, text: str) -> ApiError:
    """UpdateHostCmd turns every failure into one 530."""
    number = ctx.store.internal_id("host", host["id"])
    return ApiError(INTERNAL_ERROR, f"Failed to update host: {host_repr(ctx, host)} with id {number}, {text}")


def new_allocation(host: dict, value: str) -> str:
    """updateHostAllocationState: Enable/Disable through the resource state machine."""
    if value not in ("Enable", "Disable"):
        raise invalid_parameter(f"Invalid allocation state: {value}, only Enable/Disable are allowed")
    target = RESOURCE_TRANSITIONS.get((host["resourcestate"], value))
    if target is None:
        raise invalid_parameter(f"No next resource state found for current state = {host['resourcestate']} "
                                f"event = {value}")
    return target


def apply_host_update(ctx: Context, host: dict, p: dict) -> None:
    js_allowed = str(ctx.setting("js.interpretation.enabled") or "false").lower() == "true"
    if p.get("istagarule") and not js_allowed:
        raise invalid_parameter("The parameter istagarule cannot be set to true as JS interpretation is disabled")
    if p.get("allocationstate") and p["allocationstate"].strip():
        host["resourcestate"] = new_allocation(host, p["allocationstate"])
    if p.get("name") and p["name"].strip():
        host["name"] = p["name"]
    if p.get("oscategoryid"):
        category = ctx.store.get("guestoscategory", p["oscategoryid"])
        if category is None:
            raise invalid_parameter("Please specify a valid guest OS category.")
        none = category["name"].lower() == "none"
        host["oscategoryid"] = None if none else category["id"]
        host["oscategoryname"] = None if none else category["name"]
    if "hosttags" in p:
        set_tags(ctx, host, p["hosttags"], bool(p.get("istagarule")))
    if p.get("annotation"):
        host.update({"annotation": p["annotation"], "lastannotated": ctx.timestamp(), "hasannotations": True})


@command("updateHost")
def update_host(ctx: Context, p: dict) -> dict:
    host = ctx.require("host", p["id"], "host")
    try:
        apply_host_update(ctx, host, p)
    except ApiError as exc:
        raise host_update_failure(ctx, ctx.require("host", p["id"], "host"), exc.errortext) from exc
    return ctx.store.update("host", host)


@command("updateHostPassword")
def update_host_password(ctx: Context, p: dict) -> None:
    username = "".join((p.get("username") or "").split())  # StringUtils.deleteWhitespace
    if p.get("clusterid"):
        update_cluster_password(ctx, p, username)
        return
    if not p.get("hostid"):
        raise invalid_parameter("You should provide an host id.")
    host = ctx.require("host", p["hostid"], "host")
    if host.get("hypervisor") == "XenServer":
        raise invalid_parameter("Single host update is not supported by XenServer hypervisors. "
                                "Please try again informing the Cluster ID.")
    if host.get("hypervisor") not in PASSWORD_HYPERVISORS:
        raise invalid_parameter("This operation is not supported for this hypervisor type")
    if not username:
        raise invalid_parameter("Username should be non empty string")
    if host.get("username") and host["username"] != username:
        raise invalid_parameter("The username is not same for the hosts..")
    host.update({"username": username, "_password": p["password"]})
    ctx.store.update("host", host)


def update_cluster_password(ctx: Context, p: dict, username: str) -> None:
    cluster = ctx.require("cluster", p["clusterid"], "cluster")
    if cluster["hypervisortype"] not in PASSWORD_HYPERVISORS:
        raise invalid_parameter("This operation is not supported for this hypervisor type")
    if not username:
        raise invalid_parameter("Username should be non empty string")
    hosts = ctx.store.find("host", parentid=cluster["id"])
    for host in hosts:
        if host.get("username") and host["username"] != username:
            raise invalid_parameter("The username is not same for all hosts, please modify passwords for "
                                    "individual hosts.")
    for host in hosts:
        if p.get("update_passwd_on_host") and host.get("state") not in ("Up", "Connecting"):
            raise cloud_runtime(f"CloudStack failed to update the password of {host_repr(ctx, host)}. "
                                "Please make sure you are still able to connect to your hosts.")
        host.update({"username": username, "_password": p["password"]})
        ctx.store.update("host", host)


@command("deleteHost")
def delete_host(ctx: Context, p: dict) -> None:
    host = ctx.require("host", p["id"], "host")
    if host["resourcestate"] not in ("Maintenance", "Degraded") and not p.get("forced"):
        raise cloud_runtime(f"Host with UUID [{host['id']}] is not in maintenance mode and no forced deletion "
                            "was requested.")
    forget_address(ctx, host)
    ctx.store.delete("host", host["id"])


# -- lists ------------------------------------------------------------------------------


def detail_views(p: dict) -> set[str]:
    """ListHostsCmd.getDetails: `all` when none are asked for."""
    asked = p.get("details") or []
    for value in asked:
        if value not in HOST_DETAILS:
            raise invalid_parameter("The details parameter contains a non permitted value. The allowed values are "
                                    f"[{', '.join(HOST_DETAILS)}]")
    return set(asked) or {"all"}


def shown(host: dict, views: set[str]) -> dict:
    """The host with the field groups its `details` views leave out removed."""
    if "all" in views:
        return host
    hidden = {key for wanted, keys in DETAIL_GROUPS.values() if not views & set(wanted) for key in keys}
    return {key: value for key, value in host.items() if key not in hidden}


PYTHON_FILTERS = ("podid", "type", "state", "resourcestate", "hypervisor", "hahost", "managementserverid",
                  "outofbandmanagementenabled", "outofbandmanagementpowerstate", "storageaccessgroup", "arch",
                  "virtualmachineid", "details")


def matching_hosts(ctx: Context, p: dict) -> list[dict]:
    """searchForServerIdsAndCount's filters, in Python."""
    hosts = ctx.store.find("host", zoneid=p.get("zoneid"), parentid=p.get("clusterid"), uuid=p.get("id"))
    if p.get("name") is not None:
        hosts = [h for h in hosts if h["name"].lower() == p["name"].lower()]
    for key, field in (("podid", "podid"), ("type", "type"), ("state", "state"), ("resourcestate", "resourcestate")):
        if p.get(key) is not None:
            hosts = [h for h in hosts if str(h.get(field, "")).lower() == str(p[key]).lower()]
    if p.get("hypervisor") and hypervisor_type(ctx, p["hypervisor"]) != "None":
        hosts = [h for h in hosts if h.get("hypervisor") == hypervisor_type(ctx, p["hypervisor"])]
    ha_tag = ctx.setting("ha.tag")
    if p.get("hahost") is not None and ha_tag:
        hosts = [h for h in hosts if (ha_tag in h.get("_tags", [])) == p["hahost"]]
    if p.get("managementserverid"):
        hosts = [h for h in hosts if h.get("managementserverid") == p["managementserverid"]]
    if "outofbandmanagementenabled" in p or "outofbandmanagementpowerstate" in p:
        hosts = []  # an inner join with out-of-band management rows, which no host has
    if p.get("storageaccessgroup"):
        hosts = [h for h in hosts if p["storageaccessgroup"] in (h.get("storageaccessgroups") or "").split(",")]
    if p.get("arch") and p["arch"].strip():
        arch = cpu_arch(p["arch"])
        hosts = [h for h in hosts if h.get("arch") == arch]
    return hosts


@command("listHosts")
def list_hosts(ctx: Context, p: dict) -> list[dict] | Query:
    views = detail_views(p)
    if views == {"all"} and not any(key in p for key in PYTHON_FILTERS if key != "details"):
        # Only indexed columns: the dispatcher counts and pages in SQL (10,000 hosts stay fast).
        return Query("host", {"zoneid": p.get("zoneid"), "parentid": p.get("clusterid"), "uuid": p.get("id"),
                              "name": p.get("name")})
    return [shown(host, views) for host in matching_hosts(ctx, p)]


@command("listHostTags")
def list_host_tags(ctx: Context, p: dict) -> list[dict]:
    # HostTagResponse: the tag, the host's internal id and whether the tag is implicit (no id is set).
    return [{"name": tag, "hostid": ctx.store.internal_id("host", host["id"]), "isimplicit": False}
            for host in ctx.store.find("host") for tag in host.get("_tags", [])]


def instance_counts(ctx: Context, host: dict) -> tuple[str, str]:
    """('running / total' user VMs, 'running / total' system VMs) on the host."""
    def count(kinds: tuple[str, ...]) -> str:
        vms = [vm for kind in kinds for vm in ctx.store.find(kind, zoneid=host.get("zoneid"),
                                                             where=lambda vm: vm.get("hostid") == host["id"])]
        running = sum(1 for vm in vms if vm.get("state") == "Running")
        return f"{running} / {len(vms)}"
    return count(("uservm",)), count(("systemvm", "domainrouter"))


def threshold(ctx: Context, name: str, default: float) -> float:
    try:
        return float(ctx.setting(name) or default)
    except ValueError:
        return default


def host_metrics(ctx: Context, host: dict) -> dict:
    """MetricsServiceImpl.listHostMetrics for one host."""
    gib = 1024.0 ** 3
    cpus, speed = host.get("cpunumber"), host.get("cpuspeed")
    used = float((host.get("cpuused") or "0%").rstrip("%"))
    allocated = float((host.get("cpuallocated") or "0%").rstrip("%"))
    cpu_notify = threshold(ctx, "cluster.cpu.allocated.capacity.notificationthreshold", 0.75)
    cpu_disable = threshold(ctx, "cluster.cpu.allocated.capacity.disablethreshold", 0.85)
    mem_notify = threshold(ctx, "cluster.memory.allocated.capacity.notificationthreshold", 0.75)
    mem_disable = threshold(ctx, "cluster.memory.allocated.capacity.disablethreshold", 0.85)
    memory_total = host.get("memorytotal")
    memory_used, memory_allocated = host.get("memoryused"), host.get("memoryallocated")
    instances, system = instance_counts(ctx, host)
    metrics = {
        "powerstate": (host.get("outofbandmanagement") or {}).get("powerstate"),
        "instances": instances, "systeminstances": system,
        "cputotalghz": f"{cpus * speed / 1000.0:.2f} Ghz" if cpus and speed else None,
        "cpuusedghz": f"{used * cpus * speed / 100000.0:.2f} Ghz" if host.get("cpuused") and cpus and speed else None,
        "cpuallocatedghz": f"{allocated * cpus * speed / 100000.0:.2f} Ghz" if cpus and speed else None,
        "memorytotalgb": f"{memory_total / gib:.2f} GB" if memory_total is not None else None,
        "memoryusedgb": f"{memory_used / gib:.2f} GB" if memory_used is not None else None,
        "memoryallocatedgb": f"{memory_allocated / gib:.2f} GB" if memory_allocated is not None else None,
        "networkread": f"{host['networkkbsread'] / 1024.0 ** 2:.2f} GB" if host.get("networkkbsread") is not None
        else None,
        "networkwrite": f"{host['networkkbswrite'] / 1024.0 ** 2:.2f} GB" if host.get("networkkbswrite") is not None
        else None,
        "cputhreshold": used > 100.0 * cpu_notify if host.get("cpuused") else None,
        "cpudisablethreshold": used > 100.0 * cpu_disable if host.get("cpuused") else None,
        "cpuallocatedthreshold": allocated > 100.0 * cpu_notify,
        "cpuallocateddisablethreshold": allocated > 100.0 * cpu_disable,
    }
    if memory_total is not None:
        if memory_used is not None:
            metrics["memorythreshold"] = memory_used > memory_total * mem_notify
            metrics["memorydisablethreshold"] = memory_used > memory_total * mem_disable
        if memory_allocated is not None:
            metrics["memoryallocatedthreshold"] = memory_allocated > memory_total * mem_notify
            metrics["memoryallocateddisablethreshold"] = memory_allocated > memory_total * mem_disable
    return {**host, **metrics}


@command("listHostsMetrics")
def list_hosts_metrics(ctx: Context, p: dict) -> list[dict]:
    # ListHostsMetricsCmd forces type=Routing, then adds the metrics to each HostResponse.
    views = detail_views(p)
    return [host_metrics(ctx, shown(host, views)) for host in matching_hosts(ctx, {**p, "type": "Routing"})]
