"""listConfigurations and updateConfiguration, with ConfigurationManagerImpl's checks and texts."""

from __future__ import annotations

from tests.conftest import unique


def setting(api, name: str, **scope) -> dict:
    [row] = [c for c in api.listing("listConfigurations", name=name, **scope) if c["name"] == name]
    return row


def test_list_shows_a_setting_with_its_metadata(api):
    row = setting(api, "expunge.delay")
    assert row["value"] == row["defaultvalue"] == "86400"
    assert row["type"] == "Number" and row["category"] == "Advanced" and row["isdynamic"] is False
    assert row["group"] and row["subgroup"] and "scope" not in row and "id" not in row


def test_name_is_a_like_filter_and_hidden_settings_are_never_listed(api):
    names = [c["name"] for c in api.listing("listConfigurations", name="expunge")]
    assert "expunge.delay" in names and "expunge.interval" in names
    assert all("expunge" in name for name in names)
    hidden = api.listing("listConfigurations", name="init")
    assert "init" not in [c["name"] for c in hidden]  # category Hidden
    assert all(c["category"] != "Hidden" for c in api.listing("listConfigurations", pagesize="-1"))


def test_keyword_searches_descriptions_too(api):
    found = api.listing("listConfigurations", keyword="Determines how long (in seconds) to wait before actually")
    assert "expunge.delay" in [c["name"] for c in found]


def test_category_filter_and_paging(api):
    page = api.call("listConfigurations", category="Advanced", page="2", pagesize="5")
    assert page["count"] > 5 and len(page["configuration"]) == 5
    assert all(c["category"] == "Advanced" for c in page["configuration"])
    names = [c["name"] for c in api.listing("listConfigurations", category="Advanced", pagesize="-1")]
    assert names == sorted(names, key=str.lower)


def test_update_global_setting(fresh_api):
    row = fresh_api.call("updateConfiguration", name="expunge.delay", value="120")["configuration"]
    assert row["name"] == "expunge.delay" and row["value"] == "120" and row["isdynamic"] is False
    assert setting(fresh_api, "expunge.delay")["value"] == "120"
    row = fresh_api.call("updateConfiguration", name="expunge.delay")["configuration"]
    assert "value" not in row  # no value sent: nothing changes and none is echoed
    assert setting(fresh_api, "expunge.delay")["value"] == "120"


def test_boolean_values_are_lower_cased_and_checked(fresh_api):
    fresh_api.call("updateConfiguration", name="allow.user.create.projects", value="FALSE")
    assert setting(fresh_api, "allow.user.create.projects")["value"] == "false"
    error = fresh_api.error("updateConfiguration", name="allow.user.create.projects", value="maybe")
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert error["errortext"] == "Value [maybe] is not a valid [class java.lang.Boolean]."


def test_numbers_are_checked_by_type_and_range(api):
    error = api.error("updateConfiguration", name="expunge.delay", value="soon")
    assert error["errortext"] == "Value [soon] is not a valid [class java.lang.Integer]."
    error = api.error("updateConfiguration", name="expunge.delay", value="99999999999")
    assert error["errortext"] == "Value [99999999999] is not a valid [class java.lang.Integer]."
    error = api.error("updateConfiguration", name="expunge.interval", value="0")
    assert error["errortext"] == "Please enter a positive value for the configuration parameter: [expunge.interval]."
    error = api.error("updateConfiguration", name="cpu.overprovisioning.factor", value="0")
    assert error["errortext"] == "Value for configuration [cpu.overprovisioning.factor] should be greater than 0."
    error = api.error("updateConfiguration", name="router.extra.public.nics", value="9")
    assert error["errortext"] == ("The provided value is not valid for this configuration. Please enter an integer "
                                  "in the range: [0-5]")


def test_option_ranges_of_config_enum_settings(api):
    error = api.error("updateConfiguration", name="network.dns.basiczone.updates", value="everywhere")
    assert error["errortext"] == (
        "The provided value is neither a valid value for this configuration (Options are: [all]) NOR a valid value "
        "for this configuration (Options are: [pod]).")


def test_unknown_setting_and_restricted_one(api):
    error = api.error("updateConfiguration", name="no.such.setting", value="1")
    assert error["errortext"] == "Config parameter with name no.such.setting doesn't exist"
    error = api.error("updateConfiguration", name="dynamic.apichecker.enabled", value="false")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (
        431, 9999, "Restricted configuration update not allowed")


def test_cluster_setting_refuses_a_zone_scope(api):
    zone = api.create_zone()
    error = api.error("updateConfiguration", name="cpu.overprovisioning.factor", value="2", zoneid=zone["id"])
    assert error["errortext"] == "Invalid scope id provided for the parameter cpu.overprovisioning.factor"


def test_zone_scope_values_show_in_that_zone_only(api):
    zone, other = api.create_zone(), api.create_zone()
    name = "enable.dynamic.scale.vm"
    row = api.call("updateConfiguration", name=name, value="true", zoneid=zone["id"])["configuration"]
    assert (row["scope"], row["value"]) == ("zone", "true")
    assert setting(api, name, zoneid=zone["id"])["value"] == "true"
    assert setting(api, name, zoneid=other["id"])["value"] == setting(api, name)["value"] == "false"
    scoped = api.listing("listConfigurations", zoneid=zone["id"])
    assert scoped and all(c["scope"] == "zone" for c in scoped)
    assert "expunge.delay" not in [c["name"] for c in scoped]  # a Global-only setting


def test_account_scope_and_one_scope_at_a_time(api):
    account = api.call("createAccount", username=unique("cfg"), password="pw", email="a@b.c", firstname="A",
                       lastname="B", accounttype="0")["account"]
    zone = api.create_zone()
    name = "allow.user.view.destroyed.vm"
    api.call("updateConfiguration", name=name, value="true", accountid=account["id"])
    assert setting(api, name, accountid=account["id"])["value"] == "true"
    assert setting(api, name)["value"] == "false"
    error = api.error("updateConfiguration", name=name, value="true", accountid=account["id"], zoneid=zone["id"])
    assert error["errortext"] == "cannot handle multiple IDs, provide only one ID corresponding to the scope"
    error = api.error("listConfigurations", accountid=account["id"], zoneid=zone["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (431, 9999)


def test_ip_range_settings_must_be_ranges(api):
    error = api.error("updateConfiguration", name="remote.access.vpn.client.iprange", value="10.1.2.1")
    assert error["errortext"] == "Invalid IP address value(s) specified for the config value."
