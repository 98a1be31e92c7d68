"""Domains, accounts, users and API keys, as DomainManagerImpl and AccountManagerImpl answer them."""

from __future__ import annotations

import requests

from tests.conftest import ApiActions, sign, unique


def create_domain(api: ApiActions, **extra) -> dict:
    return api.call("createDomain", name=unique("dom"), **extra)["domain"]


def create_account(api: ApiActions, **extra) -> dict:
    params = {"username": unique("user"), "password": "Secret-1", "email": "user@example.com",
              "firstname": "Ada", "lastname": "Lovelace", "accounttype": "0", **extra}
    return api.call("createAccount", **params)["account"]


def signed_as(api: ApiActions, user_id: str) -> ApiActions:
    """An ApiActions that signs with another user's freshly registered keys."""
    keys = api.call("registerUserKeys", id=user_id)["userkeys"]
    other = ApiActions(api.sim)
    other.sim = type(api.sim)(**{**api.sim.__dict__, "apikey": keys["apikey"], "secretkey": keys["secretkey"]})
    return other


# -- domains ------------------------------------------------------------------------------------------


def test_create_domain_under_root_then_a_child(api):
    parent = create_domain(api)
    assert parent["level"] == 1 and parent["path"] == f"ROOT/{parent['name']}"
    assert parent["parentdomainname"] == "ROOT" and parent["haschild"] is False
    child = create_domain(api, parentdomainid=parent["id"], networkdomain="corp.example.com")
    assert child["level"] == 2 and child["path"] == f"ROOT/{parent['name']}/{child['name']}"
    assert child["parentdomainid"] == parent["id"] and child["networkdomain"] == "corp.example.com"
    [listed] = api.listing("listDomains", id=parent["id"])
    assert listed["haschild"] is True and listed["state"] == "Active"
    assert listed["vmlimit"] == "Unlimited" and listed["vmtotal"] == 0


def test_domain_names_are_unique_among_siblings(api):
    parent = create_domain(api)
    name = unique("twin")
    api.call("createDomain", name=name, parentdomainid=parent["id"])
    error = api.error("createDomain", name=name.upper(), parentdomainid=parent["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert error["errortext"].startswith(f"Domain with name [{name.upper()}] already exists for the parent with ID [")
    api.call("createDomain", name=name)  # the same name under another parent is fine


def test_bad_network_domain_is_refused(api):
    error = api.error("createDomain", name=unique("dom"), networkdomain="-bad-.example")
    assert error["errortext"].startswith("Invalid network domain. Total length should not exceed 190 chars.")


def test_update_domain_renames_it_and_its_childrens_paths(api):
    parent = create_domain(api)
    child = create_domain(api, parentdomainid=parent["id"])
    new_name = unique("renamed")
    updated = api.call("updateDomain", id=parent["id"], name=new_name)["domain"]
    assert updated["name"] == new_name and updated["path"] == f"ROOT/{new_name}"
    [listed_child] = api.listing("listDomains", id=child["id"])
    assert listed_child["path"] == f"ROOT/{new_name}/{child['name']}"
    assert listed_child["parentdomainname"] == new_name


def test_root_domain_cannot_be_renamed(api):
    [root] = api.listing("listDomains", name="ROOT")
    error = api.error("updateDomain", id=root["id"], name="TOP")
    assert (error["errorcode"], error["errortext"]) == (431, "ROOT domain can not be edited with a new name")


def test_list_domains_filters(api):
    parent = create_domain(api)
    child = create_domain(api, parentdomainid=parent["id"])
    assert [d["id"] for d in api.listing("listDomains", name=child["name"])] == [child["id"]]
    assert child["id"] in [d["id"] for d in api.listing("listDomains", level=2)]
    assert [d["id"] for d in api.listing("listDomains", keyword=child["name"][4:])] == [child["id"]]
    error = api.error("listDomains", details="everything")
    assert error["errortext"] == ("The details parameter contains a non permitted value. The allowed values are "
                                  "[all, resource, min]")


def test_delete_domain_with_an_account_fails_unless_cleanup(api):
    domain = create_domain(api)
    account = create_account(api, domainid=domain["id"])
    job = api.wait(api.call("deleteDomain", id=domain["id"])["jobid"])
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 530
    assert job["jobresult"]["errortext"].startswith('Delete failed on domain Domain {"id":')
    assert job["jobresult"]["errortext"].endswith("; Please make sure all users and sub domains have been removed "
                                                  "from the domain before deleting")
    assert api.run_async("deleteDomain", id=domain["id"], cleanup="true") == {"success": True}
    assert api.listing("listDomains", name=domain["name"]) == []
    assert api.listing("listAccounts", listall="true", name=account["name"]) == []


def test_delete_empty_domain_and_root_refused(api):
    domain = create_domain(api)
    assert api.run_async("deleteDomain", id=domain["id"]) == {"success": True}
    assert api.listing("listDomains", name=domain["name"]) == []
    [root] = api.listing("listDomains", name="ROOT")
    job = api.wait(api.call("deleteDomain", id=root["id"])["jobid"])
    assert job["jobstatus"] == 2
    assert job["jobresult"] == {"errorcode": 531, "errortext": "Can't delete ROOT domain"}


# -- accounts -----------------------------------------------------------------------------------------


def test_create_account_makes_its_first_user_and_security_group(api):
    domain = create_domain(api)
    account = create_account(api, domainid=domain["id"], networkdomain="team.example.com")
    assert account["accounttype"] == 0 and account["roletype"] == "User" and account["rolename"] == "User"
    assert account["domainid"] == domain["id"] and account["domainpath"] == f"ROOT/{domain['name']}"
    assert account["state"] == "enabled" and account["isdefault"] is False and account["groups"] == []
    [user] = account["user"]
    assert user["username"] == account["name"] and user["usersource"] == "native"
    assert "secretkey" not in user and "password" not in user
    assert account["vmlimit"] == "20" and account["iplimit"] == "20" and account["ipavailable"] == "0"


def test_a_user_of_a_sub_domain_logs_in_by_the_domain_path(api):
    domain = create_domain(api)
    account = create_account(api, domainid=domain["id"])
    login = requests.post(api.sim.url, data={"command": "login", "username": account["name"], "password": "Secret-1",
                                             "domain": f"/{domain['name']}/", "response": "json"}, timeout=10)
    assert login.status_code == 200 and login.json()["loginresponse"]["domainid"] == domain["id"]


def test_account_type_or_role_is_required(api):
    error = api.error("createAccount", username=unique("u"), password="x", email="a@b.c", firstname="A",
                      lastname="B")
    assert (error["errorcode"], error["cserrorcode"]) == (431, 9999)
    assert error["errortext"] == "Neither account type and role ID are not provided"


def test_role_decides_the_account_type(api):
    admin = api.listing("listAccounts", name="admin")[0]
    account = create_account(api, roleid=admin["roleid"], accounttype="0")
    assert account["accounttype"] == 1 and account["roletype"] == "Admin" and account["rolename"] == "Root Admin"
    assert account["vmlimit"] == "Unlimited"


def test_admin_accounts_only_in_root(api):
    domain = create_domain(api)
    error = api.error("createAccount", username=unique("u"), password="x", email="a@b.c", firstname="A",
                      lastname="B", accounttype="1", domainid=domain["id"])
    assert error["errortext"].startswith("Invalid account type ADMIN given for an account in domain Domain {")
    assert error["errortext"].endswith("; unable to create user of admin role type in non-ROOT domain.")


def test_usernames_and_account_names_are_unique_in_a_domain(api):
    account = create_account(api)
    username = account["user"][0]["username"]
    error = api.error("createAccount", username=username, password="x", email="a@b.c", firstname="A",
                      lastname="B", accounttype="0", account=unique("other"))
    assert error["errortext"].startswith(f"The user {username} already exists in domain Domain {{")
    error = api.error("createAccount", username=unique("u"), password="x", email="a@b.c", firstname="A",
                      lastname="B", accounttype="0", account=account["name"])
    assert error["errortext"] == f"The specified account: {account['name']} already exists"


def test_password_policy_applies_to_new_users(fresh_api):
    fresh_api.call("updateConfiguration", name="password.policy.minimum.length", value="12")
    error = fresh_api.error("createAccount", username=unique("u"), password="short", email="a@b.c",
                            firstname="A", lastname="B", accounttype="0")
    assert error["errortext"] == "User password should contain at least [12] characters."


def test_list_accounts_hides_the_system_account_and_needs_listall(api):
    account = create_account(api)
    own = api.listing("listAccounts")
    assert [a["name"] for a in own] == ["admin"]
    everyone = [a["name"] for a in api.listing("listAccounts", listall="true")]
    assert "system" not in everyone and "admin" in everyone and account["name"] in everyone
    assert [a["id"] for a in api.listing("listAccounts", listall="true", name=account["name"])] == [account["id"]]
    assert [a["id"] for a in api.listing("listAccounts", id=account["id"])] == [account["id"]]


def test_update_account_renames_and_changes_role(api):
    account = create_account(api)
    new_name = unique("acct")
    updated = api.call("updateAccount", id=account["id"], newname=new_name, networkdomain="")["account"]
    assert updated["name"] == new_name and "networkdomain" not in updated
    assert updated["user"][0]["account"] == new_name
    error = api.error("updateAccount", id=account["id"], networkdomain="bad_domain!")
    assert error["errortext"].startswith("Invalid network domain or format.")


def test_system_and_default_accounts_are_protected(api):
    admin = api.listing("listAccounts", name="admin")[0]
    job = api.wait(api.call("deleteAccount", id=admin["id"])["jobid"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 431
    assert job["jobresult"]["errortext"].startswith("Deletion of your own account is not allowed.")


def test_delete_account_removes_its_users(api):
    account = create_account(api)
    user_id = account["user"][0]["id"]
    assert api.run_async("deleteAccount", id=account["id"]) == {"success": True}
    assert api.listing("listAccounts", listall="true", name=account["name"]) == []
    assert api.listing("listUsers", listall="true", username=account["name"]) == []
    error = api.error("listUsers", id=user_id)
    assert error["errorcode"] == 431


# -- users --------------------------------------------------------------------------------------------


def test_create_user_in_an_account(api):
    account = create_account(api)
    user = api.call("createUser", account=account["name"], username=unique("second"), password="pw",
                    email="s@example.com", firstname="Sec", lastname="Ond", timezone="UTC")["user"]
    assert user["accountid"] == account["id"] and user["account"] == account["name"]
    assert user["timezone"] == "UTC" and user["iscallerchilddomain"] is False and "secretkey" not in user
    error = api.error("createUser", account=unique("nobody"), username=unique("x"), password="pw",
                      email="s@example.com", firstname="a", lastname="b")
    assert error["errortext"].startswith("Unable to find account ") and error["errortext"].endswith(" to create user")


def test_update_user_changes_password_that_is_never_shown(api):
    account = create_account(api)
    user = account["user"][0]
    updated = api.call("updateUser", id=user["id"], password="N3w-password", firstname="Grace",
                       email="grace@example.com")["user"]
    assert updated["firstname"] == "Grace" and updated["email"] == "grace@example.com"
    assert "password" not in updated
    login = requests.post(api.sim.url, data={"command": "login", "username": user["username"],
                                             "password": "N3w-password", "response": "json"}, timeout=10)
    assert login.status_code == 200 and login.json()["loginresponse"]["username"] == user["username"]
    error = api.error("updateUser", id=user["id"], firstname=" ")
    assert error["errortext"] == "Firstname cannot be empty."
    error = api.error("updateUser", id=user["id"], userapikey="only-one")
    assert error["errortext"] == "Please provide a userApiKey/userSecretKey pair"


def test_list_users_never_shows_the_system_user_or_secret_keys(api):
    users = api.listing("listUsers", listall="true")
    assert "system" not in [u["username"] for u in users]
    assert all("secretkey" not in u for u in users)
    [admin] = [u for u in users if u["username"] == "admin"]
    assert admin["apikey"] == api.sim.apikey and admin["apikeyaccess"] == "INHERIT"


def test_list_users_keyword_matches_names_and_email(api):
    account = create_account(api, firstname="Zebulon")
    found = api.listing("listUsers", listall="true", keyword="zebulon")
    assert account["user"][0]["id"] in [u["id"] for u in found]


def test_default_user_cannot_be_deleted_and_users_can(api):
    admin = api.listing("listUsers", username="admin")[0]
    error = api.error("deleteUser", id=admin["id"])
    assert error["errortext"] == "The user is default and can't be (re)moved"
    account = create_account(api)
    extra = api.call("createUser", account=account["name"], username=unique("x"), password="pw",
                     email="s@example.com", firstname="a", lastname="b")["user"]
    assert api.call("deleteUser", id=extra["id"]) == {"success": True}


def test_register_user_keys_replaces_the_old_pair(api):
    account = create_account(api)
    user_id = account["user"][0]["id"]
    first = api.call("registerUserKeys", id=user_id)["userkeys"]
    assert len(first["apikey"]) == 86 and len(first["secretkey"]) == 86
    assert api.call("getUserKeys", id=user_id)["userkeys"] == {**first, "apikeyaccess": True}
    listed = api.listing("listUsers", id=user_id)[0]
    assert listed["apikey"] == first["apikey"] and "secretkey" not in listed
    old = signed_as(api, user_id)  # registers a second pair: the first one stops working
    payload = sign({"command": "listCapabilities", "response": "json"}, first["apikey"], first["secretkey"])
    assert requests.get(api.sim.url, params=payload, timeout=10).status_code == 401
    assert old.raw("listCapabilities").status == 200


def test_system_user_keys_cannot_be_registered(api):
    bare = api.listing("listUsers", listall="true", username="baremetal-system-account")[0]
    error = api.error("registerUserKeys", id=bare["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (531, 4365)
    assert error["errortext"].endswith("is system account, update is not allowed")
