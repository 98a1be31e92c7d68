"""Capacity, infrastructure counts, zone metrics and rolling maintenance.

Capacities are computed from what the store holds, the way op_host_capacity would sum them:
Up and Enabled hosts give CPU, CPU cores and memory; storage pools give primary storage;
image stores secondary storage; pod ranges private IPs; VLAN IP ranges public IPs.
"""

from __future__ import annotations

from ..errors import ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, command
from .hosts import decimal_format, end_maintenance, ratio, start_maintenance, threshold
from .pods import ip_to_int, pod_ranges
from .zones import list_zones

MEMORY, CPU, STORAGE, STORAGE_ALLOCATED = 0, 1, 2, 3
PUBLIC_IP, PRIVATE_IP, SECONDARY_STORAGE, VLAN, DIRECT_ATTACHED_PUBLIC_IP = 4, 5, 6, 7, 8
CPU_CORE = 90
CAPACITY_NAMES = {  # CapacityVO.capacityNames
    0: "MEMORY", 1: "CPU", 2: "STORAGE", 3: "STORAGE_ALLOCATED", 4: "VIRTUAL_NETWORK_PUBLIC_IP", 5: "PRIVATE_IP",
    6: "SECONDARY_STORAGE", 7: "VLAN", 8: "DIRECT_ATTACHED_PUBLIC_IP", 9: "LOCAL_STORAGE",
    10: "VIRTUAL_NETWORK_IPV6_SUBNET", 19: "GPU", 20: "OBJECT_STORAGE", 21: "BACKUP_STORAGE", 90: "CPU_CORE",
}


# -- capacity ---------------------------------------------------------------------------


def in_scope(obj: dict, pod_id: str | None, cluster_id: str | None) -> bool:
    if cluster_id:
        return obj.get("clusterid") == cluster_id
    if pod_id:
        return obj.get("podid") == pod_id
    return True


def capacity(kind: int, zone_id: str, pod_id: str | None, cluster_id: str | None, used: int, total: int) -> dict:
    """A CapacityResponse (createCapacityResponse): percentused is DecimalFormat("#.##")."""
    return {
        "type": kind, "name": CAPACITY_NAMES[kind], "zoneid": zone_id, "podid": pod_id, "clusterid": cluster_id,
        "capacityallocated": used if kind in (MEMORY, CPU, CPU_CORE, STORAGE_ALLOCATED) else None,
        "capacityused": used, "capacitytotal": total,
        "percentused": decimal_format(used / total * 100) if total else "0",
    }


def range_size(start: str | None, end: str | None) -> int:
    try:
        return ip_to_int(end or start) - ip_to_int(start) + 1
    except (ValueError, TypeError):
        return 0


def vlan_count(text: str | None) -> int:
    """The guest VLANs of a physical network's `vlan` field ("100-200,300")."""
    total = 0
    for part in (text or "").split(","):
        low, _, high = part.partition("-")
        if low.strip().isdigit():
            total += int(high) - int(low) + 1 if high.strip().isdigit() else 1
    return total


def host_capacities(ctx: Context, zone_id: str, pod_id: str | None, cluster_id: str | None) -> list[dict]:
    hosts = [host for host in ctx.store.find("host", zoneid=zone_id)
             if host.get("type") == "Routing" and host.get("state") == "Up"
             and host.get("resourcestate") == "Enabled" and in_scope(host, pod_id, cluster_id)]
    if not hosts:
        return []
    cpu_total = sum(int(ratio(h.get("cpuwithoverprovisioning"))) for h in hosts)
    cpu_used = sum(h.get("cpuallocatedvalue") or 0 for h in hosts)
    memory_total = sum(h.get("memorytotal") or 0 for h in hosts)
    memory_used = sum(h.get("memoryallocated") or 0 for h in hosts)
    cores = sum(h.get("cpunumber") or 0 for h in hosts)
    return [capacity(MEMORY, zone_id, pod_id, cluster_id, memory_used, memory_total),
            capacity(CPU, zone_id, pod_id, cluster_id, cpu_used, cpu_total),
            capacity(CPU_CORE, zone_id, pod_id, cluster_id, 0, cores)]


def storage_capacities(ctx: Context, zone_id: str, pod_id: str | None, cluster_id: str | None) -> list[dict]:
    pools = [pool for pool in ctx.store.find("storagepool", zoneid=zone_id) if in_scope(pool, pod_id, cluster_id)]
    if not pools:
        return []
    factor = ratio(ctx.setting("storage.overprovisioning.factor") or "2")
    total = sum(int(pool.get("disksizetotal") or 0) for pool in pools)
    used = sum(int(pool.get("disksizeused") or 0) for pool in pools)
    allocated = sum(int(pool.get("disksizeallocated") or 0) for pool in pools)
    return [capacity(STORAGE, zone_id, pod_id, cluster_id, used, total),
            capacity(STORAGE_ALLOCATED, zone_id, pod_id, cluster_id, allocated, int(total * factor))]


def network_capacities(ctx: Context, zone_id: str, pod_id: str | None, cluster_id: str | None) -> list[dict]:
    rows = []
    pods = [pod for pod in ctx.store.find("pod", zoneid=zone_id)
            if not cluster_id and (not pod_id or pod["id"] == pod_id) and pod_ranges(pod)]
    if pods:
        total = sum(range_size(start, end) for pod in pods for start, end in pod_ranges(pod))
        rows.append(capacity(PRIVATE_IP, zone_id, pod_id, None, 0, total))
    if pod_id or cluster_id:
        return rows
    ranges = ctx.store.find("vlaniprange", zoneid=zone_id)
    public = [r for r in ranges if r.get("forvirtualnetwork")]
    direct = [r for r in ranges if not r.get("forvirtualnetwork")]
    if public:
        rows.append(capacity(PUBLIC_IP, zone_id, None, None, 0,
                             sum(range_size(r.get("startip"), r.get("endip")) for r in public)))
    if direct:
        rows.append(capacity(DIRECT_ATTACHED_PUBLIC_IP, zone_id, None, None, 0,
                             sum(range_size(r.get("startip"), r.get("endip")) for r in direct)))
    vlans = sum(vlan_count(net.get("vlan")) for net in ctx.store.find("physicalnetwork", zoneid=zone_id))
    if vlans:
        rows.append(capacity(VLAN, zone_id, None, None, 0, vlans))
    stores = ctx.store.find("imagestore", zoneid=zone_id)
    rows.append(capacity(SECONDARY_STORAGE, zone_id, None, None,
                         sum(int(s.get("disksizeused") or 0) for s in stores),
                         sum(int(s.get("disksizetotal") or 0) for s in stores)))
    return rows


def capacity_objects(ctx: Context, *, zone_id: str, pod_id: str | None = None, cluster_id: str | None = None,
                     kind: int | None = None) -> list[dict]:
    """The summed capacities of one zone, pod or cluster, by capacity type."""
    if cluster_id and not pod_id:
        pod_id = (ctx.store.get("cluster", cluster_id) or {}).get("podid")
    scope = (zone_id, pod_id, cluster_id)
    rows = host_capacities(ctx, *scope) + storage_capacities(ctx, *scope) + network_capacities(ctx, *scope)
    if kind is not None:
        rows = [row for row in rows if row["type"] == kind]
    return sorted(rows, key=lambda row: row["type"])


def nested_capacities(ctx: Context, **scope) -> list[dict]:
    """The `capacity` list of a pod or cluster (showcapacities): createPodResponse sets only these fields."""
    keep = ("type", "name", "capacityused", "capacitytotal", "percentused")
    return [{key: row[key] for key in keep} for row in capacity_objects(ctx, **scope)]


def capacity_groups(ctx: Context, p: dict) -> list[tuple[str, str | None, str | None]]:
    """The (zone, pod, cluster) scopes listCapacity sums over, one row set per scope."""
    if p.get("clusterid"):
        cluster = ctx.require("cluster", p["clusterid"], "cluster")
        return [(cluster["zoneid"], cluster["podid"], cluster["id"])]
    if p.get("podid"):
        pod = ctx.require("pod", p["podid"], "pod")
        return [(pod["zoneid"], pod["id"], None)]
    zones = [ctx.require("zone", p["zoneid"], "zone")] if p.get("zoneid") else ctx.store.find("zone")
    return [(zone["id"], None, None) for zone in zones]


def usage_groups(ctx: Context, p: dict) -> list[tuple[str, str | None, str | None]]:
    """listTopConsumedResources: per zone, per pod of a zone, or per cluster of a pod."""
    if p.get("clusterid"):
        raise invalid_parameter("Currently clusterId param is not supported")
    if p.get("podid"):
        pod = ctx.require("pod", p["podid"], "pod")
        return [(pod["zoneid"], pod["id"], c["id"]) for c in ctx.store.find("cluster", parentid=pod["id"])]
    if p.get("zoneid"):
        return [(p["zoneid"], pod["id"], None) for pod in ctx.store.find("pod", zoneid=p["zoneid"])]
    return [(zone["id"], None, None) for zone in ctx.store.find("zone")]


@command("listCapacity")
def list_capacity(ctx: Context, p: dict) -> list[dict]:
    sort_by = p.get("sortby")
    if sort_by is not None and sort_by.lower() != "usage":
        raise invalid_parameter("Only value supported for sortBy parameter is : usage")
    groups = usage_groups(ctx, p) if sort_by else capacity_groups(ctx, p)
    rows = [row for zone_id, pod_id, cluster_id in groups
            for row in capacity_objects(ctx, zone_id=zone_id, pod_id=pod_id, cluster_id=cluster_id, kind=p.get("type"))]
    if sort_by:
        rows.sort(key=lambda row: -(row["capacityused"] / row["capacitytotal"] if row["capacitytotal"] else 0))
    # ListCapacityCmd groups by zone name, then (unless sorted by usage) by capacity type.
    names = {zone["id"]: zone["name"] for zone in ctx.store.find("zone")}
    return sorted(rows, key=lambda row: (names.get(row["zoneid"], ""), 0 if sort_by else row["type"]))


# -- counts and zone metrics ------------------------------------------------------------


def version_at_least(version: str, wanted: tuple[int, ...]) -> bool:
    return tuple(int(part) for part in version.split(".") if part.isdigit()) >= wanted


@command("listInfrastructure")
def list_infrastructure(ctx: Context, p: dict) -> dict:
    store = ctx.store
    routing = store.find("host", where=lambda host: host.get("type") == "Routing")
    routers = store.find("domainrouter")
    counts = {
        "zones": store.count("zone"), "pods": store.count("pod"), "clusters": store.count("cluster"),
        "hosts": len(routing), "storagepools": store.count("storagepool"), "imagestores": store.count("imagestore"),
        "backuprepositories": store.count("backuprepository"), "objectstores": store.count("objectstore"),
        "systemvms": store.count("systemvm"),
        "routers": sum(1 for r in routers if r.get("role", "VIRTUAL_ROUTER") != "INTERNAL_LB_VM"),
        "ilbvms": sum(1 for r in routers if r.get("role") == "INTERNAL_LB_VM"),
        "cpusockets": sum(host.get("cpusockets") or 0 for host in routing),
        "managementservers": max(store.count("managementserver"), 1),  # this server counts itself
        "alerts": store.count("alert"),
    }
    if not version_at_least(ctx.config.version, (4, 22)):
        del counts["backuprepositories"]  # InfrastructureResponse gained it in 4.22
    return counts


def zone_metrics(ctx: Context, zone: dict) -> dict:
    """MetricsServiceImpl.listZoneMetrics for one zone."""
    clusters = ctx.store.find("cluster", zoneid=zone["id"])
    up = sum(1 for c in clusters if c.get("managedstate") == "Managed" and c.get("allocationstate") == "Enabled")
    hosts = ctx.store.find("host", zoneid=zone["id"], where=lambda h: h.get("type") == "Routing")
    rows = {row["type"]: row for row in host_capacities(ctx, zone["id"], None, None)}
    cpu_total = rows[CPU]["capacitytotal"] if CPU in rows else 0
    memory_total = rows[MEMORY]["capacitytotal"] if MEMORY in rows else 0
    cpu_allocated = sum(h.get("cpuallocatedvalue") or 0 for h in hosts)
    memory_allocated = sum(h.get("memoryallocated") or 0 for h in hosts)
    cpu_notify = threshold(ctx, "cluster.cpu.allocated.capacity.notificationthreshold", 0.75)
    cpu_disable = threshold(ctx, "cluster.cpu.allocated.capacity.disablethreshold", 0.85)
    mem_notify = threshold(ctx, "cluster.memory.allocated.capacity.notificationthreshold", 0.75)
    mem_disable = threshold(ctx, "cluster.memory.allocated.capacity.disablethreshold", 0.85)
    metrics = {
        "state": zone.get("allocationstate"), "clusters": f"{up} / {len(clusters)}",
        "cputotal": f"{cpu_total / 1000.0:.2f} Ghz",
        "cpuallocated": f"{cpu_allocated * 100.0 / cpu_total:.2f}%" if cpu_total else None,
        "memorytotal": f"{memory_total / 1024.0 ** 3:.2f} GB",
        "memoryallocated": f"{memory_allocated * 100.0 / memory_total:.2f}%" if memory_total else None,
        "cputhreshold": False if hosts else None, "cpudisablethreshold": False if hosts else None,
        "cpuallocatedthreshold": cpu_allocated / cpu_total > cpu_notify if cpu_total else None,
        "cpuallocateddisablethreshold": cpu_allocated / cpu_total > cpu_disable if cpu_total else None,
        "memorythreshold": False if memory_total else None, "memorydisablethreshold": False if memory_total else None,
        "memoryallocatedthreshold": memory_allocated / memory_total > mem_notify if memory_total else None,
        "memoryallocateddisablethreshold": memory_allocated / memory_total > mem_disable if memory_total else None,
    }
    return {**zone, **metrics}


@command("listZonesMetrics")
def list_zones_metrics(ctx: Context, p: dict) -> list[dict]:
    return [zone_metrics(ctx, zone) for zone in list_zones(ctx, p)]


# -- rolling maintenance ----------------------------------------------------------------


def rolling_scope(ctx: Context, p: dict) -> list[dict]:
    """getResourceTypeAndIdPair and getHostsByClusterForRollingMaintenance: the KVM hosts in scope."""
    for key, field in (("podids", "podid"), ("clusterids", "clusterid"), ("zoneids", "zoneid"), ("hostids", "id")):
        if p.get(key):
            wanted = set(p[key])
            return [host for host in ctx.store.find("host")
                    if host.get(field) in wanted and host.get("hypervisor") == "KVM"]
    raise cloud_runtime("Parameters podId, clusterId, zoneId, hostId are mutually exclusive, "
                        "please set only one of them")


def rolling_result(success: bool, details: str, updated: list[dict], skipped: list[dict]) -> dict:
    return {"success": success, "details": details, "hostsupdated": updated, "hostsskipped": skipped}


def check_hosts_ready(hosts: list[dict], forced: bool, skipped: list[dict]) -> list[dict]:
    """performStateChecks: every host Up and Enabled, or skipped when forced."""
    ready = []
    for host in hosts:
        if host.get("state") != "Up":
            reason = f"Host {host['id']} is not connected, state = {host.get('state')}"
        elif host.get("resourcestate") != "Enabled":
            reason = f"Host {host['id']} is not enabled, state = {host.get('resourcestate')}"
        else:
            ready.append(host)
            continue
        if not forced:
            raise cloud_runtime(reason)
        skipped.append({"hostid": host["id"], "hostname": host["name"], "reason": reason})
    return ready


def check_capacity(ctx: Context, cluster: dict, host: dict) -> None:
    """performCapacityChecksBeforeHostInMaintenance: another Up, Enabled host must take over."""
    others = ctx.store.find("host", parentid=cluster["id"], where=lambda other: other["id"] != host["id"]
                            and other.get("resourcestate") == "Enabled" and other.get("state") == "Up")
    if not others:
        raise cloud_runtime(f"No host available in cluster {cluster['id']} ({cluster['name']}) to support host "
                            f"{host['id']} ({host['name']}) in maintenance")


def maintain_cluster(ctx: Context, cluster: dict, hosts: list[dict], forced: bool,
                     updated: list[dict], skipped: list[dict]) -> None:
    """One cluster's turn: checks first, then each host through maintenance and back."""
    hosts = check_hosts_ready(hosts, forced, skipped)
    for host in hosts:
        check_capacity(ctx, cluster, host)
    for host in hosts:
        started = ctx.timestamp()
        start_maintenance(ctx, host)
        host["resourcestate"] = "Maintenance"  # waitForHostInMaintenance
        end_maintenance(ctx, host)
        updated.append({"hostid": host["id"], "hostname": host["name"], "startdate": started,
                        "enddate": ctx.timestamp(), "output": ""})


@command("startRollingMaintenance")
def start_rolling_maintenance(ctx: Context, p: dict) -> dict:
    hosts = rolling_scope(ctx, p)
    timeout = p.get("timeout")
    if timeout is None:
        timeout = int(ratio(ctx.setting("kvm.rolling.maintenance.stage.timeout") or "1800"))
    ping = int(ratio(ctx.setting("kvm.rolling.maintenance.ping.interval") or "10"))
    updated: list[dict] = []
    skipped: list[dict] = []
    if timeout <= ping:
        return rolling_result(False, "The timeout value provided must be greater or equal than the ping interval "
                                     "defined in 'kvm.rolling.maintenance.ping.interval'", updated, skipped)
    by_cluster: dict[str, list[dict]] = {}
    for host in hosts:
        by_cluster.setdefault(host["clusterid"], []).append(host)
    order = sorted(by_cluster, key=lambda cluster_id: ctx.store.internal_id("cluster", cluster_id) or 0)
    try:
        for cluster_id in order:
            cluster = ctx.require("cluster", cluster_id, "cluster")
            maintain_cluster(ctx, cluster, by_cluster[cluster_id], bool(p.get("forced")), updated, skipped)
    except ApiError as exc:  # the manager reports the failure in its result; the job itself succeeds
        return rolling_result(False, f"Error starting rolling maintenance: {exc.errortext}", updated, skipped)
    return rolling_result(True, "OK", updated, skipped)

