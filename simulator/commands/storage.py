"""Primary storage pools, their tags and storage providers.

StorageManagerImpl createPool / updateStoragePool / deletePool / the maintenance calls, the
default provider's CloudStackPrimaryDataStoreLifeCycleImpl (the URL decides the pool type,
address and path) and QueryManagerImpl's searches. The simulator stores the URL it is given
and never mounts anything. A pool keeps its tags as a list and its details as a map; the
system VMs whose ROOT volume lives on a pool name it in their `_poolid`.
"""

from __future__ import annotations

import hashlib
import re
import uuid as uuidlib
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import INTERNAL_ERROR, PARAM_ERROR, ApiError, cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command
from .common import by_id_or_name
from .pods import java_string, zone_repr
from .systemvms import start_vm, stop_vm

# ScopeType and StoragePoolStatus, in declaration order.
SCOPES = ("HOST", "CLUSTER", "ZONE", "REGION", "GLOBAL")
POOL_STATES = ("Initial", "Initialized", "Creating", "Attaching", "Up", "PrepareForMaintenance", "ErrorInMaintenance",
               "CancelMaintenance", "Maintenance", "Disabled", "Removed")
MAINTENANCE_STATES = ("PrepareForMaintenance", "ErrorInMaintenance", "Maintenance")
# Storage.StoragePoolType, for the schemes the life cycle has no branch for (valueOf is exact).
POOL_TYPES = ("Filesystem", "NetworkFilesystem", "IscsiLUN", "Iscsi", "ISO", "LVM", "CLVM", "RBD", "SharedMountPoint",
              "VMFS", "PreSetup", "EXT", "OCFS2", "SMB", "Gluster", "PowerFlex", "ManagedNFS", "Linstor",
              "DatastoreCluster", "StorPool", "FiberChannel")
ZONE_WIDE_HYPERVISORS = ("KVM", "VMware", "Hyperv", "LXC", "Any", "Simulator")
DEFAULT_PRIMARY = "DefaultPrimary"
# The providers a packaged management server registers (client/pom.xml), by type.
PROVIDERS = {
    "PRIMARY": ("DefaultPrimary", "SolidFire", "SolidFireShared", "CloudByte", "Datera", "PowerFlex", "Linstor",
                "StorPool", "Primera", "Flash Array"),
    "IMAGE": ("NFS", "S3", "Swift"),
    "ImageCache": ("NFS",),
    "OBJECT": ("Ceph", "Cloudian HyperStore", "MinIO", "Simulator"),
}
# DataStoreProviderType names as listStorageProviders' `type` reads them (equalsIgnoreCase).
PROVIDER_TYPES = {"primary": "PRIMARY", "image": "IMAGE", "imagecache": "ImageCache", "object": "OBJECT"}
# The default driver's capabilities (CloudStackPrimaryDataStoreDriverImpl.getCapabilities).
DEFAULT_CAPABILITIES = {"VOLUME_SNAPSHOT_QUIESCEVM": "false"}
NFS_MOUNT_OPTIONS = "nfsmountopts"
REPORTED_CAPACITY = 1099511627776  # what a KVM host reports for an NFS export (1 TiB)

# HypervisorType names (HypervisorType.getType, case-insensitive; anything else is None).
HYPERVISOR_TYPES = ("XenServer", "KVM", "VMware", "Hyperv", "VirtualBox", "Parralels", "BareMetal", "Simulator",
                    "Ovm", "Ovm3", "LXC", "Custom", "External", "Any")


def hypervisor_of(name: str | None, version: str = "4.22.0.0") -> str:
    """HypervisorType.getType: the canonical name, or "None" ("parallels" is the map key of Parralels)."""
    if not name:
        return "None"
    for known in HYPERVISOR_TYPES:
        if known == "External" and version_tuple(version) < (4, 21):
            continue
        key = "parallels" if known == "Parralels" else known.lower()
        if key == name.lower():
            return known
    return "None"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def setting(ctx: Context, name: str, default: str) -> str:
    """A global setting; an unset (NULL) value means the ConfigKey's default."""
    value = ctx.setting(name)
    return default if value is None or value == "" else str(value)


def is_root_admin(ctx: Context) -> bool:
    """Account.Type.ADMIN; the job and integration callers run as admins too."""
    return not ctx.account or ctx.account.get("accounttype") in (1, None)


def refused(text: str) -> ApiError:
    """A ServerApiException(INTERNAL_ERROR, text) a command's execute() wraps every failure in: 530 / 9999."""
    return ApiError(INTERNAL_ERROR, text)


def illegal_argument(text: str) -> ApiError:
    """IllegalArgumentException: ApiServer answers PARAM_ERROR with ServerApiException's own code, 431 / 9999."""
    return ApiError(PARAM_ERROR, text)


# -- Java's view of a URL (java.net.URI) ------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_HOSTNAME = re.compile(r"([A-Za-z0-9]([A-Za-z0-9\-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9\-]*[A-Za-z0-9])?\.?")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


@dataclass
class JavaUri:
    scheme: str | None
    host: str | None
    path: str | None
    userinfo: str | None
    port: int


def parse_uri(url: str) -> JavaUri:
    """java.net.URI's parse of an absolute or relative URI; ValueError where it throws URISyntaxException."""
    if re.search(r"[\s\"<>\\^`{|}]", url):
        raise ValueError("Illegal character")
    scheme = None
    head = re.match(r"[^/?#]*?:", url)
    if head:
        scheme = head.group(0)[:-1]
        if not scheme or not _SCHEME.fullmatch(scheme):
            raise ValueError("Expected scheme name")
        rest = url[len(scheme) + 1:]
        if not rest:
            raise ValueError("Expected scheme-specific part")
        if not rest.startswith("/"):
            return JavaUri(scheme, None, None, None, -1)  # opaque: no host, no path
    else:
        rest = url
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    if not rest.startswith("//"):
        return JavaUri(scheme, None, rest, None, -1)
    authority, slash, path = rest[2:].partition("/")
    host, userinfo, port = server_authority(authority)
    path = slash + path
    return JavaUri(scheme, host, path, userinfo, port)


def server_authority(authority: str) -> tuple[str | None, str | None, int]:
    """user@host:port when it parses as a server; else a registry authority with no host (as Java)."""
    userinfo, _, hostport = authority.rpartition("@") if "@" in authority else (None, "", authority)
    if hostport.startswith("["):
        host, _, tail = hostport.partition("]")
        host += "]"
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if port_text and not port_text.isdigit():
        return None, None, -1
    valid = host.startswith("[") or _IPV4.fullmatch(host) or _HOSTNAME.fullmatch(host)
    if not host or not valid:
        return None, None, -1
    return host, userinfo, int(port_text) if port_text else -1


def name_uuid(text: str) -> str:
    """UUID.nameUUIDFromBytes: an MD5, type 3 name-based UUID."""
    return str(uuidlib.UUID(bytes=hashlib.md5(text.encode()).digest(), version=3))


def java_hash(text: str) -> int:
    """String.hashCode."""
    value = 0
    for char in text:
        value = (31 * value + ord(char)) & 0xFFFFFFFF
    return value


def hash_map_order(names: list[str], table_size: int) -> list[str]:
    """The iteration order of a ConcurrentHashMap of that capacity holding `names` (ties keep their order)."""
    def bucket(name: str) -> int:
        value = java_hash(name)
        return ((value ^ (value >> 16)) & 0x7FFFFFFF) & (table_size - 1)
    return sorted(names, key=bucket)


def pool_repr(ctx: Context, pool: dict) -> str:
    """StoragePoolVO.toString (ReflectionToStringBuilderUtils, JSON style)."""
    number = ctx.store.internal_id("storagepool", pool["id"])
    return (f'StoragePool {{"id":{number},"name":{java_string(pool["name"])},"uuid":{java_string(pool["id"])},'
            f'"poolType":{java_string(pool["type"])}}}')


# -- creating a pool --------------------------------------------------------------------


def uri_params(url: str) -> dict | None:
    """extractUriParamsAsMap: scheme/host/hostPath/userInfo/port, None when the URL does not parse."""
    try:
        uri = rbd_uri(url) if url.startswith("rbd://") else parse_uri(url)
    except ValueError:
        return None
    if uri.scheme is None:
        return None
    blank = not (uri.path or "").strip() or not (uri.host or "").strip()
    scheme = uri.scheme.lower()
    if scheme == "nfs" and blank:
        raise refused("host or path is null, should be nfs://hostname/path")
    if scheme == "sharedmountpoint" and uri.path is None:
        raise refused("host or path is null, should be sharedmountpoint://localhost/path")
    if scheme == "rbd" and uri.path is None:
        raise refused("host or path is null, should be rbd://hostname/pool")
    if scheme == "gluster" and blank:
        raise refused("host or path is null, should be gluster://hostname/volume")
    return {"scheme": uri.scheme, "host": uri.host, "hostPath": unquote(uri.path) if uri.path is not None else None,
            "userInfo": uri.userinfo, "port": uri.port}


def rbd_uri(url: str) -> JavaUri:
    """UriUtils.getRbdUrlInfo: several monitors, credentials before the first '@', the port after the last ':'."""
    rest = url[6:]
    at = rest.find("@")
    credentials, host_info = (None, rest) if at == -1 else (rest[:at], rest[at + 1:])
    slash, colon, bracket = host_info.find("/"), host_info.rfind(":"), host_info.rfind("]")
    end = slash if slash > 0 else len(host_info) + 1
    if colon != -1:
        end = bracket + 1 if bracket > colon else colon
    hosts, tail = host_info[:end], host_info[end:]
    uri = parse_uri("rbd://" + hosts.split(",")[0] + tail)
    if credentials:
        credentials = credentials.replace("+", "-").replace("/", "_")
    return JavaUri(uri.scheme, hosts, uri.path, credentials, uri.port)


@dataclass
class PoolLocation:
    type: str
    host: str
    path: str
    port: int


def pool_location(params: dict, cluster_id: str | None) -> PoolLocation:
    """CloudStackPrimaryDataStoreLifeCycleImpl.initialize: the pool type, address and path of the URL."""
    scheme, host, path = params["scheme"], params["host"] or "", params["hostPath"] or ""
    port = params["port"]
    lower = scheme.lower()
    simple = {"nfs": ("NetworkFilesystem", 2049), "cifs": ("SMB", 445), "iso": ("ISO", 2049),
              "gluster": ("Gluster", 24007)}
    if lower in simple:
        kind, default_port = simple[lower]
        return PoolLocation(kind, host, path, port if port != -1 else default_port)
    if lower == "file":
        return PoolLocation("Filesystem", "localhost", path, 0)
    if lower in ("sharedmountpoint", "presetup", "datastorecluster"):
        kind = {"sharedmountpoint": "SharedMountPoint", "presetup": "PreSetup"}.get(lower, "DatastoreCluster")
        return PoolLocation(kind, host, path, 0)
    if lower in ("clvm", "rbd"):
        return PoolLocation("CLVM" if lower == "clvm" else "RBD", host, path.replace("/", "", 1),
                            0 if lower == "clvm" or port == -1 else port)
    if lower == "iscsi":
        tokens = path.split("/")
        if not tokens[-1].isdigit():
            raise ValueError("iSCSI needs to have LUN number")
        if cluster_id is None:
            raise ValueError("IscsiLUN need to have clusters specified")
        return PoolLocation("IscsiLUN", host, path, port if port != -1 else 3260)
    if lower == "vmfs":
        return PoolLocation("VMFS", "VMFS datastore: " + path, path, 0)
    if lower == "ocfs2":
        return PoolLocation("OCFS2", "clustered", path, 7777)
    if scheme not in POOL_TYPES:
        raise ValueError(f"No enum constant com.cloud.storage.Storage.StoragePoolType.{scheme}")
    return PoolLocation(scheme, host, path, 0)


def details_map(entries: list[dict] | None) -> dict:
    """extractApiParamAsMap: every key=value of every details[i] entry."""
    merged: dict = {}
    for entry in entries or []:
        merged.update(entry)
    return merged


def check_nfs_mount_options(options: str) -> None:
    seen = set()
    for option in re.sub(r"\s", "", options).split(","):
        key_value = option.split("=")
        if len(key_value) > 2:
            raise invalid_parameter(f"Invalid value for NFS option {key_value[0]}")
        if key_value[0] in seen:
            raise invalid_parameter(f"Duplicate NFS option values found for option {key_value[0]}")
        seen.add(key_value[0])


def split_tags(text: str | None) -> list[str]:
    """createPrimaryDataStore: comma separated, trimmed, blanks dropped."""
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


def pool_scope(p: dict, file_scheme: bool) -> str:
    scope = "HOST" if file_scheme else "CLUSTER"
    if p.get("scope") is not None:
        if p["scope"].upper() not in SCOPES:
            raise refused(f"invalid scope for pool {p['scope']}")
        scope = p["scope"].upper()
    if scope == "CLUSTER" and not p.get("clusterid"):
        raise refused("cluster id can't be null, if scope is cluster")
    return scope


def pool_hypervisor(ctx: Context, p: dict, scope: str) -> str:
    if scope != "ZONE":
        cluster = ctx.store.get("cluster", p.get("clusterid"))
        return cluster["hypervisortype"] if cluster else "KVM"
    if not p.get("hypervisor"):
        raise refused("Missing parameter hypervisor. Hypervisor type is required to create zone wide primary storage.")
    hypervisor = hypervisor_of(p["hypervisor"], ctx.config.version)
    if hypervisor not in ZONE_WIDE_HYPERVISORS:
        raise refused(f"Zone wide storage pool is not supported for hypervisor type {p['hypervisor']}")
    return hypervisor


def check_tag_rule(ctx: Context, is_rule: bool | None, failure=invalid_parameter) -> None:
    """checkJsInterpretationAllowedIfNeededForParameterValue (js.interpretation.enabled, false by default)."""
    if is_rule and setting(ctx, "js.interpretation.enabled", "false").lower() != "true":
        raise failure("The parameter istagarule cannot be set to true as JS interpretation is disabled")


def up_hosts_in_cluster(ctx: Context, cluster_id: str) -> list[dict]:
    """ResourceManager.listAllUpHosts(Routing, cluster): the hosts a cluster-wide pool is mounted on."""
    return ctx.store.find("host", parentid=cluster_id,
                          where=lambda host: host.get("state") == "Up" and host.get("type", "Routing") == "Routing")


def new_pool_id(params: dict, hypervisor: str) -> str:
    """The life cycle's pool uuid: derived from the URL's host and path for most schemes, as the real one is."""
    lower, host, path = params["scheme"].lower(), params["host"] or "", params["hostPath"] or ""
    if lower in ("sharedmountpoint", "clvm"):
        return str(uuidlib.uuid4())
    if lower == "presetup" and hypervisor != "VMware":
        return path.replace("/", "") or str(uuidlib.uuid4())
    return name_uuid(host + path)


def initialize_pool(ctx: Context, p: dict, scope: str, hypervisor: str, params: dict | None,
                    cluster_id: str | None, pod_id: str | None) -> tuple[PoolLocation, str]:
    """The life cycle's checks; each failure as the ValueError createPool wraps in "Failed to add data store"."""
    if cluster_id is not None and pod_id is None:
        raise ValueError("Cluster id requires pod id")
    for key, label in (("capacitybytes", "capacityBytes"), ("capacityiops", "capacityIops")):
        if p.get(key) is not None and p[key] <= 0:
            raise ValueError(f"'{label}' must be greater than 0.")
    if params is None:
        raise ValueError('Cannot invoke "Object.toString()" because the return value of '
                         '"java.util.Map.get(Object)" is null')
    location = pool_location(params, cluster_id)
    if params["scheme"].lower() != "sharedmountpoint":
        same = ctx.store.find("storagepool", where=lambda pool: pool.get("ipaddress") == params["host"]
                              and pool.get("path") == params["hostPath"])
        if same:
            pod_number = ctx.store.internal_id("pod", same[0]["podid"]) if same[0].get("podid") else None
            raise ValueError(f"Storage pool {params['hostPath']} already in use by another pod "
                             f"(id={pod_number if pod_number is not None else 'null'})")
    pool_id = new_pool_id(params, hypervisor)
    if ctx.store.kind_of(pool_id) is not None:
        raise ValueError("Another active pool with the same uuid already exists")
    if location.type == "SMB":
        details = details_map(p.get("details"))
        if details.get("user") is None or details.get("password") is None:
            raise ValueError("Missing cifs user and password details. Add them as details parameter.")
    if scope == "CLUSTER" and not up_hosts_in_cluster(ctx, cluster_id):
        number = ctx.store.internal_id("cluster", cluster_id)
        raise ValueError(f"No host up to associate a storage pool with in cluster {number}")
    return location, pool_id


@command("createStoragePool")
def create_storage_pool(ctx: Context, p: dict) -> dict:
    """Every failure leaves through CreateStoragePoolCmd.execute's catch-all: 530 with the message."""
    params = uri_params(p["url"])
    file_scheme = bool(params) and params["scheme"] == "file"
    provider = p.get("provider") if p.get("provider") in PROVIDERS["PRIMARY"] else DEFAULT_PRIMARY
    scope = pool_scope(p, file_scheme)
    hypervisor = pool_hypervisor(ctx, p, scope)
    cluster_id, pod_id = (None, None) if scope == "ZONE" else (p.get("clusterid"), p.get("podid"))
    details = details_map(p.get("details"))
    if NFS_MOUNT_OPTIONS in details:
        if hypervisor not in ("KVM", "Simulator"):
            raise refused(f"NFS options can not be set for the hypervisor type {hypervisor}")
        if (params or {}).get("scheme") != "nfs":
            raise refused("NFS options can only be set on pool type NetworkFilesystem")
        try:
            check_nfs_mount_options(details[NFS_MOUNT_OPTIONS])
        except ApiError as exc:
            raise refused(exc.errortext) from exc
    zone = ctx.require("zone", p["zoneid"], "zone")
    if zone.get("allocationstate") == "Disabled" and not is_root_admin(ctx):
        raise refused(f"Cannot perform this operation, Zone is currently disabled: {zone_repr(ctx, zone)}")
    check_tag_rule(ctx, p.get("istagarule"), failure=refused)
    try:
        location, pool_id = initialize_pool(ctx, p, scope, hypervisor, params, cluster_id, pod_id)
    except ValueError as exc:
        raise refused(f"Failed to add data store: {exc}") from exc
    for key, label in (("capacitybytes", "capacityBytes"), ("capacityiops", "capacityIops")):
        if p.get(key) is not None:
            details[label] = str(p[key])
    pool = new_pool(ctx, p, pool_id, location, scope, hypervisor, provider, cluster_id, pod_id, details)
    return pool_view(ctx, ctx.store.insert("storagepool", pool))


def new_pool(ctx: Context, p: dict, pool_id: str, location: PoolLocation, scope: str, hypervisor: str,
             provider: str, cluster_id: str | None, pod_id: str | None, details: dict) -> dict:
    mounted = scope != "ZONE" or bool(ctx.store.count("host", zoneid=p["zoneid"]))
    capacity = p.get("capacitybytes") or (REPORTED_CAPACITY if mounted else 0)
    return {
        "id": pool_id, "zoneid": p["zoneid"], "podid": pod_id, "name": p["name"], "ipaddress": location.host,
        "path": location.path, "created": ctx.timestamp(), "type": location.type, "clusterid": cluster_id,
        "capacitybytes": capacity, "disksizetotal": capacity, "disksizeallocated": 0, "disksizeused": 0,
        "capacityiops": p.get("capacityiops"), "tags": split_tags(p.get("tags")),
        "storageaccessgroups": ",".join(split_tags(p.get("storageaccessgroups"))) or None,
        "istagarule": bool(p.get("istagarule")), "state": "Up", "scope": scope, "hypervisor": hypervisor,
        "provider": provider, "managed": bool(p.get("managed")), "details": details, "hasannotations": False,
        "_port": location.port,
    }


def pool_view(ctx: Context, pool: dict, *, listing: bool = False) -> dict:
    """StoragePoolJoinDaoImpl.newStoragePoolResponse; the search adds capabilities and NFS mount options."""
    view = {**pool, "tags": ",".join(pool.get("tags") or []) or None,
            "overprovisionfactor": overprovision_factor(ctx)}
    if listing:
        view["storagecapabilities"] = dict(DEFAULT_CAPABILITIES) if pool.get("provider") == DEFAULT_PRIMARY else None
        if pool.get("type") == "NetworkFilesystem" and pool.get("hypervisor") == "KVM":
            view["nfsmountopts"] = (pool.get("details") or {}).get(NFS_MOUNT_OPTIONS)
    return view


def overprovision_factor(ctx: Context) -> str:
    """storage.overprovisioning.factor as Double.toString writes it."""
    try:
        return repr(float(setting(ctx, "storage.overprovisioning.factor", "2")))
    except ValueError:
        return "2.0"


# -- changing a pool --------------------------------------------------------------------


@command("updateStoragePool")
def update_storage_pool(ctx: Context, p: dict) -> dict:
    pool = ctx.require("storagepool", p["id"], "storage pool")
    wants_update = any(p.get(key) is not None for key in ("name", "capacityiops", "capacitybytes", "url",
                                                           "istagarule", "tags")) or bool(p.get("details"))
    enabled = p.get("enabled")
    if wants_update:
        update_pool_fields(ctx, pool, p)
    if enabled is not None:
        change_enabled(ctx, pool, enabled)
    if not wants_update and enabled is None:
        raise refused("Failed to update storage pool")
    return pool_view(ctx, ctx.store.update("storagepool", pool))


def update_pool_fields(ctx: Context, pool: dict, p: dict) -> None:
    check_tag_rule(ctx, p.get("istagarule"))
    details = details_map(p.get("details"))
    if NFS_MOUNT_OPTIONS in details:
        if not is_root_admin(ctx):
            raise permission_denied("Only root admin can modify nfs options")
        if pool.get("hypervisor") not in ("KVM", "Simulator"):
            raise invalid_parameter("NFS options can only be set for the hypervisor type KVM")
        if pool.get("type") != "NetworkFilesystem":
            raise invalid_parameter("NFS options can only be set on pool type NetworkFilesystem")
        if pool.get("state") not in MAINTENANCE_STATES:
            raise invalid_parameter("The storage pool should be in maintenance mode to edit nfs options")
        check_nfs_mount_options(details[NFS_MOUNT_OPTIONS])
    if p.get("name") and p["name"].strip():
        pool["name"] = p["name"]
    if p.get("tags") is not None:
        pool["tags"] = [tag.strip() for tag in p["tags"] if tag.strip()]
        pool["istagarule"] = bool(p.get("istagarule"))
    merged = {**(pool.get("details") or {}), **details}
    changes = bool(details)
    if p.get("capacitybytes") is not None and p["capacitybytes"] != pool.get("capacitybytes"):
        pool["capacitybytes"] = pool["disksizetotal"] = p["capacitybytes"]
        merged["capacityBytes"] = str(p["capacitybytes"])
        changes = True
    if p.get("capacityiops") is not None and p["capacityiops"] != pool.get("capacityiops"):
        pool["capacityiops"] = p["capacityiops"]
        merged["capacityIops"] = str(p["capacityiops"])
        changes = True
    if changes:
        if p.get("url") is not None:
            merged["url"] = p["url"]
        pool["details"] = merged


def change_enabled(ctx: Context, pool: dict, enabled: bool) -> None:
    """enablePrimaryStoragePool / disablePrimaryStoragePool."""
    if enabled and pool["state"] != "Disabled":
        raise invalid_parameter(f"Primary storage {pool_repr(ctx, pool)} cannot be enabled. "
                                f"Storage pool state : {pool['state']}")
    if not enabled and pool["state"] != "Up":
        raise invalid_parameter(f"Primary storage {pool_repr(ctx, pool)} cannot be disabled. "
                                f"Storage pool state : {pool['state']}")
    pool["state"] = "Up" if enabled else "Disabled"


def volumes_on(ctx: Context, pool: dict) -> list[dict]:
    """The simulator's volumes are the system VMs' ROOT disks."""
    return ctx.store.find("systemvm", zoneid=pool["zoneid"], where=lambda vm: vm.get("_poolid") == pool["id"])


@command("deleteStoragePool")
def delete_storage_pool(ctx: Context, p: dict) -> None:
    pool = ctx.require("storagepool", p["id"], "storage pool")
    if pool["state"] != "Maintenance":
        raise invalid_parameter(f"Unable to delete storage due to it is not in Maintenance state, pool: "
                                f"{pool_repr(ctx, pool)}")
    if volumes_on(ctx, pool):
        # forced only expunges volumes already Destroyed; a system VM's ROOT disk never is.
        raise cloud_runtime(f"Cannot delete pool {pool_repr(ctx, pool)} as there are non-destroyed volumes "
                            "associated to this pool.")
    ctx.store.delete("storagepool", pool["id"])


# -- maintenance ------------------------------------------------------------------------


def hosts_of_pool(ctx: Context, pool: dict) -> list[dict]:
    """The Up hosts a pool is mounted on: its cluster's, or the zone's of its hypervisor."""
    if pool.get("scope") == "ZONE":
        return ctx.store.find("host", zoneid=pool["zoneid"], where=lambda host: host.get("state") == "Up"
                              and host.get("type", "Routing") == "Routing"
                              and pool.get("hypervisor") in ("Any", host.get("hypervisor")))
    return up_hosts_in_cluster(ctx, pool["clusterid"]) if pool.get("clusterid") else []


def maintenance_refusal(ctx: Context, pool: dict) -> ApiError | None:
    if pool["state"] in ("Up", "ErrorInMaintenance") or pool.get("_preparing"):
        return None
    return invalid_parameter(f"Primary storage {pool_repr(ctx, pool)} is not ready for migration, as the status "
                             f"is:{pool['state']}")


def start_maintenance(ctx: Context, p: dict) -> None:
    """At once, as the job thread does: PrepareForMaintenance while the VMs on the pool are moved."""
    pool = ctx.get("storagepool", p["id"])
    if pool and maintenance_refusal(ctx, pool) is None and hosts_of_pool(ctx, pool):
        pool.update({"state": "PrepareForMaintenance", "_preparing": True})
        ctx.store.update("storagepool", pool)


@command("enableStorageMaintenance", instance_type="StoragePool", create=start_maintenance)
def enable_storage_maintenance(ctx: Context, p: dict) -> dict:
    pool = ctx.require("storagepool", p["id"], "storage pool")
    refusal = maintenance_refusal(ctx, pool)
    if refusal:
        raise refusal
    other_up = ctx.store.find("storagepool", zoneid=pool["zoneid"],
                              where=lambda other: other["id"] != pool["id"] and other.get("state") == "Up")
    for vm in volumes_on(ctx, pool):
        if vm.get("state") in ("Running", "Starting", "Stopping"):
            move_off_pool(ctx, vm, other_up[0] if other_up else None)
    pool["state"] = "Maintenance"
    pool.pop("_preparing", None)
    return pool_view(ctx, ctx.store.update("storagepool", pool))


def move_off_pool(ctx: Context, vm: dict, other: dict | None) -> None:
    """StoragePoolAutomation.maintain: stop the system VM; restart it (its disk recreated elsewhere) if it can."""
    stop_vm(ctx, vm)
    if other is None:
        vm["_stopped_for_maintenance"] = True
    else:
        vm["_poolid"] = other["id"]
        start_vm(ctx, vm)
    ctx.store.update("systemvm", vm)


@command("cancelStorageMaintenance", instance_type="StoragePool")
def cancel_storage_maintenance(ctx: Context, p: dict) -> dict:
    pool = ctx.require("storagepool", p["id"], "storage pool")
    if pool["state"] in ("Up", "PrepareForMaintenance"):
        # StorageUnavailableException, unmapped in the job dispatcher: 530.
        raise ApiError(INTERNAL_ERROR, f"Primary storage {pool_repr(ctx, pool)} is not ready to complete migration, "
                       f"as the status is:{pool['state']}")
    pool["state"] = "Up"
    ctx.store.update("storagepool", pool)
    # StoragePoolAutomation.cancelMaintain starts again what maintenance stopped.
    for vm in volumes_on(ctx, pool):
        if vm.pop("_stopped_for_maintenance", None):
            start_vm(ctx, vm)
            ctx.store.update("systemvm", vm)
    return pool_view(ctx, pool)


# -- lists ------------------------------------------------------------------------------


def pool_on_host(ctx: Context, pool: dict, host: dict | None) -> bool:
    if host is None:
        return False
    if pool.get("scope") == "ZONE":
        return pool["zoneid"] == host.get("zoneid") and pool.get("hypervisor") in ("Any", host.get("hypervisor"))
    return pool.get("clusterid") is not None and pool.get("clusterid") == host.get("clusterid")


@command("listStoragePools")
def list_storage_pools(ctx: Context, p: dict) -> list[dict]:
    scope = p.get("scope")
    if scope is not None and scope.upper() not in SCOPES:
        raise invalid_parameter(f"Invalid scope type: {scope}")
    status = p.get("status")
    if status is not None and status.lower() not in [state.lower() for state in POOL_STATES]:
        raise invalid_parameter(f"Invalid status: {status}")
    pools = ctx.store.find("storagepool", zoneid=p.get("zoneid"))
    checks = {
        "podid": lambda pool: pool.get("podid") in (None, p["podid"]),
        "clusterid": lambda pool: pool.get("clusterid") in (None, p["clusterid"]),
        "ipaddress": lambda pool: pool.get("ipaddress") == p["ipaddress"],
        "path": lambda pool: pool.get("path") == p["path"],
        "scope": lambda pool: pool.get("scope") == scope.upper(),
        "status": lambda pool: pool.get("state", "").lower() == status.lower(),
        "storageaccessgroup": lambda pool: p["storageaccessgroup"] in (pool.get("storageaccessgroups") or "")
        .split(","),
    }
    for key, check in checks.items():
        if p.get(key) is not None:
            pools = [pool for pool in pools if check(pool)]
    if p.get("hostid"):
        host = ctx.get("host", p["hostid"])
        pools = [pool for pool in pools if pool_on_host(ctx, pool, host)]
    # The search matches the keyword on the name or the pool type, so the generic name filter stays out.
    keyword = (p.pop("keyword", None) or "").lower()
    if keyword:
        pools = [pool for pool in pools if keyword in pool["name"].lower() or keyword in pool["type"].lower()]
    return [pool_view(ctx, pool, listing=True) for pool in by_id_or_name(pools, p)]


@command("listStorageTags")
def list_storage_tags(ctx: Context, p: dict) -> list[dict]:
    """One storagetag per (pool, tag); the tag row's id is never set, the pool id is the internal number."""
    p.pop("keyword", None)  # searchForStorageTags ignores it
    tags = []
    for pool in ctx.store.find("storagepool"):
        number = ctx.store.internal_id("storagepool", pool["id"])
        tags += [{"poolid": number, "name": tag} for tag in pool.get("tags") or []]
    return tags


@command("listStorageProviders")
def list_storage_providers(ctx: Context, p: dict) -> list[dict]:
    kind = PROVIDER_TYPES.get(p["type"].lower())
    if kind is None:
        raise invalid_parameter(f"Invalid parameter: {p['type']}")
    registered = [name for names in PROVIDERS.values() for name in names]
    order = hash_map_order(list(dict.fromkeys(registered)), table_size=32)
    return [{"name": name, "type": kind} for name in order if name in PROVIDERS[kind]]
