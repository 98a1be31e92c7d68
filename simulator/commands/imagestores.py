"""Image stores (secondary storage), staging stores and object-store migration.

StorageManagerImpl discoverImageStore / deleteImageStore / createSecondaryStagingStore /
migrateToObjectStore / updateImageStoreStatus and the providers' life cycles (NFS keeps the
URL's scheme as its protocol; S3 and Swift are region-wide). Every store is an `imagestore`
object with its role (`_role`: Image or ImageCache). Only Image stores carry the `zoneid`
column, because deleteZone counts those (ImageStoreDao.findByZone is role Image only); a
staging store keeps its zone under `_zoneid` and shows it in its responses.
"""

from __future__ import annotations

from ..errors import INTERNAL_ERROR, ApiError, cloud_runtime, invalid_parameter, permission_denied
from ..registry import Context, command
from ..store import new_uuid
from .common import by_id_or_name
from .storage import PROVIDERS, is_root_admin, parse_uri
from .templates import active_user_templates_on, drop_store, seed_store

IMAGE, CACHE = "Image", "ImageCache"
DEFAULT_PROVIDER = "NFS"
# ImageStoreProvider.isScopeSupported.
PROVIDER_SCOPES = {"NFS": ("ZONE",), "S3": ("REGION",), "Swift": ("REGION",)}


def details_of(entries: list[dict] | None) -> dict | None:
    """AddImageStoreCmd.getDetails: details[i].key / details[i].value pairs; None when none are sent."""
    if not entries:
        return None
    return {entry.get("key"): entry.get("value") for entry in entries}


def role_of(store: dict) -> str:
    return store.get("_role", IMAGE)


def store_view(store: dict) -> dict:
    """ImageStoreJoinDaoImpl.newImageStoreResponse (a staging store shows the zone it keeps aside)."""
    return {**store, "zoneid": store["_zoneid"]} if store.get("_zoneid") else store


def find_by_name(ctx: Context, name: str | None) -> dict | None:
    """ImageStoreDao.findByName, any role; names compare case-insensitively (MySQL)."""
    if name is None:
        return None
    return ctx.store.find_one("imagestore", name=name)


def nfs_protocol(url: str | None) -> str:
    """CloudStackImageStoreLifeCycleImpl.initialize's URL checks; the lower-cased scheme."""
    if url is None:
        raise ValueError('Cannot invoke "String.contains(java.lang.CharSequence)" because "url" is null')
    try:
        uri = parse_uri(url)
    except ValueError as exc:
        raise ValueError(f"{url} is not a valid uri. Note that the URL in this message has been sanitized") from exc
    if uri.scheme is None:
        raise ValueError(f"uri.scheme is null {url}, add nfs:// (or cifs://) as a prefix")
    if uri.scheme.lower() == "nfs" and (not uri.host or not uri.path):
        raise ValueError("Your host and/or path is wrong.  Make sure it's of the format nfs://hostname/path")
    return uri.scheme.lower()


def store_protocol(provider: str, url: str | None, details: dict | None) -> str:
    """The provider life cycle's initialize: its protocol, or the ValueError it fails with."""
    if provider == "S3":
        if details is None:
            raise ValueError('Cannot invoke "java.util.Map.get(Object)" because "details" is null')
        return "https" if str(details.get("usehttps")).lower() == "true" else "http"
    if provider == "Swift":
        return "http"
    protocol = nfs_protocol(url)
    if protocol == "cifs" and details is not None and (details.get("user") is None or details.get("password") is None):
        raise ValueError("Missing cifs user and password details. Add them as details parameter.")
    return protocol


def check_discovery(ctx: Context, name: str | None, provider: str, zone_id: str | None,
                    ignored: tuple[str, ...] = ()) -> None:
    """discoverImageStore's checks before the life cycle runs (all InvalidParameterValueException)."""
    scope = "ZONE" if zone_id else "REGION"
    if find_by_name(ctx, name):
        raise invalid_parameter(f"The image store with name {name} already exists, try creating with another name")
    if scope not in PROVIDER_SCOPES[provider]:
        raise invalid_parameter(f"Image store provider {provider} does not support scope {scope}")
    for store in ctx.store.find("imagestore", where=lambda s: role_of(s) == IMAGE and s["id"] not in ignored):
        if store["providername"].lower() != provider.lower():
            raise invalid_parameter(f"You can only add new image stores from the same provider "
                                    f"{store['providername']} already added")
    if zone_id:
        zone = ctx.require("zone", zone_id, "zone")
        if zone.get("allocationstate") == "Disabled" and not is_root_admin(ctx):
            raise permission_denied("Cannot perform this operation, Zone with specified id is currently disabled")


def discover(ctx: Context, name: str | None, url: str | None, provider: str | None, zone_id: str | None,
             details: dict | None, ignored: tuple[str, ...] = ()) -> dict:
    """discoverImageStore: an unknown provider name means the default (NFS); the name defaults to the URL."""
    provider = provider if provider in PROVIDERS["IMAGE"] else DEFAULT_PROVIDER
    name = name if name is not None else url
    check_discovery(ctx, name, provider, zone_id, ignored)
    try:
        protocol = store_protocol(provider, url, details)
    except ValueError as exc:
        raise cloud_runtime(f"Failed to add data store: {exc}") from exc
    store_id = new_uuid()
    store = {
        "id": store_id, "name": name if name is not None else store_id, "url": url, "protocol": protocol,
        "providername": provider,
        "scope": "ZONE" if zone_id else "REGION", "zoneid": zone_id, "readonly": False, "hasannotations": False,
        "_role": IMAGE, "_details": details or {},
    }
    store = ctx.store.insert("imagestore", store)
    if zone_id:
        seed_store(ctx, store)
    return store


@command("addImageStore")
def add_image_store(ctx: Context, p: dict) -> dict:
    return store_view(discover(ctx, p.get("name"), p.get("url"), p["provider"], p.get("zoneid"),
                               details_of(p.get("details"))))


@command("addSecondaryStorage")
def add_secondary_storage(ctx: Context, p: dict) -> dict:
    return store_view(discover(ctx, None, p["url"], DEFAULT_PROVIDER, p.get("zoneid"), None))


@command("deleteImageStore")
def delete_image_store(ctx: Context, p: dict) -> None:
    store = ctx.require("imagestore", p["id"], "image store")
    if active_user_templates_on(ctx, store["id"]):
        raise invalid_parameter("Cannot delete image store with active templates backup!")
    drop_store(ctx, store["id"])
    ctx.store.delete("imagestore", store["id"])


def matching(stores: list[dict], p: dict, provider_key: str) -> list[dict]:
    """The searches' filters: zone, provider and protocol equal (case-insensitively, as MySQL compares)."""
    def same(value, wanted) -> bool:
        return str(value or "").lower() == str(wanted).lower()
    if p.get("zoneid"):
        stores = [s for s in stores if (s.get("zoneid") or s.get("_zoneid")) == p["zoneid"]]
    if p.get("provider") is not None:
        stores = [s for s in stores if same(s.get(provider_key), p["provider"])]
    if p.get("protocol") is not None:
        stores = [s for s in stores if same(s.get("protocol"), p["protocol"])]
    # The keyword matches the name or the provider, so the generic name filter stays out.
    keyword = (p.pop("keyword", None) or "").lower()
    if keyword:
        stores = [s for s in stores if keyword in s["name"].lower() or keyword in s["providername"].lower()]
    return by_id_or_name(stores, p)


@command("listImageStores")
def list_image_stores(ctx: Context, p: dict) -> list[dict]:
    stores = ctx.store.find("imagestore", where=lambda s: role_of(s) == IMAGE)
    if p.get("readonly") is not None:
        stores = [s for s in stores if bool(s.get("readonly")) == p["readonly"]]
    return [store_view(s) for s in matching(stores, p, "providername")]


@command("updateImageStore")
def update_image_store(ctx: Context, p: dict) -> dict:
    store = ctx.require("imagestore", p["id"], "image store")
    if p.get("name") and p["name"].strip():
        store["name"] = p["name"]
    if p.get("capacitybytes") is not None:
        store["_totalsize"] = p["capacitybytes"]  # image_store.total_size; the response shows the SSVM's stats
    if p.get("readonly") is not None:
        store["readonly"] = p["readonly"]
    return store_view(ctx.store.update("imagestore", store))


@command("createSecondaryStagingStore")
def create_secondary_staging_store(ctx: Context, p: dict) -> dict:
    """Every failure leaves through the command's catch-all as a 530 with the message."""
    provider = p.get("provider") if p.get("provider") in PROVIDERS["IMAGE"] else DEFAULT_PROVIDER
    scope = p.get("scope")
    if scope is not None:
        if scope.upper() not in ("HOST", "CLUSTER", "ZONE", "REGION", "GLOBAL"):
            raise ApiError(INTERNAL_ERROR, f"invalid scope for cache store {scope}")
        if scope.upper() != "ZONE":
            raise ApiError(INTERNAL_ERROR, "Only zone wide cache storage is supported")
    if not p.get("zoneid"):
        message = "zone id can't be null, if scope is zone" if scope else "Can't find zone by id null"
        raise ApiError(INTERNAL_ERROR, message)
    existing = find_by_name(ctx, p["url"])
    if existing:
        return store_view(existing)  # ImageStoreHelper.createImageStore hands back the store of that name
    details = {entry.get("key"): entry.get("value") for entry in p.get("details") or []} or None
    try:
        protocol = store_protocol(provider, p["url"], details)
    except ValueError as exc:
        raise ApiError(INTERNAL_ERROR, f"Failed to add data store: {exc}") from exc
    # The NFS life cycle always records ZONE; S3 and Swift keep the scope given, else REGION.
    store = {
        "name": p["url"], "url": p["url"], "protocol": protocol, "providername": provider,
        "scope": "ZONE" if provider == DEFAULT_PROVIDER or scope else "REGION", "readonly": False,
        "hasannotations": False,
        "_role": CACHE, "_zoneid": p["zoneid"], "_details": details or {},
    }
    return store_view(ctx.store.insert("imagestore", store))


@command("listSecondaryStagingStores")
def list_secondary_staging_stores(ctx: Context, p: dict) -> list[dict]:
    stores = ctx.store.find("imagestore", where=lambda s: role_of(s) == CACHE)
    return [store_view(s) for s in matching(stores, p, "providername")]


@command("updateCloudToUseObjectStore")
def update_cloud_to_use_object_store(ctx: Context, p: dict) -> dict:
    """migrateToObjectStore: every NFS store becomes a staging store, then the object store is added.

    The real server converts first and may then refuse the object store; here the object store is
    checked first, so a refusal changes nothing.
    """
    images = ctx.store.find("imagestore", where=lambda s: role_of(s) == IMAGE)
    if any(store["providername"] != DEFAULT_PROVIDER for store in images):
        raise invalid_parameter("We only support migrate NFS secondary storage to use object store!")
    provider = p["provider"] if p["provider"] in PROVIDERS["IMAGE"] else DEFAULT_PROVIDER
    name = p.get("name") if p.get("name") is not None else p.get("url")
    check_discovery(ctx, name, provider, None, ignored=tuple(store["id"] for store in images))
    try:
        store_protocol(provider, p.get("url"), details_of(p.get("details")))
    except ValueError as exc:
        raise cloud_runtime(f"Failed to add data store: {exc}") from exc
    for store in images:
        to_staging(ctx, store)
    added = discover(ctx, p.get("name"), p.get("url"), p["provider"], None, details_of(p.get("details")),
                     ignored=tuple(store["id"] for store in images))
    return store_view(added)


def to_staging(ctx: Context, store: dict) -> None:
    """The NFS life cycle's migrateToObjectStore: role ImageCache (rewritten so the zone column empties)."""
    store.update({"_role": CACHE, "_zoneid": store.pop("zoneid", None)})
    ctx.store.delete("imagestore", store["id"])
    ctx.store.insert("imagestore", store)
