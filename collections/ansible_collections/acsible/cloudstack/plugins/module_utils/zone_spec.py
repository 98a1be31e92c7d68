# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A zone spec: Marvin's zone config (setup/dev/advanced.cfg) read, checked and put in one form.

`read_spec(document)` returns the spec with every key in one spelling and every value in one
type, or raises SpecError with all the problems found, each naming its place
(`zones[0].pods[1].startip: 10.1.1.300 is not an IPv4 address`). Nothing here talks to CloudStack:
a spec is refused before the first API call. The network checks are netaddr's.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

try:
    import netaddr
    HAS_NETADDR = True
except ImportError:  # the module reports it with missing_required_lib
    HAS_NETADDR = False

try:
    import yaml
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

HYPERVISORS = ("KVM", "XenServer", "VMware", "Hyperv", "LXC", "Ovm3", "BareMetal", "Simulator", "External")
TRAFFIC_TYPES = ("Guest", "Management", "Public", "Storage")
# Marvin's per-hypervisor label keys, and the API's own names, -> the addTrafficType parameter.
TRAFFIC_LABELS = {
    "kvm": "kvmnetworklabel", "xen": "xennetworklabel", "vmware": "vmwarenetworklabel",
    "hyperv": "hypervnetworklabel", "ovm3": "ovm3networklabel",
}
TRAFFIC_LABELS.update({param: param for param in list(TRAFFIC_LABELS.values())})
# Keys Marvin's files carry that say nothing about the zone itself (servers, logs, test data):
# accepted, so a Marvin config is read as it is, and reported as ignored.
IGNORED_TOP = ("dbSvr", "logger", "mgtSvr", "ApiLoadCfg", "TestData")
ZONE_WIDE_HYPERVISORS = ("KVM", "VMware", "Hyperv", "LXC", "Simulator")


class SpecError(Exception):
    """The spec is refused: `errors` lists every problem, each starting with its place."""

    def __init__(self, errors):
        self.errors = list(errors)
        shown = self.errors[:20]
        more = len(self.errors) - len(shown)
        text = "; ".join(shown) + ("; and %d more" % more if more > 0 else "")
        super().__init__("the zone spec is not valid: " + text)


# -- reading a document ---------------------------------------------------------------------


def parse_document(text, source="spec_file"):
    """A spec from file text: JSON (Marvin's files, '#' comment lines allowed) or YAML."""
    stripped = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if stripped.lstrip().startswith("{"):
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise SpecError(["%s: not valid JSON: %s" % (source, exc)]) from None
    if not HAS_YAML:
        raise SpecError(["%s: reading YAML needs PyYAML on the host the module runs on" % source])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(["%s: not valid YAML: %s" % (source, exc)]) from None


class Reader:
    """Walks the raw document, collecting errors with their paths instead of stopping at the first."""

    def __init__(self):
        self.errors = []
        self.ignored = []

    def error(self, path, text):
        self.errors.append("%s: %s" % (path, text))

    # -- typed fields -------------------------------------------------------------------

    def mapping(self, value, path):
        if not isinstance(value, dict):
            self.error(path, "must be a mapping, not %s" % type_name(value))
            return {}
        return value

    def items(self, raw, key, path):
        """The list under `key` (missing: empty), each item with its path."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error("%s.%s" % (path, key), "must be a list, not %s" % type_name(value))
            return []
        prefix = "%s.%s" % (path, key) if path else key
        return [(item, "%s[%d]" % (prefix, index)) for index, item in enumerate(value)]

    def known_keys(self, raw, path, allowed, ignored=()):
        for key in raw:
            if key in ignored:
                self.ignored.append("%s.%s" % (path, key) if path else key)
            elif key not in allowed:
                self.error("%s.%s" % (path, key) if path else key, "unknown key (known: %s)"
                           % ", ".join(sorted(allowed)))

    def text(self, raw, key, path, required=False, default=None):
        value = raw.get(key)
        if value is None or value == "":
            if required:
                self.error("%s.%s" % (path, key), "is required")
            return default
        if isinstance(value, (dict, list)):
            self.error("%s.%s" % (path, key), "must be a string, not %s" % type_name(value))
            return default
        return str(value)

    def flag(self, raw, key, path, default=None):
        """Marvin writes booleans as strings ("true", "True", "false")."""
        value = raw.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "yes", "1"):
            return True
        if str(value).lower() in ("false", "no", "0"):
            return False
        self.error("%s.%s" % (path, key), "%r is not a boolean" % (value,))
        return default

    def ipv4(self, raw, key, path, required=False):
        value = self.text(raw, key, path, required)
        if value is not None and not netaddr.valid_ipv4(value, netaddr.INET_PTON):
            self.error("%s.%s" % (path, key), "%s is not an IPv4 address" % value)
            return None
        return value

    def netmask(self, raw, key, path, required=False):
        value = self.ipv4(raw, key, path, required)
        if value is not None and not netaddr.IPAddress(value).is_netmask():
            self.error("%s.%s" % (path, key), "%s is not a netmask" % value)
            return None
        return value

    def tags(self, raw, key, path):
        """Tags as a sorted list: "a,b" or [a, b]; None when not given (leave them as they are)."""
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or any(isinstance(item, (dict, list)) for item in value):
            self.error("%s.%s" % (path, key), "must be a list of tags or a comma-separated string")
            return None
        return sorted({str(item).strip() for item in value if str(item).strip()})

    def details(self, raw, key, path):
        """Details as a flat mapping; Marvin writes them as [{key: value}, ...]."""
        value = raw.get(key)
        if value in (None, [], {}):
            return {}
        if isinstance(value, list):
            merged = {}
            for item in value:
                if not isinstance(item, dict):
                    self.error("%s.%s" % (path, key), "must be a mapping or a list of mappings")
                    return {}
                merged.update(item)
            value = merged
        if not isinstance(value, dict):
            self.error("%s.%s" % (path, key), "must be a mapping")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def choice(self, raw, key, path, choices, required=False, default=None):
        value = self.text(raw, key, path, required)
        if value is None:
            return default
        for choice in choices:
            if choice.lower() == value.lower():
                return choice
        self.error("%s.%s" % (path, key), "%r is not one of %s" % (value, ", ".join(choices)))
        return default


def type_name(value):
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            type(None): "nothing"}.get(type(value), type(value).__name__)


# -- the spec --------------------------------------------------------------------------------

ZONE_KEYS = ("name", "networktype", "securitygroupenabled", "localstorageenabled", "domain", "dns1", "dns2",
             "internaldns1", "internaldns2", "ip6dns1", "ip6dns2", "guestcidraddress", "enabled",
             "physical_networks", "ipranges", "pods", "secondaryStorages", "cacheStorages", "primaryStorages",
             "networkofferingname", "vmwaredc")
PNET_KEYS = ("name", "broadcastdomainrange", "vlan", "isolationmethods", "tags", "traffictypes", "providers")
POD_KEYS = ("name", "gateway", "netmask", "startip", "endip", "guestIpRanges", "clusters", "vmwaredc")
CLUSTER_KEYS = ("clustername", "name", "hypervisor", "clustertype", "url", "username", "password", "hosts",
                "primaryStorages")
HOST_KEYS = ("url", "username", "password", "hosttags")
POOL_KEYS = ("name", "url", "tags", "details", "scope", "hypervisor", "provider", "capacitybytes",
             "capacityiops")
STORE_KEYS = ("name", "url", "provider", "details")
RANGE_KEYS = ("startip", "endip", "netmask", "gateway", "vlan")


def read_spec(document):
    """The spec in one form: {"zones": [...], "settings": [{"name", "value"}], "ignored": [...]}."""
    if not HAS_NETADDR:
        raise SpecError(["checking a zone spec needs the netaddr Python library"])
    reader = Reader()
    raw = reader.mapping(document, "spec")
    reader.known_keys(raw, "", ("zones", "globalConfig"), IGNORED_TOP)
    spec = {
        "zones": [read_zone(reader, item, path) for item, path in reader.items(raw, "zones", "")],
        "settings": read_settings(reader, raw),
    }
    for zone in spec["zones"]:
        check_zone(reader, zone)
    check_unique(reader, [(z["path"], z["name"]) for z in spec["zones"]], "name", "zone")
    check_unique(reader, [(s["path"], s["name"]) for z in spec["zones"] for s in z["secondary_storages"]],
                 "name", "image store")  # image store names are unique in the whole cloud
    if reader.errors:
        raise SpecError(reader.errors)
    spec["ignored"] = reader.ignored
    return spec


def read_settings(reader, raw):
    settings = []
    for item, path in reader.items(raw, "globalConfig", ""):
        item = reader.mapping(item, path)
        reader.known_keys(item, path, ("name", "value"))
        name = reader.text(item, "name", path, required=True)
        value = item.get("value")
        if value is None or isinstance(value, (dict, list)):
            reader.error(path + ".value", "is required and must be a single value")
            continue
        value = str(value).lower() if isinstance(value, bool) else str(value)
        if name:
            settings.append({"path": path, "name": name, "value": value})
    check_unique(reader, [(s["path"], s["name"]) for s in settings], "name", "setting")
    return settings


def read_zone(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, ZONE_KEYS, ("details",))
    zone = {
        "path": path,
        "name": reader.text(raw, "name", path, required=True),
        "networktype": reader.choice(raw, "networktype", path, ("Basic", "Advanced"), required=True),
        "securitygroupenabled": reader.flag(raw, "securitygroupenabled", path, False),
        "localstorageenabled": reader.flag(raw, "localstorageenabled", path),
        "domain": reader.text(raw, "domain", path),
        "dns1": reader.ipv4(raw, "dns1", path, required=True),
        "dns2": reader.ipv4(raw, "dns2", path),
        "internaldns1": reader.ipv4(raw, "internaldns1", path, required=True),
        "internaldns2": reader.ipv4(raw, "internaldns2", path),
        "ip6dns1": reader.text(raw, "ip6dns1", path),
        "ip6dns2": reader.text(raw, "ip6dns2", path),
        "guestcidraddress": cidr(reader, raw, "guestcidraddress", path),
        "enabled": reader.flag(raw, "enabled", path, True),
        "networkofferingname": reader.text(raw, "networkofferingname", path),
        "physical_networks": [read_physical_network(reader, item, p)
                              for item, p in reader.items(raw, "physical_networks", path)],
        "ipranges": [read_range(reader, item, p) for item, p in reader.items(raw, "ipranges", path)],
        "pods": [read_pod(reader, item, p) for item, p in reader.items(raw, "pods", path)],
        "secondary_storages": [read_store(reader, item, p) for item, p in reader.items(raw, "secondaryStorages", path)],
        "cache_storages": [read_store(reader, item, p) for item, p in reader.items(raw, "cacheStorages", path)],
        "primary_storages": [read_pool(reader, item, p, zone_wide=True)
                             for item, p in reader.items(raw, "primaryStorages", path)],
    }
    refuse_vmware_dc(reader, raw, path)
    return zone


def refuse_vmware_dc(reader, raw, path):
    """Marvin's files carry an empty vmwaredc block; a filled one (a vCenter) is not supported."""
    value = raw.get("vmwaredc")
    if isinstance(value, dict) and any(value.get(key) for key in ("name", "vcenter")):
        reader.error(path + ".vmwaredc", "VMware datacenters are not supported by zone_spec")


def cidr(reader, raw, key, path):
    value = reader.text(raw, key, path)
    if value is None:
        return None
    try:
        network = netaddr.IPNetwork(value, version=4)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        reader.error("%s.%s" % (path, key), "%s is not an IPv4 CIDR" % value)
        return None
    if "/" not in value or str(network.cidr) != value:
        reader.error("%s.%s" % (path, key), "%s is not a network address with its prefix (like %s)"
                     % (value, network.cidr))
        return None
    return value


def read_physical_network(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, PNET_KEYS)
    methods = raw.get("isolationmethods")
    if isinstance(methods, str):
        methods = [methods]
    if methods is not None and not isinstance(methods, list):
        reader.error(path + ".isolationmethods", "must be a list")
        methods = None
    network = {
        "path": path,
        "name": reader.text(raw, "name", path, required=True),
        "broadcastdomainrange": reader.choice(raw, "broadcastdomainrange", path, ("Zone", "Pod")),
        "vlan": vlan_ranges(reader, raw, "vlan", path),
        "isolationmethods": sorted({str(m) for m in methods}) if methods else None,
        "tags": reader.tags(raw, "tags", path),
        "traffictypes": [read_traffic_type(reader, item, p) for item, p in reader.items(raw, "traffictypes", path)],
        "providers": [read_provider(reader, item, p) for item, p in reader.items(raw, "providers", path)],
    }
    check_unique(reader, [(t["path"], t["type"]) for t in network["traffictypes"]], "typ", "traffic type")
    check_unique(reader, [(p["path"], p["name"]) for p in network["providers"]], "name", "provider")
    return network


def read_traffic_type(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, ("typ", *TRAFFIC_LABELS), ("simulator",))
    labels = {}
    for key, param in TRAFFIC_LABELS.items():
        value = reader.text(raw, key, path)
        if value is not None:
            labels[param] = value
    return {"path": path, "type": reader.choice(raw, "typ", path, TRAFFIC_TYPES, required=True), "labels": labels}


def read_provider(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, ("name", "devices"), ("broadcastdomainrange",))
    if raw.get("devices"):
        reader.error(path + ".devices", "external network devices are not supported by zone_spec")
    return {"path": path, "name": reader.text(raw, "name", path, required=True)}


def read_range(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, RANGE_KEYS)
    item = {
        "path": path,
        "startip": reader.ipv4(raw, "startip", path, required=True),
        "endip": reader.ipv4(raw, "endip", path),
        "netmask": reader.netmask(raw, "netmask", path, required=True),
        "gateway": reader.ipv4(raw, "gateway", path, required=True),
        "vlan": vlan_id(reader, raw, "vlan", path),
    }
    item["endip"] = item["endip"] or item["startip"]
    check_range(reader, item, path)
    return item


def read_pod(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, POD_KEYS)
    refuse_vmware_dc(reader, raw, path)
    pod = {
        "path": path,
        "name": reader.text(raw, "name", path, required=True),
        "gateway": reader.ipv4(raw, "gateway", path, required=True),
        "netmask": reader.netmask(raw, "netmask", path, required=True),
        "startip": reader.ipv4(raw, "startip", path, required=True),
        "endip": reader.ipv4(raw, "endip", path),
        "guest_ranges": [read_range(reader, item, p) for item, p in reader.items(raw, "guestIpRanges", path)],
        "clusters": [read_cluster(reader, item, p) for item, p in reader.items(raw, "clusters", path)],
    }
    pod["endip"] = pod["endip"] or pod["startip"]
    check_range(reader, pod, path)
    return pod


def read_cluster(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, CLUSTER_KEYS)
    name_key = "clustername" if raw.get("clustername") is not None or raw.get("name") is None else "name"
    cluster = {
        "path": path,
        "name": reader.text(raw, name_key, path, required=True),
        "hypervisor": reader.choice(raw, "hypervisor", path, HYPERVISORS, required=True),
        "clustertype": reader.choice(raw, "clustertype", path, ("CloudManaged", "ExternalManaged"),
                                     default="CloudManaged"),
        "url": reader.text(raw, "url", path),
        "username": reader.text(raw, "username", path),
        "password": reader.text(raw, "password", path),
    }
    cluster["hosts"] = [read_host(reader, item, p, cluster["hypervisor"])
                        for item, p in reader.items(raw, "hosts", path)]
    cluster["primary_storages"] = [read_pool(reader, item, p) for item, p in reader.items(raw, "primaryStorages", path)]
    if cluster["primary_storages"] and not cluster["hosts"] and \
            any(pool["scope"] == "cluster" for pool in cluster["primary_storages"]):
        reader.error(path + ".primaryStorages", "a cluster-wide pool needs a host in its cluster to be added on")
    return cluster


def read_host(reader, raw, path, hypervisor):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, HOST_KEYS)
    url = reader.text(raw, "url", path, required=True)
    host = {
        "path": path, "url": url,
        "username": reader.text(raw, "username", path),
        "password": reader.text(raw, "password", path),
        "hosttags": reader.tags(raw, "hosttags", path),
        "address": None,
    }
    if url is not None:
        parts = urlsplit(url)
        if not parts.scheme or not parts.hostname:
            reader.error(path + ".url", "%s is not a URL with a scheme and a host (like http://kvm1)" % url)
        elif hypervisor == "Simulator" and not parts.hostname.startswith("sim"):
            reader.error(path + ".url", "%s: a Simulator host's URL names the host sim (http://sim/c0/h0)" % url)
        else:
            host["address"] = parts.hostname
    return host


def read_pool(reader, raw, path, zone_wide=False):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, POOL_KEYS)
    pool = {
        "path": path,
        "name": reader.text(raw, "name", path, required=True),
        "url": storage_url(reader, raw, path),
        "tags": reader.tags(raw, "tags", path),
        "details": reader.details(raw, "details", path),
        "scope": reader.choice(raw, "scope", path, ("cluster", "zone"), default="zone" if zone_wide else "cluster"),
        "hypervisor": reader.choice(raw, "hypervisor", path, HYPERVISORS),
        "provider": reader.text(raw, "provider", path),
        "capacitybytes": number(reader, raw, "capacitybytes", path),
        "capacityiops": number(reader, raw, "capacityiops", path),
    }
    if zone_wide and pool["scope"] != "zone":
        reader.error(path + ".scope", "a zone's own primaryStorages are zone-wide (scope: zone)")
    if pool["scope"] == "zone" and zone_wide:
        if pool["hypervisor"] is None:
            reader.error(path + ".hypervisor", "is required for a zone-wide pool")
        elif pool["hypervisor"] not in ZONE_WIDE_HYPERVISORS:
            reader.error(path + ".hypervisor", "%s cannot have zone-wide pools" % pool["hypervisor"])
    return pool


def read_store(reader, raw, path):
    raw = reader.mapping(raw, path)
    reader.known_keys(raw, path, STORE_KEYS)
    url = storage_url(reader, raw, path)
    return {
        "path": path, "url": url,
        "name": reader.text(raw, "name", path) or url,  # addImageStore names a store by its URL
        "provider": reader.text(raw, "provider", path, default="NFS"),
        "details": reader.details(raw, "details", path),
    }


def storage_url(reader, raw, path):
    url = reader.text(raw, "url", path, required=True)
    if url is None:
        return None
    parts = urlsplit(url)
    if not parts.scheme:
        reader.error(path + ".url", "%s has no scheme (like nfs://server/export)" % url)
        return None
    if parts.scheme.lower() == "nfs" and (not parts.hostname or not parts.path.strip("/")):
        reader.error(path + ".url", "%s is not nfs://server/path" % url)
        return None
    return url


def number(reader, raw, key, path):
    value = raw.get(key)
    if value is None:
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        reader.error("%s.%s" % (path, key), "%r is not a whole number" % (value,))
        return None
    if value <= 0:
        reader.error("%s.%s" % (path, key), "must be greater than 0")
        return None
    return value


# -- VLANs -------------------------------------------------------------------------------------

VLAN_MAX = 4094


def vlan_id(reader, raw, key, path):
    """A public range's VLAN: a number (or vlan://N) or untagged; returned as the number or "untagged"."""
    value = reader.text(raw, key, path)
    if value is None:
        return None
    text = re.sub(r"^vlan://", "", value.strip(), flags=re.IGNORECASE)
    if text.lower() == "untagged":
        return "untagged"
    if not text.isdigit() or not 1 <= int(text) <= VLAN_MAX:
        reader.error("%s.%s" % (path, key), "%s is not a VLAN id (1-%d or untagged)" % (value, VLAN_MAX))
        return None
    return str(int(text))


def vlan_ranges(reader, raw, key, path):
    """A physical network's VLAN ranges "100-200,300" in the form CloudStack keeps ("100-200,300-300")."""
    value = reader.text(raw, key, path)
    if value is None:
        return None
    ranges = []
    for part in value.split(","):
        bounds = part.strip().split("-")
        if len(bounds) > 2 or not all(b.strip().isdigit() for b in bounds):
            reader.error("%s.%s" % (path, key), "%r is not a VLAN range like 100-200" % part.strip())
            return None
        low, high = int(bounds[0]), int(bounds[-1])
        if not (1 <= low <= VLAN_MAX and 1 <= high <= VLAN_MAX) or low > high:
            reader.error("%s.%s" % (path, key), "%s is not a range of VLAN ids within 1-%d, low to high"
                         % (part.strip(), VLAN_MAX))
            return None
        ranges.append((low, high))
    ranges.sort()
    for index in range(1, len(ranges)):
        (low1, high1), (low2, high2) = ranges[index - 1], ranges[index]
        if low2 <= high1:
            reader.error("%s.%s" % (path, key), "the ranges %d-%d and %d-%d overlap" % (low1, high1, low2, high2))
            return None
    return ",".join("%d-%d" % pair for pair in ranges)


def vlan_pairs(text):
    return [tuple(int(b) for b in part.split("-")) for part in (text or "").split(",") if part]


# -- network checks ------------------------------------------------------------------------------


def check_range(reader, item, path):
    """A range of addresses inside the subnet of its gateway and netmask, low to high, gateway outside it."""
    if None in (item.get("startip"), item.get("endip"), item.get("gateway"), item.get("netmask")):
        return
    start, end = netaddr.IPAddress(item["startip"]), netaddr.IPAddress(item["endip"])
    subnet = netaddr.IPNetwork("%s/%s" % (item["gateway"], item["netmask"]))
    if start > end:
        reader.error(path + ".endip", "%s comes before startip %s" % (item["endip"], item["startip"]))
        return
    for key in ("startip", "endip"):
        if netaddr.IPAddress(item[key]) not in subnet:
            reader.error("%s.%s" % (path, key), "%s is outside the subnet %s of the gateway and netmask"
                         % (item[key], subnet.cidr))
    if start <= netaddr.IPAddress(item["gateway"]) <= end:
        reader.error(path + ".gateway", "%s is inside the range %s-%s" % (item["gateway"], item["startip"],
                                                                          item["endip"]))


def address_range(item):
    if None in (item.get("startip"), item.get("endip")):
        return None
    try:
        return netaddr.IPRange(item["startip"], item["endip"])
    except (netaddr.AddrFormatError, ValueError):
        return None


def check_overlaps(reader, items, what):
    """No two of these ranges share an address."""
    ranges = [(item["path"], address_range(item)) for item in items]
    ranges = [(path, rng) for path, rng in ranges if rng is not None]
    for index, (path, rng) in enumerate(ranges):
        for other_path, other in ranges[:index]:
            if rng.first <= other.last and other.first <= rng.last:
                reader.error(path, "its %s range %s overlaps %s (%s)" % (what, rng, other_path, other))


def check_unique(reader, pairs, key, what):
    """Names CloudStack keeps unique (compared as MySQL does: case-insensitively)."""
    seen = {}
    for path, name in pairs:
        if name is None:
            continue
        folded = str(name).lower()
        if folded in seen:
            reader.error("%s.%s" % (path, key), "%s %r is also at %s" % (what, name, seen[folded]))
        else:
            seen[folded] = path


def check_zone(reader, zone):
    path = zone["path"]
    pnets = zone["physical_networks"]
    check_unique(reader, [(p["path"], p["name"]) for p in pnets], "name", "physical network")
    check_unique(reader, [(p["path"], p["name"]) for p in zone["pods"]], "name", "pod")
    clusters = [c for pod in zone["pods"] for c in pod["clusters"]]
    check_unique(reader, [(c["path"], c["name"]) for c in clusters], "clustername", "cluster")
    pools = [p for c in clusters for p in c["primary_storages"]] + zone["primary_storages"]
    check_unique(reader, [(p["path"], p["name"]) for p in pools], "name", "primary storage")
    check_unique(reader, [(p["path"], p["url"]) for p in pools], "url", "primary storage URL")
    hosts = [h for c in clusters if c["hypervisor"] != "Simulator" for h in c["hosts"]]
    check_unique(reader, [(h["path"], h["address"]) for h in hosts], "url", "host")
    for traffic in ("Management", "Public", "Storage"):  # one physical network carries each of these
        carriers = [t for p in pnets for t in p["traffictypes"] if t["type"] == traffic]
        for extra in carriers[1:]:
            reader.error(extra["path"] + ".typ", "%s traffic is already on %s" % (traffic, carriers[0]["path"]))
    check_vlans(reader, pnets)
    # Pods' management ranges, the zone's public ranges and the pods' guest ranges share no address.
    check_overlaps(reader, list(zone["pods"]) + zone["ipranges"]
                   + [r for pod in zone["pods"] for r in pod["guest_ranges"]], "address")
    if zone["networktype"] == "Advanced" and not zone["securitygroupenabled"]:
        for item in zone["ipranges"]:
            if item["vlan"] is None:
                item["vlan"] = "untagged"
    if zone["networktype"] == "Basic":
        if zone["ipranges"] and not any(t["type"] == "Public" for p in pnets for t in p["traffictypes"]):
            reader.error(path + ".ipranges", "a Basic zone takes public ranges only with Public traffic (EIP/ELB)")
        for pod in zone["pods"]:
            if not pod["guest_ranges"]:
                reader.error(pod["path"] + ".guestIpRanges", "a pod of a Basic zone needs a guest IP range")
    if zone["securitygroupenabled"] and zone["networktype"] == "Advanced" and len(zone["ipranges"]) != 1:
        reader.error(path + ".ipranges", "an Advanced zone with security groups takes exactly one range: its "
                                         "shared network's")
    if zone["guestcidraddress"] and zone["securitygroupenabled"]:
        reader.error(path + ".guestcidraddress", "is used only without security groups")


def check_vlans(reader, pnets):
    """Each physical network's VLAN ranges overlap no other's."""
    owners = []
    for pnet in pnets:
        for low, high in vlan_pairs(pnet["vlan"]):
            for other_path, (olow, ohigh) in owners:
                if low <= ohigh and olow <= high:
                    reader.error(pnet["path"] + ".vlan", "VLANs %d-%d overlap %d-%d of %s"
                                 % (low, high, olow, ohigh, other_path))
            owners.append((pnet["path"], (low, high)))
