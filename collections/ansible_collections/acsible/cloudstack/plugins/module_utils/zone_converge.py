# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converging a cloud to a zone spec: read what is there, plan, then act in Marvin's order.

`ZonePlanner(api, spec, prune).plan()` reads the cloud with one list call per kind of object and
parent (a zone's pods, clusters, hosts, pools and ranges each in one call, not one call per
object), and returns the ordered actions that would make it match the spec. Nothing is changed
while planning: a plan is what check mode shows, and every conflict CloudStack could not resolve
(an option it cannot change) is found before the first change. `apply(actions)` then runs them;
the ids of objects created on the way are handed to the actions after them.

Why not the per-resource modules' `Resource` class: it finds one object per call by name, which
is right for one task, but a zone of 256 hosts would cost 256 look-ups; here each kind is read
once and compared in memory. Names compare and values normalize exactly as there (same_name,
normalize).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from .api import CloudStackError
from .resource import normalize, same_name

# Providers whose element must be enabled before the provider itself (Marvin's configureProviders).
ELEMENTS = {
    "virtualrouter": ("listVirtualRouterElements", "configureVirtualRouterElement"),
    "vpcvirtualrouter": ("listVirtualRouterElements", "configureVirtualRouterElement"),
    "internallbvm": ("listInternalLoadBalancerElements", "configureInternalLoadBalancerElement"),
}
ZONE_FIELDS = ("dns1", "dns2", "internaldns1", "internaldns2", "ip6dns1", "ip6dns2", "domain", "guestcidraddress")
POOL_SCHEMES = {"NetworkFilesystem": "nfs", "SMB": "cifs", "RBD": "rbd", "Gluster": "gluster", "CLVM": "clvm",
                "SharedMountPoint": "sharedmountpoint", "PreSetup": "presetup", "Filesystem": "file",
                "IscsiLUN": "iscsi", "VMFS": "vmfs", "OCFS2": "ocfs2"}
BASIC_OFFERING = "DefaultSharedNetworkOfferingWithSGService"
EIP_OFFERING = "DefaultSharedNetscalerEIPandELBNetworkOffering"
BASIC_NETWORK = "guestNetworkForBasicZone"
SG_NETWORK = "Shared SG enabled network"
SYSTEM_VM_TYPES = ("secondarystoragevm", "consoleproxy")


class ConflictError(CloudStackError):
    """The cloud differs from the spec in a way CloudStack cannot change: nothing was done."""

    def __init__(self, conflicts):
        self.conflicts = conflicts
        super().__init__("the cloud cannot be converged to the spec without removing objects first: "
                         + "; ".join(conflicts))


class Action:
    """One step of the plan: what it says (`text`) and what it does (`run`)."""

    def __init__(self, verb, kind, label, run, changes=None):
        self.verb = verb
        self.kind = kind
        self.label = label
        self.run = run
        self.changes = changes or {}

    @property
    def text(self):
        line = "%s %s %s" % (self.verb, self.kind, self.label)
        if self.changes:
            line += ": " + "; ".join("%s %s -> %s" % (key, shown(old), shown(new))
                                     for key, (old, new) in sorted(self.changes.items()))
        return line


def shown(value):
    if isinstance(value, list):
        return "[%s]" % ", ".join(str(item) for item in value)
    return "(none)" if value is None or value == "" else str(value)


def url_place(url):
    """(host, path) of a storage URL as a pool keeps them (its ipaddress and path)."""
    parts = urlsplit(url or "")
    host = parts.netloc.rsplit("@", 1)[-1]
    host = host if host.startswith("[") else host.split(":", 1)[0]
    return host.lower(), unquote(parts.path).strip("/")


def pool_place(pool):
    return (pool.get("ipaddress") or "").lower(), (pool.get("path") or "").strip("/")


def pool_url(pool):
    scheme = POOL_SCHEMES.get(pool.get("type"), "?")
    return "%s://%s/%s" % (scheme, pool.get("ipaddress"), (pool.get("path") or "").lstrip("/"))


def vlan_value(value):
    """A range's VLAN as CloudStack shows it ("vlan://50", "untagged") -> "50" / "untagged"."""
    if value is None:
        return "untagged"
    text = str(value).strip()
    if text.lower().startswith("vlan://"):
        text = text[len("vlan://"):]
    return "untagged" if text.lower() in ("", "untagged") else text


def canonical_vnets(value):
    """A physical network's VLANs in one form: "100-200;300" and "100-200,300-300" compare equal."""
    pairs = []
    for part in str(value or "").replace(";", ",").split(","):
        bounds = [b.strip() for b in part.split("-") if b.strip()]
        if bounds:
            pairs.append((int(bounds[0]), int(bounds[-1])))
    return ",".join("%d-%d" % pair for pair in sorted(pairs)) or None


def tags_of(value):
    return normalize("list", value or "")


def find_named(objects, name, key="name"):
    for obj in objects:
        if same_name(obj.get(key), name):
            return obj
    return None


class Made:
    """Ids of objects: those found while planning and those created while applying."""

    def __init__(self):
        self.objects = {}

    def __setitem__(self, key, obj):
        self.objects[key] = obj

    def id(self, key):
        return self.objects[key]["id"]

    def get(self, key):
        return self.objects.get(key)


class ZonePlanner:
    """Reads the cloud and plans the actions that converge it to `spec` (from zone_spec.read_spec)."""

    def __init__(self, api, spec, prune=False):
        self.api = api
        self.spec = spec
        self.prune = prune
        self.actions = []
        self.conflicts = []
        self.made = Made()
        # The hosts waited for: those added by this run, and those of the spec found not Up.
        self.new_hosts = []
        self.restart_required = []

    # -- the plan ---------------------------------------------------------------------------

    def plan(self):
        self.plan_settings(self.spec["settings"])
        zones = self.api.list_all("listZones", {}) if self.spec["zones"] else []
        for zone_spec in self.spec["zones"]:
            ZoneWalk(self, zone_spec, find_named(zones, zone_spec["name"])).plan()
        if self.conflicts:
            raise ConflictError(self.conflicts)
        return self.actions

    def add(self, verb, kind, label, run, changes=None):
        self.actions.append(Action(verb, kind, label, run, changes))

    def conflict(self, path, text):
        self.conflicts.append("%s: %s" % (path, text))

    def plan_settings(self, settings):
        """Marvin's first step: each globalConfig item set with updateConfiguration when it differs."""
        if not settings:
            return
        current = {c["name"]: c for c in self.api.list_all("listConfigurations", {})}
        for item in settings:
            have = current.get(item["name"])
            if have is None:
                self.conflict(item["path"] + ".name", "CloudStack has no setting named %r" % item["name"])
                continue
            if str(have.get("value")) == item["value"]:
                continue
            if have.get("isdynamic") is False:
                self.restart_required.append(item["name"])
            update = self.runner("updateConfiguration", {"name": item["name"], "value": item["value"]})
            self.add("update", "setting", item["name"], update, {"value": (have.get("value"), item["value"])})

    # -- acting -----------------------------------------------------------------------------

    def call(self, command, params):
        """A command's result object, waiting for the job of an asynchronous one."""
        reply = self.api.call(command, params)
        if isinstance(reply, dict) and "jobid" in reply and set(reply) <= {"jobid", "id"}:
            reply = self.api.wait_for_job(command, reply["jobid"])
        if not isinstance(reply, dict) or "id" in reply:
            return reply
        # {"cluster": [{...}], "count": 1} or {"pod": {...}}: the one object under its kind
        objects = [value for key, value in reply.items() if key != "count" and isinstance(value, (dict, list))]
        if len(objects) == 1:
            value = objects[0]
            return (value[0] if value else {}) if isinstance(value, list) else value
        return reply

    def runner(self, command, params, key=None):
        """An action's run: one call; with `key`, the object it makes is remembered under that key."""
        def run():
            obj = self.call(command, resolve(self.made, params))
            if key is not None:
                self.made[key] = obj
            return obj
        return run

    def wait_hosts_up(self, zone_key, cluster_id=None):
        """Until the hosts of new_hosts in the zone (or in the cluster) are Up."""
        new_ids = {host["id"] for host in self.new_hosts}

        def probe():
            filters = {"zoneid": zone_id, "type": "Routing"}
            if cluster_id:
                filters["clusterid"] = cluster_id
            hosts = self.api.list_all("listHosts", filters)
            waiting = [h for h in hosts if h.get("state") != "Up" and h["id"] in new_ids]
            return not waiting, waiting

        def what(waiting):
            return "hosts to be Up: %s" % ", ".join("%s (%s)" % (h.get("name"), h.get("state")) for h in waiting or [])

        zone_id = self.made.id(zone_key)
        if any(h.get("zoneid") == zone_id and cluster_id in (None, h.get("clusterid")) for h in self.new_hosts):
            self.api.wait_until(probe, what)


class Ref:
    """The id of an object planned (or found) under `key`, looked up when the action runs."""

    def __init__(self, key):
        self.key = key


def resolve(made, params):
    return {name: made.id(value.key) if isinstance(value, Ref) else value for name, value in params.items()}


def drop_none(params):
    return {key: value for key, value in params.items() if value is not None and value != {} and value != []}


def details_param(details):
    return [dict(key=k, value=v) for k, v in sorted(details.items())] if details else None


class ZoneWalk:
    """One zone of the spec against what the cloud has, in the order of Marvin's createZones."""

    def __init__(self, planner, spec, zone):
        self.p = planner
        self.spec = spec
        self.zone = zone
        self.key = ("zone", spec["name"].lower())
        self.state = self.read() if zone else {}
        if zone:
            planner.made[self.key] = zone

    def read(self):
        """Everything of an existing zone the spec may touch: one list call per kind."""
        zone_id = self.zone["id"]
        api = self.p.api
        state = {
            "physical_networks": api.list_all("listPhysicalNetworks", {"zoneid": zone_id}),
            "pods": api.list_all("listPods", {"zoneid": zone_id}),
            "clusters": api.list_all("listClusters", {"zoneid": zone_id}),
            "hosts": api.list_all("listHosts", {"zoneid": zone_id, "type": "Routing"}),
            "pools": api.list_all("listStoragePools", {"zoneid": zone_id}),
            "stores": api.list_all("listImageStores", {"zoneid": zone_id}),
            "ranges": api.list_all("listVlanIpRanges", {"zoneid": zone_id}),
            "networks": [], "staging": [],
        }
        if self.spec["networktype"] == "Basic" or self.spec["securitygroupenabled"]:
            state["networks"] = api.list_all("listNetworks", {"zoneid": zone_id, "listall": True})
        if self.spec["cache_storages"]:
            state["staging"] = api.list_all("listSecondaryStagingStores", {"zoneid": zone_id})
        return state

    def existing(self, kind):
        return self.state.get(kind, [])

    # -- Marvin's order ---------------------------------------------------------------------

    def plan(self):
        self.plan_zone()
        for pnet in self.spec["physical_networks"]:
            self.plan_physical_network(pnet)
        network_key = self.plan_shared_network()
        for pod in self.spec["pods"]:
            self.plan_pod(pod, network_key)
        if self.spec["networktype"] == "Advanced" and not self.spec["securitygroupenabled"]:
            for item in self.spec["ipranges"]:
                self.plan_public_range(item)
        for store in self.spec["cache_storages"]:
            self.plan_staging_store(store)
        for store in self.spec["secondary_storages"]:
            self.plan_image_store(store)
        for pool in self.spec["primary_storages"]:
            self.plan_pool(pool, None, None, None)
        self.plan_allocation()
        if self.p.prune and self.zone:
            self.plan_prune()

    # -- the zone ---------------------------------------------------------------------------

    def plan_zone(self):
        spec, zone = self.spec, self.zone
        wanted = drop_none({field: spec[field] for field in ZONE_FIELDS})
        if spec["localstorageenabled"] is not None:
            wanted["localstorageenabled"] = spec["localstorageenabled"]
        if zone is None:
            params = dict(wanted, name=spec["name"], networktype=spec["networktype"],
                          securitygroupenabled=spec["securitygroupenabled"])
            self.p.add("create", "zone", spec["name"], self.p.runner("createZone", params, self.key))
            return
        if not same_name(zone.get("networktype"), spec["networktype"]):
            self.p.conflict(spec["path"] + ".networktype", "zone %s is %s; CloudStack cannot change a zone's "
                            "network type" % (zone["name"], zone.get("networktype")))
        if bool(zone.get("securitygroupsenabled")) != spec["securitygroupenabled"]:
            self.p.conflict(spec["path"] + ".securitygroupenabled", "zone %s has security groups %s; CloudStack "
                            "cannot change that" % (zone["name"], "on" if zone.get("securitygroupsenabled") else "off"))
        changes = {}
        for field, value in wanted.items():
            kind = "bool" if field == "localstorageenabled" else "scalar"
            if normalize(kind, zone.get(field)) != normalize(kind, value):
                changes[field] = (zone.get(field), value)
        if zone.get("name") != spec["name"]:
            changes["name"] = (zone.get("name"), spec["name"])
        if changes:
            params = dict({field: new for field, (old, new) in changes.items()}, id=zone["id"])
            self.p.add("update", "zone", spec["name"], self.p.runner("updateZone", params, self.key), changes)

    def plan_allocation(self):
        wanted = "Enabled" if self.spec["enabled"] else "Disabled"
        current = (self.zone or {}).get("allocationstate", "Disabled")
        if current != wanted:
            self.p.add("enable" if self.spec["enabled"] else "disable", "zone", self.spec["name"],
                       self.p.runner("updateZone", {"id": Ref(self.key), "allocationstate": wanted}),
                       {"allocationstate": (current if self.zone else None, wanted)})

    # -- physical networks, traffic types, providers --------------------------------------------

    def plan_physical_network(self, spec):
        key = (*self.key, "pnet", spec["name"].lower())
        have = find_named(self.existing("physical_networks"), spec["name"])
        label = "%s in zone %s" % (spec["name"], self.spec["name"])
        if have is None:
            params = drop_none({"zoneid": Ref(self.key), "name": spec["name"],
                                "isolationmethods": ",".join(spec["isolationmethods"] or []) or None,
                                "broadcastdomainrange": spec["broadcastdomainrange"], "vlan": spec["vlan"],
                                "tags": ",".join(spec["tags"]) if spec["tags"] else None})
            self.p.add("create", "physical network", label, self.p.runner("createPhysicalNetwork", params, key))
            types, providers = [], []
        else:
            self.p.made[key] = have
            self.compare_physical_network(spec, have, key, label)
            types = self.p.api.list_all("listTrafficTypes", {"physicalnetworkid": have["id"]})
            providers = self.p.api.list_all("listNetworkServiceProviders", {"physicalnetworkid": have["id"]})
        for traffic in spec["traffictypes"]:
            self.plan_traffic_type(traffic, types, key, spec["name"])
        for provider in spec["providers"]:
            self.plan_provider(provider, providers, key, spec["name"], have is not None)
        if have is None or have.get("state") != "Enabled":
            self.p.add("enable", "physical network", label,
                       self.p.runner("updatePhysicalNetwork", {"id": Ref(key), "state": "Enabled"}),
                       {"state": (have.get("state") if have else None, "Enabled")})
        if self.p.prune and have is not None:
            for extra in types:
                if not any(t["type"] == extra.get("traffictype") for t in spec["traffictypes"]):
                    label = "%s of physical network %s" % (extra["traffictype"], spec["name"])
                    self.p.add("delete", "traffic type", label, self.p.runner("deleteTrafficType", {"id": extra["id"]}))

    def compare_physical_network(self, spec, have, key, label):
        if spec["isolationmethods"] is not None and \
                tags_of(have.get("isolationmethods")) != tags_of(spec["isolationmethods"]):
            self.p.conflict(spec["path"] + ".isolationmethods", "physical network %s isolates by %s; CloudStack "
                            "cannot change that" % (spec["name"], have.get("isolationmethods")))
        if spec["broadcastdomainrange"] is not None and \
                not same_name(have.get("broadcastdomainrange"), spec["broadcastdomainrange"]):
            self.p.conflict(spec["path"] + ".broadcastdomainrange", "physical network %s has the range %s; "
                            "CloudStack cannot change that" % (spec["name"], have.get("broadcastdomainrange")))
        changes = {}
        if spec["vlan"] is not None and canonical_vnets(have.get("vlan")) != spec["vlan"]:
            changes["vlan"] = (canonical_vnets(have.get("vlan")), spec["vlan"])
        if spec["tags"] is not None and tags_of(have.get("tags")) != spec["tags"]:
            if not spec["tags"]:
                self.p.conflict(spec["path"] + ".tags", "updatePhysicalNetwork cannot remove the tags of %s"
                                % spec["name"])
            changes["tags"] = (tags_of(have.get("tags")), spec["tags"])
        if changes:
            params = {"id": have["id"]}
            if "vlan" in changes:
                params["vlan"] = spec["vlan"]
            if "tags" in changes:
                params["tags"] = ",".join(spec["tags"])
            self.p.add("update", "physical network", label, self.p.runner("updatePhysicalNetwork", params, key),
                       changes)

    def plan_traffic_type(self, spec, existing, pnet_key, pnet_name):
        have = find_named(existing, spec["type"], key="traffictype")
        label = "%s on physical network %s" % (spec["type"], pnet_name)
        if have is None:
            params = dict(spec["labels"], physicalnetworkid=Ref(pnet_key), traffictype=spec["type"])
            self.p.add("add", "traffic type", label, self.p.runner("addTrafficType", params))
            return
        changes = {param: (have.get(param), value) for param, value in spec["labels"].items()
                   if (have.get(param) or "") != value}
        if changes:
            params = dict({param: new for param, (old, new) in changes.items()}, id=have["id"])
            self.p.add("update", "traffic type", label, self.p.runner("updateTrafficType", params), changes)

    def plan_provider(self, spec, existing, pnet_key, pnet_name, pnet_exists):
        have = find_named(existing, spec["name"])
        label = "%s on physical network %s" % (spec["name"], pnet_name)
        if have is not None and have.get("state") == "Enabled":
            return
        key = (*pnet_key, "provider", spec["name"].lower())
        if have is not None:
            self.p.made[key] = have
        elif pnet_exists:  # a new physical network gets the default providers: enabling adds the others
            self.p.add("add", "network service provider", label, self.p.runner(
                "addNetworkServiceProvider", {"physicalnetworkid": Ref(pnet_key), "name": spec["name"]}, key))
        self.p.add("enable", "network service provider", label, self.enabler(spec["name"], pnet_key, key),
                   {"state": (have.get("state") if have else None, "Enabled")})

    def enabler(self, name, pnet_key, key):
        """Enable a provider: its element first where it has one (the provider cannot be enabled before)."""
        def run():
            provider = self.p.made.get(key)
            if provider is None:  # a default provider of a physical network created by this plan
                providers = self.p.api.list_all("listNetworkServiceProviders",
                                                {"physicalnetworkid": self.p.made.id(pnet_key), "name": name})
                provider = find_named(providers, name)
                if provider is None:
                    provider = self.p.call("addNetworkServiceProvider",
                                           {"physicalnetworkid": self.p.made.id(pnet_key), "name": name})
            commands = ELEMENTS.get(name.lower())
            if commands:
                for element in self.p.api.list_all(commands[0], {"nspid": provider["id"]}):
                    if not element.get("enabled"):
                        self.p.call(commands[1], {"id": element["id"], "enabled": True})
            self.p.made[key] = self.p.call("updateNetworkServiceProvider", {"id": provider["id"], "state": "Enabled"})
        return run

    # -- Basic and security-group zones: the shared guest network ----------------------------------

    def plan_shared_network(self):
        spec = self.spec
        if spec["networktype"] == "Advanced" and not spec["securitygroupenabled"]:
            return None
        basic = spec["networktype"] == "Basic"
        name = BASIC_NETWORK if basic else SG_NETWORK
        key = (*self.key, "network", name.lower())
        have = find_named(self.existing("networks"), name)
        if have is not None:
            self.p.made[key] = have
            return key
        if basic:
            has_public = any(t["type"] == "Public" for t in (spec["physical_networks"] or [{}])[0].get(
                "traffictypes", []))
            offering = spec["networkofferingname"] or (EIP_OFFERING if has_public else BASIC_OFFERING)
            extra = {}
        else:
            offering = spec["networkofferingname"] or BASIC_OFFERING
            item = spec["ipranges"][0]
            extra = drop_none({"startip": item["startip"], "endip": item["endip"], "gateway": item["gateway"],
                               "netmask": item["netmask"],
                               "vlan": None if item["vlan"] in (None, "untagged") else item["vlan"]})

        def run():
            offerings = self.p.api.list_all("listNetworkOfferings", {"name": offering})
            found = find_named(offerings, offering)
            if found is None:
                raise CloudStackError("%s: no network offering named %r" % (spec["path"], offering))
            self.p.made[key] = self.p.call("createNetwork", dict(extra, name=name, displaytext=name,
                                                                 networkofferingid=found["id"],
                                                                 zoneid=self.p.made.id(self.key)))
        self.p.add("create", "network", "%s in zone %s" % (name, spec["name"]), run)
        return key

    # -- pods, clusters, hosts, pools ------------------------------------------------------------

    def plan_pod(self, spec, network_key):
        key = (*self.key, "pod", spec["name"].lower())
        have = find_named(self.existing("pods"), spec["name"])
        if have is None:
            params = {"zoneid": Ref(self.key), "name": spec["name"], "gateway": spec["gateway"],
                      "netmask": spec["netmask"], "startip": spec["startip"], "endip": spec["endip"]}
            self.p.add("create", "pod", spec["name"], self.p.runner("createPod", params, key))
        else:
            self.p.made[key] = have
            self.compare_pod(spec, have, key)
        for item in spec["guest_ranges"]:
            self.plan_guest_range(item, key, network_key, spec["name"])
        for cluster in spec["clusters"]:
            self.plan_cluster(cluster, key, have, spec["name"])

    def compare_pod(self, spec, have, key):
        ranges = have.get("ipranges") or [{"startip": have.get("startip"), "endip": have.get("endip")}]
        if not any(r.get("startip") == spec["startip"] and r.get("endip") == spec["endip"] for r in ranges):
            self.p.conflict(spec["path"] + ".startip", "pod %s has the range %s; CloudStack cannot change a "
                            "pod's range (remove the pod and add it again)" % (
                                spec["name"], ", ".join("%s-%s" % (r.get("startip"), r.get("endip"))
                                                        for r in ranges)))
        changes = {field: (have.get(field), spec[field]) for field in ("gateway", "netmask")
                   if have.get(field) != spec[field]}
        if have.get("name") != spec["name"]:
            changes["name"] = (have.get("name"), spec["name"])
        if changes:
            params = dict({field: new for field, (old, new) in changes.items()}, id=have["id"])
            self.p.add("update", "pod", spec["name"], self.p.runner("updatePod", params, key), changes)

    def plan_guest_range(self, item, pod_key, network_key, pod_name):
        existing = [r for r in self.existing("ranges") if r.get("startip") == item["startip"]
                    and r.get("endip") == item["endip"]]
        if existing:
            return
        params = drop_none({"podid": Ref(pod_key), "networkid": Ref(network_key) if network_key else None,
                            "zoneid": Ref(self.key), "forvirtualnetwork": False, "startip": item["startip"],
                            "endip": item["endip"], "gateway": item["gateway"], "netmask": item["netmask"]})
        self.p.add("create", "guest IP range", "%s-%s in pod %s" % (item["startip"], item["endip"], pod_name),
                   self.p.runner("createVlanIpRange", params))

    def plan_cluster(self, spec, pod_key, pod, pod_name):
        key = (*self.key, "cluster", spec["name"].lower())
        have = find_named(self.existing("clusters"), spec["name"])
        if have is None:
            params = drop_none({"zoneid": Ref(self.key), "podid": Ref(pod_key), "clustername": spec["name"],
                                "clustertype": spec["clustertype"], "hypervisor": spec["hypervisor"],
                                "url": spec["url"], "username": spec["username"], "password": spec["password"]})
            self.p.add("create", "cluster", "%s in pod %s" % (spec["name"], pod_name),
                       self.p.runner("addCluster", params, key))
        else:
            self.p.made[key] = have
            if pod is None or have.get("podid") != pod["id"]:
                self.p.conflict(spec["path"], "cluster %s is in pod %s; CloudStack cannot move a cluster"
                                % (have["name"], have.get("podname")))
            if not same_name(have.get("hypervisortype"), spec["hypervisor"]):
                self.p.conflict(spec["path"] + ".hypervisor", "cluster %s is %s; CloudStack cannot change that"
                                % (have["name"], have.get("hypervisortype")))
        hosts = [h for h in self.existing("hosts") if have is not None and h.get("clusterid") == have["id"]]
        self.plan_hosts(spec, hosts, key, pod_key)
        for pool in spec["primary_storages"]:
            self.plan_pool(pool, pod_key, key, spec["name"])

    def plan_hosts(self, cluster, in_cluster, cluster_key, pod_key):
        """Hosts by address; a Simulator cluster's hosts are alike, matched by their place in the list."""
        simulator = cluster["hypervisor"] == "Simulator"
        for index, spec in enumerate(cluster["hosts"]):
            if simulator:
                have = in_cluster[index] if index < len(in_cluster) else None
            else:
                have = self.host_at(spec["address"])
                if have is not None and have.get("clusterid") != (self.p.made.get(cluster_key) or {}).get("id"):
                    self.p.conflict(spec["path"], "host %s is in cluster %s; CloudStack cannot move a host (remove "
                                    "it from that cluster first)" % (have["name"], have.get("clustername")))
                    continue
            name = spec["address"] if not simulator else "%d of cluster %s" % (index, cluster["name"])
            if have is not None and have.get("state") != "Up":
                self.p.new_hosts.append(have)  # still connecting since an earlier run, say: waited for too
            if have is None:
                params = drop_none({"zoneid": Ref(self.key), "podid": Ref(pod_key), "clusterid": Ref(cluster_key),
                                    "hypervisor": cluster["hypervisor"], "url": spec["url"],
                                    "username": spec["username"], "password": spec["password"],
                                    "hosttags": ",".join(spec["hosttags"]) if spec["hosttags"] else None})
                self.p.add("add", "host", name, self.host_adder(params))
                continue
            if spec["hosttags"] is not None and tags_of(have.get("hosttags")) != spec["hosttags"]:
                self.p.add("update", "host", have["name"] if not simulator else name,
                           self.p.runner("updateHost", {"id": have["id"], "hosttags": ",".join(spec["hosttags"])}),
                           {"hosttags": (tags_of(have.get("hosttags")), spec["hosttags"])})

    def host_at(self, address):
        for host in self.existing("hosts"):
            if host.get("ipaddress") == address or same_name(host.get("name"), address):
                return host
        return None

    def host_adder(self, params):
        def run():
            host = self.p.call("addHost", resolve(self.p.made, params))
            self.p.new_hosts.append(host)
            return host
        return run

    def plan_pool(self, spec, pod_key, cluster_key, cluster_name):
        """A primary storage pool: of a cluster (pod_key, cluster_key given) or zone-wide."""
        key = (*self.key, "pool", spec["name"].lower())
        have = find_named(self.existing("pools"), spec["name"])
        where = "cluster %s" % cluster_name if cluster_key else "zone %s" % self.spec["name"]
        if have is None:
            params = drop_none({
                "zoneid": Ref(self.key), "podid": Ref(pod_key) if pod_key else None,
                "clusterid": Ref(cluster_key) if cluster_key else None, "name": spec["name"], "url": spec["url"],
                "scope": spec["scope"], "hypervisor": spec["hypervisor"], "provider": spec["provider"],
                "tags": ",".join(spec["tags"]) if spec["tags"] else None, "details": details_param(spec["details"]),
                "capacitybytes": spec["capacitybytes"], "capacityiops": spec["capacityiops"]})
            self.p.add("create", "primary storage", "%s in %s" % (spec["name"], where),
                       self.pool_creator(params, key, cluster_key))
            return
        self.p.made[key] = have
        if url_place(spec["url"]) != pool_place(have):
            self.p.conflict(spec["path"] + ".url", "primary storage %s is at %s; CloudStack cannot change a "
                            "pool's URL" % (have["name"], pool_url(have)))
        if (have.get("scope") or "").lower() != spec["scope"]:
            self.p.conflict(spec["path"] + ".scope", "primary storage %s is %s-wide; CloudStack cannot change that "
                            "here" % (have["name"], (have.get("scope") or "").lower()))
        cluster = self.p.made.get(cluster_key) if cluster_key else None
        if cluster_key and have.get("clusterid") != (cluster or {}).get("id"):
            self.p.conflict(spec["path"], "primary storage %s belongs to cluster %s; CloudStack cannot move it"
                            % (have["name"], have.get("clustername")))
        changes = {}
        if spec["tags"] is not None and tags_of(have.get("tags")) != spec["tags"]:
            changes["tags"] = (tags_of(have.get("tags")), spec["tags"])
        for field in ("capacitybytes", "capacityiops"):
            if spec[field] is not None and normalize("int", have.get(field)) != spec[field]:
                changes[field] = (have.get(field), spec[field])
        if changes:
            params = {"id": have["id"]}
            params.update({field: ",".join(new) if field == "tags" else new for field, (old, new) in changes.items()})
            self.p.add("update", "primary storage", spec["name"], self.p.runner("updateStoragePool", params), changes)

    def pool_creator(self, params, key, cluster_key):
        """A cluster's pool is mounted on the cluster's Up hosts: wait for the hosts just added first."""
        def run():
            cluster_id = self.p.made.id(cluster_key) if cluster_key else None
            self.p.wait_hosts_up(self.key, cluster_id=cluster_id)
            self.p.made[key] = self.p.call("createStoragePool", resolve(self.p.made, params))
        return run

    # -- the zone's public ranges and storage -------------------------------------------------------

    def plan_public_range(self, item):
        label = "%s-%s in zone %s" % (item["startip"], item["endip"], self.spec["name"])
        for have in self.existing("ranges"):
            if have.get("startip") == item["startip"] and have.get("endip") == item["endip"]:
                if vlan_value(have.get("vlan")) != (item["vlan"] or "untagged") or \
                        have.get("gateway") != item["gateway"] or have.get("netmask") != item["netmask"]:
                    self.p.conflict(item["path"], "public range %s-%s has VLAN %s, gateway %s, netmask %s; CloudStack "
                                    "cannot change a range (remove it and add it again)" % (
                                        item["startip"], item["endip"], vlan_value(have.get("vlan")),
                                        have.get("gateway"), have.get("netmask")))
                return
        params = drop_none({"zoneid": Ref(self.key), "forvirtualnetwork": True, "startip": item["startip"],
                            "endip": item["endip"], "gateway": item["gateway"], "netmask": item["netmask"],
                            "vlan": item["vlan"] if item["vlan"] != "untagged" else None})
        self.p.add("create", "public IP range", label, self.p.runner("createVlanIpRange", params))

    def plan_staging_store(self, spec):
        if any(store.get("url") == spec["url"] for store in self.existing("staging")):
            return
        params = drop_none({"zoneid": Ref(self.key), "url": spec["url"], "provider": spec["provider"],
                            "details": details_param(spec["details"])})
        self.p.add("create", "staging store", spec["url"], self.p.runner("createSecondaryStagingStore", params))

    def plan_image_store(self, spec):
        for have in self.existing("stores"):
            if have.get("url") == spec["url"] or same_name(have.get("name"), spec["name"]):
                if have.get("url") != spec["url"]:
                    self.p.conflict(spec["path"] + ".url", "image store %s is at %s; CloudStack cannot change an "
                                    "image store's URL" % (have["name"], have.get("url")))
                return
        params = drop_none({"zoneid": Ref(self.key), "url": spec["url"], "provider": spec["provider"],
                            "name": spec["name"], "details": details_param(spec["details"])})
        self.p.add("add", "image store", spec["name"], self.p.runner("addImageStore", params))

    # -- prune: what the spec no longer lists, in reverse order ---------------------------------------

    def plan_prune(self):
        spec = self.spec
        pools = {p["name"].lower() for p in spec["primary_storages"]}
        for store in self.existing("pools"):
            if (store.get("scope") or "").upper() == "ZONE" and store["name"].lower() not in pools:
                self.p.add("delete", "primary storage", store["name"], self.pool_deleter(store))
        urls = {s["url"] for s in spec["secondary_storages"]}
        for store in self.existing("stores"):
            if store.get("url") not in urls:
                self.p.add("delete", "image store", store["name"],
                           self.p.runner("deleteImageStore", {"id": store["id"]}))
        public = {(r["startip"], r["endip"]) for r in spec["ipranges"]}
        guest = {(r["startip"], r["endip"]) for pod in spec["pods"] for r in pod["guest_ranges"]}
        for item in self.existing("ranges"):
            place = (item.get("startip"), item.get("endip"))
            if (item.get("forvirtualnetwork") and place not in public) or \
                    (not item.get("forvirtualnetwork") and item.get("podid") and place not in guest):
                self.p.add("delete", "IP range", "%s-%s" % place,
                           self.p.runner("deleteVlanIpRange", {"id": item["id"]}))
        self.prune_pods()
        wanted = {pnet["name"].lower() for pnet in spec["physical_networks"]}
        for pnet in self.existing("physical_networks"):
            if pnet["name"].lower() not in wanted:
                self.p.add("delete", "physical network", pnet["name"],
                           self.p.runner("deletePhysicalNetwork", {"id": pnet["id"]}))

    def prune_pods(self):
        spec_pods = {pod["name"].lower(): pod for pod in self.spec["pods"]}
        spec_clusters = {c["name"].lower(): c for pod in self.spec["pods"] for c in pod["clusters"]}
        for cluster in self.existing("clusters"):
            wanted = spec_clusters.get(cluster["name"].lower())
            hosts = [h for h in self.existing("hosts") if h.get("clusterid") == cluster["id"]]
            pools = [p for p in self.existing("pools") if p.get("clusterid") == cluster["id"]]
            keep_pools = {p["name"].lower() for p in wanted["primary_storages"]} if wanted else set()
            for pool in pools:
                if pool["name"].lower() not in keep_pools:
                    self.p.add("delete", "primary storage", pool["name"], self.pool_deleter(pool))
            for host in self.hosts_to_prune(wanted, hosts):
                self.p.add("delete", "host", host["name"], self.host_deleter(host))
            if wanted is None:
                self.p.add("delete", "cluster", cluster["name"], self.p.runner("deleteCluster", {"id": cluster["id"]}))
        for pod in self.existing("pods"):
            if pod["name"].lower() not in spec_pods:
                self.p.add("delete", "pod", pod["name"], self.p.runner("deletePod", {"id": pod["id"]}))

    def hosts_to_prune(self, wanted, hosts):
        if wanted is None:
            return hosts
        if wanted["hypervisor"] == "Simulator":
            return hosts[len(wanted["hosts"]):]
        addresses = {h["address"] for h in wanted["hosts"]}
        return [h for h in hosts if h.get("ipaddress") not in addresses and h.get("name") not in addresses]

    def host_deleter(self, host):
        """Marvin's DeleteDataCenters: a host goes into maintenance before it is deleted."""
        def run():
            current = self.p.api.list_all("listHosts", {"id": host["id"]})
            current = current[0] if current else host
            if current.get("resourcestate") not in ("Maintenance", "PrepareForMaintenance"):
                self.p.call("prepareHostForMaintenance", {"id": host["id"]})

            def probe():
                seen = self.p.api.list_all("listHosts", {"id": host["id"]})
                state = seen[0].get("resourcestate") if seen else "Maintenance"
                if state in ("ErrorInMaintenance", "ErrorInPrepareForMaintenance"):
                    raise CloudStackError("host %s: maintenance failed (%s)" % (host["name"], state))
                return state == "Maintenance", state
            self.p.api.wait_until(probe, lambda state: "host %s to be in maintenance (it is %s)"
                                  % (host["name"], state))
            self.p.call("deleteHost", {"id": host["id"], "forced": True})
        return run

    def pool_deleter(self, pool):
        """A pool goes into maintenance (its volumes move off) before it is deleted."""
        def run():
            if pool.get("state") not in ("Maintenance", "Disabled"):
                self.p.call("enableStorageMaintenance", {"id": pool["id"]})
            self.p.call("deleteStoragePool", {"id": pool["id"], "forced": True})
        return run


def converge(api, spec, prune=False, check_mode=False, wait_hosts=True, wait_for_system_vms=False):
    """Plan, and unless check_mode apply: returns {"plan", "restart_required", "zones"}."""
    planner = ZonePlanner(api, spec, prune)
    actions = planner.plan()
    done = []
    if not check_mode:
        try:
            for action in actions:
                action.run()
                done.append(action.text)
        except CloudStackError as exc:
            raise ApplyError(actions[len(done)].text, exc, done) from exc
    zone_ids = {}
    for zone in spec["zones"]:
        found = planner.made.get(("zone", zone["name"].lower()))
        zone_ids[zone["name"]] = found["id"] if found else None
    if not check_mode:
        for zone in spec["zones"]:
            if wait_hosts:
                planner.wait_hosts_up(("zone", zone["name"].lower()))
            if wait_for_system_vms:
                wait_system_vms_running(api, zone_ids[zone["name"]], zone["name"])
    return {"plan": [action.text for action in actions], "restart_required": planner.restart_required,
            "zones": zone_ids}


def wait_system_vms_running(api, zone_id, zone_name):
    def probe():
        vms = api.list_all("listSystemVms", {"zoneid": zone_id})
        running = {vm.get("systemvmtype") for vm in vms if vm.get("state") == "Running"}
        return all(kind in running for kind in SYSTEM_VM_TYPES), vms

    def what(vms):
        return "the system VMs of zone %s to be Running (%s)" % (zone_name, ", ".join(
            "%s %s" % (vm.get("name"), vm.get("state")) for vm in vms or []) or "none yet")
    api.wait_until(probe, what)


class ApplyError(CloudStackError):
    """An action failed: what was done before it stays done; a re-run picks up from there."""

    def __init__(self, action, cause, done):
        self.action = action
        self.cause = cause
        self.done = done
        super().__init__("%s: %s" % (action, cause))
