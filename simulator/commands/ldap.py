"""LDAP configurations, LDAP users and domain links (plugins/user-authenticators/ldap LdapManagerImpl).

The simulator keeps the LDAP servers it is given and never connects to them, so it answers as a
real server does whose directory cannot be reached: user listings and searches are empty
(NoLdapUserMatchingQueryException is swallowed), importing imports no one, and creating an
account from an LDAP user fails with the real text. Links between domains and LDAP groups/OUs
are kept as `ldaplink` objects.
"""

from __future__ import annotations

from ..errors import INTERNAL_ERROR, PARAM_ERROR, RESOURCE_UNAVAILABLE_ERROR, ApiError, invalid_parameter
from ..registry import Context, command
from .accounts import role_for
from .configurations import scoped_value

DEFAULT_PORT = 389
LINK_TYPES = ("GROUP", "OU")
NO_TYPE_OR_ROLE = "Both account type and role ID are not provided"


def _same_host(config: dict, hostname: str | None, port: int | None) -> bool:
    return (hostname is None or config["hostname"].lower() == hostname.lower()) and (not port or config["port"] == port)


def find_configurations(ctx: Context, hostname: str | None, port: int | None, domain_id: str | None,
                        listall: bool = False) -> list[dict]:
    """LdapConfigurationDaoImpl.getSearchCriteria: a domain's servers, every server, or the global ones."""
    configs = ctx.store.find("ldapconfiguration")
    if domain_id is not None:
        configs = [c for c in configs if c.get("domainid") == domain_id]
    elif not listall:
        configs = [c for c in configs if c.get("domainid") is None]
    return [c for c in configs if _same_host(c, hostname, port)]


def ldap_view(ctx: Context, config: dict) -> dict:
    """LdapConfigurationResponse: the domain's uuid, none once that domain is gone."""
    domain_id = config.get("domainid")
    return {**config, "domainid": domain_id if domain_id and ctx.store.get("domain", domain_id) else None}


@command("addLdapConfiguration")
def add_ldap_configuration(ctx: Context, p: dict) -> dict:
    port = p["port"] if p["port"] > 0 else DEFAULT_PORT
    if find_configurations(ctx, p["hostname"], port, p.get("domainid")):
        raise invalid_parameter("Duplicate configuration")
    # The real server binds to ldap://hostname:port first; the simulator only records the address.
    return ldap_view(ctx, ctx.store.insert("ldapconfiguration", {"hostname": p["hostname"], "port": port,
                                                                 "domainid": p.get("domainid")}))


@command("deleteLdapConfiguration")
def delete_ldap_configuration(ctx: Context, p: dict) -> dict:
    if p.get("id") is None and not p.get("hostname"):
        raise invalid_parameter("Either id or hostname must be specified")
    if p.get("id") is not None:
        config = ctx.store.get("ldapconfiguration", p["id"])
    else:
        found = find_configurations(ctx, p["hostname"], p.get("port"), p.get("domainid"))
        config = found[0] if found else None
        if config is None:
            raise invalid_parameter(f"Cannot find configuration with hostname {p['hostname']}")
    ctx.store.delete("ldapconfiguration", config["id"])
    return ldap_view(ctx, config)


@command("listLdapConfigurations")
def list_ldap_configurations(ctx: Context, p: dict) -> list[dict]:
    p.pop("keyword", None)  # accepted, never used by searchConfigurations
    if p.get("id"):
        found = [c for c in ctx.store.find("ldapconfiguration") if c["id"] == p["id"]]
    else:
        found = find_configurations(ctx, p.get("hostname"), p.get("port"), p.get("domainid"), bool(p.get("listall")))
    return [ldap_view(ctx, config) for config in found]


@command("listLdapUsers")
def list_ldap_users(ctx: Context, p: dict) -> list[dict]:
    return []  # getUsers cannot bind: LdapListUsersCmd makes do with the empty list


@command("searchLdap")
def search_ldap(ctx: Context, p: dict) -> list[dict]:
    return []  # searchUsers cannot bind: LdapUserSearchCmd answers the empty list


@command("importLdapUsers")
def import_ldap_users(ctx: Context, p: dict) -> list[dict]:
    account_type, role = role_for(ctx, p)
    if account_type is None and role is None:
        raise ApiError(PARAM_ERROR, NO_TYPE_OR_ROLE)
    return []  # no LDAP user could be read, so none is imported


@command("ldapCreateAccount")
def ldap_create_account(ctx: Context, p: dict) -> dict:
    account_type, role = role_for(ctx, p)
    if account_type is None and role is None:
        raise ApiError(PARAM_ERROR, NO_TYPE_OR_ROLE)
    raise ApiError(RESOURCE_UNAVAILABLE_ERROR, f"No LDAP user exists with the username of {p['username']}")


@command("linkDomainToLdap")
def link_domain_to_ldap(ctx: Context, p: dict) -> dict:
    """LdapManagerImpl.linkDomainToLdap: commons-lang Validate checks (IllegalArgumentException -> 431)."""
    domain = ctx.require("domain", p["domainid"], "domain")
    base_dn = scoped_value(ctx, "ldap.basedn", "Domain", domain["id"])
    if base_dn is None:
        number = ctx.store.internal_id("domain", domain["id"])
        raise ApiError(PARAM_ERROR, f"can not link a domain (with id = {number}) unless a basedn (null) is "
                                    "configured for it.")
    ldap_domain = p.get("ldapdomain") if p.get("ldapdomain") is not None else p.get("name")
    empty_name = "ldapDomain cannot be empty, please supply a GROUP or OU name"
    if ldap_domain is None:
        raise ApiError(INTERNAL_ERROR, empty_name)  # Validate.notEmpty(null): a NullPointerException
    if not ldap_domain:
        raise ApiError(PARAM_ERROR, empty_name)
    if p["accounttype"] not in (0, 2):
        raise ApiError(PARAM_ERROR, "accountype should be either 0(normal user) or 2(domain admin)")
    link_type = p["type"].upper()
    if link_type not in LINK_TYPES:
        raise ApiError(PARAM_ERROR, f"No enum constant org.apache.cloudstack.ldap.LdapManager.LinkType.{link_type}")
    ctx.store.insert("ldaplink", {"domainid": domain["id"], "type": link_type, "name": ldap_domain,
                                  "accounttype": p["accounttype"]})
    # The admin named in `admin` is looked up in LDAP, which cannot be reached: no account is made.
    return {"domainid": domain["id"], "name": ldap_domain, "ldapdomain": ldap_domain, "type": link_type,
            "accounttype": p["accounttype"]}
