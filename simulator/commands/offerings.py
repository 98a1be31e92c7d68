"""Service and disk offerings (ConfigurationManagerImpl, QueryManagerImpl searches).

A service offering created through the API gets, as on the real server, a hidden compute-only
disk offering with the same name (`_computeonly`, never listed by listDiskOfferings) unless a
disk offering is given. Domains and zones an offering is limited to are kept in `_domainids`
and `_zoneids` (the *_offering_details rows); deleting an offering makes it Inactive.
"""

from __future__ import annotations

from ..errors import INTERNAL_ERROR, PARAM_ERROR, ApiError, invalid_parameter
from ..registry import Context, command
from .accounts import domain_chain, internal_path, is_within, java_user
from .configurations import scoped_value
from .server import drop_newer_fields

GIB = 1024 * 1024 * 1024
INT_MAX = 2**31 - 1
SYSTEM_VM_TYPES = {"domainrouter": "DomainRouter", "consoleproxy": "ConsoleProxy",
                   "secondarystoragevm": "SecondaryStorageVm", "internalloadbalancervm": "InternalLoadBalancerVm"}
CACHE_MODES = ("none", "writeback", "writethrough", "hypervisor_default")
PROVISIONING_TYPES = ("thin", "sparse", "fat")
DEPLOYMENT_PLANNERS = ("FirstFitPlanner", "UserDispersingPlanner", "UserConcentratedPodPlanner",
                       "ImplicitDedicationPlanner", "BareMetalPlanner")
LEASE_ACTIONS = ("STOP", "DESTROY")
EXTERNAL_PREFIX = "External:"  # VmDetailConstants.EXTERNAL_DETAIL_PREFIX
OFFERING_STATES = ("Active", "Inactive")
RATE_PARAMS = ("bytesreadrate", "bytesreadratemax", "bytesreadratemaxlength", "byteswriterate", "byteswriteratemax",
               "byteswriteratemaxlength", "iopsreadrate", "iopsreadratemax", "iopsreadratemaxlength", "iopswriterate",
               "iopswriteratemax", "iopswriteratemaxlength")
# Parameter -> response field (DiskOfferingResponse / ServiceOfferingResponse spell them in camel case).
RATE_FIELDS = {
    "bytesreadrate": "diskBytesReadRate", "bytesreadratemax": "diskBytesReadRateMax",
    "bytesreadratemaxlength": "diskBytesReadRateMaxLength", "byteswriterate": "diskBytesWriteRate",
    "byteswriteratemax": "diskBytesWriteRateMax", "byteswriteratemaxlength": "diskBytesWriteRateMaxLength",
    "iopsreadrate": "diskIopsReadRate", "iopsreadratemax": "diskIopsReadRateMax",
    "iopsreadratemaxlength": "diskIopsReadRateMaxLength", "iopswriterate": "diskIopsWriteRate",
    "iopswriteratemax": "diskIopsWriteRateMax", "iopswriteratemaxlength": "diskIopsWriteRateMaxLength",
}


def cleanup_tags(tags: str | None) -> str | None:
    """StringUtils.cleanupTags: each comma-separated tag trimmed."""
    if tags is None:
        return None
    return ",".join(token.strip() for token in tags.split(","))


def _setting_int(ctx: Context, name: str, default: int = 0) -> int:
    try:
        return int(str(ctx.setting(name)).strip())
    except ValueError:
        return default


def check_cache_mode(mode: str | None) -> None:
    if mode is not None and mode.lower() not in CACHE_MODES:
        raise invalid_parameter(f"Invalid cache mode ({mode}). Please specify one of the following valid cache mode "
                                "parameters: none, writeback, writethrough or hypervisor_default.")


def local_storage(storage_type: str | None) -> bool:
    if storage_type is None or storage_type.lower() == "shared":
        return False
    if storage_type.lower() == "local":
        return True
    raise invalid_parameter(f"Invalid storage type {storage_type} specified, valid types are: 'local' and 'shared'")


def provisioning(value: str | None) -> str:
    """ProvisioningType.getProvisioningType: thin by default; anything else than the exact names is a
    commons-lang NotImplementedException, which leaves the server as an internal error."""
    if value is None:
        return "thin"
    if value not in PROVISIONING_TYPES:
        raise ApiError(INTERNAL_ERROR, "Code is not implemented")
    return value


def check_rates(ctx: Context, p: dict) -> None:
    """validateMaxRateEqualsOrGreater and validateMaximumIopsAndBytesLength."""
    for rate, label in (("iopsreadrate", "IOPS Read"), ("iopswriterate", "IOPS Write"),
                        ("bytesreadrate", "Bytes Read"), ("byteswriterate", "Bytes Write")):
        normal, maximum = p.get(rate), p.get(f"{rate}max")
        if normal is not None and maximum is not None and maximum < normal:
            raise invalid_parameter(f"{label} rate ({normal}) cannot be greater than {label} maximum rate ({maximum})")
    for param, setting, label in (("iopsreadratemaxlength", "vm.disk.iops.maximum.read.length", "IOPS read"),
                                  ("iopswriteratemaxlength", "vm.disk.iops.maximum.write.length", "IOPS write"),
                                  ("bytesreadratemaxlength", "vm.disk.bytes.maximum.read.length", "Bytes read"),
                                  ("byteswriteratemaxlength", "vm.disk.bytes.maximum.write.length", "Bytes write")):
        limit = _setting_int(ctx, setting)
        if limit and p.get(param) is not None and p[param] > limit:
            raise invalid_parameter(f"{label} max length ({p[param]} seconds) cannot be greater than {setting} "
                                    f"({limit} seconds)")


def custom_iops(p: dict, customized: bool | None) -> tuple[int | None, int | None]:
    """Min/max IOPS of a disk offering: none when customized (or not said), else checked."""
    if customized is None or customized:
        return None, None
    low, high = p.get("miniops"), p.get("maxiops")
    if low is None and high is None:
        return 0, 0
    if low is None or low <= 0:
        raise invalid_parameter("The min IOPS must be greater than 0.")
    high = 0 if high is None else high
    if low > high:
        raise invalid_parameter("The min IOPS must be less than or equal to the max IOPS.")
    return low, high


def check_caller_may_create(ctx: Context, kind: str, domain_ids: list[str], tags: str | None) -> None:
    """The domain-admin and user rules of the service layer's create*Offering."""
    account = ctx.account
    user = java_user(ctx, ctx.user) if ctx.user.get("id") else "null"
    if account.get("accounttype") == 2:
        if not domain_ids:
            raise invalid_parameter(f"Unable to create public {kind} offering by admin: {user} because it is "
                                    "domain-admin")
        allowed = str(scoped_value(ctx, "allow.domain.admins.to.create.tagged.offerings", "Account",
                                   account["id"])).lower() == "true"
        if tags and tags.strip() and not allowed:
            what = "service offerings with storage tags or host tags" if kind == "service" else \
                "disk offerings with storage tags"
            raise invalid_parameter(f"User [{user}] is unable to create {what}.")
        for domain_id in domain_ids:
            domain = ctx.store.get("domain", domain_id)
            if domain is None or not is_within(ctx, account["domainid"], domain):
                raise invalid_parameter(f"Unable to create {kind} offering by another domain-admin: {user} for domain: "
                                        f"{domain_id}")
    elif account.get("accounttype") != 1:
        raise invalid_parameter(f"Unable to create {kind} offering by user: {user} because it is not root-admin or "
                                "domain-admin")


def top_domains(ctx: Context, domain_ids: list[str]) -> list[str]:
    """filterChildSubDomains: a domain whose ancestor is also listed is left out."""
    unique = list(dict.fromkeys(domain_ids))
    keep = []
    for domain_id in unique:
        domain = ctx.store.get("domain", domain_id)
        ancestors = {d["id"] for d in domain_chain(ctx, domain)[:-1]} if domain else set()
        if not ancestors & set(unique):
            keep.append(domain_id)
    return keep


def scope_fields(ctx: Context, offering: dict, *, domain_as_path: bool) -> dict:
    """domainid/domain and zoneid/zone: comma-joined, as the offering views GROUP_CONCAT them."""
    domains = [ctx.store.get("domain", d) for d in offering.get("_domainids") or []]
    zones = [ctx.store.get("zone", z) for z in offering.get("_zoneids") or []]
    domains, zones = [d for d in domains if d], [z for z in zones if z]
    labels = [internal_path(ctx, d) if domain_as_path else d["name"] for d in domains]
    return {
        "domainid": ",".join(d["id"] for d in domains) or None, "domain": ",".join(labels) or None,
        "zoneid": ",".join(z["id"] for z in zones) or None, "zone": ",".join(z["name"] for z in zones) or None,
    }


# -- service offerings --------------------------------------------------------------------------------


def service_offering_view(ctx: Context, offering: dict) -> dict:
    """ServiceOfferingResponse (ServiceOfferingJoinDaoImpl.newServiceOfferingResponse)."""
    disk = ctx.store.get("diskoffering", offering.get("_diskofferingid")) if offering.get("_diskofferingid") else None
    view = {**offering, **scope_fields(ctx, offering, domain_as_path=False)}
    view.setdefault("isvolatile", False)
    view.setdefault("dynamicscalingenabled", True)
    view.setdefault("encryptroot", False)
    view.setdefault("rootdisksize", 0)
    view.setdefault("diskofferingstrictness", False)
    view.setdefault("hasannotations", False)
    if disk is not None:
        view.update({"diskofferingid": disk["id"], "diskofferingname": disk["name"],
                     "diskofferingdisplaytext": disk.get("displaytext"), "storagetags": disk.get("tags"),
                     "iscustomizediops": disk.get("iscustomizediops"), "miniops": disk.get("miniops"),
                     "maxiops": disk.get("maxiops"), "cacheMode": disk.get("cacheMode"),
                     "hypervisorsnapshotreserve": disk.get("hypervisorsnapshotreserve"),
                     "provisioningtype": disk.get("provisioningtype"), "storagetype": disk.get("storagetype"),
                     "encryptroot": bool(disk.get("encrypt"))})
        view.update({field: disk.get(field) for field in RATE_FIELDS.values()})
    details = offering.get("_details") or {}
    view["serviceofferingdetails"] = details or None
    if offering.get("_purge"):
        view["purgeresources"] = True
    if str(ctx.setting("instance.lease.enabled")).lower() != "true":
        view.pop("leaseduration", None)
        view.pop("leaseexpiryaction", None)
    return drop_newer_fields(ctx, view, "listServiceOfferings")


@command("createServiceOffering")
def create_service_offering(ctx: Context, p: dict) -> dict:
    name = p["name"]
    display_text = p.get("displaytext") or name
    customized = p["customized"] if p.get("customized") is not None else (p.get("cpunumber") is None
                                                                          or p.get("memory") is None)
    details = dict(detail_pairs(p.get("serviceofferingdetails")))
    details.update(detail_pairs(p.get("externaldetails")))
    if customized:
        details.update(check_custom_sizes(p))
    else:
        check_fixed_sizes(ctx, p)
    check_cache_mode(p.get("cachemode"))
    local = local_storage(p.get("storagetype"))
    if local and p.get("offerha"):
        raise invalid_parameter("HA offering with local storage is not supported. ")
    vm_type, network_rate_allowed = system_vm_type(p)
    if p.get("networkrate") is not None:
        if not network_rate_allowed:
            raise invalid_parameter("Network rate can be specified only for non-System offering and system offerings "
                                    "having \"domainrouter\" systemvmtype")
        if p["networkrate"] < 0:
            raise invalid_parameter(f"Failed to create service offering {name}: specify the network rate value more "
                                    "than 0")
    if p.get("deploymentplanner") is not None and p["deploymentplanner"] not in DEPLOYMENT_PLANNERS:
        raise invalid_parameter("Invalid name for Deployment Planner specified, please use listDeploymentPlanners to "
                                "get the valid set")
    if p.get("diskofferingid"):
        chosen = ctx.store.get("diskoffering", p["diskofferingid"])
        if chosen is None or chosen.get("_computeonly"):
            raise invalid_parameter("Please specify a valid disk offering.")
    lease = lease_terms(ctx, p)
    domain_ids = top_domains(ctx, p.get("domainid") or [])
    check_caller_may_create(ctx, "service", domain_ids, (p.get("tags") or "") + (p.get("hosttags") or ""))
    check_gpu_details(details)
    min_iops, max_iops = custom_iops(p, p.get("customizediops")) if vm_type is None else (None, None)
    disk_id = p.get("diskofferingid") or create_compute_disk(ctx, p, name, display_text, local, min_iops, max_iops)
    offering = {
        "name": name, "state": "Active", "displaytext": display_text, "cpunumber": p.get("cpunumber"),
        "cpuspeed": p.get("cpuspeed"), "memory": p.get("memory"), "created": ctx.timestamp(),
        "storagetype": "local" if local else "shared", "provisioningtype": provisioning(p.get("provisioningtype")),
        "offerha": bool(p.get("offerha")), "limitcpuuse": bool(p.get("limitcpuuse")),
        "isvolatile": bool(p.get("isvolatile")), "hosttags": p.get("hosttags"), "issystem": bool(p.get("issystem")),
        "defaultuse": False, "systemvmtype": vm_type.lower() if vm_type else None, "networkrate": p.get("networkrate"),
        "deploymentplanner": p.get("deploymentplanner"), "iscustomized": customized,
        "rootdisksize": p.get("rootdisksize") or 0,
        "dynamicscalingenabled": p["dynamicscalingenabled"] if p.get("dynamicscalingenabled") is not None else True,
        "diskofferingstrictness": bool(p.get("diskofferingstrictness")), "gpudisplay": bool(p.get("gpudisplay")),
        "leaseduration": lease[0], "leaseexpiryaction": lease[1],
        "_domainids": domain_ids, "_zoneids": list(dict.fromkeys(p.get("zoneid") or [])), "_details": details,
        "_diskofferingid": disk_id, "_purge": bool(p.get("purgeresources")), "_sortkey": 0,
    }
    return service_offering_view(ctx, ctx.store.insert("serviceoffering", offering))


def detail_pairs(entries: list[dict] | None) -> list[tuple[str, str]]:
    """A details map: `key`/`value` pairs, or the entries' own keys."""
    pairs: list[tuple[str, str]] = []
    for entry in entries or []:
        if entry.get("key") and entry.get("value"):
            pairs.append((entry["key"], entry["value"]))
        else:
            pairs.extend(entry.items())
    return pairs


def check_custom_sizes(p: dict) -> dict:
    """A custom offering: no cpu/memory; min/max cpu, min/max memory and speed all or none."""
    name = p["name"]
    if p.get("cpunumber") is not None or p.get("memory") is not None:
        raise invalid_parameter("For creating a custom compute offering cpu and memory all should be null")
    keys = ("maxcpunumber", "mincpunumber", "maxmemory", "minmemory", "cpuspeed")
    given = [p.get(key) is not None for key in keys]
    if not all(given):
        if any(given):
            raise invalid_parameter("For creating a custom compute offering min/max cpu and min/max memory/cpu speed "
                                    "should all be null or all specified")
        return {}
    if p["cpuspeed"] < 0:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the cpu speed value between 1 "
                                f"and {INT_MAX}")
    if p["maxcpunumber"] <= 0 or p["mincpunumber"] <= 0:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the minimum or minimum cpu number "
                                f"value between 1 and {INT_MAX}")
    if p["minmemory"] < 32:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the memory value between 32 and "
                                f"{INT_MAX} MB")
    return {"minmemory": str(p["minmemory"]), "maxmemory": str(p["maxmemory"]),
            "mincpunumber": str(p["mincpunumber"]), "maxcpunumber": str(p["maxcpunumber"])}


def check_fixed_sizes(ctx: Context, p: dict) -> None:
    name = p["name"]
    max_cores = _setting_int(ctx, "vm.serviceoffering.cpu.cores.max") or INT_MAX
    max_ram = _setting_int(ctx, "vm.serviceoffering.ram.size.max") or INT_MAX
    if p.get("cpunumber") is not None and not 0 < p["cpunumber"] <= max_cores:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the cpu number value between 1 "
                                f"and {max_cores}")
    if p.get("cpuspeed") is None or p["cpuspeed"] < 0:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the cpu speed value between 0 "
                                f"and {INT_MAX}")
    if p.get("memory") is not None and not 32 <= p["memory"] <= max_ram:
        raise invalid_parameter(f"Failed to create service offering {name}: specify the memory value between 32 and "
                                f"{max_ram} MB")


def system_vm_type(p: dict) -> tuple[str | None, bool]:
    """(VirtualMachine.Type of a system offering, whether a network rate may be given)."""
    if not p.get("issystem"):
        return None, True
    wanted = p.get("systemvmtype")
    if wanted is None or wanted == "domainrouter":
        vm_type = "DomainRouter"
    elif wanted in SYSTEM_VM_TYPES:
        vm_type = SYSTEM_VM_TYPES[wanted]
    else:
        raise invalid_parameter("Invalid systemVmType. Supported types are: DomainRouter, ConsoleProxy, "
                                "SecondaryStorageVm")
    if p.get("customizediops") is not None:
        raise invalid_parameter("Customized IOPS is not a valid parameter for a system VM.")
    if p.get("hypervisorsnapshotreserve") is not None:
        raise invalid_parameter("Hypervisor snapshot reserve is not a valid parameter for a system VM.")
    return vm_type, vm_type == "DomainRouter"


def lease_terms(ctx: Context, p: dict) -> tuple[int | None, str | None]:
    """validateAndGetLeaseExpiryAction: only when instance.lease.enabled; both or neither."""
    action = p.get("leaseexpiryaction")
    if action is not None and action.strip() and action.upper() not in LEASE_ACTIONS:
        raise invalid_parameter("Invalid value configured for leaseexpiryaction, valid values are: "
                                f"[{', '.join(LEASE_ACTIONS)}, ]")
    action = action.upper() if action and action.strip() else None
    duration = p.get("leaseduration")
    if str(ctx.setting("instance.lease.enabled")).lower() != "true" or (duration is None and action is None):
        return None, None
    if duration is None or action is None:
        raise invalid_parameter("Provide values for both: leaseduration and leaseexpiryaction")
    if not 1 <= duration <= 36500:
        raise invalid_parameter("Invalid leaseduration: must be a natural number (>=1), max supported value is 36500")
    return duration, action


def check_gpu_details(details: dict) -> None:
    if ("pciDevice" in details) != ("vgpuType" in details):
        raise invalid_parameter("Please specify the pciDevice and vgpuType correctly.")
    for key in details:
        if key.startswith("extraconfig") and not (key in ("extraconfig-dpdk-numa", "extraconfig-dpdk-hugepages")
                                                  or key.startswith("extraconfig-dpdk-interface-")):
            raise invalid_parameter("Only extraconfig for DPDK are supported in service offering details")


def create_compute_disk(ctx: Context, p: dict, name: str, display_text: str, local: bool, min_iops: int | None,
                        max_iops: int | None) -> str:
    """createDiskOfferingInternal: the hidden disk offering behind a compute offering."""
    disk = {
        "name": name, "displaytext": display_text, "disksize": 0, "iscustomized": False, "state": "Active",
        "created": ctx.timestamp(), "provisioningtype": provisioning(p.get("provisioningtype")),
        "storagetype": "local" if local else "shared", "tags": cleanup_tags(p.get("tags")),
        "iscustomizediops": p.get("customizediops"), "miniops": min_iops, "maxiops": max_iops,
        "hypervisorsnapshotreserve": p.get("hypervisorsnapshotreserve"),
        "cacheMode": p["cachemode"].lower() if p.get("cachemode") else None, "encrypt": bool(p.get("encryptroot")),
        "displayoffering": False, "_computeonly": True, "_sortkey": 0,
        **{RATE_FIELDS[key]: p.get(key) for key in RATE_PARAMS},
    }
    return ctx.store.insert("diskoffering", disk)["id"]


@command("updateServiceOffering")
def update_service_offering(ctx: Context, p: dict) -> dict:
    offering = ctx.require("serviceoffering", p["id"], "service offering")
    domain_ids = offering_ids(ctx, p.get("domainid"), "domain", "public", offering.get("_domainids"))
    zone_ids = offering_ids(ctx, p.get("zoneid"), "zone", "all", offering.get("_zoneids"))
    state = p.get("state")
    if state is not None and state.strip() and state.capitalize() not in OFFERING_STATES:
        raise invalid_parameter(f"Invalid state value: {state}")
    if ctx.account.get("accounttype") not in (1, 2):
        user = java_user(ctx, ctx.user) if ctx.user.get("id") else "null"
        raise invalid_parameter(f"Unable to update service offering: {offering['id']} by id user: {user} because it "
                                "is not root-admin or domain-admin")
    for key in ("name", "displaytext", "hosttags"):
        if p.get(key) is not None:
            offering[key] = p[key]
    if p.get("sortkey") is not None:
        offering["_sortkey"] = p["sortkey"]
    if state is not None and state.strip():
        offering["state"] = state.capitalize()
    offering["_domainids"] = top_domains(ctx, domain_ids)
    offering["_zoneids"] = zone_ids
    if p.get("purgeresources") is not None:
        offering["_purge"] = bool(p["purgeresources"])
    if p.get("cleanupexternaldetails"):
        kept = (offering.get("_details") or {}).items()
        offering["_details"] = {key: value for key, value in kept if not key.startswith(EXTERNAL_PREFIX)}
    elif p.get("externaldetails"):
        offering["_details"] = {**(offering.get("_details") or {}), **dict(detail_pairs(p["externaldetails"]))}
    disk = ctx.store.get("diskoffering", offering.get("_diskofferingid")) if offering.get("_diskofferingid") else None
    if disk is not None:
        if p.get("storagetags") is not None:
            disk["tags"] = cleanup_tags(p["storagetags"]) or None
        if disk.get("_computeonly") and state and state.strip():
            disk["state"] = offering["state"]
        ctx.store.update("diskoffering", disk)
    elif p.get("storagetags") is not None:
        offering["storagetags"] = cleanup_tags(p["storagetags"]) or None
    ctx.store.update("serviceoffering", offering)
    return service_offering_view(ctx, offering)


def offering_ids(ctx: Context, text: str | None, kind: str, everyone: str, current: list | None) -> list[str]:
    """UpdateServiceOfferingCmd.getDomainIds/getZoneIds: comma-separated uuids, `public`/`all`, or unchanged."""
    if not text:
        return list(current or [])
    if "," not in text and text.strip() == everyone:
        return []
    ids = []
    for part in text.split(","):
        if ctx.store.get(kind, part.strip()) is None:
            raise invalid_parameter(f"Failed to create service offering because invalid {kind} has been specified.")
        ids.append(part.strip())
    return ids


@command("deleteServiceOffering")
def delete_service_offering(ctx: Context, p: dict) -> None:
    offering = ctx.require("serviceoffering", p["id"], "service offering")
    if offering.get("defaultuse"):
        shown = offering.get("displaytext") or "null"  # system offerings have no display text
        raise invalid_parameter(f"The system service offering [{shown}] is marked for default use and cannot be "
                                "deleted")
    account = ctx.account
    user = java_user(ctx, ctx.user) if ctx.user.get("id") else "null"
    if account.get("accounttype") == 2:
        if not offering.get("_domainids"):
            raise invalid_parameter(f"Unable to delete public service offering: {offering['id']} by admin: {user} "
                                    "because it is domain-admin")
    elif account.get("accounttype") != 1:
        raise invalid_parameter(f"Unable to delete service offering: {offering['id']} by user: {user} because it is "
                                "not root-admin or domain-admin")
    disk = ctx.store.get("diskoffering", offering.get("_diskofferingid")) if offering.get("_diskofferingid") else None
    if disk is not None and disk.get("_computeonly"):
        disk["state"] = "Inactive"
        ctx.store.update("diskoffering", disk)
    offering["state"] = "Inactive"
    ctx.store.update("serviceoffering", offering)


@command("listServiceOfferings")
def list_service_offerings(ctx: Context, p: dict) -> list[dict]:
    caller = ctx.account
    root_admin = caller.get("roletype") == "Admin"
    is_system = bool(p.get("issystem"))
    if is_system and not root_admin:
        raise invalid_parameter("Only ROOT admins can access system offerings.")
    state = wanted_state(p.get("state"))
    keyword = p.pop("keyword", None)  # LIKE on name or display text, done here
    offerings = [o for o in ctx.store.find("serviceoffering") if bool(o.get("issystem")) == is_system]
    checks = [
        (p.get("id"), lambda o: o["id"] == p["id"]),
        (state, lambda o: o.get("state", "Active") == state),
        (p.get("name"), lambda o: o["name"].lower() == p["name"].lower()),
        (keyword, lambda o: keyword.lower() in o["name"].lower()
         or keyword.lower() in (o.get("displaytext") or "").lower()),
        (p.get("systemvmtype"), lambda o: o.get("systemvmtype") == p["systemvmtype"]),
        (p.get("zoneid"), lambda o: not o.get("_zoneids") or p["zoneid"] in o["_zoneids"]),
        (p.get("storagetype") in ("local", "shared"), lambda o: o.get("storagetype") == p["storagetype"]),
        (p.get("cpunumber") is not None, lambda o: fits(o, "cpunumber", "mincpunumber", "maxcpunumber",
                                                        p["cpunumber"])),
        (p.get("memory") is not None, lambda o: fits(o, "memory", "minmemory", "maxmemory", p["memory"])),
        (p.get("cpuspeed") is not None, lambda o: o.get("cpuspeed") is None or o["cpuspeed"] >= p["cpuspeed"]),
        (p.get("encryptroot") is not None, lambda o: bool(service_offering_view(ctx, o).get("encryptroot"))
         == p["encryptroot"]),
        (p.get("domainid") and root_admin, lambda o: p["domainid"] in (o.get("_domainids") or [])),
        (not root_admin, lambda o: visible_offering(ctx, o, bool(p.get("isrecursive")))),
    ]
    for active, check in checks:
        if active:
            offerings = [o for o in offerings if check(o)]
    offerings.sort(key=lambda o: o.get("_sortkey", 0), reverse=str(ctx.setting("sortkey.algorithm")).lower() == "false")
    return [service_offering_view(ctx, o) for o in offerings]


def wanted_state(text: str | None) -> str | None:
    """ListServiceOfferingsCmd.getState: Active by default, `all` for every state."""
    if text is None or not text.strip():
        return "Active"
    if text.lower() == "all":
        return None
    if text.capitalize() not in OFFERING_STATES:
        raise ApiError(PARAM_ERROR, f"Invalid state value: {text}")
    return text.capitalize()


def fits(offering: dict, fixed: str, low: str, high: str, wanted: int) -> bool:
    """A fixed size at least the wanted one, or a custom range that holds it."""
    details = offering.get("_details") or {}
    if offering.get(fixed) is not None:
        return offering[fixed] >= wanted
    if low not in details:
        return True
    return int(details[low]) <= wanted <= int(details.get(high, wanted))


def visible_offering(ctx: Context, offering: dict, recursive: bool) -> bool:
    """Public offerings, and those of the caller's domain, its parents (and children, when recursive)."""
    domain_ids = offering.get("_domainids") or []
    if not domain_ids:
        return True
    caller_domain = ctx.store.get("domain", ctx.account.get("domainid"))
    if caller_domain is None:
        return False
    related = {d["id"] for d in domain_chain(ctx, caller_domain)}
    if recursive:
        related |= {d["id"] for d in ctx.store.find("domain") if is_within(ctx, caller_domain["id"], d)}
    return bool(related & set(domain_ids))


# -- disk offerings -----------------------------------------------------------------------------------


def disk_offering_view(ctx: Context, offering: dict) -> dict:
    """DiskOfferingResponse (DiskOfferingJoinDaoImpl): `domain` holds the domains' paths."""
    view = {**offering, **scope_fields(ctx, offering, domain_as_path=True)}
    view.setdefault("displayoffering", True)
    view.setdefault("disksizestrictness", False)
    view.setdefault("encrypt", False)
    view.setdefault("hasannotations", False)
    view["details"] = offering.get("_details") or None
    return drop_newer_fields(ctx, view, "listDiskOfferings")


@command("createDiskOffering")
def create_disk_offering(ctx: Context, p: dict) -> dict:
    customized = bool(p.get("customized"))
    size = p.get("disksize")
    if not customized and size is None:
        raise invalid_parameter("Disksize is required for a non-customized disk offering")
    if customized and size is not None:
        raise invalid_parameter("Disksize is not allowed for a customized disk offering")
    check_cache_mode(p.get("cachemode"))
    local = local_storage(p.get("storagetype"))
    check_rates(ctx, p)
    max_size = _setting_int(ctx, "storage.max.volume.size", 2000)
    if size is not None and size <= 0:
        raise invalid_parameter("Please specify a disk size of at least 1 GB.")
    if size is not None and size > max_size:
        raise invalid_parameter(f"The maximum size for a disk is {max_size} GB.")
    kind = provisioning(p.get("provisioningtype"))
    customized = customized or not size
    min_iops, max_iops = custom_iops(p, p.get("customizediops"))
    domain_ids = top_domains(ctx, p.get("domainid") or [])
    check_caller_may_create(ctx, "disk", domain_ids, p.get("tags"))
    if p.get("hypervisorsnapshotreserve") is not None and p["hypervisorsnapshotreserve"] < 0:
        raise invalid_parameter("If provided, Hypervisor Snapshot Reserve must be greater than or equal to 0.")
    offering = {
        "name": p["name"], "state": "Active", "displaytext": p.get("displaytext") or p["name"],
        "disksize": size or 0, "created": ctx.timestamp(), "iscustomized": customized,
        "iscustomizediops": p.get("customizediops"), "miniops": min_iops, "maxiops": max_iops,
        "hypervisorsnapshotreserve": p.get("hypervisorsnapshotreserve"), "tags": cleanup_tags(p.get("tags")),
        "storagetype": "local" if local else "shared", "provisioningtype": kind,
        "cacheMode": p["cachemode"].lower() if p.get("cachemode") else None,
        "displayoffering": p["displayoffering"] if p.get("displayoffering") is not None else True,
        "disksizestrictness": bool(p.get("disksizestrictness")), "encrypt": bool(p.get("encrypt")),
        **{RATE_FIELDS[key]: p.get(key) for key in RATE_PARAMS},
        "_disksize_bytes": (size or 0) * GIB, "_domainids": domain_ids,
        "_zoneids": list(dict.fromkeys(p.get("zoneid") or [])), "_details": dict(detail_pairs(p.get("details"))),
        "_sortkey": 0,
    }
    return disk_offering_view(ctx, ctx.store.insert("diskoffering", offering))


@command("listDiskOfferings")
def list_disk_offerings(ctx: Context, p: dict) -> list[dict]:
    caller = ctx.account
    root_admin = caller.get("roletype") == "Admin"
    state = wanted_state(p.get("state"))
    if p.get("volumeid") and p.get("storageid"):
        raise invalid_parameter("Both volume ID and storage pool ID are not allowed at the same time")
    keyword = p.pop("keyword", None)  # LIKE on name or display text, done here
    offerings = [o for o in ctx.store.find("diskoffering") if not o.get("_computeonly")]
    checks = [
        (state, lambda o: o.get("state", "Active") == state),
        (p.get("domainid"), lambda o: p["domainid"] in (o.get("_domainids") or [])),
        (p.get("id"), lambda o: o["id"] == p["id"]),
        (p.get("name"), lambda o: o["name"].lower() == p["name"].lower()),
        (keyword, lambda o: keyword.lower() in o["name"].lower()
         or keyword.lower() in (o.get("displaytext") or "").lower()),
        (p.get("encrypt") is not None, lambda o: bool(o.get("encrypt")) == p["encrypt"]),
        (p.get("storagetype") in ("local", "shared"), lambda o: o.get("storagetype") == p["storagetype"]),
        (p.get("zoneid"), lambda o: not o.get("_zoneids") or p["zoneid"] in o["_zoneids"]),
        (not root_admin and not p.get("domainid"), lambda o: visible_offering(ctx, o, bool(p.get("isrecursive")))),
        (not root_admin, lambda o: o.get("displayoffering", True)),
    ]
    for active, check in checks:
        if active:
            offerings = [o for o in offerings if check(o)]
    offerings.sort(key=lambda o: o.get("_sortkey", 0), reverse=str(ctx.setting("sortkey.algorithm")).lower() == "false")
    return [disk_offering_view(ctx, o) for o in offerings]
