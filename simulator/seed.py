"""A fresh cloud: what a brand-new CloudStack database holds, from fresh-install.json.

Domain ROOT, the system/admin/baremetal accounts and users (admin's password is `password`),
roles, the default offerings by their real names, OS categories and types, templates,
hypervisor capabilities and every global setting of configurations.json with the value a
new database has. Numeric ids of the source become uuids; the links between rows follow.
Fields a list command does not return are kept under private `_` keys.
"""

from __future__ import annotations

from . import spec
from .auth import hash_password
from .store import Store, new_uuid

ADMIN_PASSWORD = "password"


def _response_fields(command: str) -> set[str]:
    return set(spec.commands()[command].response_fields)


def _split(item: dict, public: set[str]) -> dict:
    """Public fields as they are; every other field under a private `_` key."""
    obj = {}
    for key, value in item.items():
        if key in ("id", "source", "note"):
            continue
        obj[key if key in public else f"_{key}"] = value
    return obj


def seed_fresh_cloud(store: Store, now: str, ms_address: str = "127.0.0.1") -> None:
    data = spec.fresh_install()
    ids: dict[tuple[str, int], str] = {}

    def uuid_for(kind: str, number: int) -> str:
        return ids.setdefault((kind, number), new_uuid())

    for item in data["domains"]["items"]:
        store.insert("domain", {
            "id": uuid_for("domain", item["id"]), "name": item["name"], "level": item["level"],
            "haschild": item["haschild"], "path": "ROOT", "state": item["state"], "created": now,
            "_parentid": None,
        })
    root = uuid_for("domain", 1)

    for item in data["roles"]["items"]:
        store.insert("role", {
            "id": uuid_for("role", item["id"]), "name": item["name"], "type": item["type"],
            "description": item.get("description"), "isdefault": item.get("isdefault", False),
            "ispublic": item.get("ispublic", True), "state": item.get("state", "enabled"),
        })

    accounts: dict[int, dict] = {}
    for item in data["accounts"]["items"]:
        account = {
            "id": uuid_for("account", item["id"]), "name": item["name"], "accounttype": item["accounttype"],
            "roleid": uuid_for("role", item["roleid"]), "rolename": item["rolename"], "roletype": item["roletype"],
            "domainid": root, "domain": "ROOT", "domainpath": "ROOT", "isdefault": item["isdefault"],
            "state": item["state"], "created": now,
            "_hidden": item["name"] == "system",  # listAccounts never shows the system account
        }
        accounts[item["id"]] = store.insert("account", account, parentid=root)

    for item in data["users"]["items"]:
        account = accounts[item["accountid"]]
        user = {
            "id": uuid_for("user", item["id"]), "username": item["username"], "firstname": item["firstname"],
            "lastname": item["lastname"], "accountid": account["id"], "account": account["name"],
            "accounttype": account["accounttype"], "roleid": account["roleid"], "rolename": account["rolename"],
            "roletype": account["roletype"], "domainid": root, "domain": "ROOT", "state": item["state"],
            "isdefault": item["isdefault"], "created": now, "usersource": item.get("usersource", "native"),
            "_password": hash_password(ADMIN_PASSWORD) if item["username"] == "admin" else None,
            "_hidden": item["username"] == "system",  # listUsers never shows the system user
        }
        if item["username"] == "baremetal-system-account":
            user["apikey"], user["_secretkey"] = new_uuid().replace("-", ""), new_uuid().replace("-", "")
        store.insert("user", user, parentid=account["id"])

    admin_account = accounts[2]
    for item in data["security_groups"]["items"]:
        store.insert("securitygroup", {
            "name": item["name"], "description": item["description"], "account": admin_account["name"],
            "domainid": root, "domain": "ROOT",
        }, parentid=admin_account["id"])

    _seed_offerings(store, data, now)
    _seed_guest_os(store, data, uuid_for)
    _seed_templates(store, data, now, uuid_for, root)
    for item in data["hypervisors"]["capabilities"]:
        store.insert("hypervisorcapabilities", dict(item))
    store.set_meta("hypervisors", ",".join(data["hypervisors"]["list"]))
    _seed_configurations(store, ms_address)


def _seed_offerings(store: Store, data: dict, now: str) -> None:
    public = _response_fields("listServiceOfferings")
    for item in data["service_offerings"]["items"]:
        store.insert("serviceoffering", {**_split(item, public), "created": now, "state": "Active"})
    public = _response_fields("listDiskOfferings")
    for item in data["disk_offerings"]["items"]:
        store.insert("diskoffering", {**_split(item, public), "created": now, "state": "Active"})
    public = _response_fields("listNetworkOfferings")
    for item in data["network_offerings"]["items"]:
        offering = _split(item, public)
        offering["service"] = [
            {"name": name, "provider": [{"name": provider} for provider in providers]}
            for name, providers in item.get("services", {}).items()
        ]
        store.insert("networkoffering", {**offering, "created": now})
    for item in data["vpc_offerings"]["items"]:
        store.insert("vpcoffering", _split(item, set()))


def _seed_guest_os(store: Store, data: dict, uuid_for) -> None:
    categories = {}
    for item in data["guest_os_categories"]["items"]:
        if item.get("removed"):
            continue
        categories[item["id"]] = item["name"]
        store.insert("guestoscategory", {
            "id": uuid_for("guestoscategory", item["id"]), "name": item["name"],
            "isfeatured": item.get("isfeatured"), "sortkey": item.get("sortkey"),
        })
    public = _response_fields("listOsTypes")
    for item in data["os_types"]["items"]:
        obj = _split(item, public)
        obj["id"] = uuid_for("guestos", item["id"])
        obj["oscategoryid"] = uuid_for("guestoscategory", item["oscategoryid"])
        obj["_number"] = item["id"]
        store.insert("guestos", obj)


def _seed_templates(store: Store, data: dict, now: str, uuid_for, root: str) -> None:
    public = _response_fields("listTemplates")
    for item in data["templates"]["items"]:
        if item.get("removed"):
            continue
        obj = _split(item, public)
        obj["id"] = uuid_for("template", item["id"])
        obj["ostypeid"] = uuid_for("guestos", item["ostypeid"])
        obj["hypervisor"] = item["hypervisor_type"]
        obj["templatetype"] = item["type"]
        obj["_number"] = item["id"]
        obj.update({"created": now, "domainid": root, "domain": "ROOT", "account": "system"})
        store.insert("template", obj)


def _seed_configurations(store: Store, ms_address: str) -> None:
    settings = spec.configurations()
    for name, item in settings["configurations"].items():
        if not item.get("registered", True):
            continue
        value = item.get("value_in_fresh_db", item.get("default"))
        if name == "host":
            value = ms_address  # set to the management server's address on the first start
        store.insert("configuration", {
            "name": name, "category": item.get("category"), "value": value, "defaultvalue": item.get("default"),
            "description": item.get("description"), "isdynamic": bool(item.get("isdynamic")),
            "scope": (item.get("scope") or "Global").lower() if item.get("scope") not in (None, "Global") else None,
            "component": item.get("component"), "type": item.get("type"),
            "options": ",".join(item["options"]) if item.get("options") else None,
            "_scopes": item.get("scopes") or ["Global"],
        })
    for name, item in settings["sql_only_settings"].items():
        store.insert("configuration", {
            "name": name, "category": item.get("category"),
            "value": item.get("value_in_fresh_db", item.get("value")), "defaultvalue": item.get("default_value"),
            "description": item.get("description"), "isdynamic": False, "component": item.get("component"),
            "_scopes": ["Global"],
        })
