"""Capabilities, listApis, management servers and their shutdown, regions.

ListCapabilitiesCmd / ManagementServerImpl.listCapabilities, ApiDiscoveryServiceImpl (listApis),
QueryManagerImpl.listManagementServers, plugins/maintenance ManagementServerMaintenanceManagerImpl
and RegionManagerImpl. A management server is a `managementserver` object created the first time
this process is asked about it (several simulators on one database each add their own).
"""

from __future__ import annotations

import platform
import re

from .. import spec
from ..errors import INTERNAL_ERROR, SERVICE_UNAVAILABLE, ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, Handler, catalog, command, management_server_id, reconciler
from .configurations import scoped_value

# -- versions -----------------------------------------------------------------------------------------


def version_tuple(version: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def newer_than_server(ctx: Context, since: str | None) -> bool:
    """A field or parameter added after the version this simulator plays."""
    return bool(since) and version_tuple(since) > version_tuple(ctx.config.version)


def drop_newer_fields(ctx: Context, obj: dict, command_name: str | None = None) -> dict:
    """Leave out response fields the played version does not have yet (field_details "since")."""
    cmd = catalog().get(command_name) if command_name else ctx.command
    if cmd is None:
        return obj
    details = cmd.raw.get("response", {}).get("field_details", {})
    return {key: value for key, value in obj.items() if not newer_than_server(ctx, details.get(key, {}).get("since"))}


# -- listCapabilities ---------------------------------------------------------------------------------

EXTENSIONS_PATH = "/usr/share/cloudstack-management/extensions"  # ExternalPathPayloadProvisioner (production)


def _true(value: str | None) -> bool:
    return str(value).lower() == "true"


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


@command("listCapabilities")
def list_capabilities(ctx: Context, p: dict) -> dict:
    caller = ctx.account
    root_admin = caller.get("roletype") == "Admin"
    is_admin = caller.get("accounttype") in (1, 2, 3, 4) or root_admin
    account_id, domain_id = caller.get("id"), caller.get("domainid")
    sg_enabled = any(service.get("name") == "SecurityGroup" for network in ctx.store.find("network")
                     for service in network.get("service") or [])
    support_elb = "false"
    if sg_enabled and _true(ctx.setting("network.loadbalancer.basiczone.elb.enabled")):
        support_elb = ctx.setting("network.loadbalancer.basiczone.elb.network") or "false"
    capability = {
        "securitygroupsenabled": sg_enabled,
        "dynamicrolesenabled": _true(ctx.setting("dynamic.apichecker.enabled")),
        "cloudstackversion": ctx.config.version if _true(ctx.setting("expose.cloudstack.version.api.list.capabilities"))
        else None,
        "userpublictemplateenabled": _true(scoped_value(ctx, "allow.public.user.templates", "Account", account_id)),
        "supportELB": support_elb,
        "projectinviterequired": _true(ctx.setting("project.invite.required")),
        "allowusercreateprojects": _true(ctx.setting("allow.user.create.projects")),
        "customdiskofferingminsize": _int(ctx.setting("custom.diskoffering.size.min"), 1),
        "customdiskofferingmaxsize": _int(ctx.setting("custom.diskoffering.size.max"), 1024),
        "regionsecondaryenabled": any(store.get("scope") == "REGION" for store in ctx.store.find("imagestore")),
        "kvmsnapshotenabled": _true(ctx.setting("kvm.snapshot.enabled")),
        "allowuserviewdestroyedvm": is_admin or _true(scoped_value(ctx, "allow.user.view.destroyed.vm", "Account",
                                                                   account_id)),
        "allowuserexpungerecovervm": is_admin or _true(scoped_value(ctx, "allow.user.expunge.recover.vm", "Account",
                                                                    account_id)),
        "allowuserexpungerecovervolume": is_admin or _true(scoped_value(ctx, "allow.user.expunge.recover.volume",
                                                                        "Account", account_id)),
        "allowuserviewalldomainaccounts": _true(scoped_value(ctx, "allow.user.view.all.domain.accounts", "Domain",
                                                             domain_id)),
        "allowuserforcestopvm": is_admin or _true(scoped_value(ctx, "allow.user.force.stop.vm", "Account", account_id)),
        "kubernetesserviceenabled": _true(ctx.setting("cloud.kubernetes.service.enabled")),
        "kubernetesclusterexperimentalfeaturesenabled": _true(
            ctx.setting("cloud.kubernetes.cluster.experimental.features.enabled")),
        "customhypervisordisplayname": ctx.setting("hypervisor.custom.display.name"),
        "defaultuipagesize": _int(ctx.setting("default.ui.page.size"), 20),
        "instancesstatsretentiontime": _int(ctx.setting("vm.stats.max.retention.time"), 720),
        "instancesstatsuseronly": _true(ctx.setting("vm.stats.user.vm.only")),
        "instancesdisksstatsretentionenabled": _true(ctx.setting("vm.disk.stats.retention.enabled")),
        "instancesdisksstatsretentiontime": _int(ctx.setting("vm.disk.stats.max.retention.time"), 720),
        "sharedfsvmmincpucount": _int(ctx.setting("sharedfsvm.min.cpu.count"), 2),
        "sharedfsvmminramsize": _int(ctx.setting("sharedfsvm.min.ram.size"), 1024),
        "instanceleaseenabled": _true(ctx.setting("instance.lease.enabled")),
        "extensionspath": EXTENSIONS_PATH if root_admin else None,
        "dynamicscalingenabled": _true(ctx.setting("enable.dynamic.scale.vm")),
        "additionalconfigenabled": _true(scoped_value(ctx, "enable.additional.vm.configuration", "Account",
                                                      account_id)),
    }
    if _true(ctx.setting("api.throttling.enabled")):
        capability["apilimitinterval"] = _int(ctx.setting("api.throttling.interval"), 1)
        capability["apilimitmax"] = _int(ctx.setting("api.throttling.max"), 25)
    return drop_newer_fields(ctx, capability)


# -- listApis -----------------------------------------------------------------------------------------

# BaseResponse fields every response class carries (listApis reads all fields of the class).
BASE_RESPONSE_FIELDS = {
    "jobid": ("String", "the UUID of the latest async job acting on this object"),
    "jobstatus": ("Integer", "the current status of the latest async job acting on this object"),
}


@command("listApis")
def list_apis(ctx: Context, p: dict) -> list[dict]:
    # The discovery plugin knows the commands of the version it runs in.
    apis = {api: cmd for api, cmd in catalog().items() if not newer_than_server(ctx, cmd.since)}
    name = p.get("name")
    if name is not None:
        if name not in apis or not api_allowed(ctx, apis[name]):
            raise ApiError(INTERNAL_ERROR, "Api Discovery plugin was unable to find an api by that name or process "
                                           "any apis")
        names = [name]
    else:
        names = [api for api, cmd in apis.items() if api_allowed(ctx, cmd)]
    related = apis_by_response_class()
    return [api_description(ctx, apis[api], related) for api in names]


def api_allowed(ctx: Context, cmd: spec.Command) -> bool:
    """The role checker's verdict, as the dispatcher applies it to a call of that command."""
    from ..app import command_allowed  # imported late: the app imports the handler modules
    from ..registry import handlers

    handler = handlers().get(cmd.name) or Handler(cmd, list_apis)
    return command_allowed(handler, ctx.user)


def apis_by_response_class() -> dict[str, list[str]]:
    """responseApiNameListMap: the APIs answering with each response class (SuccessResponse left out)."""
    by_class: dict[str, list[str]] = {}
    for api, cmd in catalog().items():
        response_class = cmd.raw.get("response", {}).get("class")
        if response_class and "SuccessResponse" not in response_class:
            by_class.setdefault(response_class, []).append(api)
    return by_class


def api_description(ctx: Context, cmd: spec.Command, related: dict[str, list[str]]) -> dict:
    """ApiDiscoveryResponse: name, description, since, isasync, related, params, response."""
    response = cmd.raw.get("response", {})
    response_class = response.get("class")
    peers = [api for api in related.get(response_class, []) if api != cmd.name] if response_class in related \
        else None
    non_admin = ctx.account.get("accounttype") != 1
    params = []
    for param in cmd.params.values():
        raw = cmd.raw["params"].get(param.name, {})
        authorized = raw.get("authorized")
        if (non_admin and authorized and ctx.user.get("roletype") not in authorized) or \
                newer_than_server(ctx, param.since):
            continue
        params.append(param_description(param, raw, related))
    fields = [field for field in response_descriptions(response)
              if not newer_than_server(ctx, response.get("field_details", {}).get(field["name"], {}).get("since"))]
    return {
        "name": cmd.name, "description": cmd.description, "since": cmd.since, "isasync": cmd.is_async,
        "related": ",".join(peers) if peers is not None else None, "params": params, "response": fields,
    }


def param_description(param: spec.Param, raw: dict, related: dict[str, list[str]]) -> dict:
    """ApiParameterResponse (Gson leaves out the nulls of nested objects too)."""
    entity = (raw.get("entityType") or [None])[0]
    described = {
        "name": param.name, "description": param.description, "type": param.type, "length": param.length,
        "required": param.required, "since": param.since,
        "related": ",".join(related[entity]) if entity in related else None,
    }
    return {key: value for key, value in described.items() if value is not None}


def response_descriptions(response: dict) -> list[dict]:
    details = response.get("field_details", {})
    out = []
    for field in response.get("fields", []):
        java_type, description = BASE_RESPONSE_FIELDS.get(field, (None, None))
        detail = details.get(field, {})
        java_type = detail.get("type", java_type) or "String"
        entry = {"name": field, "description": detail.get("description", description) or "",
                 "type": simple_type(java_type)}
        inner = nested_fields(detail.get("responseObject"))
        if inner:
            entry["response"] = inner
        out.append(entry)
    return out


def simple_type(java_type: str) -> str:
    """Class.getSimpleName().toLowerCase(): `List<UserResponse>` -> list, `ApiConstants.ApiKeyAccess` -> apikeyaccess"""
    return java_type.split("<", 1)[0].split(".")[-1].lower()


def nested_fields(response_class: str | None) -> list[dict]:
    """The declared fields of a nested response object, when the catalog knows that class."""
    if not response_class:
        return []
    for cmd in catalog().values():
        response = cmd.raw.get("response", {})
        if response.get("class") == response_class:
            details = response.get("field_details", {})
            return [{"name": field, "description": details.get(field, {}).get("description") or "",
                     "type": simple_type(details.get(field, {}).get("type", "String"))}
                    for field in response.get("fields", []) if field not in BASE_RESPONSE_FIELDS]
    return []


# -- management servers -------------------------------------------------------------------------------

SHUTDOWN_STATES = ("ShuttingDown", "PreparingForShutDown", "ReadyToShutDown")
MAINTENANCE_STATES = ("PreparingForMaintenance", "Maintenance")
NOT_ACCEPTING = "Maintenance or Shutdown has been initiated on this management server. Can not accept new jobs"
SHUTDOWN_CHECK_DELAY = 1.0  # CheckPendingJobsTask first runs one second after the request


def this_management_server(ctx: Context) -> dict:
    """This process's mshost row, registered on first use."""
    ms_id = management_server_id(ctx.config.msid)
    ms = ctx.store.get("managementserver", ms_id)
    if ms is None:
        host = ctx.config.msid.rsplit(":", 1)[0] if ":" in ctx.config.msid else "127.0.0.1"
        ms = insert_once(ctx, "managementserver", {
            "id": ms_id, "name": ctx.config.msid, "state": "Up", "version": ctx.config.version,
            "javadistribution": "OpenJDK 64-Bit Server VM", "javaversion": "17.0.13",
            "osdistribution": f"{platform.system()} {platform.release()}", "lastserverstart": ctx.timestamp(),
            "lastboottime": ctx.timestamp(), "kernelversion": platform.release(), "serviceip": host,
            "ipaddress": host,
        })
    return ms


def insert_once(ctx: Context, kind: str, obj: dict) -> dict:
    """Insert a lazily created object; another request may have just done the same."""
    try:
        return ctx.store.insert(kind, obj)
    except Exception:  # the unique uuid: another request inserted it first
        existing = ctx.store.get(kind, obj["id"])
        if existing is None:
            raise
        return existing


def async_jobs_enabled(ctx: Context) -> bool:
    """False while this server prepares for (or is ready to) shut down: new async jobs are refused (503)."""
    ms = ctx.store.get("managementserver", management_server_id(ctx.config.msid))
    return ms is None or ms.get("state") not in SHUTDOWN_STATES + MAINTENANCE_STATES


def new_job_refusal(ctx: Context) -> ApiError | None:
    """What queueing an async command meets while this server prepares to shut down (None: accepted).

    4.21+ ApiServer.queueCommand answers 503; 4.19/4.20 AsyncJobManagerImpl throws a CloudRuntimeException.
    """
    if async_jobs_enabled(ctx):
        return None
    if version_tuple(ctx.config.version) >= (4, 21):
        return ApiError(SERVICE_UNAVAILABLE, NOT_ACCEPTING)
    return cloud_runtime("A shutdown has been triggered. Can not accept new jobs")


def pending_jobs(ctx: Context) -> int:
    return sum(1 for job in ctx.store.list_jobs() if job["status"] == 0)


def agents_of(ctx: Context, ms: dict) -> list[str]:
    """hostDao.listByMs: the names of the hosts this server manages (all of them, with one server)."""
    return [host.get("name") for host in ctx.store.find("host")
            if host.get("managementserverid") in (None, ms["id"], ms["name"])]


def management_server_view(ctx: Context, ms: dict) -> dict:
    agents = agents_of(ctx, ms)
    view = {**ms, "lastagents": agents, "agents": agents, "agentscount": len(agents),
            "pendingjobscount": pending_jobs(ctx)}
    return drop_newer_fields(ctx, view, "listManagementServers")


@command("listManagementServers")
def list_management_servers(ctx: Context, p: dict) -> list[dict]:
    p.pop("keyword", None)  # accepted, never used by listManagementServersInternal
    this_management_server(ctx)
    servers = ctx.store.find("managementserver")
    if p.get("id"):
        servers = [ms for ms in servers if ms["id"] == p["id"]]
    if p.get("name"):
        servers = [ms for ms in servers if ms["name"] == p["name"]]
    views = [management_server_view(ctx, ms) for ms in servers]
    if p.get("peers"):
        for view in views:
            view["peers"] = [{"peermanagementserverid": other["id"], "peername": other["name"],
                              "peerstate": other["state"], "peerserviceip": other.get("serviceip")}
                             for other in servers if other["id"] != view["id"]]
    return views


def maintenance_response(ctx: Context, ms: dict) -> dict:
    """ManagementServerMaintenanceManagerImpl.prepareMaintenanceResponse."""
    pending = pending_jobs(ctx)
    agents = agents_of(ctx, ms)
    return {
        "managementserverid": ms["id"], "state": ms["state"],
        "maintenanceinitiated": ms["state"] in MAINTENANCE_STATES,
        "shutdowntriggered": ms["state"] in SHUTDOWN_STATES, "readyforshutdown": pending == 0,
        "pendingjobscount": pending, "agentscount": len(agents), "agents": agents,
    }


def _target(ctx: Context, p: dict, action: str) -> dict:
    this_management_server(ctx)
    ms = ctx.store.get("managementserver", p["managementserverid"])
    if ms is None:
        raise cloud_runtime(f"Unable to find the management server, cannot {action}")
    return ms


@command("prepareForShutdown")
def prepare_for_shutdown(ctx: Context, p: dict) -> dict:
    ms = _target(ctx, p, "prepare for shutdown")
    if ms["state"] != "Up":
        raise cloud_runtime("Management server is not in the right state to prepare for shutdown")
    if any(other["state"] in ("PreparingForMaintenance", "PreparingForShutDown")
           for other in ctx.store.find("managementserver")):
        raise cloud_runtime("Cannot prepare for shutdown, there are other management servers preparing for "
                            "maintenance/shutdown")
    ms["state"] = "PreparingForShutDown"
    ms["_shutdown_check"] = False
    ctx.store.update("managementserver", ms)
    # CheckPendingJobsTask: once there are no pending jobs the server becomes ReadyToShutDown.
    ctx.schedule("managementserver", ms["id"], SHUTDOWN_CHECK_DELAY, {"_shutdown_check": True},
                 {"state": "PreparingForShutDown"})
    return maintenance_response(ctx, ms)


@command("cancelShutdown")
def cancel_shutdown(ctx: Context, p: dict) -> dict:
    ms = _target(ctx, p, "cancel shutdown")
    if ms["state"] not in ("PreparingForShutDown", "ReadyToShutDown"):
        raise cloud_runtime("Management server is not in the right state to cancel shutdown")
    ms["state"] = "Up"
    ms.pop("_shutdown_check", None)
    ctx.store.update("managementserver", ms)
    return maintenance_response(ctx, ms)


@command("readyForShutdown")
def ready_for_shutdown(ctx: Context, p: dict) -> dict:
    return maintenance_response(ctx, _target(ctx, p, "check the shutdown"))


@reconciler
def shutdown_when_idle(ctx: Context) -> None:
    """PreparingForShutDown -> ReadyToShutDown once the check ran and no job is pending."""
    for ms in ctx.store.find("managementserver", where=lambda m: m.get("state") == "PreparingForShutDown"
                             and m.get("_shutdown_check")):
        if pending_jobs(ctx) == 0:
            ms["state"] = "ReadyToShutDown"
            ctx.store.update("managementserver", ms)


# -- regions ------------------------------------------------------------------------------------------

LOCAL_REGION = {"number": 1, "name": "Local", "endpoint": "http://localhost:8080/client/", "gslb": True,
                "portableip": False}  # schema-40to410.sql; the 4.2 columns default gslb on, portable IP off


def region_key(number: int) -> str:
    return f"region-{number}"


def regions(ctx: Context) -> list[dict]:
    """Every region, the default "Local" one (region.id=1) added on first use."""
    if ctx.store.get("region", region_key(1)) is None and not ctx.store.find("region"):
        insert_once(ctx, "region", {"id": region_key(1), "name": LOCAL_REGION["name"], "_number": 1,
                                    "endpoint": LOCAL_REGION["endpoint"], "gslbserviceenabled": True,
                                    "portableipserviceenabled": False})
    return sorted(ctx.store.find("region"), key=lambda region: region["_number"])


def region_view(region: dict) -> dict:
    return {**region, "id": region["_number"]}


def find_region(ctx: Context, number: int) -> dict | None:
    return next((region for region in regions(ctx) if region["_number"] == number), None)


def region_named(ctx: Context, name: str) -> dict | None:
    return next((region for region in regions(ctx) if region["name"].lower() == name.lower()), None)


@command("listRegions")
def list_regions(ctx: Context, p: dict) -> list[dict]:
    p.pop("keyword", None)  # accepted, never used by RegionManagerImpl.listRegions
    if p.get("id") is not None:
        found = find_region(ctx, p["id"])
        return [region_view(found)] if found else []
    if p.get("name"):
        found = region_named(ctx, p["name"])
        return [region_view(found)] if found else []
    return [region_view(region) for region in regions(ctx)]


@command("addRegion")
def add_region(ctx: Context, p: dict) -> dict:
    if find_region(ctx, p["id"]) is not None:
        raise invalid_parameter(f"Region with id: {p['id']} already exists")
    if region_named(ctx, p["name"]) is not None:
        raise invalid_parameter(f"Region with name: {p['name']} already exists")
    region = ctx.store.insert("region", {"id": region_key(p["id"]), "name": p["name"], "_number": p["id"],
                                         "endpoint": p["endpoint"], "gslbserviceenabled": True,
                                         "portableipserviceenabled": False})
    return region_view(region)


@command("updateRegion")
def update_region(ctx: Context, p: dict) -> dict:
    region = find_region(ctx, p["id"])
    if region is None:
        raise invalid_parameter(f"Region with id: {p['id']} does not exist")
    if p.get("name") is not None:
        same = region_named(ctx, p["name"])
        if same is not None and same["_number"] != region["_number"]:
            raise invalid_parameter(f"Region with name: {p['name']} already exists")
        region["name"] = p["name"]
    if p.get("endpoint") is not None:
        region["endpoint"] = p["endpoint"]
    ctx.store.update("region", region)
    return region_view(region)
