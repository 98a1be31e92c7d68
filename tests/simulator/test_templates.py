"""Templates: registerTemplate's checks and download, listTemplates' filters and the seeded templates."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.simulator.storage_builders import ready_site, running_system_vms, site


@pytest.fixture(scope="module")
def os_type(simulator):
    from tests.conftest import ApiActions

    [found] = [os for os in ApiActions(simulator).listing("listOsTypes") if os["description"] == "CentOS 7"]
    return found


def register(api, zone: dict, os_type: dict, **extra) -> dict:
    params = {"zoneid": zone["id"], "name": unique("tmpl"), "displaytext": "a template", "format": "QCOW2",
              "hypervisor": "KVM", "ostypeid": os_type["id"], "url": "http://images.example.com/centos7.qcow2.bz2",
              **extra}
    return api.call("registerTemplate", **params)


def test_register_answers_a_list_and_downloads_through_the_zones_ssvm(api, os_type):
    place = ready_site(api)
    reply = register(api, place.zone, os_type, ispublic="true", passwordenabled="true", checksum="{MD5}abc")
    assert reply["count"] == 1
    [template] = reply["template"]
    assert (template["zoneid"], template["zonename"], template["templatetype"]) == \
        (place.zone["id"], place.zone["name"], "USER")
    assert (template["isready"], template["ispublic"], template["passwordenabled"]) == (False, True, True)
    assert (template["ostypeid"], template["ostypename"]) == (os_type["id"], "CentOS 7")
    assert (template["account"], template["domain"], template["hypervisor"], template["format"]) == \
        ("admin", "ROOT", "KVM", "QCOW2")
    assert template["checksum"] == "abc" and template["url"].startswith("http://images.example.com/")
    assert template["crossZones"] is False and template["requireshvm"] is True and template["bits"] == 64
    running_system_vms(api, place.zone)

    def downloaded():
        [row] = api.listing("listTemplates", templatefilter="self", id=template["id"])
        return row if row["isready"] else None
    row = api.wait_until(downloaded)
    assert row["status"] == "Download Complete" and row["size"] > 0
    assert row["downloaddetails"][0]["downloadState"] == "DOWNLOADED"


def test_a_template_waits_for_a_running_ssvm(api, os_type):
    place = site(api)
    store = place.image_store(api)
    place.enable(api)  # no primary storage: no system VMs
    [template] = register(api, place.zone, os_type)["template"]
    assert (template["isready"], template["status"]) == (False, "Active")
    [row] = api.listing("listTemplates", templatefilter="self", id=template["id"])
    assert row["isready"] is False
    assert row["downloaddetails"] == [{"datastore": store["name"], "datastoreId": store["id"],
                                       "datastoreRole": "Image", "downloadPercent": "0",
                                       "downloadState": "NOT_DOWNLOADED"}]
    assert api.call("listTemplates", templatefilter="selfexecutable", id=template["id"]) == {}


def test_a_disabled_zone_gets_no_copy(api, os_type):
    place = site(api)
    place.image_store(api)
    [template] = register(api, place.zone, os_type)["template"]
    assert (template["zoneid"], template["downloaddetails"], template["status"]) == (place.zone["id"], [], "Active")


def test_a_zone_without_secondary_storage_is_refused(api, os_type):
    zone = api.create_zone()
    error = api.error("registerTemplate", zoneid=zone["id"], name=unique("t"), format="QCOW2", hypervisor="KVM",
                      ostypeid=os_type["id"], url="http://images.example.com/x.qcow2")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == \
        (530, 4250, "Unable to find image store to download the template [null].")


@pytest.mark.parametrize("extra, code, text", [
    ({"zoneid": None}, (431, 9999), "Either zoneid or zoneids is required. Both cannot be null."),
    ({"ostypeid": None}, (431, 9999), "Please provide a guest OS type"),
    ({"hypervisor": "Hypervisorx"}, (431, 4350), "Hypervisor Type: Hypervisorx is invalid. Supported Hypervisor "
     "types are: XenServer, KVM, VMware, Hyperv, VirtualBox, Parralels, BareMetal, Simulator, Ovm, Ovm3, LXC, "
     "Custom, External, Any"),
    ({"format": "floppy"}, (431, 9999), "Image format: floppy is incorrect. Supported formats are [QCOW2, RAW, VHD, "
     "ISO, OVA, VHDX, BAREMETAL, EXTERNAL, VMDK, VDI, TAR, ZIP, DIR, ]"),
    ({"url": "http://images.example.com/x.vhd"}, (431, 9999),
     "Please specify a valid URL. URL:/x.vhd is an invalid for the format qcow2"),
    ({"url": "http://images.example.com/x.exe"}, (431, 9999), "Please specify a valid qcow2"),
    ({"url": "ftp://images.example.com/x.qcow2"}, (431, 9999),
     "Unsupported scheme for url: ftp://images.example.com/x.qcow2"),
    ({"url": "http://127.0.0.1/x.qcow2"}, (431, 9999), "Illegal host specified in URL."),
    ({"url": "file:///tmp/x.qcow2"}, (431, 4350), "File:// type urls are currently unsupported"),
    ({"name": "systemvm template (kvm)"}, (431, 9999), "Cannot use reserved names for templates"),
    ({"templatetype": "SYSTEM"}, (431, 4350), "System and Builtin templates must be cross zone."),
    ({"directdownload": "true", "hypervisor": "XenServer", "format": "VHD"}, (431, 9999),
     "Parameter directdownload is only allowed for KVM or Custom templates"),
])
def test_register_refusals(api, os_type, extra, code, text):
    place = site(api, host_up=False)
    place.image_store(api)
    params = {"zoneid": place.zone["id"], "name": unique("t"), "format": "QCOW2", "hypervisor": "KVM",
              "ostypeid": os_type["id"], "url": "http://images.example.com/x.qcow2", **extra}
    error = api.error("registerTemplate", **{k: v for k, v in params.items() if v is not None})
    assert ((error["errorcode"], error["cserrorcode"]), error["errortext"]) == (code, text)


def test_templatefilter_is_required_and_checked(api):
    error = api.error("listTemplates")
    assert error["errortext"] == "Unable to execute API command listtemplates due to missing parameter templatefilter"
    error = api.error("listTemplates", templatefilter="mine")
    assert (error["errorcode"], error["errortext"]) == \
        (431, "No enum constant com.cloud.template.VirtualMachineTemplate.TemplateFilter.mine")


def test_system_templates_show_only_for_all(api):
    place = ready_site(api)
    system = api.listing("listTemplates", templatefilter="all", zoneid=place.zone["id"], templatetype="SYSTEM")
    [kvm] = [t for t in system if t["hypervisor"] == "KVM"]
    assert (kvm["name"], kvm["account"], kvm["isready"], kvm["status"]) == \
        ("SystemVM Template (KVM)", "system", True, "Download Complete")
    assert kvm["url"].startswith("https://download.cloudstack.org/systemvm/")
    for choice in ("featured", "self", "selfexecutable", "executable", "community"):
        rows = api.listing("listTemplates", templatefilter=choice, zoneid=place.zone["id"])
        assert all(t["templatetype"] != "SYSTEM" for t in rows), choice


def test_builtin_templates_are_featured_once_the_ssvm_downloaded_them(api):
    place = ready_site(api)
    running_system_vms(api, place.zone)

    def builtin():
        rows = api.listing("listTemplates", templatefilter="featured", zoneid=place.zone["id"], hypervisor="kvm")
        return rows or None
    [centos] = api.wait_until(builtin)
    assert (centos["name"], centos["templatetype"], centos["isfeatured"]) == \
        ("CentOS 5.5(64-bit) no GUI (KVM)", "BUILTIN", True)


def test_list_filters(api, os_type):
    place = site(api)
    place.image_store(api)
    name = unique("findme")
    [template] = register(api, place.zone, os_type, name=name, displaytext="needle in a haystack")["template"]
    assert [t["id"] for t in api.listing("listTemplates", templatefilter="self", name=name)] == [template["id"]]
    assert [t["id"] for t in api.listing("listTemplates", templatefilter="executable", keyword="needle in a",
                                         zoneid=place.zone["id"])] == [template["id"]]
    assert [t["id"] for t in api.listing("listTemplates", templatefilter="all", zoneid=place.zone["id"],
                                         templatetype="USER")] == [template["id"]]
    assert api.call("listTemplates", templatefilter="self", name=name, hypervisor="XenServer") == {}
    assert api.call("listTemplates", templatefilter="community", name=name) == {}


def test_a_template_on_a_store_holds_the_store(api, os_type):
    place = site(api)
    store = place.image_store(api)
    place.enable(api)
    register(api, place.zone, os_type)
    error = api.error("deleteImageStore", id=store["id"])
    assert (error["errorcode"], error["errortext"]) == (431, "Cannot delete image store with active templates backup!")


def as_new_user(api):
    """An ApiActions signing as the user of a new normal account."""
    from tests.conftest import ApiActions

    account = api.call("createAccount", username=unique("user"), password="Secret-1", email="u@example.com",
                       firstname="Ada", lastname="Lovelace", accounttype="0")["account"]
    keys = api.call("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    user = ApiActions(api.sim)
    user.sim = type(api.sim)(**{**api.sim.__dict__, "apikey": keys["apikey"], "secretkey": keys["secretkey"]})
    return user


def test_a_user_sees_public_templates_without_their_status(api, os_type):
    place = site(api)
    place.image_store(api)
    [public] = register(api, place.zone, os_type, ispublic="true")["template"]
    user = as_new_user(api)
    error = user.error("listTemplates", templatefilter="all")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == \
        (431, 4350, "Filter all can be specified by admin only")
    [seen] = user.listing("listTemplates", templatefilter="executable", id=public["id"])
    assert "status" not in seen and "url" not in seen
    assert user.call("listTemplates", templatefilter="self", id=public["id"]) != {}  # an id skips the ACL filter
    assert user.call("listTemplates", templatefilter="self", name=public["name"]) == {}


def test_a_fresh_cloud_lists_no_template_without_hosts(fresh_api):
    # Only templates of the hypervisors the hosts run are listed (and External from 4.21).
    assert fresh_api.call("listTemplates", templatefilter="all") == {}
