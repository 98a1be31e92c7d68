"""Service and disk offerings, with ConfigurationManagerImpl's checks and texts."""

from __future__ import annotations

from tests.conftest import unique


def create_offering(api, **extra) -> dict:
    params = {"name": unique("so"), "cpunumber": "2", "cpuspeed": "1000", "memory": "2048", **extra}
    return api.call("createServiceOffering", **params)["serviceoffering"]


def test_fresh_cloud_lists_small_and_medium_instance(fresh_api):
    names = [o["name"] for o in fresh_api.listing("listServiceOfferings")]
    assert names == ["Small Instance", "Medium Instance"]
    system = fresh_api.listing("listServiceOfferings", issystem="true")
    assert "System Offering For Software Router" in [o["name"] for o in system]
    assert all(o["issystem"] is True and o["defaultuse"] is True for o in system)
    routers = fresh_api.listing("listServiceOfferings", issystem="true", systemvmtype="domainrouter")
    assert {o["systemvmtype"] for o in routers} == {"domainrouter"}
    assert [o["name"] for o in fresh_api.listing("listDiskOfferings")] == ["Small", "Medium", "Large", "Custom"]


def test_create_service_offering(api):
    offering = create_offering(api, displaytext="Two by two", hosttags="fast", tags="ssd, nvme", offerha="true",
                               limitcpuuse="true", networkrate="100")
    assert (offering["cpunumber"], offering["cpuspeed"], offering["memory"]) == (2, 1000, 2048)
    assert offering["displaytext"] == "Two by two" and offering["hosttags"] == "fast"
    assert offering["storagetags"] == "ssd,nvme" and offering["storagetype"] == "shared"
    assert offering["offerha"] is True and offering["limitcpuuse"] is True and offering["networkrate"] == 100
    assert offering["iscustomized"] is False and offering["state"] == "Active" and offering["issystem"] is False
    assert offering["diskofferingname"] == offering["name"] and offering["provisioningtype"] == "thin"
    assert offering["id"] in [o["id"] for o in api.listing("listServiceOfferings", name=offering["name"])]
    # the compute-only disk offering behind it is never listed
    assert offering["diskofferingid"] not in [o["id"] for o in api.listing("listDiskOfferings")]


def test_custom_offering_and_its_limits(api):
    offering = api.call("createServiceOffering", name=unique("custom"), customized="true", mincpunumber="1",
                        maxcpunumber="4", minmemory="512", maxmemory="4096", cpuspeed="500")["serviceoffering"]
    assert offering["iscustomized"] is True and "cpunumber" not in offering
    assert offering["serviceofferingdetails"] == {"minmemory": "512", "maxmemory": "4096", "mincpunumber": "1",
                                                  "maxcpunumber": "4"}
    fits = [o["id"] for o in api.listing("listServiceOfferings", cpunumber="3", name=offering["name"])]
    assert fits == [offering["id"]]
    assert api.listing("listServiceOfferings", cpunumber="8", name=offering["name"]) == []
    error = api.error("createServiceOffering", name=unique("custom"), customized="true", cpuspeed="500")
    assert error["errortext"] == ("For creating a custom compute offering min/max cpu and min/max memory/cpu speed "
                                  "should all be null or all specified")


def test_service_offering_refusals(api):
    name = unique("bad")
    cases = [
        ({"cpunumber": "0", "cpuspeed": "1000", "memory": "512"},
         f"Failed to create service offering {name}: specify the cpu number value between 1 and 2147483647"),
        ({"cpunumber": "1", "memory": "512"},
         f"Failed to create service offering {name}: specify the cpu speed value between 0 and 2147483647"),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "16"},
         f"Failed to create service offering {name}: specify the memory value between 32 and 2147483647 MB"),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "512", "storagetype": "nfs"},
         "Invalid storage type nfs specified, valid types are: 'local' and 'shared'"),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "512", "storagetype": "local", "offerha": "true"},
         "HA offering with local storage is not supported. "),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "512", "cachemode": "fast"},
         "Invalid cache mode (fast). Please specify one of the following valid cache mode parameters: none, "
         "writeback, writethrough or hypervisor_default."),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "512", "issystem": "true", "systemvmtype": "userVm"},
         "Invalid systemVmType. Supported types are: DomainRouter, ConsoleProxy, SecondaryStorageVm"),
        ({"cpunumber": "1", "cpuspeed": "1000", "memory": "512", "issystem": "true", "systemvmtype": "consoleproxy",
          "networkrate": "10"},
         "Network rate can be specified only for non-System offering and system offerings having \"domainrouter\" "
         "systemvmtype"),
    ]
    for params, text in cases:
        error = api.error("createServiceOffering", name=name, **params)
        assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (431, 4350, text), params


def test_system_offering_is_listed_with_issystem_only(api):
    offering = create_offering(api, issystem="true", systemvmtype="secondarystoragevm")
    assert offering["issystem"] is True and offering["systemvmtype"] == "secondarystoragevm"
    assert offering["id"] not in [o["id"] for o in api.listing("listServiceOfferings")]
    assert offering["id"] in [o["id"] for o in api.listing("listServiceOfferings", issystem="true")]


def test_update_service_offering(api):
    offering = create_offering(api)
    zone = api.create_zone()
    domain = api.call("createDomain", name=unique("sodom"))["domain"]
    updated = api.call("updateServiceOffering", id=offering["id"], name=unique("renamed"), displaytext="New text",
                       storagetags="gold", hosttags="big", zoneid=zone["id"], domainid=domain["id"])["serviceoffering"]
    assert updated["displaytext"] == "New text" and updated["storagetags"] == "gold" and updated["hosttags"] == "big"
    assert (updated["zoneid"], updated["zone"]) == (zone["id"], zone["name"])
    assert (updated["domainid"], updated["domain"]) == (domain["id"], domain["name"])
    public = api.call("updateServiceOffering", id=offering["id"], domainid="public", zoneid="all")["serviceoffering"]
    assert "domainid" not in public and "zoneid" not in public
    assert offering["id"] in [o["id"] for o in api.listing("listServiceOfferings", zoneid=zone["id"])]
    error = api.error("updateServiceOffering", id=offering["id"], state="Broken")
    assert error["errortext"] == "Invalid state value: Broken"


def test_delete_service_offering_makes_it_inactive(api):
    offering = create_offering(api)
    assert api.call("deleteServiceOffering", id=offering["id"]) == {"success": True}
    assert api.listing("listServiceOfferings", id=offering["id"]) == []
    [inactive] = api.listing("listServiceOfferings", id=offering["id"], state="all")
    assert inactive["state"] == "Inactive"
    router = next(o for o in api.listing("listServiceOfferings", issystem="true")
                  if o["name"] == "System Offering For Software Router")
    error = api.error("deleteServiceOffering", id=router["id"])
    assert error["errortext"] == "The system service offering [null] is marked for default use and cannot be deleted"


def test_create_disk_offering(api):
    offering = api.call("createDiskOffering", name=unique("do"), disksize="50", tags="ssd",
                        storagetype="local", provisioningtype="sparse")["diskoffering"]
    assert offering["disksize"] == 50 and offering["iscustomized"] is False and offering["tags"] == "ssd"
    assert offering["storagetype"] == "local" and offering["provisioningtype"] == "sparse"
    assert offering["displaytext"] == offering["name"] and offering["displayoffering"] is True
    custom = api.call("createDiskOffering", name=unique("do"), customized="true")["diskoffering"]
    assert custom["iscustomized"] is True and custom["disksize"] == 0
    names = [o["name"] for o in api.listing("listDiskOfferings", keyword=offering["name"])]
    assert names == [offering["name"]]
    assert [o["id"] for o in api.listing("listDiskOfferings", storagetype="local", name=offering["name"])] == \
        [offering["id"]]


def test_disk_offering_refusals(api):
    cases = [
        ({}, "Disksize is required for a non-customized disk offering"),
        ({"customized": "true", "disksize": "5"}, "Disksize is not allowed for a customized disk offering"),
        ({"disksize": "0"}, "Please specify a disk size of at least 1 GB."),
        ({"disksize": "999999"}, "The maximum size for a disk is 2000 GB."),
        ({"disksize": "5", "iopsreadrate": "100", "iopsreadratemax": "50"},
         "IOPS Read rate (100) cannot be greater than IOPS Read maximum rate (50)"),
        ({"disksize": "5", "customizediops": "false", "miniops": "500", "maxiops": "100"},
         "The min IOPS must be less than or equal to the max IOPS."),
    ]
    for params, text in cases:
        error = api.error("createDiskOffering", name=unique("bad"), **params)
        assert (error["errorcode"], error["errortext"]) == (431, text), params
