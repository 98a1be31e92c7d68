"""Domains, accounts, users and their API keys.

DomainManagerImpl, AccountManagerImpl and the QueryManagerImpl searches, with the texts of
their exceptions. Conventions of the seed: a domain keeps its parent in `_parentid` (ROOT has
None) and its pretty path ("ROOT/a/b") in `path`; an account's `_hidden` marks the system
account, a user's `_hidden` the system user. Users keep `apikey` (public), `_secretkey` and a
hashed `_password`. Names of parents (domain, account, role) are read live when an object is
shown, so renames show everywhere at once.
"""

from __future__ import annotations

import json
import re
import secrets

from ..auth import hash_password, new_api_key, password_matches
from ..errors import PARAM_ERROR, ApiError, cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command
from .configurations import scoped_value
from .server import drop_newer_fields

ROOT_PATH = "ROOT"
ACCOUNT_TYPE_NAMES = ("NORMAL", "ADMIN", "DOMAIN_ADMIN", "RESOURCE_DOMAIN_ADMIN", "READ_ONLY_ADMIN", "PROJECT")
ACCOUNT_TYPE_OF_ROLE = {"Admin": 1, "ResourceAdmin": 3, "DomainAdmin": 2, "User": 0}
DEFAULT_ROLE_OF_TYPE = {0: "User", 1: "Root Admin", 2: "Domain Admin", 3: "Resource Admin"}  # RoleType ids 4, 1, 3, 2
ROLE_TYPE_RANK = {"Admin": 1, "ResourceAdmin": 2, "DomainAdmin": 3, "User": 4}  # RoleType.getId()
API_KEY_ACCESS = {"ENABLED": True, "DISABLED": False, "INHERIT": None}
API_KEY_ACCESS_TEXT = "ApiKeyAccess value can only be Enabled/Disabled/Inherit"
DOMAIN_DETAILS = ("all", "resource", "min")
HOSTNAME_LABEL = re.compile(r"[a-zA-Z0-9-]+")
UNLIMITED = "Unlimited"
# Resource limits in the response (prefix) and their max.domain.* / max.account.* setting (storage in GiB).
RESOURCE_LIMITS = (
    ("vm", "user.vms"), ("ip", "public.ips"), ("volume", "volumes"), ("snapshot", "snapshots"),
    ("backup", "backups"), ("backupstorage", "backup.storage"), ("template", "templates"), ("project", "projects"),
    ("network", "networks"), ("vpc", "vpcs"), ("cpu", "cpus"), ("memory", "memory"), ("gpu", "gpus"),
    ("primarystorage", "primary.storage"), ("secondarystorage", "secondary.storage"), ("bucket", "buckets"),
    ("objectstorage", "object.storage"),
)
NETWORK_DOMAIN_TEXT = ("Invalid network domain. Total length shouldn't exceed 190 chars. Each domain label must be "
                       "between 1 and 63 characters long, can contain ASCII letters 'a' through 'z', the digits '0' "
                       "through '9', and the hyphen ('-'); can't start or end with \"-\"")


# -- Java's toString() of the objects named in error texts --------------------------------------------


def _java_json(**fields) -> str:
    return json.dumps(fields, separators=(",", ":"))


def java_domain(ctx: Context, domain: dict | None) -> str:
    if domain is None:
        return "null"
    return "Domain " + _java_json(id=ctx.store.internal_id("domain", domain["id"]), name=domain["name"],
                                  path=internal_path(ctx, domain), uuid=domain["id"])


def java_account(ctx: Context, account: dict) -> str:
    return "Account [" + _java_json(id=ctx.store.internal_id("account", account["id"]), accountName=account["name"],
                                    uuid=account["id"]) + "]"


def java_user(ctx: Context, user: dict) -> str:
    return "User " + _java_json(id=ctx.store.internal_id("user", user["id"]), username=user["username"],
                                uuid=user["id"]) + "."


# -- domains ------------------------------------------------------------------------------------------


def root_domain(ctx: Context) -> dict:
    return ctx.store.find_one("domain", where=lambda d: not d.get("_parentid"))


def domain_chain(ctx: Context, domain: dict) -> list[dict]:
    """ROOT first, the domain last."""
    chain = [domain]
    while chain[0].get("_parentid"):
        parent = ctx.store.get("domain", chain[0]["_parentid"])
        if parent is None:
            break
        chain.insert(0, parent)
    return chain


def pretty_path(ctx: Context, domain: dict) -> str:
    """ApiResponseHelper.getPrettyDomainPath: "ROOT/child/grandchild"."""
    return "/".join([ROOT_PATH] + [d["name"] for d in domain_chain(ctx, domain)[1:]])


def internal_path(ctx: Context, domain: dict) -> str:
    """The domain.path column: "/" for ROOT, "/child/grandchild/" below it."""
    names = [d["name"] for d in domain_chain(ctx, domain)[1:]]
    return "/" + "".join(f"{name}/" for name in names)


def is_within(ctx: Context, ancestor_id: str, domain: dict) -> bool:
    """DomainDao.isChildDomain: the domain is the ancestor or below it."""
    return any(d["id"] == ancestor_id for d in domain_chain(ctx, domain))


def child_domains(ctx: Context, domain_id: str) -> list[dict]:
    return ctx.store.find("domain", parentid=domain_id)


def valid_network_domain(name: str) -> bool:
    """NetUtils.verifyDomainName."""
    if not 1 <= len(name) <= 190 or name.startswith(".") or name.endswith("."):
        return False
    return all(1 <= len(label) <= 63 and HOSTNAME_LABEL.fullmatch(label) and not label.startswith("-")
               and not label.endswith("-") for label in name.split("."))


def domain_view(ctx: Context, domain: dict, *, listing: bool, details: tuple[str, ...] = ("all",)) -> dict:
    """DomainResponse: createDomainResponse (create/update) or DomainJoinDaoImpl (listDomains)."""
    parent = ctx.store.get("domain", domain.get("_parentid")) if domain.get("_parentid") else None
    view = {
        "id": domain["id"], "name": domain["name"], "level": domain.get("level", 0),
        "parentdomainid": parent["id"] if parent else None, "parentdomainname": parent["name"] if parent else None,
        "haschild": bool(child_domains(ctx, domain["id"])), "networkdomain": domain.get("networkdomain"),
        "path": pretty_path(ctx, domain), "created": domain.get("created"),
    }
    if listing:
        view["state"] = domain.get("state", "Active")
        if "all" in details or "resource" in details:
            unlimited = parent is None  # the Full view shows ROOT as unlimited
            view.update(resource_limits(ctx, "domain", unlimited))
        if domain.get("domaindetails"):
            view["domaindetails"] = domain["domaindetails"]
        view["hasannotations"] = False
    return drop_newer_fields(ctx, view)


def resource_limits(ctx: Context, owner: str, unlimited: bool, ip_free: int = 0) -> dict:
    """*limit / *total / *available: the max.<owner>.* defaults, nothing used yet."""
    limits: dict = {}
    for prefix, setting in RESOURCE_LIMITS:
        limit = -1 if unlimited else _int_setting(ctx, f"max.{owner}.{setting}")
        total: float | int = 0.0 if prefix == "secondarystorage" else 0
        if limit == -1:
            shown, available = UNLIMITED, UNLIMITED
        elif prefix == "secondarystorage":
            shown, available = str(limit), str(float(limit) - total)
        else:
            shown, available = str(limit), str(limit - total)
        if prefix == "ip" and owner == "account" and limit != -1:
            available = str(min(limit - total, ip_free))  # public IPs left in the zone cap what is available
        limits.update({f"{prefix}limit": shown, f"{prefix}total": total, f"{prefix}available": available})
    return limits


def _int_setting(ctx: Context, name: str) -> int:
    try:
        return int(str(ctx.setting(name)).strip())
    except ValueError:
        return -1


@command("createDomain")
def create_domain(ctx: Context, p: dict) -> dict:
    parent = ctx.require("domain", p["parentdomainid"], "domain") if p.get("parentdomainid") else root_domain(ctx)
    if parent.get("state") == "Inactive":
        raise cloud_runtime(f"The domain cannot be created as the parent domain {parent['name']} is being deleted")
    check_domain_access(ctx, parent)
    name = p["name"]
    if p.get("networkdomain") is not None and not valid_network_domain(p["networkdomain"]):
        raise invalid_parameter(
            "Invalid network domain. Total length should not exceed 190 chars. Each domain label must be between 1 "
            "and 63 characters long. It can contain ASCII letters 'a' through 'z', the digits '0' through '9', and "
            "the hyphen ('-'); it cannot start or end with \"-\".")
    if any(d["name"].lower() == name.lower() for d in child_domains(ctx, parent["id"])):
        raise invalid_parameter(f"Domain with name [{name}] already exists for the parent with ID "
                                f"[{ctx.store.internal_id('domain', parent['id'])}].")
    domain = {
        "name": name, "level": parent.get("level", 0) + 1, "networkdomain": p.get("networkdomain"),
        "path": f"{pretty_path(ctx, parent)}/{name}", "state": "Active", "created": ctx.timestamp(),
        "_parentid": parent["id"],
    }
    if p.get("domainid"):
        if ctx.store.kind_of(p["domainid"]) is not None:
            raise cloud_runtime(f"DB Exception on: Duplicate entry '{p['domainid']}' for key 'uuid'")
        domain["id"] = p["domainid"]
    domain = ctx.store.insert("domain", domain, parentid=parent["id"])
    return domain_view(ctx, domain, listing=False)


@command("updateDomain")
def update_domain(ctx: Context, p: dict) -> dict:
    domain = ctx.require("domain", p["id"], "domain")
    name = p.get("name")
    if not domain.get("_parentid") and name is not None:
        raise invalid_parameter("ROOT domain can not be edited with a new name")
    check_domain_access(ctx, domain)
    if name is not None:
        siblings = child_domains(ctx, domain["_parentid"])
        if any(d["name"].lower() == name.lower() and d["id"] != domain["id"] for d in siblings):
            raise invalid_parameter(f"Failed to update specified domain id with name '{name}' since it already "
                                    "exists in the system")
    network_domain = p.get("networkdomain")
    if network_domain and not valid_network_domain(network_domain):
        raise invalid_parameter(NETWORK_DOMAIN_TEXT)
    if network_domain is not None:
        domain["networkdomain"] = network_domain or None
    if name is not None:
        domain["name"] = name
    ctx.store.update("domain", domain)
    if name is not None:
        update_paths(ctx, domain)
    return domain_view(ctx, domain, listing=False)


def update_paths(ctx: Context, domain: dict) -> None:
    """A rename changes the path of the domain and of everything below it (login finds domains by path)."""
    domain["path"] = pretty_path(ctx, domain)
    ctx.store.update("domain", domain)
    for child in child_domains(ctx, domain["id"]):
        update_paths(ctx, child)


@command("deleteDomain", instance_type="Domain")
def delete_domain(ctx: Context, p: dict) -> None:
    domain = ctx.require("domain", p["id"], "domain")
    if not domain.get("_parentid"):
        raise permission_denied("Can't delete ROOT domain")
    check_domain_access(ctx, domain)
    if p.get("cleanup"):
        cleanup_domain(ctx, domain)
        return
    networks = domain_networks(ctx, domain)
    if networks:
        raise cloud_runtime(f"Can't delete the domain yet because it has {len(networks)} non-removed networks")
    if ctx.store.count("account", parentid=domain["id"]) or child_domains(ctx, domain["id"]):
        raise cloud_runtime(f"Delete failed on domain {java_domain(ctx, domain)}; Please make sure all users and sub "
                            "domains have been removed from the domain before deleting")
    remove_domain(ctx, domain)


def domain_networks(ctx: Context, domain: dict) -> list[dict]:
    """NetworkDomainDao.listNetworkIdsByDomain: shared networks dedicated to the domain."""
    return ctx.store.find("network", where=lambda n: n.get("domainid") == domain["id"]
                          and str(n.get("acltype", "")).lower() == "domain")


def cleanup_domain(ctx: Context, domain: dict) -> None:
    """DomainManagerImpl.cleanupDomain: sub-domains first, then accounts, networks, the domain."""
    for child in child_domains(ctx, domain["id"]):
        cleanup_domain(ctx, child)
    for account in ctx.store.find("account", parentid=domain["id"]):
        remove_account(ctx, account)
    for network in domain_networks(ctx, domain):
        ctx.store.delete("network", network["id"])
    remove_domain(ctx, domain)


def remove_domain(ctx: Context, domain: dict) -> None:
    """The domain and what hangs on it only: its offerings and LDAP links go with it."""
    for kind in ("serviceoffering", "diskoffering"):
        for offering in ctx.store.find(kind, where=lambda o: domain["id"] in (o.get("_domainids") or [])):
            offering["_domainids"] = [d for d in offering["_domainids"] if d != domain["id"]]
            if offering["_domainids"]:
                ctx.store.update(kind, offering)
            else:
                ctx.store.delete(kind, offering["id"])
    # LdapManagerImpl listens for the domain's removal and drops its trust maps.
    for link in ctx.store.find("ldaplink", where=lambda link: link.get("domainid") == domain["id"]):
        ctx.store.delete("ldaplink", link["id"])
    ctx.store.delete("domain", domain["id"])


@command("listDomains")
def list_domains(ctx: Context, p: dict) -> list[dict]:
    details = domain_details(p.get("details"))
    caller_domain = ctx.store.get("domain", ctx.account.get("domainid"))
    keyword = p.pop("keyword", None)  # LIKE on the name, done here with the other filters
    if p.get("id"):
        domain = ctx.require("domain", p["id"], "domain")
        check_domain_access(ctx, domain)
        domains = [domain]
    elif ctx.account.get("accounttype") != 1:
        domains = [caller_domain]
        if p.get("listall"):
            domains = [d for d in ctx.store.find("domain") if is_within(ctx, caller_domain["id"], d)]
    else:
        domains = ctx.store.find("domain")
    if p.get("name"):
        domains = [d for d in domains if d["name"].lower() == p["name"].lower()]
    if p.get("level") is not None:
        domains = [d for d in domains if d.get("level", 0) == p["level"]]
    if keyword:
        domains = [d for d in domains if keyword.lower() in d["name"].lower()]
    domains = [d for d in domains if d.get("state", "Active") == "Active"]
    return [domain_view(ctx, d, listing=True, details=details) for d in domains]


def domain_details(values: list[str] | None) -> tuple[str, ...]:
    """ListDomainsCmd.getDetails: DomainDetails.valueOf each value (case-sensitive)."""
    if not values:
        return ("all",)
    if any(value not in DOMAIN_DETAILS for value in values):
        raise invalid_parameter("The details parameter contains a non permitted value. The allowed values are "
                                f"[{', '.join(DOMAIN_DETAILS)}]")
    return tuple(values)


# -- who may do what ----------------------------------------------------------------------------------


def caller_is_root_admin(ctx: Context) -> bool:
    return ctx.account.get("roletype") == "Admin"


def role_type(ctx: Context, account: dict) -> str:
    role = ctx.store.get("role", account.get("roleid"))
    return role.get("type") if role else account.get("roletype") or "Unknown"


def check_domain_access(ctx: Context, domain: dict) -> None:
    """DomainChecker.checkAccess(caller, domain)."""
    caller = ctx.account
    if caller_is_root_admin(ctx) or not caller:
        return
    if caller.get("state") != "enabled":
        raise permission_denied(f"Account {java_account(ctx, caller)} is disabled.")
    allowed = caller.get("domainid") == domain["id"] if caller.get("accounttype") == 0 \
        else is_within(ctx, caller.get("domainid"), domain)
    if not allowed:
        raise permission_denied(f"Account {java_account(ctx, caller)} does not have permission to operate within "
                                f"domain id={domain['id']}")


def check_account_access(ctx: Context, account: dict) -> None:
    """checkAccess(caller, accessType, sameOwner, account): a user only its own account, an admin its domains."""
    caller = ctx.account
    if caller_is_root_admin(ctx) or not caller:
        return
    if caller.get("accounttype") == 0 and caller.get("id") != account["id"]:
        raise permission_denied(f"There's no way to confirm {java_account(ctx, caller)} has access to "
                                f"{java_account(ctx, account)}")
    check_domain_access(ctx, ctx.require("domain", account["domainid"], "domain"))


def check_caller_privilege(ctx: Context, account: dict, user: dict | None = None) -> None:
    """verifyCallerPrivilegeForUserOrAccountOperations: role types first, then root-admin targets."""
    caller = ctx.account
    if not caller or caller.get("_hidden") or (caller.get("isdefault") and caller.get("name") == "admin"):
        return
    caller_rank = ROLE_TYPE_RANK.get(role_type(ctx, caller))
    target_rank = ROLE_TYPE_RANK.get(role_type(ctx, account))
    who, whom = f"{caller['name']}, {caller['id']}", f"{account['name']}, {account['id']}"
    if caller_rank is None or target_rank is None:
        raise permission_denied(f"The role type of caller account [{who}] or target account [{whom}] is unknown")
    if caller_rank > target_rank:
        raise permission_denied(f"The calling account [{who}] has a lower role type than the user account [{whom}]")
    if caller_rank == target_rank and caller["id"] != account["id"]:
        allowed = scoped_value(ctx, "role.types.allowed.for.operations.on.accounts.of.same.role.type", "Domain",
                               caller.get("domainid")) or ""
        if role_type(ctx, caller) not in [part.strip() for part in allowed.split(",")]:
            raise permission_denied(f"The calling account [{who}] is not allowed to perform this operation on users "
                                    "from other accounts of the same role type within the domain")
    if caller_rank == target_rank and caller["id"] == account["id"] and user and user["id"] != ctx.user.get("id"):
        same_account = scoped_value(ctx, "allow.operations.on.users.in.same.account", "Domain", caller.get("domainid"))
        if str(same_account).lower() == "false":
            raise permission_denied("The user operations are not allowed by the users in the same account")
    if not caller_is_root_admin(ctx) and role_type(ctx, account) == "Admin":
        raise permission_denied(f"Account [{who}] cannot perform this operation for user account [{whom}] ")


# -- accounts -----------------------------------------------------------------------------------------


def account_view(ctx: Context, account: dict, *, full: bool = True) -> dict:
    """AccountResponse (AccountJoinDaoImpl.newAccountResponse with every detail)."""
    domain = ctx.store.get("domain", account["domainid"])
    role = ctx.store.get("role", account.get("roleid"))
    unlimited = (role or {}).get("type") == "Admin"
    view = {
        "id": account["id"], "name": account["name"], "accounttype": account["accounttype"],
        "roleid": role["id"] if role else None, "roletype": role["type"] if role else None,
        "rolename": role["name"] if role else None, "domainid": account["domainid"],
        "domain": domain["name"] if domain else account.get("domain"),
        "domainpath": pretty_path(ctx, domain) if domain else account.get("domainpath"),
        **resource_limits(ctx, "account", unlimited), "vmstopped": 0, "vmrunning": 0,
        "state": account.get("state"), "created": account.get("created"),
        "user": [user_view(ctx, user, full=False) for user in account_users(ctx, account)],
        "networkdomain": account.get("networkdomain"), "accountdetails": account.get("accountdetails") or None,
        "isdefault": bool(account.get("isdefault")), "groups": [],
    }
    if full:  # the Full view always shows it: INHERIT when neither enabled nor disabled
        view["apikeyaccess"] = api_key_access_name(account.get("_apikeyaccess"))
    return drop_newer_fields(ctx, view, "listAccounts")


def account_users(ctx: Context, account: dict) -> list[dict]:
    return [user for user in ctx.store.find("user", parentid=account["id"]) if not user.get("_hidden")]


def api_key_access_name(value: bool | None) -> str:
    """ApiKeyAccess.fromBoolean."""
    return "INHERIT" if value is None else ("ENABLED" if value else "DISABLED")


def api_key_access_value(text: str) -> bool | None:
    if text.upper() not in API_KEY_ACCESS:
        raise invalid_parameter(API_KEY_ACCESS_TEXT)
    return API_KEY_ACCESS[text.upper()]


def find_active_account(ctx: Context, name: str, domain_id: str | None) -> dict | None:
    """AccountDao.findActiveAccount: by name (case-insensitively, as MySQL compares) in a domain."""
    if domain_id is None:
        return None
    return next((a for a in ctx.store.find("account", parentid=domain_id) if a["name"].lower() == name.lower()), None)


def role_for(ctx: Context, p: dict) -> tuple[int | None, dict | None]:
    """CreateAccountCmd.getAccountType / getRoleId: the role wins; else the account type's default role."""
    role = ctx.store.get("role", p.get("roleid")) if p.get("roleid") else None
    if role is not None:
        return ACCOUNT_TYPE_OF_ROLE.get(role["type"]), role
    account_type = p.get("accounttype")
    if account_type not in range(len(ACCOUNT_TYPE_NAMES)):
        return None, None
    default = DEFAULT_ROLE_OF_TYPE.get(account_type)
    return account_type, ctx.store.find_one("role", name=default) if default else None


@command("createAccount")
def create_account(ctx: Context, p: dict) -> dict:
    account_type, role = role_for(ctx, p)
    if not p.get("password"):
        raise ApiError(PARAM_ERROR, "Empty passwords are not allowed")
    if account_type is None and role is None:
        raise ApiError(PARAM_ERROR, "Neither account type and role ID are not provided")
    account = new_account(ctx, p, account_type, role, source="UNKNOWN")
    return account_view(ctx, account)


def new_account(ctx: Context, p: dict, account_type: int | None, role: dict | None, *, source: str) -> dict:
    """AccountManagerImpl.createUserAccount: the account, its first user and its default security group."""
    username = p["username"]
    name = p.get("account") or username
    domain = ctx.require("domain", p["domainid"], "domain") if p.get("domainid") else root_domain(ctx)
    for key, label in (("username", "Username"), ("firstname", "Firstname"), ("lastname", "Lastname")):
        if not p.get(key):
            raise invalid_parameter(f"{label} is empty")
    check_domain_access(ctx, domain)
    if not multiple_accounts_allowed(ctx, domain) and user_in_domain(ctx, username, domain):
        raise invalid_parameter(f"The user {username} already exists in domain {java_domain(ctx, domain)}")
    network_domain = p.get("networkdomain")
    if network_domain and not valid_network_domain(network_domain):
        raise invalid_parameter(NETWORK_DOMAIN_TEXT)
    if domain.get("state") == "Inactive":
        raise cloud_runtime(f"The account cannot be created as domain {domain['name']} is being deleted")
    if domain.get("_parentid") and account_type == 1:
        raise invalid_parameter(f"Invalid account type ADMIN given for an account in domain "
                                f"{java_domain(ctx, domain)}; unable to create user of admin role type in non-ROOT "
                                "domain.")
    if find_active_account(ctx, name, domain["id"]) is not None:
        raise invalid_parameter(f"The specified account: {name} already exists")
    if account_type == 3 and not ctx.store.find("zone", where=lambda z: z.get("domainid") == domain["id"]):
        raise invalid_parameter(f"The account cannot be created as domain {java_domain(ctx, domain)} is not "
                                "associated with any private Zone")
    check_caller_privilege(ctx, {"id": None, "name": name, "roleid": role["id"] if role else None,
                                 "roletype": role["type"] if role else None})
    check_password_policy(ctx, p["password"], username, domain)
    for key in ("accountid", "userid"):
        if p.get(key) and ctx.store.kind_of(p[key]) is not None:
            raise cloud_runtime(f"DB Exception on: Duplicate entry '{p[key]}' for key 'uuid'")
    account = {
        "name": name, "accounttype": account_type, "roleid": role["id"] if role else None,
        "rolename": role["name"] if role else None, "roletype": role["type"] if role else None,
        "domainid": domain["id"], "domain": domain["name"], "domainpath": pretty_path(ctx, domain),
        "isdefault": False, "state": "enabled", "created": ctx.timestamp(), "networkdomain": network_domain,
        "accountdetails": (p.get("accountdetails") or [None])[0], "_hidden": False,
    }
    if p.get("accountid"):
        account["id"] = p["accountid"]
    account = ctx.store.insert("account", account, parentid=domain["id"])
    new_user(ctx, account, p, source=source)
    ctx.store.insert("securitygroup", {"name": "default", "description": "Default Security Group",
                                       "account": account["name"], "domainid": domain["id"], "domain": domain["name"]},
                     parentid=account["id"])
    return account


def multiple_accounts_allowed(ctx: Context, domain: dict) -> bool:
    return str(scoped_value(ctx, "user.allow.multiple.accounts", "Domain", domain["id"])).lower() == "true"


def user_in_domain(ctx: Context, username: str, domain: dict) -> dict | None:
    """UserAccountDao.validateUsernameInDomain: the username taken by any account of that domain."""
    return ctx.store.find_one("user", where=lambda u: u.get("domainid") == domain["id"]
                              and u["username"].lower() == username.lower())


def new_user(ctx: Context, account: dict, p: dict, *, source: str) -> dict:
    domain = ctx.store.get("domain", account["domainid"])
    user = {
        "username": p["username"], "firstname": p["firstname"], "lastname": p["lastname"], "email": p.get("email"),
        "accountid": account["id"], "account": account["name"], "accounttype": account["accounttype"],
        "roleid": account.get("roleid"), "rolename": account.get("rolename"), "roletype": account.get("roletype"),
        "domainid": account["domainid"], "domain": domain["name"] if domain else None, "state": "enabled",
        "isdefault": False, "created": ctx.timestamp(), "timezone": p.get("timezone"),
        "usersource": "native" if source == "UNKNOWN" else source.lower(),
        "_password": hash_password(p.get("password") or secrets.token_hex(16)), "_hidden": False,
        "_2fa": False,
    }
    if p.get("userid"):
        user["id"] = p["userid"]
    return ctx.store.insert("user", user, parentid=account["id"])


def check_password_policy(ctx: Context, password: str, username: str, domain: dict) -> None:
    """PasswordPolicyImpl.verifyIfPasswordCompliesWithPasswordPolicies (not for the system caller)."""
    if ctx.account.get("_hidden") or not password:
        return

    def policy(name: str) -> str | None:
        return scoped_value(ctx, f"password.policy.{name}", "Domain", domain["id"])

    counts = {"special": 0, "upper": 0, "lower": 0, "digit": 0}
    for char in password:
        if not char.isalnum():
            counts["special"] += 1
        elif char.isupper():
            counts["upper"] += 1
        elif char.islower():
            counts["lower"] += 1
        elif char.isdigit():
            counts["digit"] += 1
    for setting, key, label in (("minimum.special.characters", "special", "special characters"),
                                ("minimum.uppercase.letters", "upper", "upper case letters"),
                                ("minimum.lowercase.letters", "lower", "lower case letters"),
                                ("minimum.digits", "digit", "digits")):
        minimum = _int(policy(setting))
        if minimum and counts[key] < minimum:
            raise invalid_parameter(f"User password should contain at least [{minimum}] {label}.")
    minimum_length = _int(policy("minimum.length"))
    if minimum_length and len(password) < minimum_length:
        raise invalid_parameter(f"User password should contain at least [{minimum_length}] characters.")
    if str(policy("allowPasswordToContainUsername")).lower() == "false" and username.lower() in password.lower():
        raise invalid_parameter("User password should not contain their username.")
    regex = policy("regex")
    if regex and not _java_matches(regex, password):
        raise invalid_parameter("User password does not match with password policy regex.")


def _int(value: str | None) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


def _java_matches(regex: str, text: str) -> bool:
    try:
        return re.fullmatch(regex, text) is not None
    except re.error:
        return True


@command("updateAccount")
def update_account(ctx: Context, p: dict) -> dict:
    account = ctx.store.get("account", p["id"]) if p.get("id") else \
        find_enabled_account(ctx, p.get("account"), p.get("domainid"))
    param_domain = ctx.store.get("domain", p.get("domainid")) if p.get("domainid") else None
    if account is None:
        number = ctx.store.internal_id("account", p["id"]) if p.get("id") else None
        raise invalid_parameter(f"Unable to find account by accountId: {number if number is not None else 'null'} OR "
                                f"by name: {p.get('account') or 'null'} in domain {java_domain(ctx, param_domain)}")
    if account.get("_hidden"):
        raise invalid_parameter("Can not modify system account")
    check_domain_access(ctx, ctx.require("domain", account["domainid"], "domain"))
    check_caller_privilege(ctx, account)
    changes: dict = {}
    if p.get("apikeyaccess") is not None:
        changes["_apikeyaccess"] = api_key_access_value(p["apikeyaccess"])
    new_name = p.get("newname")
    if new_name is not None:
        if not new_name:
            raise invalid_parameter(f"The new account name for account '{java_account(ctx, account)}' within domain "
                                    f"'{java_domain(ctx, param_domain)}' is empty string. Account will be not renamed.")
        existing = find_active_account(ctx, new_name, p.get("domainid"))
        if existing is not None and existing["id"] != account["id"]:
            raise invalid_parameter(f"The account with the proposed name '{new_name}' exists in the domain "
                                    f"'{java_domain(ctx, param_domain)}' with existing account "
                                    f"{java_account(ctx, existing)}")
        changes["name"] = new_name
    network_domain = p.get("networkdomain")
    if network_domain and not valid_network_domain(network_domain):
        raise invalid_parameter(
            "Invalid network domain or format. Total length shouldn't exceed 190 chars. Every domain part must be "
            "between 1 and 63 characters long, can contain ASCII letters 'a' through 'z', the digits '0' through "
            "'9', and the hyphen ('-'); can't start or end with \"-\"")
    if p.get("roleid"):
        changes.update(role_change(ctx, account, ctx.require("role", p["roleid"], "role")))
    if network_domain is not None:
        changes["networkdomain"] = network_domain or None
    if p.get("accountdetails"):
        changes["accountdetails"] = p["accountdetails"][0]
    account.update(changes)
    ctx.store.update("account", account)
    if "name" in changes or "roleid" in changes:
        sync_users(ctx, account)
    return account_view(ctx, account)


def role_change(ctx: Context, account: dict, role: dict) -> dict:
    """AccountManagerImpl.validateRoleChange, then the account takes the role's type."""
    text = f"Unable to update account role to {role['name']}, "
    caller_type = role_type(ctx, ctx.account)
    if caller_type != "Admin" and (ROLE_TYPE_RANK.get(role["type"], 0) < ROLE_TYPE_RANK.get(caller_type, 0)
                                   or ROLE_TYPE_RANK.get(role_type(ctx, account), 0)
                                   < ROLE_TYPE_RANK.get(caller_type, 0)):
        raise permission_denied(f"{text} as either current or new role has higher privileges than the caller")
    domain = ctx.store.get("domain", account["domainid"])
    if role["type"] == "Admin" and domain and domain.get("_parentid"):
        raise permission_denied(f"{text} as the user does not belong to the ROOT domain")
    return {"roleid": role["id"], "rolename": role["name"], "roletype": role["type"],
            "accounttype": ACCOUNT_TYPE_OF_ROLE.get(role["type"], account["accounttype"])}


def sync_users(ctx: Context, account: dict) -> None:
    """Users carry their account's name and role (the signature check reads the role type)."""
    for user in ctx.store.find("user", parentid=account["id"]):
        user.update({"account": account["name"], "accounttype": account["accounttype"],
                     "roleid": account.get("roleid"), "rolename": account.get("rolename"),
                     "roletype": account.get("roletype")})
        ctx.store.update("user", user)


def find_enabled_account(ctx: Context, name: str | None, domain_id: str | None) -> dict | None:
    account = find_active_account(ctx, name, domain_id) if name else None
    return account if account and account.get("state") == "enabled" else None


@command("deleteAccount", instance_type="Account")
def delete_account(ctx: Context, p: dict) -> None:
    account = ctx.require("account", p["id"], "account")
    if ctx.account.get("id") == account["id"]:
        raise invalid_parameter(f"Deletion of your own account is not allowed. To delete account {account['name']} "
                                f"(ID: {account['id']}, Domain: {account['domainid']}), request to another user with "
                                "permissions to perform the operation.")
    check_account_access(ctx, account)
    if account.get("isdefault"):
        raise invalid_parameter("The account is default and can't be removed")
    check_caller_privilege(ctx, account)
    remove_account(ctx, account)


def remove_account(ctx: Context, account: dict) -> None:
    """AccountManagerImpl.deleteAccount: its users, security groups and configuration values go too."""
    for kind in ("user", "securitygroup"):
        for obj in ctx.store.find(kind, parentid=account["id"]):
            ctx.store.delete(kind, obj["id"])
    ctx.store.delete("account", account["id"])


@command("listAccounts")
def list_accounts(ctx: Context, p: dict) -> list[dict]:
    caller = ctx.account
    caller_is_admin = caller.get("accounttype") in (1, 2, 3)
    domain = ctx.require("domain", p["domainid"], "domain") if p.get("domainid") else None
    if domain is not None:
        check_domain_access(ctx, domain)
    account_id, recursive = p.get("id"), bool(p.get("isrecursive"))
    domain_id = domain["id"] if domain else None
    if account_id is None:
        view_all = str(scoped_value(ctx, "allow.user.view.all.domain.accounts", "Domain",
                                    caller.get("domainid"))).lower() == "true"
        if (p.get("listall") and caller_is_admin) or view_all:
            domain_id, recursive = domain_id or caller.get("domainid"), True
        elif not caller_is_admin or domain_id is None:
            account_id = caller.get("id")
    else:
        target = ctx.store.get("account", account_id)
        if target is None or target.get("_hidden") or (domain_id and target["domainid"] != domain_id):
            number = ctx.store.internal_id("account", account_id)
            in_domain = f" in domain {ctx.store.internal_id('domain', domain_id)}" if domain_id else ""
            raise invalid_parameter(f"Unable to find account by id {number}{in_domain}")
        check_account_access(ctx, target)
    keyword = p.pop("keyword", None)  # LIKE on the name or the state, done here
    accounts = [a for a in ctx.store.find("account") if not a.get("_hidden") and a.get("accounttype") != 5]
    if not caller_is_admin:
        accounts = [a for a in accounts if a.get("accounttype") != 2]
    if account_id:
        accounts = [a for a in accounts if a["id"] == account_id]
    if domain_id:
        accounts = [a for a in accounts if in_domain_filter(ctx, a["domainid"], domain_id, recursive)]
    filters = {"accounttype": p.get("accounttype"), "state": p.get("state"), "name": p.get("name")}
    for key, wanted in filters.items():
        if wanted is not None:
            accounts = [a for a in accounts if str(a.get(key)).lower() == str(wanted).lower()]
    if p.get("iscleanuprequired") is not None:
        accounts = [a for a in accounts if bool(a.get("_needscleanup")) == p["iscleanuprequired"]]
    if p.get("apikeyaccess") is not None:
        wanted = api_key_access_value(p["apikeyaccess"])
        accounts = [a for a in accounts if a.get("_apikeyaccess") == wanted]
    if keyword:
        accounts = [a for a in accounts if keyword.lower() in a["name"].lower() or keyword.lower() in a["state"]]
    return [account_view(ctx, a, full=caller.get("accounttype") == 1) for a in accounts]


def in_domain_filter(ctx: Context, domain_id: str, wanted_id: str, recursive: bool) -> bool:
    if not recursive:
        return domain_id == wanted_id
    domain = ctx.store.get("domain", domain_id)
    return bool(domain) and is_within(ctx, wanted_id, domain)


# -- users --------------------------------------------------------------------------------------------


def user_view(ctx: Context, user: dict, *, full: bool, caller_domain_id: str | None = None) -> dict:
    """UserResponse (ApiDBUtils.newUserResponse): no secret key unless use.secret.key.in.response."""
    account = ctx.store.get("account", user["accountid"]) or {}
    domain = ctx.store.get("domain", user["domainid"]) or {}
    role = ctx.store.get("role", account.get("roleid")) or {}
    two_factor = str(scoped_value(ctx, "enable.user.2fa", "Domain", user["domainid"])).lower() == "true"
    mandated = two_factor and str(scoped_value(ctx, "mandate.user.2fa", "Domain",
                                               user["domainid"])).lower() == "true"
    show_secret = str(ctx.setting("use.secret.key.in.response")).lower() == "true"
    view = {
        "id": user["id"], "username": user["username"], "firstname": user.get("firstname"),
        "lastname": user.get("lastname"), "email": user.get("email"), "created": user.get("created"),
        "state": user.get("state"), "account": account.get("name", user.get("account")),
        "accounttype": account.get("accounttype", user.get("accounttype")),
        "usersource": user_source(user), "roleid": role.get("id"), "roletype": role.get("type"),
        "rolename": role.get("name"), "domainid": user["domainid"], "domain": domain.get("name"),
        "timezone": user.get("timezone"), "apikey": user.get("apikey"),
        "secretkey": user.get("_secretkey") if show_secret else None, "accountid": user["accountid"],
        "iscallerchilddomain": bool(caller_domain_id) and user["domainid"] != caller_domain_id,
        "isdefault": bool(user.get("isdefault")), "is2faenabled": bool(user.get("_2fa")), "is2famandated": mandated,
    }
    if full:
        view["apikeyaccess"] = api_key_access_name(user.get("_apikeyaccess"))
    # Gson leaves nulls out, also inside an account's "user" list, which render() does not walk.
    return drop_newer_fields(ctx, {key: value for key, value in view.items() if value is not None}, "listUsers")


def user_source(user: dict) -> str:
    """UserResponse.setUserSource: lower case, UNKNOWN shown as native."""
    source = str(user.get("usersource") or "native").lower()
    return "native" if source == "unknown" else source


@command("createUser")
def create_user(ctx: Context, p: dict) -> dict:
    if not p.get("password"):
        raise ApiError(PARAM_ERROR, "Empty passwords are not allowed")
    domain = ctx.require("domain", p["domainid"], "domain") if p.get("domainid") else root_domain(ctx)
    if domain.get("state") == "Inactive":
        raise cloud_runtime(f"The user cannot be created as domain {domain['name']} is being deleted")
    check_domain_access(ctx, domain)
    account = find_enabled_account(ctx, p["account"], domain["id"])
    if account is None or account.get("accounttype") == 5:
        raise invalid_parameter(f"Unable to find account {p['account']} in domain {java_domain(ctx, domain)} to "
                                "create user")
    if account.get("_hidden"):
        raise permission_denied(f"Account: {java_account(ctx, account)} is a system account, can't add a user to it")
    username = p["username"]
    if not multiple_accounts_allowed(ctx, domain) and user_in_domain(ctx, username, domain):
        number = ctx.store.internal_id("domain", domain["id"])
        raise cloud_runtime(f"The user {username} already exists in domain {number}")
    for existing in ctx.store.find("user", parentid=account["id"]):
        if existing["username"].lower() == username.lower():
            raise invalid_parameter(f"Username [{existing['username']}] already exists in account "
                                    f"[id={account['id']},name={account['name']}]")
    check_caller_privilege(ctx, account)
    check_password_policy(ctx, p["password"], username, domain)
    if p.get("userid") and ctx.store.kind_of(p["userid"]) is not None:
        raise cloud_runtime(f"DB Exception on: Duplicate entry '{p['userid']}' for key 'uuid'")
    return user_view(ctx, new_user(ctx, account, p, source="UNKNOWN"), full=False)


@command("updateUser")
def update_user(ctx: Context, p: dict) -> dict:
    user = ctx.require("user", p["id"], "user")
    account = ctx.require("account", user["accountid"], "account")
    if account.get("_hidden"):
        raise permission_denied(f"user: {java_user(ctx, user)} is a system account; update is not allowed.")
    check_account_access(ctx, account)
    check_caller_privilege(ctx, account, user)
    changes = key_changes(ctx, user, p)
    if p.get("apikeyaccess") is not None:
        changes["_apikeyaccess"] = api_key_access_value(p["apikeyaccess"])
    for key, label in (("firstname", "Firstname"), ("lastname", "Lastname")):
        if p.get(key) is not None:
            if not p[key].strip():
                raise invalid_parameter(f"{label} cannot be empty.")
            changes[key] = p[key]
    if p.get("username") is not None:
        changes["username"] = checked_username(ctx, user, account, p["username"])
    if p.get("password") is not None:
        changes["_password"] = checked_password(ctx, user, account, p["password"], p.get("currentpassword"))
    for key in ("email", "timezone"):
        if p.get(key) and p[key].strip():
            changes[key] = p[key]
    if p.get("mandate2fa"):
        changes["_2fa"] = True
    user.update(changes)
    ctx.store.update("user", user)
    return user_view(ctx, user, full=False)


def key_changes(ctx: Context, user: dict, p: dict) -> dict:
    """validateAndUpdateApiAndSecretKeyIfNeeded: both keys or neither; an API key belongs to one user."""
    apikey, secretkey = (p.get("userapikey") or "").strip(), (p.get("usersecretkey") or "").strip()
    if bool(apikey) != bool(secretkey):
        raise invalid_parameter("Please provide a userApiKey/userSecretKey pair")
    if not apikey:
        return {}
    owner = ctx.store.find_one("user", where=lambda u: u.get("apikey") == p["userapikey"])
    if owner is not None and owner["id"] != user["id"]:
        raise invalid_parameter(f"The API key [{p['userapikey']}] already exists in the system. Please provide a "
                                "unique key.")
    return {"apikey": p["userapikey"], "_secretkey": p["usersecretkey"]}


def checked_username(ctx: Context, user: dict, account: dict, username: str) -> str:
    """validateAndUpdateUsernameIfNeeded."""
    if not username.strip():
        raise invalid_parameter("Username cannot be empty.")
    domain = ctx.store.get("domain", account["domainid"])
    for existing in ctx.store.find("user", where=lambda u: u["username"].lower() == username.lower()):
        if existing["id"] == user["id"]:
            continue
        if not multiple_accounts_allowed(ctx, domain) and existing.get("domainid") == account["domainid"]:
            other = ctx.store.get("account", existing["accountid"]) or {}
            raise invalid_parameter(f"Username [{existing['username']}] already exists in domain [id={domain['id']},"
                                    f"name={domain['name']}] user account [id={other.get('id')},"
                                    f"name={other.get('name')}]")
        if existing["accountid"] == account["id"]:
            raise invalid_parameter(f"Username [{existing['username']}] already exists in account "
                                    f"[id={account['id']},name={account['name']}]")
    return username


def checked_password(ctx: Context, user: dict, account: dict, password: str, current: str | None) -> str:
    """validateUserPasswordAndUpdateIfNeeded: admins need no current password; the result is hashed."""
    if not password.strip():
        raise invalid_parameter("Password cannot be empty or blank.")
    if user_source(user) in ("saml2", "saml2disabled", "ldap"):
        raise invalid_parameter("CloudStack does not support updating passwords for SAML or LDAP users. Please "
                                "contact your cloud administrator for assistance.")
    check_password_policy(ctx, password, user["username"], ctx.store.get("domain", account["domainid"]))
    is_admin = ctx.account.get("_hidden") or caller_is_root_admin(ctx) or ctx.account.get("accounttype") == 2
    if not is_admin:
        if not current or not current.strip():
            raise invalid_parameter("To set a new password the current password must be provided.")
        if not password_matches(user.get("_password"), current):
            raise invalid_parameter("Current password is incorrect.")
    return hash_password(password)


@command("deleteUser")
def delete_user(ctx: Context, p: dict) -> None:
    user = ctx.require("user", p["id"], "user")
    if user.get("isdefault"):
        raise invalid_parameter("The user is default and can't be (re)moved")
    account = ctx.require("account", user["accountid"], "account")
    if ctx.user.get("id") == user["id"]:
        raise invalid_parameter("The caller is requesting to delete itself. As a security measure, ACS will not allow "
                                f"this operation. To delete user {user['username']} (ID: {user['id']}, Domain: "
                                f"{account['domainid']}), request to another user with permission to execute the "
                                "operation.")
    if account.get("accounttype") == 5:
        raise invalid_parameter("Project users cannot be deleted or moved.")
    check_account_access(ctx, account)
    check_caller_privilege(ctx, account, user)
    ctx.store.delete("user", user["id"])


@command("listUsers")
def list_users(ctx: Context, p: dict) -> list[dict]:
    caller = ctx.account
    user_id = p.get("id")
    if caller.get("accounttype") == 0:
        if user_id and user_id != ctx.user.get("id"):
            raise permission_denied("Calling user is not authorized to see the user requested by id")
        user_id = ctx.user.get("id")
    users = [u for u in ctx.store.find("user") if not u.get("_hidden")]
    if user_id:
        users = [u for u in users if u["id"] == user_id]
    users = [u for u in users if visible_to_caller(ctx, u)]
    users = filter_users(ctx, users, p)
    keyword = p.pop("keyword", None)  # matched on names, e-mail, state and account, done here
    if keyword:
        users = [u for u in users if user_matches(ctx, u, keyword)]
    full = caller.get("accounttype") == 1
    return [user_view(ctx, u, full=full, caller_domain_id=caller.get("domainid")) for u in users]


def visible_to_caller(ctx: Context, user: dict) -> bool:
    caller = ctx.account
    if caller_is_root_admin(ctx) or not caller:
        return True
    if caller.get("accounttype") == 0:
        return user["accountid"] == caller.get("id")
    domain = ctx.store.get("domain", user["domainid"])
    return bool(domain) and is_within(ctx, caller.get("domainid"), domain)


def filter_users(ctx: Context, users: list[dict], p: dict) -> list[dict]:
    if p.get("username"):
        users = [u for u in users if u["username"].lower() == p["username"].lower()]
    if p.get("accounttype") is not None:
        users = [u for u in users if (ctx.store.get("account", u["accountid"]) or {}).get("accounttype")
                 == p["accounttype"]]
    if p.get("state"):
        users = [u for u in users if str(u.get("state")).lower() == p["state"].lower()]
    if p.get("usersource"):
        users = [u for u in users if user_source(u) == wanted_source(p["usersource"])]
    if p.get("apikeyaccess") is not None:
        wanted = api_key_access_value(p["apikeyaccess"])
        users = [u for u in users if u.get("_apikeyaccess") == wanted]
    if p.get("domainid"):
        users = [u for u in users if in_domain_filter(ctx, u["domainid"], p["domainid"], bool(p.get("isrecursive")))]
    if p.get("account"):
        users = [u for u in users if (ctx.store.get("account", u["accountid"]) or {}).get("name", "").lower()
                 == p["account"].lower()]
    return users


def wanted_source(text: str) -> str:
    """ListUsersCmd.getUserSource: native, ldap, saml2, saml2disabled."""
    if text.lower() not in ("native", "ldap", "saml2", "saml2disabled"):
        raise invalid_parameter(f"Invalid user source: {text}. Valid values are: native, ldap, saml2 and "
                                "saml2disabled.")
    return text.lower()


def user_matches(ctx: Context, user: dict, keyword: str) -> bool:
    account = ctx.store.get("account", user["accountid"]) or {}
    needle = keyword.lower()
    texts = [user.get(key) or "" for key in ("username", "firstname", "lastname", "email", "state")]
    texts.append(account.get("name") or "")
    if keyword.upper() in ACCOUNT_TYPE_NAMES and account.get("accounttype") == ACCOUNT_TYPE_NAMES.index(
            keyword.upper()):
        return True
    return any(needle in text.lower() for text in texts)


# -- API keys -----------------------------------------------------------------------------------------


@command("registerUserKeys")
def register_user_keys(ctx: Context, p: dict) -> dict:
    user = ctx.require("user", p["id"], "user")
    account = ctx.require("account", user["accountid"], "account")
    check_account_access(ctx, account)
    check_caller_privilege(ctx, account, user)
    if user.get("_hidden") or user["username"] == "baremetal-system-account":
        raise permission_denied(f"user: {java_user(ctx, user)} is system account, update is not allowed")
    # New keys replace the old pair at once: the old API key no longer signs anything.
    user["apikey"], user["_secretkey"] = new_api_key(), new_api_key()
    ctx.store.update("user", user)
    return {"apikey": user["apikey"], "secretkey": user["_secretkey"]}


@command("getUserKeys")
def get_user_keys(ctx: Context, p: dict) -> dict:
    user = ctx.store.get("user", p["id"])
    if user is None:
        raise invalid_parameter("Unable to find user by id")
    account = ctx.require("account", user["accountid"], "account")
    check_account_access(ctx, account)
    check_caller_privilege(ctx, account, user)
    access = user.get("_apikeyaccess")
    if access is None:
        access = account.get("_apikeyaccess")
    if access is None:
        access = str(scoped_value(ctx, "api.key.access", "Domain", account["domainid"])).lower() == "true"
    return drop_newer_fields(ctx, {"apikey": user.get("apikey"), "secretkey": user.get("_secretkey"),
                                   "apikeyaccess": access})
