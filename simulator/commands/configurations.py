"""Global and scoped settings (listConfigurations, updateConfiguration).

ManagementServerImpl.searchForConfigurations and ConfigurationManagerImpl.updateConfiguration.
Settings are the seeded `configuration` objects. A value set for a scope (zone, cluster,
storage pool, account, domain, image store) is kept on the setting itself, under the private
`_scoped` map keyed `"<Scope>:<uuid>"`, the way the real server keeps it in a *_details table.
`scoped_value()` reads a setting the way ConfigKey.valueIn/valueInScope does, for other modules.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from typing import Any

from .. import spec
from ..errors import CS_INVALID_PARAMETER_VALUE, INTERNAL_ERROR, PARAM_ERROR, ApiError, cloud_runtime, invalid_parameter
from ..registry import Context, command

# updateConfiguration/listConfigurations parameter -> (ConfigKey.Scope, store kind), in the order the
# service methods read them (the last one read wins the response's "scope").
SCOPE_PARAMS = (
    ("zoneid", "Zone", "zone"),
    ("clusterid", "Cluster", "cluster"),
    ("accountid", "Account", "account"),
    ("domainid", "Domain", "domain"),
    ("storageid", "StoragePool", "storagepool"),
    ("imagestoreuuid", "ImageStore", "imagestore"),
)
# ConfigKey.Scope the response names (UpdateCfgCmd.setResponseScopes never sets "imagestore").
RESPONSE_SCOPE = {"Zone": "zone", "Cluster": "cluster", "StoragePool": "storagepool", "Account": "account",
                  "Domain": "domain", "ImageStore": "imagestore"}
MULTIPLE_IDS = "cannot handle multiple IDs, provide only one ID corresponding to the scope"

JAVA_TYPES = {"Boolean": "java.lang.Boolean", "Integer": "java.lang.Integer", "Long": "java.lang.Long",
              "Short": "java.lang.Short", "Float": "java.lang.Float", "Double": "java.lang.Double"}
INT_RANGES = {"Integer": (-(2**31), 2**31 - 1), "Short": (-(2**15), 2**15 - 1), "Long": (-(2**63), 2**63 - 1)}
JAVA_INT = re.compile(r"[+-]?[0-9]+")
JAVA_FLOAT = re.compile(r"\s*[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)\s*")

# ConfigurationManagerImpl.configValuesForValidation: Integer settings that must be positive.
POSITIVE_SETTINGS = {
    "event.purge.interval", "account.cleanup.interval", "alert.wait", "consoleproxy.capacityscan.interval",
    "expunge.interval", "host.stats.interval", "network.gc.interval", "ping.interval", "snapshot.poll.interval",
    "storage.stats.interval", "storage.cleanup.interval", "wait", "xenserver.heartbeat.interval",
    "xenserver.heartbeat.timeout", "ovm3.heartbeat.interval", "ovm3.heartbeat.timeout",
    "incorrect.login.attempts.allowed", "vm.password.length", "externaldhcp.vmip.retrieval.interval",
    "externaldhcp.vmip.max.retry", "externaldhcp.vmipFetch.threadPool.max", "remote.access.vpn.psk.length",
    "storage.pool.disk.wait", "storage.pool.client.timeout", "storage.pool.client.max.connections",
    "vm.userdata.max.length", "remote.kvm.instance.disks.copy.timeout", "convert.vmware.instance.to.kvm.timeout",
    "instance.lease.scheduler.interval", "instance.lease.eventscheduler.interval",
    "instance.lease.expiryevent.daysbefore", "autoscale.errored.instance.threshold",
}
# weightBasedParametersForValidation: a value between 0 and 1 (checked for Float settings only).
WEIGHT_SETTINGS = {
    "cluster.cpu.allocated.capacity.notificationthreshold", "cluster.storage.allocated.capacity.notificationthreshold",
    "cluster.storage.capacity.notificationthreshold", "cluster.memory.allocated.capacity.notificationthreshold",
    "zone.virtualnetwork.publicip.capacity.notificationthreshold", "pod.privateip.capacity.notificationthreshold",
    "zone.secstorage.capacity.notificationthreshold", "zone.vlan.capacity.notificationthreshold",
    "zone.directnetwork.publicip.capacity.notificationthreshold", "cluster.localStorage.capacity.notificationthreshold",
    "pool.storage.allocated.capacity.disablethreshold", "pool.storage.capacity.disablethreshold",
    "pool.storage.allocated.resize.capacity.disablethreshold", "cluster.cpu.allocated.capacity.disablethreshold",
    "cluster.memory.allocated.capacity.disablethreshold", "agent.load.threshold", "vm.user.dispersion.weight",
    "secondary.storage.capacity.threshold", "drs.imbalance", "drs.imbalance.condensed.skip.threshold",
    "host.capacityType.to.order.clusters.cputomemoryweight",
}
OVERPROVISIONING_SETTINGS = {"mem.overprovisioning.factor", "cpu.overprovisioning.factor",
                             "storage.overprovisioning.factor"}
DEFAULT_ADMIN_ONLY = {"role.types.allowed.for.operations.on.accounts.of.same.role.type",
                      "allow.operations.on.users.in.same.account", "systemvm.userdata.enabled",
                      "console.proxy.vm.userdata", "secstorage.vm.userdata", "virtual.router.userdata"}
ROLE_TYPES = ("Admin", "ResourceAdmin", "DomainAdmin", "User", "Unknown")
HYPERVISOR_TYPES = ("xenserver", "kvm", "vmware", "hyperv", "virtualbox", "parralels", "baremetal", "simulator",
                    "ovm", "ovm3", "lxc", "custom", "external")
DOMAIN_NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}(\.[a-zA-Z0-9][a-zA-Z0-9-]{0,62})*")

# configuration_group / configuration_subgroup rows (schema-41720to41800.sql and later): subgroup name,
# keywords, group. A setting's group is the first subgroup whose name or keyword matches a word of its name.
SUBGROUPS = (
    ("Others", "", "Miscellaneous"), ("Account", "", "Access"), ("Domain", "", "Access"), ("Project", "", "Access"),
    ("LDAP", "", "Access"), ("SAML", "saml2", "Access"),
    ("Virtual Machine", "vm,instance,cpu,ssh,affinity", "Compute"), ("Kubernetes", "kubernetes", "Compute"),
    ("High Availability", "ha", "Compute"), ("Images", "template,iso", "Storage"),
    ("Volume", "disk,diskoffering", "Storage"), ("Snapshot", "", "Storage"), ("VM Snapshot", "vmsnapshot", "Storage"),
    ("Network", "firewall,vlan,dns,globodns,ipaddress,cidr", "Network"), ("DHCP", "externaldhcp", "Network"),
    ("VPC", "", "Network"), ("LoadBalancer", "lb,gslb", "Network"), ("API", "", "Management Server"),
    ("Alerts", "alert", "Management Server"), ("Events", "event", "Management Server"),
    ("Security", "secure,password,authenticators", "Management Server"), ("Usage", "", "Management Server"),
    ("Limits", "capacity,delay,interval,workers", "Management Server"), ("Jobs", "job", "Management Server"),
    ("Agent", "", "Management Server"), ("Hypervisor", "host", "Hypervisor"), ("KVM", "libvirt", "Hypervisor"),
    ("VMware", "vcenter", "Hypervisor"), ("XenServer", "xen,xapi,XCP", "Hypervisor"), ("OVM", "ovm3", "Hypervisor"),
    ("Baremetal", "", "Hypervisor"), ("ConsoleProxyVM", "cpvm,consoleproxy,novnc", "System VMs"),
    ("SecStorageVM", "ssvm,secondary", "System VMs"), ("VirtualRouter", "vr,router,vrouter", "System VMs"),
    ("Diagnostics", "", "System VMs"), ("Primary Storage", "storage,pool,primary", "Infrastructure"),
    ("Secondary Storage", "image,secstorage", "Infrastructure"),
    ("Backup & Recovery", "backup,recovery,veeam", "Miscellaneous"), ("Certificate Authority", "CA", "Miscellaneous"),
    ("Quota", "", "Miscellaneous"), ("Cloudian", "", "Miscellaneous"), ("DRS", "drs", "Miscellaneous"),
)


# -- reading settings (for every module) ------------------------------------------------------------


def setting_row(ctx: Context, name: str) -> dict | None:
    return ctx.store.find_one("configuration", name=name)


def scoped_value(ctx: Context, name: str, scope: str | None = None, scope_id: str | None = None) -> str | None:
    """ConfigKey.valueInScope: the value set for that scope object, else its parent scope's, else global."""
    row = setting_row(ctx, name)
    if row is None:
        return None
    if not scope or not scope_id:
        return row.get("value")
    value = (row.get("_scoped") or {}).get(f"{scope}:{scope_id}")
    if value is not None:
        return value
    inherited = _inherited_value(ctx, row, scope, scope_id)
    return inherited if inherited is not None else row.get("value")


def _inherited_value(ctx: Context, row: dict, scope: str, scope_id: str) -> str | None:
    """Account -> domain and domain -> parent domain (when enabled), then the key's parent scopes."""
    scoped = row.get("_scoped") or {}
    if scope == "Account" and _enabled(ctx, "enable.account.settings.for.domain"):
        account = ctx.store.get("account", scope_id)
        if account and scoped.get(f"Domain:{account['domainid']}") is not None:
            return scoped[f"Domain:{account['domainid']}"]
    if scope == "Domain" and _enabled(ctx, "enable.domain.settings.for.child.domain"):
        domain = ctx.store.get("domain", scope_id)
        while domain and domain.get("_parentid"):
            domain = ctx.store.get("domain", domain["_parentid"])
            if domain and scoped.get(f"Domain:{domain['id']}") is not None:
                return scoped[f"Domain:{domain['id']}"]
    scopes = row.get("_scopes") or ["Global"]
    if len(scopes) > 1:
        parent = _parent_scope(ctx, scope, scope_id)
        if parent and parent[0] in scopes:
            return scoped_value(ctx, row["name"], *parent)
    return None


def _parent_scope(ctx: Context, scope: str, scope_id: str) -> tuple[str, str] | None:
    """ConfigDepotImpl.getParentScope: pools, clusters and image stores belong to a zone; accounts to a domain."""
    kinds = {"StoragePool": "storagepool", "Cluster": "cluster", "ImageStore": "imagestore"}
    if scope in kinds:
        obj = ctx.store.get(kinds[scope], scope_id)
        return ("Zone", obj["zoneid"]) if obj and obj.get("zoneid") else None
    if scope == "Account":
        account = ctx.store.get("account", scope_id)
        return ("Domain", account["domainid"]) if account else None
    return None


def _enabled(ctx: Context, name: str) -> bool:
    return str(ctx.setting(name)).lower() == "true"


# -- listConfigurations -------------------------------------------------------------------------------


@command("listConfigurations")
def list_configurations(ctx: Context, p: dict) -> list[dict]:
    try:
        return search_configurations(ctx, p)
    except ApiError as exc:  # ListCfgsByCmd rethrows them as plain ServerApiExceptions (cserrorcode 9999)
        code = PARAM_ERROR if exc.cserrorcode == CS_INVALID_PARAMETER_VALUE else INTERNAL_ERROR
        raise ApiError(code, exc.errortext) from exc


def search_configurations(ctx: Context, p: dict) -> list[dict]:
    scope, scope_id = requested_scope(ctx, p)
    rows = ctx.store.find("configuration", where=lambda row: row.get("category") != "Hidden")
    # The search is SQL LIKE on several columns, not the dispatcher's keyword-on-name filter.
    keyword = p.pop("keyword", None)
    if keyword:
        needle = keyword.lower()
        rows = [row for row in rows if any(needle in str(row.get(key) or "").lower()
                                           for key in ("name", "component", "description", "category", "value"))]
    if p.get("name"):
        rows = [row for row in rows if p["name"].lower() in row["name"].lower()]
    if p.get("category"):
        rows = [row for row in rows if str(row.get("category", "")).lower() == p["category"].lower()]
    if p.get("group"):
        rows = [row for row in rows if _has_group(ctx, row, p["group"])]
    if p.get("subgroup"):
        rows = [row for row in rows if _has_subgroup(ctx, row, p["subgroup"])]
    if p.get("parent"):
        rows = [row for row in rows if _catalog_entry(row["name"]).get("parent") == p["parent"]]
    if scope:
        allowed = {scope}
        if scope == "Domain" and _enabled(ctx, "enable.account.settings.for.domain"):
            allowed.add("Account")
        rows = [row for row in rows if allowed & set(row.get("_scopes") or ["Global"])]
    rows.sort(key=lambda row: row["name"].lower())
    return [configuration_view(ctx, row, scope, scope_id, listing=True) for row in rows]


def _has_group(ctx: Context, row: dict, group: str) -> bool:
    if group.lower() not in {g.lower() for _, _, g in SUBGROUPS} | {"usage server"}:
        raise invalid_parameter(f"Invalid configuration group: {group}")
    return group_and_subgroup(ctx, row["name"])[0].lower() == group.lower()


def _has_subgroup(ctx: Context, row: dict, subgroup: str) -> bool:
    if subgroup.lower() not in {s.lower() for s, _, _ in SUBGROUPS}:
        raise invalid_parameter(f"Invalid configuration subgroup: {subgroup}")
    return group_and_subgroup(ctx, row["name"])[1].lower() == subgroup.lower()


def requested_scope(ctx: Context, p: dict) -> tuple[str | None, str | None]:
    """The one scope parameter sent (a domain admin defaults to its domain, a user to its account)."""
    given = [(scope, p[param]) for param, scope, _ in SCOPE_PARAMS if p.get(param)]
    caller_type = ctx.account.get("accounttype")
    if caller_type == 2 and not p.get("accountid") and not p.get("domainid"):
        given.append(("Domain", ctx.account["domainid"]))
    elif caller_type == 0 and not p.get("accountid"):
        given.append(("Account", ctx.account["id"]))
    if len(given) > 1:
        raise invalid_parameter(MULTIPLE_IDS)
    return given[0] if given else (None, None)


def configuration_view(ctx: Context, row: dict, scope: str | None, scope_id: str | None, *,
                       listing: bool, value: Any = "unset") -> dict:
    """ConfigurationResponse: createConfigurationResponse plus the command's scope and value."""
    name = row["name"]
    group, subgroup = group_and_subgroup(ctx, name)
    entry = _catalog_entry(name)
    if value == "unset":
        value = row.get("value")
        if scope and scope_id:
            value = java_string(row.get("type"), scoped_value(ctx, name, scope, scope_id))
    if value is not None and row.get("category") in ("Hidden", "Secure"):
        value = encrypted(value)
    view = {
        "category": row.get("category"), "group": group, "subgroup": subgroup, "name": name, "value": value,
        "defaultvalue": row.get("defaultvalue"),
        "scope": RESPONSE_SCOPE.get(scope) if scope and (listing or scope != "ImageStore") else None,
        "description": row.get("description"), "isdynamic": bool(row.get("isdynamic")),
        "component": row.get("component"), "parent": entry.get("parent"),
        "displaytext": entry.get("displaytext"), "type": value_type(name, row), "options": row.get("options"),
    }
    return _drop_newer(ctx, view)


def _drop_newer(ctx: Context, view: dict) -> dict:
    from .server import drop_newer_fields  # imported late: server imports this module

    return drop_newer_fields(ctx, view)


def _catalog_entry(name: str) -> dict:
    return spec.configurations()["configurations"].get(name) or {}


def value_type(name: str, row: dict) -> str:
    """ConfigurationManagerImpl.getConfigurationType."""
    if name in WEIGHT_SETTINGS:
        return "Range"
    java_type = row.get("type")
    if java_type in ("Integer", "Long", "Short"):
        return "Number"
    if java_type in ("Float", "Double"):
        return "Decimal"
    if java_type == "Boolean":
        return "Boolean"
    return _catalog_entry(name).get("kind") or "String"


def group_and_subgroup(ctx: Context, name: str) -> tuple[str, str]:
    """ConfigurationGroupsAggregator: the first word of the name that names or keys a subgroup."""
    for word in name.split("."):
        for subgroup, _, group in SUBGROUPS:
            if subgroup.lower() == word.lower():
                return _usage_group(ctx, subgroup, group), subgroup
        found = _subgroup_by_keyword(word)
        if found:
            return _usage_group(ctx, found[0], found[2]), found[0]
    return "Miscellaneous", "Others"


def _subgroup_by_keyword(word: str) -> tuple[str, str, str] | None:
    keyed = [row for row in SUBGROUPS if row[1]]
    for row in keyed:
        if any(keyword.lower() == word.lower() for keyword in row[1].split(",")):
            return row
    for row in keyed:
        if any(keyword.startswith(word.lower()) for keyword in row[1].split(",")):
            return row
    return None


def _usage_group(ctx: Context, subgroup: str, group: str) -> str:
    """4.20.1 moved the Usage subgroup into a new "Usage Server" group."""
    from .server import version_tuple  # imported late: server imports this module

    if subgroup == "Usage" and version_tuple(ctx.config.version) >= (4, 20, 1):
        return "Usage Server"
    return group


def encrypted(value: str) -> str:
    """DBEncryptionUtil.encrypt stands in: an opaque base64 text, never the clear value."""
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


def java_string(java_type: str | None, value: str | None) -> str | None:
    """ConfigKey.valueOf(value).toString() for a scoped value."""
    if value is None or java_type is None:
        return value
    try:
        if java_type == "Boolean":
            return "true" if value.lower() == "true" else "false"
        if java_type in INT_RANGES:
            return str(int(value))
        if java_type in ("Float", "Double"):
            return java_float_string(float(value.strip().rstrip("fFdD")))
    except ValueError:
        return value
    return value


def java_float_string(number: float) -> str:
    """Double.toString: plain for 1e-3 <= |x| < 1e7, computerized scientific notation otherwise."""
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(float(number))
    mantissa, exponent = f"{number:.16E}".split("E")
    mantissa = mantissa.rstrip("0")
    mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
    short = repr(number)
    if "e" in short:
        mantissa = short.split("e")[0]
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
    return f"{mantissa}E{int(exponent)}"


# -- updateConfiguration ------------------------------------------------------------------------------


@command("updateConfiguration")
def update_configuration(ctx: Context, p: dict) -> dict:
    name = p["name"]
    if name.lower() == "dynamic.apichecker.enabled":
        raise ApiError(PARAM_ERROR, "Restricted configuration update not allowed")
    row = setting_row(ctx, name)
    if row is None:
        raise invalid_parameter(f"Config parameter with name {name} doesn't exist")
    raw_value = p.get("value")
    check_ip_setting(name, row, raw_value)
    if name == "cloud.kubernetes.etcd.node.start.port" and raw_value == "2222":
        raise invalid_parameter("This range is reserved for Kubernetes cluster nodes.Please choose a value in a higher "
                                "range would does not conflict with a kubernetes cluster deployed")
    if row.get("category") == "System" and ctx.account.get("roletype") != "Admin":
        raise cloud_runtime("Only Root Admin is allowed to edit this configuration.")
    if raw_value is None:
        return configuration_view(ctx, row, None, None, listing=False, value=None)
    scope, scope_id = requested_scope(ctx, p)
    value = raw_value.strip()
    if value in ("", "null"):
        value = None if scope_id is None else ""
    if row.get("type") == "Boolean":
        if value is None:  # value.toLowerCase() on null: an unhandled NullPointerException
            raise ApiError(INTERNAL_ERROR, 'Cannot invoke "String.toLowerCase()" because "value" is null')
        value = value.lower()
    validate_value(ctx, row, value, scope)
    if scope:
        row.setdefault("_scoped", {})[f"{scope}:{scope_id}"] = value
    else:
        row["value"] = value
    ctx.store.update("configuration", row)
    return configuration_view(ctx, row, scope, scope_id, listing=False, value=raw_value)


def check_ip_setting(name: str, row: dict, value: str | None) -> None:
    """validateIpAddressRelatedConfigValues: String settings named *.ip, *.ipaddress, *.iprange."""
    if not name.endswith((".ip", ".ipaddress", ".iprange")) or not value or row.get("type") != "String":
        return
    if _catalog_entry(name).get("origin") != "ConfigKey":  # only ConfigKey settings are looked at
        return
    bad = name.endswith((".ip", ".ipaddress")) and not _is_ipv4(value)
    if name.endswith(".iprange"):
        ends = value.split("-")
        bad = not (len(ends) == 2 and all(_is_ipv4(end) for end in ends))
    if bad:
        raise invalid_parameter("Invalid IP address value(s) specified for the config value.")


def _is_ipv4(value: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def validate_value(ctx: Context, row: dict, value: str | None, scope: str | None) -> None:
    """ConfigurationManagerImpl.validateConfigurationValue, in its order."""
    name = row["name"]
    if name in DEFAULT_ADMIN_ONLY:
        _check_default_admin_only(ctx, name, value)
    scopes = row.get("_scopes") or ["Global"]
    if scope and scope not in scopes and not (
            scope == "Domain" and "Account" in scopes and _enabled(ctx, "enable.account.settings.for.domain")):
        raise invalid_parameter(f"Invalid scope id provided for the parameter {name}")
    java_type = row.get("type")
    if java_type is None:
        return
    if name == "commands.timeout":
        _check_command_timeouts(value)
    if not valid_for_type(value, java_type):
        shown = "null" if value is None else value
        java_class = JAVA_TYPES.get(java_type, f"java.lang.{java_type}")
        raise invalid_parameter(f"Value [{shown}] is not a valid [class {java_class}].")
    problem = range_problem(name, value, java_type, _catalog_entry(name))
    if problem:
        raise invalid_parameter(problem)


def _check_default_admin_only(ctx: Context, name: str, value: str | None) -> None:
    if ctx.user.get("username") != "admin" or not ctx.user.get("isdefault"):
        raise cloud_runtime("Only default admin is allowed to change this setting")
    if name == "role.types.allowed.for.operations.on.accounts.of.same.role.type":
        if value is None or not value.strip():
            raise cloud_runtime("Value for role types must not be empty")
        if not all(part.strip() in ROLE_TYPES for part in value.split(",")):
            raise cloud_runtime("Invalid role types provided in value")


def _check_command_timeouts(value: str | None) -> None:
    """validateCommaSeparatedKeyValueConfigWithPositiveIntegerValues (commands.timeout)."""
    for command_text in (value or "").split(",") if value else []:
        command_text = command_text.strip()
        if "=" not in command_text:
            raise invalid_parameter(f"Validation failed: Command '{command_text}' does not contain '='.")
        parts = command_text.split("=")
        if len(parts) != 2:
            raise invalid_parameter(f"Validation failed: Command '{command_text}' is not properly formatted.")
        command_name, number = parts[0].strip(), parts[1].strip()
        if not command_name:
            raise invalid_parameter(f"Validation failed: Command name is missing in '{command_text}'.")
        if not JAVA_INT.fullmatch(number) or not INT_RANGES["Integer"][0] <= int(number) <= INT_RANGES["Integer"][1]:
            raise invalid_parameter(f"Validation failed: The value for command '{command_name}' is not a valid "
                                    f"integer. Invalid value: {number}")
        if int(number) <= 0:
            raise invalid_parameter(f"Validation failed: The value for command '{command_name}' is not greater "
                                    f"than 0. Invalid value: {int(number)}")


def valid_for_type(value: str | None, java_type: str) -> bool:
    """validateValueType: Boolean true/false, Java integer ranges, finite floats; Strings anything."""
    if java_type in ("String", "Character"):
        return True
    if value is None:
        return False
    if java_type == "Boolean":
        return value in ("true", "false")
    if java_type in INT_RANGES:
        low, high = INT_RANGES[java_type]
        return bool(JAVA_INT.fullmatch(value)) and low <= int(value) <= high
    if java_type in ("Float", "Double"):
        if not JAVA_FLOAT.fullmatch(value):
            return False
        number = _java_float(value)
        limit = 3.4028234663852886e38 if java_type == "Float" else float("inf")
        return number == number and abs(number) != float("inf") and abs(number) <= limit
    return False


def _java_float(value: str) -> float:
    text = value.strip().rstrip("fFdD")
    return float(text.replace("Infinity", "inf"))


def range_problem(name: str, value: str, java_type: str, entry: dict) -> str | None:
    """validateValueRange: the special cases, then a Config enum entry's declared range."""
    if java_type == "Float":
        number = _java_float(value)
        if name in OVERPROVISIONING_SETTINGS and number <= 0:
            return f"Value for configuration [{name}] should be greater than 0."
        if name in WEIGHT_SETTINGS and (number < 0 or number > 1):
            return f"Please enter a value between 0 and 1 for the configuration parameter: [{name}]."
    if java_type == "Integer":
        problem = _integer_problem(name, int(value))
        if problem:
            return problem
    if java_type == "String" and name == "secstorage.allowed.internal.sites" and value:
        for cidr in value.split(","):
            if not _is_cidr_or_ip(cidr):
                return f"Invalid CIDR {cidr} value specified for the config {name}."
    if value is None or entry.get("origin") != "Config enum" or not entry.get("range"):
        return None
    ranges = entry["range"].split(",")
    if java_type == "Integer":
        low, high = (int(part) for part in ranges[0].split("-"))
        if not low <= int(value) <= high:
            return ("The provided value is not valid for this configuration. Please enter an integer in the range: "
                    f"[{ranges[0]}]")
        return None
    return _string_range_problem(value, ranges)


def _integer_problem(name: str, number: int) -> str | None:
    if name == "mac.identifier" and not 0 <= number <= 255:
        return f"[{name}] value should be between 0 and 255. 0 value will disable this feature."
    if name in ("threads.on.ms.to.import.vmware.vm.files", "threads.on.kvm.host.to.import.vmware.vm.files"):
        if not -1 <= number <= 10:
            return (f"Please enter a value between -1 and 10 for the configuration parameter: [{name}]. "
                    "-1 will disable it.")
        return None
    if name in POSITIVE_SETTINGS:
        if number <= 0:
            return f"Please enter a positive value for the configuration parameter: [{name}]."
        if name == "vm.password.length" and number < 6:
            return f"Please enter a value greater than 5 for the configuration parameter: [{name}]."
        if name == "remote.access.vpn.psk.length" and not 8 <= number <= 256:
            return f"Please enter a value greater than 7 and less than 257 for the configuration parameter: [{name}]."
        if name == "vm.userdata.max.length" and number > 1048576:
            return f"Please enter a value less than 1048577 for the configuration parameter: [{name}]."
    return None


def _is_cidr_or_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    try:
        return str(ipaddress.IPv4Network(text, strict=True)) == text
    except ValueError:
        return False


def _string_range_problem(value: str, ranges: list[str]) -> str | None:
    """validateIfStringValueIsInRange: each comma-separated piece of the range is tried in turn."""
    messages = []
    for option in ranges:
        message = _range_option_problem(value, option)
        if not message:
            return None
        messages.append(message)
    if len(messages) == 1:
        return f"The provided value is not {messages[0]}."
    return f"The provided value is neither {' NOR '.join(messages)}."


def _range_option_problem(value: str, option: str) -> str | None:
    if option == "privateip":
        try:
            return None if ipaddress.ip_address(value).is_private else "a valid site local IP address"
        except ValueError:
            return "a valid site local IP address"
    if option == "hypervisorList":
        bad = any(part.lower() not in HYPERVISOR_TYPES for part in value.split(","))
        return "a valid hypervisor type" if bad else None
    if option == "instanceName":
        bad = any(char in value for char in "- +")
        return "a valid instance name (instance names cannot contain hyphens, spaces or plus signs)" if bad else None
    if option == "domainName":
        name = value[2:] if value.startswith("*") else value
        return "a valid domain name" if len(name) >= 238 or not DOMAIN_NAME_PATTERN.fullmatch(name) else None
    if any(choice.strip().lower() == value.lower() for choice in option.split(",")):
        return None
    return f"a valid value for this configuration (Options are: [{option}])"

