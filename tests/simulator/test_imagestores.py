"""Image stores: addImageStore / addSecondaryStorage, updates, deletion, staging stores, object-store migration."""

from __future__ import annotations

from tests.conftest import unique
from tests.simulator.storage_builders import random_subnet


def nfs_url() -> str:
    return f"nfs://{random_subnet()}.5/export/{unique('secondary')}"


def test_an_nfs_image_store_is_zone_wide_and_blocks_deleting_its_zone(api):
    zone = api.create_zone()
    url = nfs_url()
    reply = api.raw("addImageStore", zoneid=zone["id"], provider="NFS", url=url, name=unique("ss"))
    assert reply.wrapper == "addimagestoreresponse"
    store = reply.inner["imagestore"]
    assert (store["url"], store["protocol"], store["providername"], store["scope"]) == (url, "nfs", "NFS", "ZONE")
    assert (store["zoneid"], store["zonename"], store["readonly"]) == (zone["id"], zone["name"], False)
    assert [s["id"] for s in api.listing("listImageStores", zoneid=zone["id"])] == [store["id"]]
    error = api.error("deleteZone", id=zone["id"])
    assert error["errortext"] == "The zone cannot be deleted because there are Secondary storages in this zone"
    assert api.call("deleteImageStore", id=store["id"]) == {"success": True}
    assert api.call("deleteZone", id=zone["id"]) == {"success": True}


def test_add_secondary_storage_is_the_legacy_nfs_form(api):
    zone = api.create_zone()
    url = nfs_url()
    reply = api.raw("addSecondaryStorage", zoneid=zone["id"], url=url)
    assert reply.wrapper == "addsecondarystorageresponse"
    store = reply.inner["secondarystorage"]
    assert (store["name"], store["providername"], store["protocol"]) == (url, "NFS", "nfs")


def test_an_unknown_provider_name_means_nfs(api):
    zone = api.create_zone()
    store = api.call("addImageStore", zoneid=zone["id"], provider="SMB", url=nfs_url())["imagestore"]
    assert store["providername"] == "NFS" and store["name"] == store["url"]


def test_add_refusals(api):
    zone = api.create_zone()
    name = unique("ss")
    api.call("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url(), name=name)
    error = api.error("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url(), name=name.upper())
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert error["errortext"] == \
        f"The image store with name {name.upper()} already exists, try creating with another name"
    error = api.error("addImageStore", provider="NFS", url=nfs_url())
    assert error["errortext"] == "Image store provider NFS does not support scope REGION"
    error = api.error("addImageStore", zoneid=zone["id"], provider="S3", name=unique("s3"),
                      **{"details[0].key": "endpoint", "details[0].value": "s3.example.com"})
    assert error["errortext"] == "Image store provider S3 does not support scope ZONE"
    error = api.error("addImageStore", zoneid=zone["id"], provider="NFS", url="/export/secondary")
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert error["errortext"] == "Failed to add data store: uri.scheme is null /export/secondary, add nfs:// (or " \
                                 "cifs://) as a prefix"
    error = api.error("addImageStore", zoneid=zone["id"], provider="NFS", url="nfs://10.9.9.9")
    assert error["errortext"] == "Failed to add data store: Your host and/or path is wrong.  Make sure it's of the " \
                                 "format nfs://hostname/path"


def test_update_image_store_answers_under_its_mixed_case_wrapper(api):
    zone = api.create_zone()
    store = api.call("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url())["imagestore"]
    reply = api.raw("updateImageStore", id=store["id"], readonly="true", name="renamed", capacitybytes="1000")
    assert reply.wrapper == "updateImageStoreresponse"
    updated = reply.inner["imagestore"]
    assert (updated["readonly"], updated["name"]) == (True, "renamed")
    assert [s["id"] for s in api.listing("listImageStores", zoneid=zone["id"], readonly="true")] == [store["id"]]
    assert api.call("listImageStores", zoneid=zone["id"], readonly="false") == {}


def test_list_filters(api):
    zone = api.create_zone()
    store = api.call("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url(),
                     name=unique("findme"))["imagestore"]
    assert [s["id"] for s in api.listing("listImageStores", name=store["name"])] == [store["id"]]
    assert [s["id"] for s in api.listing("listImageStores", zoneid=zone["id"], protocol="nfs",
                                         provider="nfs")] == [store["id"]]
    assert [s["id"] for s in api.listing("listImageStores", zoneid=zone["id"], keyword="NF")] == [store["id"]]
    assert api.call("listImageStores", zoneid=zone["id"], protocol="cifs") == {}


def test_staging_stores_are_image_cache_and_do_not_block_the_zone(api):
    zone = api.create_zone()
    url = nfs_url()
    reply = api.raw("createSecondaryStagingStore", zoneid=zone["id"], url=url)
    assert reply.wrapper == "createsecondarystagingstoreresponse"
    staging = reply.inner["secondarystorage"]
    assert (staging["name"], staging["zoneid"], staging["scope"]) == (url, zone["id"], "ZONE")
    assert api.raw("createSecondaryStagingStore", zoneid=zone["id"], url=url).inner["secondarystorage"]["id"] == \
        staging["id"]  # the store of that name is handed back
    listed = api.raw("listSecondaryStagingStores", zoneid=zone["id"])
    assert listed.wrapper == "listsecondarystagingstoreresponse"
    assert [s["id"] for s in listed.inner["imagestore"]] == [staging["id"]]
    assert api.call("listImageStores", zoneid=zone["id"]) == {}
    assert api.call("deleteZone", id=zone["id"]) == {"success": True}


def test_staging_store_refusals(api):
    zone = api.create_zone()
    error = api.error("createSecondaryStagingStore", zoneid=zone["id"], url=nfs_url(), scope="cluster")
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == \
        (530, 9999, "Only zone wide cache storage is supported")
    error = api.error("createSecondaryStagingStore", zoneid=zone["id"], url=nfs_url(), scope="rack")
    assert error["errortext"] == "invalid scope for cache store rack"
    error = api.error("createSecondaryStagingStore", zoneid=zone["id"], url="/no/scheme")
    assert error["errortext"] == "Failed to add data store: uri.scheme is null /no/scheme, add nfs:// (or cifs://) " \
                                 "as a prefix"


def test_moving_the_cloud_to_an_object_store(fresh_api):
    api = fresh_api
    zone = api.create_zone()
    nfs = api.call("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url())["imagestore"]
    error = api.error("updateCloudToUseObjectStore", provider="NFS", url=nfs_url())
    assert error["errortext"] == "Image store provider NFS does not support scope REGION"
    assert [s["id"] for s in api.listing("listImageStores")] == [nfs["id"]]  # nothing was converted
    details = {"details[0].key": "accesskey", "details[0].value": "AK", "details[1].key": "usehttps",
               "details[1].value": "true"}
    s3 = api.call("updateCloudToUseObjectStore", provider="S3", name="objects", url="https://s3.example.com",
                  **details)["imagestore"]
    assert (s3["providername"], s3["scope"], s3["protocol"]) == ("S3", "REGION", "https")
    assert "zoneid" not in s3
    assert [s["id"] for s in api.listing("listImageStores")] == [s3["id"]]
    assert [s["id"] for s in api.listing("listSecondaryStagingStores")] == [nfs["id"]]
    error = api.error("addImageStore", zoneid=zone["id"], provider="NFS", url=nfs_url())
    assert error["errortext"] == "You can only add new image stores from the same provider S3 already added"
    error = api.error("updateCloudToUseObjectStore", provider="S3", name="more", url="https://s3.example.com")
    assert error["errortext"] == "We only support migrate NFS secondary storage to use object store!"
