"""Templates (registerTemplate, listTemplates) and their copies on image stores.

A template row keeps what vm_template holds. Where it lies is kept as CloudStack keeps it in
template_store_ref: a private `templatestoreref` object per (template, image store) whose
name is its download state, so pending downloads are found by an indexed look-up. Adding an
image store to a zone puts the SYSTEM templates on it at once (addSystemVMTemplatesToSecondary)
and queues the BUILTIN ones; a registered template is queued on the zone's stores. The zone's
secondary storage VM downloads what is queued once it is Running: "0% Downloaded", then
"Download Complete" after `systemvm_delay`. The simulator never fetches a URL.

listTemplates builds one row per (template, zone) as template_view does, with the real
filters: `templatefilter`, the hypervisors of the hosts, ready-only for featured/community/
selfexecutable, SYSTEM templates hidden from featured/selfexecutable.
"""

from __future__ import annotations

import hashlib
import ipaddress

from ..errors import INTERNAL_ERROR, PARAM_ERROR, ApiError, cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command, reconciler
from .storage import hypervisor_of, illegal_argument, is_root_admin, parse_uri, setting, version_tuple

REF = "templatestoreref"
NOT_DOWNLOADED, IN_PROGRESS, DOWNLOADED = "NOT_DOWNLOADED", "DOWNLOAD_IN_PROGRESS", "DOWNLOADED"
BYPASSED = "BYPASSED"  # a direct-download template: ready, never copied to secondary storage
FILTERS = ("featured", "self", "selfexecutable", "shared", "sharedexecutable", "executable", "community", "all")
TEMPLATE_TYPES = ("ROUTING", "SYSTEM", "BUILTIN", "PERHOST", "USER", "VNF", "DATADISK", "ISODISK")
IMAGE_FORMATS = ("QCOW2", "RAW", "VHD", "ISO", "OVA", "VHDX", "BAREMETAL", "EXTERNAL", "VMDK", "VDI", "TAR", "ZIP",
                 "DIR")
COMPRESSIONS = ("zip", "bz2", "gz", "xz")
# UriUtils.SUPPORTED_EXTENSIONS_BY_FORMAT: base extensions, and whether .metalink is accepted.
EXTENSIONS = {"vhd": (("vhd",), False), "vhdx": (("vhdx",), False), "qcow2": (("qcow2", "img"), True),
              "ova": (("ova",), True), "tar": (("tar",), False), "raw": (("img", "raw"), False),
              "vmdk": (("vmdk",), False), "iso": (("iso",), True)}
DOWNLOADED_SIZE = 2147483648      # the virtual size a finished download reports (2 GiB)
DOWNLOADED_PHYSICAL = 536870912   # and its file size
ARCHES = ("i686", "x86_64", "aarch64")


# -- the copies on image stores (template_store_ref) -------------------------------------


def new_ref(ctx: Context, template: dict, store: dict, zone_id: str, state: str) -> dict:
    ref = {"name": state, "zoneid": zone_id, "templateid": template["id"], "storeid": store["id"],
           "storename": store["name"], "download_state": state, "percent": 100 if state == DOWNLOADED else 0,
           "created": ctx.timestamp(), "size": 0, "physicalsize": 0}
    return ctx.store.insert(REF, ref, parentid=template["id"])


def seed_store(ctx: Context, store: dict) -> None:
    """A new zone image store: SYSTEM templates are on it at once; BUILTIN and other cross-zone
    templates wait for the SSVM (addSystemVMTemplatesToSecondary, associateCrosszoneTemplatesToZone)."""
    for template in ctx.store.find("template", where=lambda t: (t.get("_crosszones") or t.get("crossZones"))
                                   and t.get("_state", "Active") == "Active" and not t.get("removed")):
        state = DOWNLOADED if template["templatetype"] == "SYSTEM" else NOT_DOWNLOADED
        new_ref(ctx, template, store, store["zoneid"], state)


def drop_store(ctx: Context, store_id: str) -> None:
    for ref in ctx.store.find(REF, where=lambda r: r["storeid"] == store_id):
        ctx.store.delete(REF, ref["id"])


def active_user_templates_on(ctx: Context, store_id: str) -> bool:
    """TemplateJoinDao.listActiveTemplates: USER templates, Active, with a copy on the store."""
    for ref in ctx.store.find(REF, where=lambda r: r["storeid"] == store_id):
        template = ctx.get("template", ref["templateid"])
        if template and template.get("templatetype") == "USER" and template.get("_state", "Active") == "Active":
            return True
    return False


@reconciler
def download_templates(ctx: Context) -> None:
    """The SSVM of a zone downloads what waits on its stores: indexed look-ups, zone by zone."""
    ready_zones = {vm["zoneid"] for vm in ctx.store.find("systemvm")
                   if vm.get("systemvmtype") == "secondarystoragevm" and vm.get("state") == "Running"}
    for zone_id in ready_zones:
        for ref in ctx.store.find(REF, name=NOT_DOWNLOADED, zoneid=zone_id):
            ref.update({"name": IN_PROGRESS, "download_state": IN_PROGRESS, "percent": 0})
            ctx.store.update(REF, ref)
            done = {"name": DOWNLOADED, "download_state": DOWNLOADED, "percent": 100, "size": DOWNLOADED_SIZE,
                    "physicalsize": DOWNLOADED_PHYSICAL}
            ctx.schedule(REF, ref["id"], ctx.config.systemvm_delay, done, {"download_state": IN_PROGRESS})


# -- one listTemplates row (TemplateJoinDaoImpl.newTemplateResponse) ---------------------


def status_of(template: dict, ref: dict | None) -> str:
    """getTemplateStatus."""
    state = ref.get("download_state") if ref else None
    if state == DOWNLOADED:
        return "Download Complete"
    if state == IN_PROGRESS:
        return "Installing Template" if ref["percent"] == 100 else f"{ref['percent']}% Downloaded"
    if state == BYPASSED:
        return "Bypassed Secondary Storage"
    return template.get("_state", "Active")


def owner_of(ctx: Context, template: dict) -> dict:
    if template.get("_accountid"):
        return ctx.get("account", template["_accountid"]) or {}
    return ctx.store.find_one("account", name=template.get("account") or "system") or {}


def system_template_release(version: str) -> tuple[str, bool]:
    """project.systemvm.template.version of a release, and whether its file names carry the arch."""
    release = version_tuple(version)
    if release < (4, 19, 1):
        return "4.19.0", False
    if release < (4, 20):
        return "4.19.1", False
    if release < (4, 21):
        return f"4.20.{release[2] if len(release) > 2 else 0}", True
    if release < (4, 22):
        return "4.20.2", True
    return "4.22.0", True


SYSTEM_FILES = {"KVM": "kvm.qcow2.bz2", "LXC": "kvm.qcow2.bz2", "VMware": "vmware.ova", "XenServer": "xen.vhd.bz2",
                "Hyperv": "hyperv.vhd.zip", "Ovm3": "ovm.raw.bz2"}


def first_start_url(version: str, hypervisor: str, arch: str) -> str:
    """The URL the first start writes into each SYSTEM template (templateConfig.sh's pattern)."""
    release, with_arch = system_template_release(version)
    series = ".".join(release.split(".")[:2])
    name = f"systemvmtemplate-{release}-{arch}-{SYSTEM_FILES.get(hypervisor, 'kvm.qcow2.bz2')}" if with_arch \
        else f"systemvmtemplate-{release}-{SYSTEM_FILES.get(hypervisor, 'kvm.qcow2.bz2')}"
    return f"https://download.cloudstack.org/systemvm/{series}/{name}"


def base_fields(ctx: Context, template: dict) -> dict:
    """The fields of every row of a template, whatever its zone."""
    after = template.get("_after_first_start") or {}
    url, checksum, os_id, os_name = template.get("url"), template.get("checksum"), template.get("ostypeid"), \
        template.get("ostypename")
    if after:
        url = first_start_url(ctx.config.version, template["hypervisor"], template.get("arch") or "x86_64")
        # sha512sum.txt of the release (fetched at build time): a stable stand-in of the right shape.
        checksum = hashlib.sha512(url.encode()).hexdigest()
        guest_os = ctx.store.find_one("guestos", name=after.get("ostypename"))
        os_id, os_name = (guest_os["id"], guest_os.get("description")) if guest_os else (os_id, os_name)
    owner = owner_of(ctx, template)
    system = template.get("templatetype") == "SYSTEM"
    return {
        "id": template["id"], "name": template["name"], "displaytext": template.get("displaytext"),
        "ispublic": bool(template.get("ispublic")), "passwordenabled": bool(template.get("passwordenabled")),
        "format": template.get("format"), "isfeatured": bool(template.get("isfeatured")),
        "crossZones": bool(template.get("crossZones", template.get("_crosszones"))),
        "ostypeid": os_id, "ostypename": os_name, "account": owner.get("name"),
        "templatetype": template.get("templatetype"), "hypervisor": template.get("hypervisor"),
        "domain": owner.get("domain", "ROOT"), "domainpath": owner.get("domainpath", "ROOT"),
        "domainid": owner.get("domainid", template.get("domainid")),
        "isextractable": bool(template.get("isextractable")) and not system,
        "checksum": strip_algorithm(checksum), "templatetag": template.get("templatetag"),
        "details": dict(template.get("details") or {}), "arch": template.get("arch") or "x86_64",
        "bits": template.get("bits") or 64, "sshkeyenabled": bool(template.get("sshkeyenabled")),
        "isdynamicallyscalable": bool(template.get("isdynamicallyscalable")),
        "directdownload": bool(template.get("directdownload")), "deployasis": bool(template.get("deployasis")),
        "forcks": bool(template.get("forcks")),
        "requireshvm": bool(template.get("requireshvm", template.get("_hvm"))), "url": url,
        "tags": [], "hasannotations": False, "_ownerid": owner.get("id"),
    }


def strip_algorithm(checksum: str | None) -> str | None:
    """DigestHelper.getHashValueFromChecksumValue: "{SHA-512}abc" -> "abc"."""
    if checksum and checksum.startswith("{") and "}" in checksum:
        return checksum.split("}", 1)[1]
    return checksum


def template_rows(ctx: Context, template: dict, refs: list[dict]) -> list[dict]:
    """One row per zone the template is in (per store copy, else per template_zone_ref), else one without."""
    base = base_fields(ctx, template)
    zones: dict[str | None, list[dict]] = {}
    for ref in refs:
        zones.setdefault(ref["zoneid"], []).append(ref)
    for zone_id in template.get("_zones") or []:
        if ctx.name_of("zone", zone_id) is not None:  # template_zone_ref rows go with their zone
            zones.setdefault(zone_id, [])
    if not zones:
        zones[None] = []
    rows = []
    for zone_id, zone_refs in zones.items():
        ref = zone_refs[0] if zone_refs else None
        row = dict(base)
        row.update({
            "created": ref["created"] if ref else None,
            "isready": template.get("format") in ("BAREMETAL", "EXTERNAL")
            or bool(ref and ref["download_state"] in (DOWNLOADED, BYPASSED)),
            "zoneid": zone_id, "status": status_of(template, ref),
            "size": ref["size"] if ref and ref.get("size") else None,
            "physicalsize": ref["physicalsize"] if ref and ref.get("physicalsize") else None,
            "downloaddetails": [download_detail(r) for r in zone_refs if r["download_state"] != BYPASSED],
            "_sortpair": f"{template.get('_number', 0)}_{ctx.store.internal_id('zone', zone_id) or 0}"
            if zone_id else f"{template.get('_number', 0)}_0",
            "_storeids": [r["storeid"] for r in zone_refs],
        })
        rows.append(row)
    return rows


def download_detail(ref: dict) -> dict:
    return {"datastore": ref["storename"], "datastoreId": ref["storeid"], "datastoreRole": "Image",
            "downloadPercent": str(ref["percent"]), "downloadState": ref["download_state"]}


# -- listTemplates ----------------------------------------------------------------------


def available_hypervisors(ctx: Context) -> list[str] | None:
    """listAvailHypervisorInZone(null) (+ External from 4.21); None means no hypervisor filter."""
    names = {host.get("hypervisor") for host in ctx.store.find("host")
             if host.get("type", "Routing") == "Routing" and host.get("hypervisor")}
    if version_tuple(ctx.config.version) >= (4, 21):
        names.add("External")
    return sorted(names) if names else None


def caller_type(ctx: Context) -> int:
    """Account.Type: 0 normal user, 1 root admin, 2 domain admin (an empty caller is the system)."""
    return int(ctx.account.get("accounttype", 1)) if ctx.account else 1


def filter_allows(ctx: Context, choice: str, base: dict, owner_id: str | None, permitted: list[str]) -> bool:
    public, featured = base["ispublic"], base["isfeatured"]
    if choice in ("featured", "community"):
        return public and featured == (choice == "featured")
    if choice in ("self", "selfexecutable"):
        return owner_id in permitted
    if choice in ("shared", "sharedexecutable"):
        return False  # nothing is shared through launch permissions in the simulator
    if choice == "executable":
        return public or owner_id in permitted
    return caller_type(ctx) == 1 or public or owner_id in permitted  # all


def only_ready(p: dict, choice: str) -> bool:
    """ListTemplatesCmd.listInReadyState."""
    account_specific = bool(p.get("account") and p.get("domainid"))
    ready = choice in ("featured", "selfexecutable", "sharedexecutable", "community") \
        or (choice == "executable" and account_specific)
    if not ready and p.get("isready") is not None:
        ready = bool(p["isready"])
    return ready


def permitted_accounts(ctx: Context, p: dict, choice: str) -> list[str]:
    """buildACLSearchParameters: the named account, else the caller's own unless listing all (admins)."""
    if p.get("account") and p.get("domainid"):
        account = ctx.store.find_one("account", name=p["account"], where=lambda a: a.get("domainid") == p["domainid"])
        if account is None:
            raise invalid_parameter(f"Unable to find account {p['account']} in domain id={p['domainid']}")
        return [account["id"]]
    if caller_type(ctx) == 0 or (choice != "all" and not p.get("id")):
        return [ctx.account["id"]] if ctx.account else []
    return []


@command("listTemplates")
def list_templates(ctx: Context, p: dict) -> list[dict]:
    choice = p["templatefilter"]
    if choice not in FILTERS:
        raise illegal_argument(f"No enum constant com.cloud.template.VirtualMachineTemplate.TemplateFilter.{choice}")
    if choice == "all" and caller_type(ctx) == 0:
        raise invalid_parameter("Filter all can be specified by admin only")
    permitted = permitted_accounts(ctx, p, choice)
    hypervisors = available_hypervisors(ctx)
    wanted_hypervisor = hypervisor_of(p.get("hypervisor"), ctx.config.version)
    ready = only_ready(p, choice)
    keyword = (p.pop("keyword", None) or "").lower()  # name or display text, not the generic name filter
    categories = category_os_ids(ctx, p.get("oscategoryid"))
    refs_by_template: dict[str, list[dict]] = {}
    for ref in ctx.store.find(REF):
        refs_by_template.setdefault(ref["templateid"], []).append(ref)
    rows = []
    for template in ctx.store.find("template"):
        if template.get("_state", "Active") != "Active" or template.get("format") == "ISO" or template.get("removed"):
            continue
        owner_id = owner_of(ctx, template).get("id")
        for row in template_rows(ctx, template, refs_by_template.get(template["id"], [])):
            if p.get("id") or filter_allows(ctx, choice, row, owner_id, permitted):
                rows.append(row)
    rows = [row for row in rows if row_matches(row, p, choice, hypervisors, wanted_hypervisor, ready, keyword,
                                               categories)]
    if p.get("showunique"):
        seen: set[str] = set()
        rows = [row for row in rows if not (row["id"] in seen or seen.add(row["id"]))]
    if caller_type(ctx) == 0:
        rows = [restricted(ctx, row) for row in rows]
    return sorted(rows, key=lambda row: row["_sortpair"])


def restricted(ctx: Context, row: dict) -> dict:
    """ResponseView.Restricted: the download status and URL only for the owner; no store ids."""
    row = dict(row)
    if row["_ownerid"] != ctx.account.get("id"):
        row.pop("status", None)
        row.pop("url", None)
    row["downloaddetails"] = [{key: value for key, value in detail.items() if key not in ("datastoreId",
                                                                                          "datastoreRole")}
                              for detail in row["downloaddetails"]]
    return row


def category_os_ids(ctx: Context, category_id: str | None) -> set[str] | None:
    if not category_id:
        return None
    return {os["id"] for os in ctx.store.find("guestos", where=lambda os: os.get("oscategoryid") == category_id)}


def row_matches(row: dict, p: dict, choice: str, hypervisors: list[str] | None, wanted_hypervisor: str,
                ready: bool, keyword: str, categories: set[str] | None) -> bool:
    checks = [
        hypervisors is None or row["hypervisor"] in hypervisors,
        not p.get("id") or row["id"] == p["id"],
        not p.get("ids") or row["id"] in p["ids"],
        not p.get("name") or row["name"].lower() == p["name"].lower(),
        not keyword or keyword in row["name"].lower() or keyword in (row["displaytext"] or "").lower(),
        wanted_hypervisor == "None" or row["hypervisor"] == wanted_hypervisor,
        not ready or row["isready"],
        choice not in ("featured", "selfexecutable") or row["templatetype"] != "SYSTEM",
        not p.get("zoneid") or row.get("zoneid") == p["zoneid"],
        not p.get("templatetype") or row["templatetype"] == p["templatetype"].upper(),
        p.get("isvnf") is None or (row["templatetype"] == "VNF") == p["isvnf"],
        p.get("forcks") is None or row["forcks"] == p["forcks"],
        not p.get("arch") or row["arch"] == p["arch"],
        categories is None or row["ostypeid"] in categories,
        not p.get("imagestoreid") or p["imagestoreid"] in row["_storeids"],
        not (p.get("storageid") or p.get("parenttemplateid") or p.get("extensionid") or p.get("tags")),
    ]
    return all(checks)


# -- registerTemplate -------------------------------------------------------------------


def zone_list(p: dict) -> list[str] | None:
    """RegisterTemplateCmd.validateParameters and getZoneIds; None means every zone (-1)."""
    zone_id, zone_ids = p.get("zoneid"), p.get("zoneids") or []
    if zone_id is not None and zone_ids:
        raise ApiError(PARAM_ERROR, "Both zoneid and zoneids cannot be specified at the same time")
    if zone_id is None and not zone_ids:
        raise ApiError(PARAM_ERROR, "Either zoneid or zoneids is required. Both cannot be null.")
    if len(zone_ids) > 1 and "-1" in zone_ids:
        raise ApiError(PARAM_ERROR, "Parameter zoneids cannot combine all zones (-1) option with other zones")
    if zone_ids:
        return None if zone_ids == ["-1"] else list(dict.fromkeys(zone_ids))
    return None if zone_id == "-1" else [zone_id]


def template_type(p: dict, admin: bool, cross_zones: bool) -> str:
    """TemplateManagerImpl.validateTemplateType."""
    routing = p.get("isrouting")
    if p.get("templatetype") is not None:
        kind = p["templatetype"].upper()
        if kind not in TEMPLATE_TYPES:
            # StringUtils.join(",", TemplateType.values()) joins the separator and the array itself.
            raise invalid_parameter("Please specify a valid templatetype: ,[Lcom.cloud.storage.Storage$TemplateType;"
                                    "@5f2b3c1a")
        if routing is not None and (kind == "ROUTING") != routing:
            raise invalid_parameter("Please specify a valid templatetype (consistent with isrouting parameter).")
        if kind in ("SYSTEM", "BUILTIN") and not cross_zones:
            raise invalid_parameter("System and Builtin templates must be cross zone.")
    else:
        kind = "ROUTING" if routing else "USER"
    if not admin and kind not in ("USER", "VNF"):
        raise invalid_parameter(f"Users can not register template with template type {kind}.")
    return kind


def hypervisor_names(version: str) -> str:
    names = ["XenServer", "KVM", "VMware", "Hyperv", "VirtualBox", "Parralels", "BareMetal", "Simulator", "Ovm",
             "Ovm3", "LXC", "Custom", "External", "Any"]
    if version_tuple(version) < (4, 21):
        names.remove("External")
    return ", ".join(names)


def image_format(ctx: Context, value: str) -> str:
    formats = [f for f in IMAGE_FORMATS if f != "EXTERNAL" or version_tuple(ctx.config.version) >= (4, 21)]
    if value.upper() not in formats:
        listed = "".join(f"{f}, " for f in formats)
        raise illegal_argument(f"Image format: {value} is incorrect. Supported formats are [{listed}]")
    return value.upper()


def check_url(ctx: Context, url: str, fmt: str, direct: bool) -> None:
    """UriUtils.validateUrl(format, url, skipHostCheck, skipIpv6Check); the host is never resolved."""
    try:
        uri = parse_uri(url)
    except ValueError as exc:
        raise illegal_argument(f"Invalid URL: {url}") from exc
    if not uri.scheme or uri.scheme.lower() not in ("http", "https", "file"):
        raise illegal_argument(f"Unsupported scheme for url: {url}")
    if setting(ctx, "validate.url.is.resolvable.before.registering.template", "true").lower() == "true":
        check_host(uri.host, direct)
    extensions = EXTENSIONS.get(fmt.lower())
    if extensions is None:
        # SUPPORTED_EXTENSIONS_BY_FORMAT.get(format) is null: an unhandled NullPointerException.
        raise ApiError(INTERNAL_ERROR, 'Cannot invoke "java.util.Set.stream()" because the return value of '
                       '"java.util.Map.get(Object)" is null')
    path = (uri.path or "").lower()
    if not any(path.endswith(suffix) for suffix in suffixes(fmt.lower())):
        if not any(path.endswith(suffix) for other in EXTENSIONS for suffix in suffixes(other)):
            raise illegal_argument(f"Please specify a valid {fmt.lower()}")
        raise illegal_argument(f"Please specify a valid URL. URL:{uri.path} is an invalid for the format "
                               f"{fmt.lower()}")


def suffixes(fmt: str) -> list[str]:
    bases, metalink = EXTENSIONS[fmt]
    found = [f".{base}{'.' + c if c else ''}" for base in bases for c in ("", *COMPRESSIONS)]
    return [*found, ".metalink"] if metalink else found


def check_host(host: str | None, skip_ipv6: bool) -> None:
    """checkHost for addresses written in the URL (and localhost); names are taken as resolvable."""
    if host is None or host.lower() in ("localhost", "localhost.localdomain"):
        raise illegal_argument("Illegal host specified in URL.")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if address.is_unspecified or address.is_link_local or address.is_loopback or address.is_multicast:
        raise illegal_argument("Illegal host specified in URL.")
    if address.version == 6 and not skip_ipv6:
        raise illegal_argument(f"IPv6 addresses are not supported ({address.exploded}).")


def owner_account(ctx: Context, p: dict) -> dict:
    if p.get("account"):
        account = ctx.store.find_one("account", name=p["account"],
                                     where=lambda a: a.get("domainid") == p.get("domainid"))
        if account is None:
            raise invalid_parameter(f"Unable to find account {p['account']} in domain id={p.get('domainid')}")
        return account
    return ctx.account


def check_register(ctx: Context, p: dict, zones: list[str] | None, hypervisor: str) -> tuple[str, str]:
    """TemplateAdapterBase.prepare's checks; the template type and image format."""
    admin = caller_type(ctx) in (1, 2)
    root = is_root_admin(ctx)
    if p.get("templatetag") is not None and not root:
        raise permission_denied("Parameter templatetag can only be specified by a Root Admin, permission denied")
    if p.get("isrouting") is not None and not root:
        raise permission_denied("Parameter isrouting can only be specified by a Root Admin, permission denied")
    if hypervisor == "None":
        raise invalid_parameter(f"Hypervisor Type: {p['hypervisor']} is invalid. Supported Hypervisor types are: "
                                f"{hypervisor_names(ctx.config.version)}")
    kind = template_type(p, admin, zones is None)
    if not root and zones is None:
        raise invalid_parameter("Template registered for 'All zones' can only be owned a Root Admin account. "
                                "Please select specific zone(s).")
    if "file://" in p["url"].lower():
        raise invalid_parameter("File:// type urls are currently unsupported")
    allow_public = setting(ctx, "allow.public.user.templates", "true").lower() == "true"
    if not root and not allow_public and p.get("ispublic"):
        raise invalid_parameter("Only private templates/ISO can be created.")
    fmt = image_format(ctx, p["format"])
    for zone_id in zones or []:
        zone = ctx.require("zone", zone_id, "zone")
        if zone.get("allocationstate") == "Disabled" and not root:
            raise permission_denied(f"Cannot perform this operation, Zone {zone['name']} is currently disabled")
    return kind, fmt


def check_reserved_name(ctx: Context, name: str, display_text: str, arch: str) -> None:
    for system in ctx.store.find("template", where=lambda t: t.get("templatetype") == "SYSTEM"):
        same = system["name"].lower() == name.lower() or (system.get("displaytext") or "").lower() == \
            display_text.lower()
        if same and (system.get("arch") or "x86_64") == arch:
            raise illegal_argument("Cannot use reserved names for templates")


def stores_for(ctx: Context, zones: list[str], public: bool, direct: bool) -> dict[str, list[dict]]:
    """The image stores each zone's copy goes to: every store if public, one if private.

    A direct-download template is only marked on the stores there are (persistDirectDownloadTemplate).
    """
    chosen = {}
    for zone_id in zones:
        stores = ctx.store.find("imagestore", zoneid=zone_id,
                                where=lambda s: s.get("_role", "Image") == "Image" and not s.get("readonly"))
        if direct:
            chosen[zone_id] = stores[:1]
            continue
        if not stores:
            raise cloud_runtime("Unable to find image store to download the template [null].")
        zone = ctx.get("zone", zone_id) or {}
        chosen[zone_id] = [] if zone.get("allocationstate") == "Disabled" else (stores if public else stores[:1])
    return chosen


def next_template_number(ctx: Context) -> int:
    return max([t.get("_number", 0) for t in ctx.store.find("template")] + [0]) + 1


@command("registerTemplate")
def register_template(ctx: Context, p: dict) -> list[dict]:
    zones = zone_list(p)
    hypervisor = hypervisor_of(p["hypervisor"], ctx.config.version)
    direct = bool(p.get("directdownload"))
    custom = setting(ctx, "hypervisor.custom.display.name", "Custom")
    if direct and hypervisor != "KVM" and p["hypervisor"].lower() != custom.lower():
        raise ApiError(PARAM_ERROR, f"Parameter directdownload is only allowed for KVM or {custom} templates")
    deploy_as_is = hypervisor == "VMware" and bool(p.get("deployasis"))
    if not deploy_as_is and not p.get("ostypeid"):
        raise ApiError(PARAM_ERROR, "Please provide a guest OS type")
    kind, fmt = check_register(ctx, p, zones, hypervisor)
    arch = p.get("arch") or "x86_64"
    if arch not in ARCHES:
        raise illegal_argument(f"Unsupported arch type: {arch}")
    display_text = p.get("displaytext") or p["name"]
    check_reserved_name(ctx, p["name"], display_text, arch)
    check_url(ctx, p["url"], fmt, direct)
    if zones is None:
        zones = [zone["id"] for zone in ctx.store.find("zone")]
        if not zones:
            raise cloud_runtime("No zones are present in the system, can't add template")
    public = bool(p.get("ispublic"))
    placement = stores_for(ctx, zones, public, direct)
    template = ctx.store.insert("template", new_template(ctx, p, kind, fmt, hypervisor, arch, display_text, zones))
    for zone_id, stores in placement.items():
        for store in stores:
            new_ref(ctx, template, store, zone_id, BYPASSED if direct else NOT_DOWNLOADED)
    refs = ctx.store.find(REF, parentid=template["id"])
    return template_rows(ctx, template, refs)


def new_template(ctx: Context, p: dict, kind: str, fmt: str, hypervisor: str, arch: str, display_text: str,
                 zones: list[str]) -> dict:
    owner = owner_account(ctx, p)
    guest_os = ctx.get("guestos", p.get("ostypeid")) or {}
    details = dict((p.get("details") or [{}])[0])
    if hypervisor == "XenServer" and (details.get("hypervisortoolsversion") or "none").lower() == "none":
        details["hypervisortoolsversion"] = setting(ctx, "xenserver.pvdriver.version", "xenserver61")
    admin = caller_type(ctx) in (1, 2)
    cross_zones = p.get("zoneid") == "-1" or p.get("zoneids") == ["-1"]
    return {
        "name": p["name"], "displaytext": display_text, "ispublic": bool(p.get("ispublic")),
        "passwordenabled": bool(p.get("passwordenabled")), "format": fmt,
        "isfeatured": bool(p.get("isfeatured")) and admin, "crossZones": cross_zones,
        "ostypeid": guest_os.get("id"), "ostypename": guest_os.get("description"),
        "account": owner.get("name"), "domainid": owner.get("domainid"), "domain": owner.get("domain"),
        "templatetype": kind, "hypervisor": hypervisor, "isextractable": bool(p.get("isextractable")),
        "checksum": p.get("checksum"), "templatetag": p.get("templatetag"), "details": details, "arch": arch,
        "bits": p.get("bits") or 64, "sshkeyenabled": bool(p.get("sshkeyenabled")),
        "isdynamicallyscalable": bool(p.get("isdynamicallyscalable")),
        "directdownload": bool(p.get("directdownload")), "deployasis": hypervisor == "VMware" and
        bool(p.get("deployasis")), "forcks": bool(p.get("forcks")),
        "requireshvm": p.get("requireshvm", True), "url": p["url"], "created": ctx.timestamp(),
        "_accountid": owner.get("id"), "_state": "Active", "_zones": zones, "_number": next_template_number(ctx),
        "_bootable": True,
    }
