"""Primary storage: createStoragePool's URL parsing and refusals, updates, maintenance, lists, providers."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.simulator.storage_builders import site


@pytest.fixture
def place(api):
    return site(api)


def test_an_nfs_pool_is_parsed_from_its_url_and_is_up(api, place):
    pool = place.pool(api, url=f"nfs://{place.subnet}.250/export/primary-a", tags="ssd, fast,")
    assert pool["ipaddress"] == f"{place.subnet}.250"
    assert pool["path"] == "/export/primary-a"
    assert pool["type"] == "NetworkFilesystem"
    assert (pool["scope"], pool["state"], pool["hypervisor"]) == ("CLUSTER", "Up", "KVM")
    assert pool["provider"] == "DefaultPrimary"
    assert pool["tags"] == "ssd,fast"
    assert (pool["clusterid"], pool["podid"], pool["zoneid"]) == (place.cluster["id"], place.pod["id"],
                                                                 place.zone["id"])
    assert pool["clustername"] == place.cluster["name"] and pool["zonename"] == place.zone["name"]
    assert pool["overprovisionfactor"] == "2.0"
    assert pool["disksizetotal"] > 0 and pool["disksizeused"] == 0
    [listed] = api.listing("listStoragePools", id=pool["id"])
    assert listed["storagecapabilities"] == {"VOLUME_SNAPSHOT_QUIESCEVM": "false"}


def test_the_pool_id_is_derived_from_host_and_path_as_the_server_does(api, place):
    import hashlib
    import uuid

    pool = place.pool(api, url=f"nfs://{place.subnet}.250/export/derived")
    expected = uuid.UUID(bytes=hashlib.md5(f"{place.subnet}.250/export/derived".encode()).digest(), version=3)
    assert pool["id"] == str(expected)


def test_rbd_and_presetup_urls(api, place):
    rbd = place.pool(api, url=f"rbd://admin:c2VjcmV0@{place.subnet}.30:6789/{unique('rbdpool')}")
    assert rbd["type"] == "RBD" and rbd["ipaddress"] == f"{place.subnet}.30" and not rbd["path"].startswith("/")
    path = f"/mnt/{unique('presetup')}"
    presetup = place.pool(api, url=f"PreSetup://localhost{path}", scope="zone", hypervisor="KVM", podid=None,
                          clusterid=None)
    assert presetup["type"] == "PreSetup" and presetup["scope"] == "ZONE"
    assert presetup["id"] == path.replace("/", "")  # the life cycle's uuid for PreSetup on KVM
    assert "clusterid" not in presetup and "podid" not in presetup


def test_a_zone_wide_pool_needs_a_supported_hypervisor(api, place):
    error = api.error("createStoragePool", zoneid=place.zone["id"], name=unique("pool"), scope="zone",
                      url=f"nfs://{place.subnet}.250/export/zwps")
    assert (error["errorcode"], error["cserrorcode"]) == (530, 9999)
    assert error["errortext"] == "Missing parameter hypervisor. Hypervisor type is required to create zone wide " \
                                 "primary storage."
    error = api.error("createStoragePool", zoneid=place.zone["id"], name=unique("pool"), scope="zone",
                      hypervisor="XenServer", url=f"nfs://{place.subnet}.250/export/zwps")
    assert error["errortext"] == "Zone wide storage pool is not supported for hypervisor type XenServer"
    pool = place.pool(api, scope="ZONE", hypervisor="kvm", podid=None, clusterid=None)
    assert (pool["scope"], pool["hypervisor"]) == ("ZONE", "KVM")


@pytest.mark.parametrize("extra, text", [
    ({"scope": "rack"}, "invalid scope for pool rack"),
    ({"clusterid": None}, "cluster id can't be null, if scope is cluster"),
    ({"url": "nfs://10.9.9.9"}, "host or path is null, should be nfs://hostname/path"),
    ({"url": "http://10.9.9.9/export"},
     "Failed to add data store: No enum constant com.cloud.storage.Storage.StoragePoolType.http"),
    ({"url": "10.9.9.9:/export"}, 'Failed to add data store: Cannot invoke "Object.toString()" because the return '
                                  'value of "java.util.Map.get(Object)" is null'),
    ({"podid": None}, "Failed to add data store: Cluster id requires pod id"),
    ({"capacitybytes": "0"}, "Failed to add data store: 'capacityBytes' must be greater than 0."),
    ({"url": "iscsi://10.9.9.9/iqn.2010-01.com.example:disk/x"}, "Failed to add data store: iSCSI needs to have "
                                                                 "LUN number"),
    ({"url": "cifs://10.9.9.9/share"}, "Failed to add data store: Missing cifs user and password details. Add "
                                       "them as details parameter."),
    ({"details[0].nfsmountopts": "vers=4,vers=3"}, "Duplicate NFS option values found for option vers"),
    ({"tags": "x", "istagarule": "true"},
     "The parameter istagarule cannot be set to true as JS interpretation is disabled"),
])
def test_create_refusals_leave_as_internal_errors(api, place, extra, text):
    params = {"zoneid": place.zone["id"], "podid": place.pod["id"], "clusterid": place.cluster["id"],
              "name": unique("pool"), "url": f"nfs://{place.subnet}.250/export/{unique('p')}", **extra}
    error = api.error("createStoragePool", **{k: v for k, v in params.items() if v is not None})
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (530, 9999, text)


def test_the_same_export_cannot_be_added_twice(api, place):
    url = f"nfs://{place.subnet}.250/export/{unique('shared')}"
    place.pool(api, url=url)
    error = api.error("createStoragePool", zoneid=place.zone["id"], podid=place.pod["id"],
                      clusterid=place.cluster["id"], name=unique("pool"), url=url)
    assert error["errortext"].startswith(f"Failed to add data store: Storage pool /export/{url.rsplit('/', 1)[1]} "
                                         "already in use by another pod (id=")


def test_a_cluster_pool_needs_an_up_host(api):
    down = site(api, host_up=False)
    error = api.error("createStoragePool", zoneid=down.zone["id"], podid=down.pod["id"], clusterid=down.cluster["id"],
                      name=unique("pool"), url=f"nfs://{down.subnet}.250/export/x")
    assert error["errorcode"] == 530
    assert error["errortext"].startswith("Failed to add data store: No host up to associate a storage pool with "
                                         "in cluster ")


def test_update_changes_tags_capacity_name_and_enabled_state(api, place):
    pool = place.pool(api)
    updated = api.call("updateStoragePool", id=pool["id"], tags="gold,silver", capacitybytes="2000000000",
                       name="renamed")["storagepool"]
    assert (updated["tags"], updated["capacitybytes"], updated["name"]) == ("gold,silver", 2000000000, "renamed")
    assert updated["details"]["capacityBytes"] == "2000000000"
    assert api.call("updateStoragePool", id=pool["id"], enabled="false")["storagepool"]["state"] == "Disabled"
    error = api.error("updateStoragePool", id=pool["id"], enabled="false")
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert error["errortext"].startswith("Primary storage StoragePool {")
    assert error["errortext"].endswith(f'"name":"renamed","uuid":"{pool["id"]}","poolType":"NetworkFilesystem"}} '
                                       "cannot be disabled. Storage pool state : Disabled")
    assert api.call("updateStoragePool", id=pool["id"], enabled="true")["storagepool"]["state"] == "Up"
    error = api.error("updateStoragePool", id=pool["id"])
    assert (error["errorcode"], error["errortext"]) == (530, "Failed to update storage pool")


def test_maintenance_life_cycle_and_delete(api, place):
    pool = place.pool(api)
    error = api.error("deleteStoragePool", id=pool["id"])
    assert error["errorcode"] == 431
    assert error["errortext"].startswith("Unable to delete storage due to it is not in Maintenance state, pool: "
                                         "StoragePool {")
    reply = api.raw("enableStorageMaintenance", id=pool["id"])
    assert reply.wrapper == "prepareprimarystorageformaintenanceresponse"
    assert api.listing("listStoragePools", id=pool["id"])[0]["state"] == "PrepareForMaintenance"
    job = api.wait(reply.inner["jobid"])
    assert (job["jobstatus"], job["jobinstancetype"], job["jobinstanceid"]) == (1, "StoragePool", pool["id"])
    assert job["jobresult"]["storagepool"]["state"] == "Maintenance"
    again = api.wait(api.call("enableStorageMaintenance", id=pool["id"])["jobid"])
    assert again["jobstatus"] == 2 and again["jobresult"]["errorcode"] == 431
    assert again["jobresult"]["errortext"].endswith("is not ready for migration, as the status is:Maintenance")
    reply = api.raw("cancelStorageMaintenance", id=pool["id"])
    assert reply.wrapper == "cancelprimarystoragemaintenanceresponse"
    assert api.wait(reply.inner["jobid"])["jobresult"]["storagepool"]["state"] == "Up"
    failed = api.wait(api.call("cancelStorageMaintenance", id=pool["id"])["jobid"])
    assert (failed["jobstatus"], failed["jobresult"]["errorcode"]) == (2, 530)
    assert failed["jobresult"]["errortext"].endswith("is not ready to complete migration, as the status is:Up")
    api.run_async("enableStorageMaintenance", id=pool["id"])
    assert api.call("deleteStoragePool", id=pool["id"]) == {"success": True}
    assert api.call("listStoragePools", zoneid=place.zone["id"]) == {}


def test_list_filters(api, place):
    pool = place.pool(api)
    zone_wide = place.pool(api, scope="zone", hypervisor="KVM", podid=None, clusterid=None)
    # A cluster (or pod) filter keeps the zone-wide pools: clusterId = X OR clusterId IS NULL.
    assert [p["id"] for p in api.listing("listStoragePools", zoneid=place.zone["id"], clusterid=place.cluster["id"])] \
        == [pool["id"], zone_wide["id"]]
    zone_pools = api.listing("listStoragePools", zoneid=place.zone["id"], scope="zone")
    assert [p["id"] for p in zone_pools] == [zone_wide["id"]]
    assert [p["id"] for p in api.listing("listStoragePools", zoneid=place.zone["id"], scope="cluster",
                                         status="up", path=pool["path"])] == [pool["id"]]
    assert [p["id"] for p in api.listing("listStoragePools", hostid=place.host["id"])] == [pool["id"], zone_wide["id"]]
    assert pool["id"] in [p["id"] for p in api.listing("listStoragePools", keyword="networkfile",
                                                       zoneid=place.zone["id"])]
    assert api.call("listStoragePools", zoneid=place.zone["id"], ipaddress="192.0.2.1") == {}
    error = api.error("listStoragePools", scope="rack")
    assert (error["errorcode"], error["errortext"]) == (431, "Invalid scope type: rack")
    assert api.error("listStoragePools", status="Broken")["errortext"] == "Invalid status: Broken"


def test_storage_tags_are_listed_per_pool(api, place):
    tag = unique("tag")
    place.pool(api, tags=tag)
    tags = [t for t in api.listing("listStorageTags") if t["name"] == tag]
    assert len(tags) == 1 and isinstance(tags[0]["poolid"], int) and "id" not in tags[0]


def test_storage_providers(api):
    primary = api.call("listStorageProviders", type="primary")
    assert {"name": "DefaultPrimary", "type": "PRIMARY"} in primary["dataStoreProvider"]
    image = api.listing("listStorageProviders", type="IMAGE")
    assert sorted(p["name"] for p in image) == ["NFS", "S3", "Swift"]
    assert {p["type"] for p in image} == {"IMAGE"}
    error = api.error("listStorageProviders", type="tape")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (431, 4350, "Invalid parameter: tape")
    assert api.error("listStorageProviders")["errortext"] == \
        "Unable to execute API command liststorageproviders due to missing parameter type"
