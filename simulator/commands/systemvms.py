"""System VMs: the SSVM and CPVM every usable zone gets, and their life cycle.

SecondaryStorageManagerImpl and ConsoleProxyManagerImpl start one of each in a zone once
isZoneReady holds: the zone is Enabled, a Routing host is Up and Enabled, an image store that
is not read-only exists, and a primary storage pool is mounted on such a host. The simulator
derives that after every change (the reconciler below) and creates the VM Starting; it turns
Running after `systemvm_delay`. Names are s-<n>-VM / v-<n>-VM, n from one VM sequence. The
addresses are taken from the zone's public range and the pod's management range, in order.
"""

from __future__ import annotations

import hashlib
import ipaddress

from ..errors import INTERNAL_ERROR, ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, command, reconciler

SSVM, CPVM = "secondarystoragevm", "consoleproxy"
PREFIX = {SSVM: "s", CPVM: "v"}
OFFERING = {SSVM: "System Offering For Secondary Storage VM", CPVM: "System Offering For Console Proxy"}
VM_SEQUENCE = "vm_instance_seq"  # vm_instance ids are shared by every kind of VM
LINK_LOCAL_NETMASK = "255.255.0.0"
LOST_CONNECTION = ("Down", "Disconnected", "Alert", "Removed")
MAINTENANCE = ("PrepareForMaintenance", "Maintenance", "ErrorInMaintenance", "ErrorInPrepareForMaintenance")


# -- where a system VM can run ----------------------------------------------------------


def usable_host(host: dict) -> bool:
    """countUpAndEnabledHostsInZone: a Routing host, Up, resource state Enabled."""
    return host.get("type", "Routing") == "Routing" and host.get("state") == "Up" \
        and host.get("resourcestate", "Enabled") == "Enabled"


def pool_serves(pool: dict, host: dict) -> bool:
    """The pool is mounted on the host (storage_pool_host_ref): same cluster, or zone-wide for its hypervisor."""
    if pool.get("state") != "Up":
        return False
    if pool.get("scope") == "ZONE":
        return pool.get("zoneid") == host.get("zoneid") and pool.get("hypervisor") in ("Any", host.get("hypervisor"))
    return pool.get("clusterid") is not None and pool.get("clusterid") == host.get("clusterid")


def placement(hosts: list[dict], pools: list[dict], pool_id: str | None = None) -> tuple[dict, dict] | None:
    """The first Up host with a pool it can reach; the VM's own pool first when it still serves."""
    for host in hosts:
        if not usable_host(host):
            continue
        served = [pool for pool in pools if pool_serves(pool, host)]
        served.sort(key=lambda pool: pool["id"] != pool_id)
        if served:
            return host, served[0]
    return None


def zone_has_image_store(stores: list[dict], zone_id: str) -> bool:
    """getImageStoresByScopeExcludingReadOnly(zone): an Image store of the zone (or region-wide), writable."""
    return any(store.get("_role", "Image") == "Image" and not store.get("readonly")
               and store.get("zoneid") in (zone_id, None) for store in stores)


# -- addresses --------------------------------------------------------------------------


def addresses(start: str | None, end: str | None):
    if not start:
        return
    first, last = int(ipaddress.IPv4Address(start)), int(ipaddress.IPv4Address(end or start))
    for value in range(first, last + 1):
        yield str(ipaddress.IPv4Address(value))


def first_free(ranges: list[tuple[str, str]], used: set[str]) -> tuple[str, int] | None:
    for index, (start, end) in enumerate(ranges):
        for address in addresses(start, end):
            if address not in used:
                return address, index
    return None


def mac_address(seed: str, prefix: str = "1e:00") -> str:
    digest = hashlib.md5(seed.encode()).digest()
    return f"{prefix}:{digest[0]:02x}:{digest[1]:02x}:{digest[2]:02x}:{digest[3]:02x}"


def link_local(number: int) -> tuple[str, str]:
    """A control-network address (169.254.0.0/16) and the MAC ControlNetworkGuru derives from it."""
    third, fourth = (number * 37) % 254 + 1, (number * 101) % 253 + 2
    return f"169.254.{third}.{fourth}", f"0e:00:a9:fe:{third:02x}:{fourth:02x}"


def public_ranges(ctx: Context, zone: dict, pod_id: str | None) -> list[dict]:
    """The zone's public ranges; a Basic zone's system VMs take theirs from the pod's guest range."""
    ranges = ctx.store.find("vlaniprange", zoneid=zone["id"])
    if zone.get("networktype") == "Basic":
        return [r for r in ranges if r.get("podid") == pod_id]
    return [r for r in ranges if r.get("forvirtualnetwork")]


def pod_ranges(pod: dict | None) -> list[tuple[str, str]]:
    return [(r.get("startip"), r.get("endip")) for r in (pod or {}).get("ipranges") or [] if r.get("startip")]


def assign_addresses(ctx: Context, vm: dict, zone: dict, pod: dict | None, others: list[dict]) -> None:
    """Public, management and link-local NICs, the first free addresses of their ranges."""
    # The public address is taken when the VM is created and kept across restarts.
    public = [] if vm.get("publicip") else public_ranges(ctx, zone, vm.get("podid"))
    used_public = {other.get("publicip") for other in others if other["id"] != vm["id"]}
    chosen = first_free([(r.get("startip"), r.get("endip")) for r in public], used_public)
    if chosen:
        address, index = chosen
        vm.update({"publicip": address, "publicnetmask": public[index].get("netmask"),
                   "gateway": public[index].get("gateway"),
                   "publicmacaddress": mac_address(vm["id"] + "public")})
    used_private = {other.get("privateip") for other in others if other["id"] != vm["id"]}
    private = first_free(pod_ranges(pod), used_private)
    if private:
        vm.update({"privateip": private[0], "privatenetmask": (pod or {}).get("netmask"),
                   "privatemacaddress": mac_address(vm["id"] + "private")})
    vm["linklocalip"], vm["linklocalmacaddress"] = link_local(vm["_number"])
    vm["linklocalnetmask"] = LINK_LOCAL_NETMASK


# -- creating one -----------------------------------------------------------------------


def next_vm_number(ctx: Context) -> int:
    number = int(ctx.store.get_meta(VM_SEQUENCE) or 0) + 1
    ctx.store.set_meta(VM_SEQUENCE, str(number))
    return number


def system_template(ctx: Context, hypervisor: str) -> dict | None:
    """The newest SYSTEM template of the host's hypervisor (router.template.* names the seeded one)."""
    templates = ctx.store.find("template", where=lambda t: t.get("templatetype") == "SYSTEM"
                               and t.get("hypervisor") == hypervisor and t.get("_state", "Active") == "Active")
    return templates[-1] if templates else None


def new_system_vm(ctx: Context, zone: dict, kind: str, host: dict, pool: dict, others: list[dict]) -> dict:
    number = next_vm_number(ctx)
    name = f"{PREFIX[kind]}-{number}-VM"
    offering = ctx.store.find_one("serviceoffering", name=OFFERING[kind]) or {}
    template = system_template(ctx, host.get("hypervisor"))
    vm = {
        "systemvmtype": kind, "zoneid": zone["id"], "dns1": zone.get("dns1"), "dns2": zone.get("dns2"),
        "name": name, "podid": host.get("podid"), "hypervisor": host.get("hypervisor"),
        "templateid": template["id"] if template else None, "templatename": template["name"] if template else None,
        "created": ctx.timestamp(), "state": "Starting",
        "activeviewersessions": 0 if kind == CPVM else None, "isdynamicallyscalable": False,
        "serviceofferingid": offering.get("id"), "serviceofferingname": offering.get("name"),
        "arch": (template or {}).get("arch") or host.get("arch") or "x86_64", "hasannotations": False,
        "_number": number, "hostid": host["id"], "_poolid": pool["id"],
    }
    vm = ctx.store.insert("systemvm", vm)
    assign_addresses(ctx, vm, zone, ctx.get("pod", vm.get("podid")), others)
    ctx.store.update("systemvm", vm)
    ctx.schedule("systemvm", vm["id"], ctx.config.systemvm_delay,
                 {"state": "Running", "agentstate": "Up", "version": ctx.config.version}, {"state": "Starting"})
    return vm


@reconciler
def ensure_system_vms(ctx: Context) -> None:
    """Give each ready zone its SSVM and CPVM. Two queries when nothing is missing."""
    zones = [zone for zone in ctx.store.find("zone") if zone.get("allocationstate") == "Enabled"]
    if not zones:
        return
    vms = ctx.store.find("systemvm")
    present = {(vm["zoneid"], vm["systemvmtype"]) for vm in vms}
    wanting = [zone for zone in zones if (zone["id"], SSVM) not in present or (zone["id"], CPVM) not in present]
    if not wanting:
        return
    stores = ctx.store.find("imagestore")
    for zone in wanting:
        if not zone_has_image_store(stores, zone["id"]):
            continue
        hosts = ctx.store.find("host", zoneid=zone["id"])
        found = placement(hosts, ctx.store.find("storagepool", zoneid=zone["id"]))
        if found is None:
            continue
        for kind in (SSVM, CPVM):
            if (zone["id"], kind) not in present:
                vms.append(new_system_vm(ctx, zone, kind, found[0], found[1], [vm for vm in vms
                                                                              if vm["zoneid"] == zone["id"]]))


# -- state changes ----------------------------------------------------------------------


def stop_vm(ctx: Context, vm: dict) -> None:
    """advanceStop: the host is released, the start-time NICs (management, control) with it."""
    vm["state"] = "Stopped"
    vm["agentstate"] = "Disconnected" if vm.get("agentstate") else None
    if vm.get("hostid"):
        vm["_lasthostid"] = vm.pop("hostid")
    for key in ("privateip", "privatenetmask", "linklocalip", "linklocalmacaddress", "linklocalnetmask"):
        vm.pop(key, None)


def start_vm(ctx: Context, vm: dict) -> bool:
    """advanceStart: a host that reaches a pool (the VM's own if still Up), fresh NICs, Running."""
    zone = ctx.require("zone", vm["zoneid"], "zone")
    hosts = ctx.store.find("host", zoneid=zone["id"])
    hosts.sort(key=lambda host: host["id"] != vm.get("_lasthostid"))
    found = placement(hosts, ctx.store.find("storagepool", zoneid=zone["id"]), vm.get("_poolid"))
    if found is None:
        return False
    host, pool = found
    vm.update({"state": "Running", "agentstate": "Up", "version": ctx.config.version, "hostid": host["id"],
               "_poolid": pool["id"], "podid": host.get("podid"), "hypervisor": host.get("hypervisor")})
    others = ctx.store.find("systemvm", zoneid=zone["id"])
    assign_addresses(ctx, vm, zone, ctx.get("pod", vm.get("podid")), others)
    return True


def control_state(host: dict) -> str:
    """ControlState.getControlState(host status, resource state)."""
    status, resource = host.get("state"), host.get("resourcestate", "Enabled")
    if not status or status == "Unknown" or not resource:
        return "Unknown"
    if status in LOST_CONNECTION:
        return "Offline"
    if resource in MAINTENANCE:
        return "Maintenance"
    return "Enabled" if resource == "Enabled" else "Disabled"


def vm_view(ctx: Context, vm: dict) -> dict:
    """createSystemVmResponse: the host it runs on is looked up as the response is built."""
    view = dict(vm)
    host = ctx.get("host", vm.get("hostid"))
    if host:
        view.update({"hostid": host["id"], "hostname": host.get("name"), "hostcontrolstate": control_state(host)})
    return view


def find_system_vm(ctx: Context, vm_id: str) -> dict:
    """findByIdTypes(ConsoleProxy, SecondaryStorageVm)."""
    vm = ctx.get("systemvm", vm_id)
    if vm is None:
        raise invalid_parameter("unable to find a system vm with specified vmId")
    return vm


def mark(state_from: tuple[str, ...], state_to: str):
    """A job's first moment, seen at once: the VM enters its transitional state."""
    def started(ctx: Context, p: dict) -> None:
        vm = ctx.get("systemvm", p.get("id"))
        if vm and vm.get("state") in state_from:
            vm["state"] = state_to
            ctx.store.update("systemvm", vm)
    return started


@command("startSystemVm", instance_type="SystemVm", create=mark(("Stopped",), "Starting"))
def start_system_vm(ctx: Context, p: dict) -> dict:
    vm = find_system_vm(ctx, p["id"])
    if vm["state"] != "Running" and not start_vm(ctx, vm):
        vm["state"] = "Stopped"
        ctx.store.update("systemvm", vm)
        raise ApiError(INTERNAL_ERROR, "Fail to start system vm")
    return vm_view(ctx, ctx.store.update("systemvm", vm))


@command("stopSystemVm", instance_type="SystemVm", create=mark(("Running",), "Stopping"))
def stop_system_vm(ctx: Context, p: dict) -> dict:
    vm = find_system_vm(ctx, p["id"])
    if vm["state"] != "Stopped":
        stop_vm(ctx, vm)
    return vm_view(ctx, ctx.store.update("systemvm", vm))


@command("rebootSystemVm", instance_type="SystemVm")
def reboot_system_vm(ctx: Context, p: dict) -> dict:
    """A Running VM reboots in place; a forced reboot stops and starts it; a stopped one is started."""
    vm = find_system_vm(ctx, p["id"])
    if p.get("forced") and vm["state"] == "Running":
        stop_vm(ctx, vm)
    if vm["state"] != "Running" and not start_vm(ctx, vm):
        raise ApiError(INTERNAL_ERROR, "Fail to reboot system vm")
    return vm_view(ctx, ctx.store.update("systemvm", vm))


@command("destroySystemVm", instance_type="SystemVm")
def destroy_system_vm(ctx: Context, p: dict) -> dict:
    """Expunged at once; the answer is the VM as read before. The manager then creates a new one."""
    vm = find_system_vm(ctx, p["id"])
    view = vm_view(ctx, vm)
    ctx.store.delete("systemvm", vm["id"])
    return view


@command("migrateSystemVm", instance_type="SystemVm")
def migrate_system_vm(ctx: Context, p: dict) -> dict:
    if p.get("hostid") and p.get("storageid"):
        raise invalid_parameter("Only one of hostId and storageId can be specified")
    vm = find_system_vm(ctx, p["virtualmachineid"])
    if p.get("storageid"):
        return migrate_storage(ctx, vm, p["storageid"])
    destination = None
    if p.get("hostid"):
        destination = ctx.require("host", p["hostid"], "host")
        if destination.get("type", "Routing") != "Routing":
            raise invalid_parameter(f"The specified host({destination.get('name')}) is not suitable to migrate the VM, "
                                    "please specify another one")
    elif not p.get("autoselect"):
        raise invalid_parameter("Please specify a host or storage as destination, or pass 'autoselect=true' to "
                                "automatically select a destination host which do not require storage migration")
    if vm["state"] != "Running":
        if destination is None:
            raise invalid_parameter("VM is not Running, unable to migrate the vm with specified id")
        raise cloud_runtime(f"Unable to migrate the VM {vm['name']} (ID: {vm['id']}) as it is not in Running state")
    source = ctx.require("host", vm["hostid"], "host")
    destination = destination or auto_destination(ctx, vm, source)
    check_destination(vm, source, destination)
    vm.update({"hostid": destination["id"], "podid": destination.get("podid")})
    return vm_view(ctx, ctx.store.update("systemvm", vm))


def auto_destination(ctx: Context, vm: dict, source: dict) -> dict:
    """chooseVmMigrationDestination: another Up host of the cluster reaching the VM's pool."""
    pool = ctx.get("storagepool", vm.get("_poolid")) or {}
    for host in ctx.store.find("host", parentid=source.get("clusterid")):
        if host["id"] != source["id"] and usable_host(host) and pool_serves(pool, host):
            return host
    raise cloud_runtime(f"Unable to find suitable destination to migrate VM {vm['name']}")


def check_destination(vm: dict, source: dict, destination: dict) -> None:
    """getHostsForMigrateVmWithStorage's checks for a system VM."""
    if destination["id"] == source["id"]:
        raise invalid_parameter(f"Cannot migrate VM as it is already present on host {destination.get('name')} "
                                f"(ID: {destination['id']}), please specify valid destination host to migrate the VM")
    if destination.get("hypervisor") != source.get("hypervisor"):
        raise cloud_runtime("The source and destination hosts are not of the same type and version. Source hypervisor "
                            f"type and version: {source.get('hypervisor')} {source.get('hypervisorversion')}, "
                            f"Destination hypervisor type and version: {destination.get('hypervisor')} "
                            f"{destination.get('hypervisorversion')}")
    if source.get("podid") and source.get("podid") != destination.get("podid"):
        raise invalid_parameter("Cannot migrate the VM, destination host is not in the same pod as current host of "
                                "the VM")
    if not usable_host(destination):
        raise cloud_runtime(f"Cannot migrate VM, destination host {destination.get('name')} (ID: {destination['id']}) "
                            f"is not in correct state, has status: {destination.get('state')}, state: "
                            f"{destination.get('resourcestate')}")


def migrate_storage(ctx: Context, vm: dict, pool_id: str) -> dict:
    """vmStorageMigration: a stopped VM's ROOT disk moves to another pool."""
    pool = ctx.require("storagepool", pool_id, "storage pool")
    if vm["state"] != "Stopped":
        raise invalid_parameter("VM is not Stopped, unable to migrate the vm having the specified id")
    current = ctx.get("storagepool", vm.get("_poolid")) or {}
    both_in_clusters = pool.get("scope") == "CLUSTER" and current.get("scope") == "CLUSTER"
    if both_in_clusters and pool.get("podid") != current.get("podid"):
        raise invalid_parameter("Storage migration of non-user VMs cannot be done between storage pools of different "
                                "pods")
    vm["_poolid"] = pool["id"]
    return vm_view(ctx, ctx.store.update("systemvm", vm))


@command("listSystemVms")
def list_system_vms(ctx: Context, p: dict) -> list[dict]:
    vms = ctx.store.find("systemvm", zoneid=p.get("zoneid"))
    checks = {
        "id": lambda vm: vm["id"] == p["id"],
        "name": lambda vm: vm["name"].lower() == p["name"].lower(),
        "state": lambda vm: vm.get("state", "").lower() == p["state"].lower(),
        "podid": lambda vm: vm.get("podid") == p["podid"],
        "hostid": lambda vm: vm.get("hostid") == p["hostid"],
        "systemvmtype": lambda vm: vm["systemvmtype"] == p["systemvmtype"].lower(),
        "storageid": lambda vm: vm.get("_poolid") == p["storageid"],
        "arch": lambda vm: vm.get("arch") == p["arch"],
    }
    for key, check in checks.items():
        if p.get(key) is not None:
            vms = [vm for vm in vms if check(vm)]
    # The search matches the keyword on the host name or the state, so the generic name filter stays out.
    keyword = (p.pop("keyword", None) or "").lower()
    if keyword:
        vms = [vm for vm in vms if keyword in vm["name"].lower() or keyword in vm.get("state", "").lower()]
    return [vm_view(ctx, vm) for vm in vms]
