"""LDAP configurations and users, as the LDAP plugin answers with a directory it cannot reach."""

from __future__ import annotations

from tests.conftest import unique


def test_add_list_delete_ldap_configuration(api):
    host = f"{unique('ldap')}.example.com"
    added = api.call("addLdapConfiguration", hostname=host, port="636")
    assert list(added) == ["LdapAddConfiguration"]
    config = added["LdapAddConfiguration"]
    assert config["hostname"] == host and config["port"] == 636 and "domainid" not in config
    listed = api.call("listLdapConfigurations", hostname=host)
    assert listed["count"] == 1 and listed["LdapConfiguration"][0]["id"] == config["id"]
    assert api.raw("listLdapConfigurations").wrapper == "ldapconfigurationresponse"
    error = api.error("addLdapConfiguration", hostname=host, port="636")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (431, 4350, "Duplicate configuration")
    deleted = api.call("deleteLdapConfiguration", hostname=host, port="636")
    assert deleted["LdapDeleteConfiguration"]["id"] == config["id"]
    assert api.call("listLdapConfigurations", hostname=host) == {}


def test_port_zero_means_389_and_domain_configurations_are_apart(api):
    domain = api.call("createDomain", name=unique("ldapdom"))["domain"]
    host = f"{unique('ldap')}.example.com"
    config = api.call("addLdapConfiguration", hostname=host, port="0")["LdapAddConfiguration"]
    assert config["port"] == 389
    scoped = api.call("addLdapConfiguration", hostname=host, port="389", domainid=domain["id"])
    assert scoped["LdapAddConfiguration"]["domainid"] == domain["id"]
    assert [c["id"] for c in api.listing("listLdapConfigurations", hostname=host)] == [config["id"]]
    domain_only = api.listing("listLdapConfigurations", domainid=domain["id"])
    assert [c["domainid"] for c in domain_only] == [domain["id"]]
    assert len(api.listing("listLdapConfigurations", hostname=host, listall="true")) == 2
    by_id = api.listing("listLdapConfigurations", id=config["id"], hostname="ignored")
    assert [c["id"] for c in by_id] == [config["id"]]
    api.call("deleteLdapConfiguration", id=config["id"])


def test_delete_needs_id_or_hostname(api):
    error = api.error("deleteLdapConfiguration")
    assert error["errortext"] == "Either id or hostname must be specified"
    error = api.error("deleteLdapConfiguration", hostname="nowhere.example.com")
    assert error["errortext"] == "Cannot find configuration with hostname nowhere.example.com"


def test_users_of_an_unreachable_directory(api):
    assert api.call("listLdapUsers") == {}
    assert api.raw("listLdapUsers").wrapper == "ldapuserresponse"
    assert api.call("searchLdap", query="alice") == {}
    assert api.call("importLdapUsers", accounttype="0") == {}
    error = api.error("importLdapUsers")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (
        431, 9999, "Both account type and role ID are not provided")


def test_ldap_create_account_finds_no_user(api):
    error = api.error("ldapCreateAccount", username="alice", accounttype="0")
    assert api.raw("ldapCreateAccount", username="alice", accounttype="0").wrapper == "createaccountresponse"
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (
        534, 9999, "No LDAP user exists with the username of alice")


def test_link_domain_needs_a_basedn(fresh_api):
    domain = fresh_api.call("createDomain", name=unique("linked"))["domain"]
    error = fresh_api.error("linkDomainToLdap", domainid=domain["id"], type="GROUP", ldapdomain="ops",
                            accounttype="0")
    assert error["errorcode"] == 431
    assert error["errortext"].startswith("can not link a domain (with id = ")
    assert error["errortext"].endswith(") unless a basedn (null) is configured for it.")
    fresh_api.call("updateConfiguration", name="ldap.basedn", value="dc=example,dc=com", domainid=domain["id"])
    linked = fresh_api.call("linkDomainToLdap", domainid=domain["id"], type="group", ldapdomain="ops",
                            accounttype="2")["LinkDomainToLdap"]
    assert linked == {"domainid": domain["id"], "name": "ops", "ldapdomain": "ops", "type": "GROUP",
                      "accounttype": 2}
    error = fresh_api.error("linkDomainToLdap", domainid=domain["id"], type="GROUP", ldapdomain="ops",
                            accounttype="1")
    assert error["errortext"] == "accountype should be either 0(normal user) or 2(domain admin)"
    error = fresh_api.error("linkDomainToLdap", domainid=domain["id"], type="TEAM", ldapdomain="ops",
                            accounttype="0")
    assert error["errortext"] == "No enum constant org.apache.cloudstack.ldap.LdapManager.LinkType.TEAM"
