"""Clusters (ResourceManagerImpl discoverCluster / updateCluster / deleteCluster, searchForClusters).

Clusters are stored with parentid = their pod. CloudManaged clusters need no discovery; an
ExternalManaged (vCenter) cluster keeps its URL and username in `resourcedetails`, and the
simulator never connects to it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ..errors import PARAM_ERROR, ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, command
from .common import by_id_or_name
from .hypervisors import UNKNOWN_HYPERVISOR, hypervisor_list, hypervisor_type
from .pods import zone_repr

CLUSTER_TYPES = ("CloudManaged", "ExternalManaged")
MANAGED_STATES = ("Managed", "PrepareUnmanaged", "Unmanaged", "PrepareUnmanagedError")
ARCHES = ("i686", "x86_64", "aarch64")  # CPU.CPUArch types; x86_64 is the default
SECURITY_GROUP_HYPERVISORS = ("KVM", "XenServer", "LXC", "Simulator")


def cluster_repr(ctx: Context, cluster: dict) -> str:
    """ClusterVO.toString."""
    number = ctx.store.internal_id("cluster", cluster["id"])
    return f'Cluster {{id: "{number}", name: "{cluster["name"]}", uuid: "{cluster["id"]}"}}'


def cpu_arch(value: str | None) -> str:
    """CPU.CPUArch.fromType: blank is the default, anything unknown an IllegalArgumentException (431)."""
    if not value or not value.strip():
        return "x86_64"
    if value not in ARCHES:
        raise ApiError(PARAM_ERROR, f"Unsupported arch type: {value}")
    return value


def cluster_type(value: str | None) -> str:
    """Cluster.ClusterType.valueOf, uncaught in discoverCluster (IllegalArgumentException: 431)."""
    if not value:
        return "CloudManaged"
    if value not in CLUSTER_TYPES:
        raise ApiError(PARAM_ERROR, f"No enum constant com.cloud.org.Cluster.ClusterType.{value}")
    return value


def overcommit_ratio(ctx: Context, setting: str) -> str:
    """The global factor as Float.toString writes it ("1.0")."""
    try:
        return repr(float(ctx.setting(setting) or "1.0"))
    except ValueError:
        return "1.0"


def new_cluster(ctx: Context, zone: dict, pod: dict, name: str, hypervisor: str, *, kind: str = "CloudManaged",
                allocation: str = "Enabled", arch: str = "x86_64", ratios: tuple[str, str] | None = None,
                details: dict | None = None, storage_access_groups: list[str] | None = None) -> dict:
    """A cluster row as ClusterVO persists it, shaped as createClusterResponse shows it."""
    cpu, memory = ratios or (overcommit_ratio(ctx, "cpu.overprovisioning.factor"),
                             overcommit_ratio(ctx, "mem.overprovisioning.factor"))
    cluster = {
        "name": name, "podid": pod["id"], "zoneid": zone["id"], "hypervisortype": hypervisor,
        "clustertype": kind, "allocationstate": allocation, "managedstate": "Managed",
        "cpuovercommitratio": cpu, "memoryovercommitratio": memory,
        "resourcedetails": {**(details or {}), "cpuOvercommitRatio": cpu, "memoryOvercommitRatio": memory},
        "arch": arch,
        "storageaccessgroups": ",".join(storage_access_groups) if storage_access_groups else None,
        "podstorageaccessgroups": pod.get("storageaccessgroups"),
        "zonestorageaccessgroups": zone.get("storageaccessgroups"),
        "hasannotations": False,
    }
    return ctx.store.insert("cluster", cluster, parentid=pod["id"])


def find_cluster_by_name(ctx: Context, pod_id: str, name: str) -> dict | None:
    """ClusterDao.findBy(name, podId); the (pod_id, name) unique key compares case-insensitively."""
    for cluster in ctx.store.find("cluster", parentid=pod_id):
        if cluster["name"].lower() == name.lower():
            return cluster
    return None


def check_external_url(url: str | None) -> dict:
    """discoverCluster's URL checks for an ExternalManaged cluster; the details it keeps."""
    url = unquote(url or "")
    parts = urlsplit(url)
    if not parts.scheme:
        raise invalid_parameter(f"uri.scheme is null {url}, add http:// as a prefix")
    if parts.scheme.lower() == "http" and (not parts.hostname or not parts.path):
        raise invalid_parameter("Your host and/or path is wrong.  Make sure it's of the format http://hostname/path")
    return {"url": url}


@command("addCluster")
def add_cluster(ctx: Context, p: dict) -> list[dict]:
    arch = cpu_arch(p.get("arch"))
    zone = ctx.require("zone", p["zoneid"], "zone")
    pod = ctx.require("pod", p["podid"], "pod")
    if pod["zoneid"] != zone["id"]:
        raise invalid_parameter(f"Pod with specified id doesn't belong to the zone {zone_repr(ctx, zone)}")
    hypervisor = hypervisor_type(ctx, p["hypervisor"])
    if zone.get("securitygroupsenabled") and zone.get("networktype") == "Advanced" \
            and hypervisor not in SECURITY_GROUP_HYPERVISORS:
        raise invalid_parameter(f"Don't support hypervisor type {hypervisor} in advanced security enabled zone")
    if hypervisor != "External" and p.get("extensionid"):
        raise invalid_parameter("Extension can be specified only for External hypervisor type")
    if p.get("externaldetails"):
        raise invalid_parameter("External details can be specified only with extension")
    kind = cluster_type(p.get("clustertype"))
    allocation = p.get("allocationstate") or "Enabled"
    if allocation not in ("Enabled", "Disabled"):
        raise invalid_parameter(f"Unable to resolve Allocation State '{allocation}' to a supported state")
    if hypervisor == UNKNOWN_HYPERVISOR or hypervisor not in hypervisor_list(ctx):
        raise invalid_parameter(f"Could not find corresponding resource manager for {p['hypervisor']}")
    if find_cluster_by_name(ctx, pod["id"], p["clustername"]):
        # The (pod_id, name) unique key makes _clusterDao.persist fail.
        raise cloud_runtime(f"Unable to create cluster {p['clustername']} in pod and data center with specified ids")
    details = {}
    if kind == "ExternalManaged":
        # ClusterResponse.setResourceDetails drops the username and password the details also hold.
        details = check_external_url(p.get("url"))
    if hypervisor == "Ovm3":
        details.update({key: p.get(key) for key in ("ovm3vip", "ovm3pool", "ovm3cluster")})
    cluster = new_cluster(ctx, zone, pod, p["clustername"], hypervisor, kind=kind, allocation=allocation, arch=arch,
                          details={k: v for k, v in details.items() if v is not None},
                          storage_access_groups=p.get("storageaccessgroups"))
    if kind == "ExternalManaged":
        cluster.update({"_username": p.get("username") or "", "_password": p.get("password") or ""})
    if hypervisor == "Ovm3" and p.get("ovm3vip"):
        cluster["ovm3vip"] = p["ovm3vip"]
    return [ctx.store.update("cluster", cluster)]


def hosts_of(ctx: Context, cluster: dict) -> list[dict]:
    return ctx.store.find("host", parentid=cluster["id"])


def storage_pools_of(ctx: Context, cluster: dict) -> list[dict]:
    return ctx.store.find("storagepool", zoneid=cluster["zoneid"],
                          where=lambda pool: cluster["id"] in (pool.get("clusterid"), pool.get("_clusterid")))


def change_managed_state(ctx: Context, cluster: dict, state: str) -> None:
    """Unmanaging disconnects the cluster's hosts; managing again lets them reconnect."""
    from .hosts import host_status  # hosts.py builds on this module

    hosts = hosts_of(ctx, cluster)
    if state == "Unmanaged":
        for host in hosts:
            if host.get("type") == "Routing" and host.get("state") not in ("Down", "Disconnected", "Up", "Alert"):
                raise cloud_runtime(f"PrepareUnmanaged Failed due to host {host.get('ipaddress')} should not be in "
                                    f"{host.get('state')} status")
        for host in hosts:
            if host.get("state") == "Up":
                host.update(host_status("Disconnected"))
                ctx.store.update("host", host)
    elif state == "Managed":
        for host in hosts:
            if host.get("state") == "Disconnected":
                host.update(host_status("Connecting"))
                ctx.store.update("host", host)
                ctx.schedule("host", host["id"], ctx.config.host_up_delay, host_status("Up"), {"state": "Connecting"})
    cluster["managedstate"] = state


@command("updateCluster")
def update_cluster(ctx: Context, p: dict) -> dict:
    cluster = ctx.require("cluster", p["id"], "cluster")
    if p.get("externaldetails"):
        raise invalid_parameter(f"Cluster: {cluster['name']} is not registered with any extension, "
                                "details cannot be updated")
    name = p.get("clustername")
    if name and name.strip():
        if cluster["hypervisortype"] == "VMware":
            raise invalid_parameter("Renaming VMware cluster is not supported as it could cause problems if the "
                                    "updated  cluster name is not mapped on VCenter.")
        same = find_cluster_by_name(ctx, cluster["podid"], name)
        if same and same["id"] != cluster["id"]:
            # The unique key refuses the UPDATE; GenericDaoBase wraps the SQLException.
            raise cloud_runtime("DB Exception on: com.mysql.cj.jdbc.ClientPreparedStatement: UPDATE cluster SET "
                                f"cluster.name='{name}' WHERE cluster.id = "
                                f"{ctx.store.internal_id('cluster', cluster['id'])}")
        cluster["name"] = name
    if p.get("hypervisor"):
        cluster["hypervisortype"] = hypervisor_type(ctx, p["hypervisor"])
    if p.get("clustertype"):
        if p["clustertype"] not in CLUSTER_TYPES:
            raise invalid_parameter(f"Unable to resolve {p['clustertype']} to a supported type")
        cluster["clustertype"] = p["clustertype"]
    if p.get("allocationstate"):
        if p["allocationstate"] not in ("Enabled", "Disabled"):
            raise invalid_parameter(f"Unable to resolve Allocation State '{p['allocationstate']}' to a supported state")
        cluster["allocationstate"] = p["allocationstate"]
    managed = p.get("managedstate")
    if managed and managed not in MANAGED_STATES:
        raise invalid_parameter(f"Unable to resolve Managed State '{managed}' to a supported state")
    if p.get("arch") and p["arch"].strip():
        arch = cpu_arch(p["arch"])
        present = sorted({host.get("arch") for host in hosts_of(ctx, cluster) if host.get("arch")})
        if any(other != arch for other in present):
            # StringUtils.join(Object[]) joins with no separator.
            raise invalid_parameter(f"Cluster has host(s) present with arch type(s): {''.join(present)}")
        cluster["arch"] = arch
    if managed and managed != cluster["managedstate"] and managed in ("Managed", "Unmanaged"):
        change_managed_state(ctx, cluster, managed)
    return ctx.store.update("cluster", cluster)


@command("deleteCluster")
def delete_cluster(ctx: Context, p: dict) -> None:
    cluster = ctx.require("cluster", p["id"], "cluster")
    if hosts_of(ctx, cluster):
        number = ctx.store.internal_id("cluster", cluster["id"])
        raise cloud_runtime(f"Cluster: {number} cannot be removed. Cluster still has hosts")
    if storage_pools_of(ctx, cluster):
        raise cloud_runtime(f"Cluster: {cluster_repr(ctx, cluster)} cannot be removed. Cluster still has storage pools")
    ctx.store.delete("cluster", cluster["id"])


@command("listClusters")
def list_clusters(ctx: Context, p: dict) -> list[dict]:
    arch = cpu_arch(p["arch"]) if p.get("arch") and p["arch"].strip() else None
    clusters = ctx.store.find("cluster", zoneid=p.get("zoneid"), parentid=p.get("podid"))
    if "hypervisor" in p:
        wanted = hypervisor_type(ctx, p["hypervisor"])
        clusters = [c for c in clusters if c["hypervisortype"] == wanted]
    for key in ("clustertype", "allocationstate"):
        if p.get(key):
            clusters = [c for c in clusters if str(c.get(key, "")).lower() == p[key].lower()]
    if arch:
        clusters = [c for c in clusters if c.get("arch") == arch]
    if p.get("storageaccessgroup"):
        clusters = [c for c in clusters if p["storageaccessgroup"] in (c.get("storageaccessgroups") or "").split(",")]
    clusters = by_id_or_name(clusters, p)
    if p.get("showcapacities"):
        from .metrics import nested_capacities  # metrics.py builds on this module

        clusters = [{**c, "capacity": nested_capacities(ctx, zone_id=c["zoneid"], cluster_id=c["id"])}
                    for c in clusters]
    return clusters
