#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_pool
short_description: Manage CloudStack primary storage pools
description:
  - Add primary storage to a cluster or a whole zone, change its tags and capacity, enable and
    disable it, put it into maintenance and back, and delete it.
  - A pool is found by its name within its zone. Only the options you set are compared.
  - Where the pool is (O(scope), O(pod), O(cluster), O(hypervisor)), its O(url) and its O(provider)
    cannot change; a difference fails the task. The URL is compared with the address and path
    CloudStack keeps for the pool.
  - V(maintenance) calls C(enableStorageMaintenance) and waits for its job. V(absent) puts the pool
    into maintenance first, as CloudStack only deletes pools in maintenance.
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
extends_documentation_fragment:
  - acsible.cloudstack.cloudstack
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description: Name of the pool within its zone.
    type: str
    required: true
  zone:
    description: Name or id of the zone of the pool.
    type: str
    required: true
  scope:
    description:
      - V(cluster) (mounted by the hosts of O(cluster)) or V(zone) (by every host of O(hypervisor) in the zone).
      - When the pool is added, V(cluster) if O(cluster) is given, else V(zone).
    type: str
    choices: [cluster, zone]
  pod:
    description: Name or id of the pod of a cluster-wide pool. Needed to add one.
    type: str
  cluster:
    description: Name or id of the cluster of a cluster-wide pool. Needed to add one.
    type: str
  hypervisor:
    description: Hypervisor of the hosts that mount a zone-wide pool, for example V(KVM). Needed to add one.
    type: str
  url:
    description: Where the storage is, for example V(nfs://198.18.0.10/export/primary). Needed to add the pool.
    type: str
  provider:
    description: Storage provider; CloudStack uses V(DefaultPrimary) when it is not given.
    type: str
  tags:
    description: Storage tags of the pool. The order does not matter; V([]) removes every tag.
    type: list
    elements: str
  capacity_bytes:
    description: Bytes CloudStack may provision from the pool.
    type: int
  capacity_iops:
    description: IOPS CloudStack may provision from the pool.
    type: int
  state:
    description:
      - V(present) makes sure the pool exists, and takes it out of maintenance if it is in maintenance.
      - V(enabled) and V(disabled) allow or stop new volumes on it (a pool in maintenance leaves it first).
      - V(maintenance) puts it into maintenance (its volumes' VMs are stopped or moved by CloudStack).
      - V(absent) puts it into maintenance, then deletes it.
    type: str
    choices: [present, absent, enabled, disabled, maintenance]
    default: present
"""

EXAMPLES = r"""
- name: Add NFS primary storage to a cluster
  acsible.cloudstack.storage_pool:
    name: primary1
    zone: zone1
    pod: pod1
    cluster: cluster1
    url: nfs://198.18.0.10/export/primary
    tags: [ssd]

- name: Add zone-wide primary storage for the KVM hosts
  acsible.cloudstack.storage_pool:
    name: primary-zone
    zone: zone1
    scope: zone
    hypervisor: KVM
    url: nfs://198.18.0.10/export/primary-zone

- name: Put the pool into maintenance
  acsible.cloudstack.storage_pool:
    name: primary1
    zone: zone1
    state: maintenance

- name: Remove the pool
  acsible.cloudstack.storage_pool:
    name: primary1
    zone: zone1
    state: absent
"""

RETURN = r"""
storagepool:
  description: The pool, with CloudStack's own field names (in check mode, the pool that would exist).
  returned: unless state is absent and there was no pool
  type: dict
  contains:
    id:
      description: UUID of the pool.
      type: str
    name:
      description: Name of the pool.
      type: str
    state:
      description: Up, Disabled, PrepareForMaintenance, Maintenance, ...
      type: str
    scope:
      description: CLUSTER or ZONE.
      type: str
    type:
      description: Pool type (NetworkFilesystem, RBD, ...).
      type: str
    ipaddress:
      description: Address of the storage.
      type: str
    path:
      description: Path on the storage.
      type: str
    tags:
      description: Storage tags, comma separated.
      type: str
    capacitybytes:
      description: Bytes CloudStack may provision from the pool.
      type: int
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.api import CloudStackError
from ..module_utils.resource import (
    CHECK_MODE_ID,
    Option,
    Parent,
    Resource,
    api_argument_spec,
    find_cluster,
    find_pod,
    find_zone,
    run_resource,
    same_name,
)

MAINTENANCE_STATES = ("PrepareForMaintenance", "ErrorInMaintenance", "Maintenance")
# The pool's `type` for the schemes whose URL CloudStack rewrites, to show a pool's URL in a diff.
SCHEMES = {"NetworkFilesystem": "nfs", "SMB": "cifs", "RBD": "rbd", "Gluster": "gluster", "CLVM": "clvm",
           "SharedMountPoint": "sharedmountpoint", "PreSetup": "presetup", "Filesystem": "file",
           "IscsiLUN": "iscsi", "VMFS": "vmfs", "OCFS2": "ocfs2"}
PLACES = {"podname": ("pod", "podid"), "clustername": ("cluster", "clusterid")}


def url_place(url):
    """(host, path) of a storage URL as the pool keeps them; None when the URL has no host."""
    parts = urlsplit(url or "")
    host = parts.netloc.rsplit("@", 1)[-1]
    host = host if host.startswith("[") else host.split(":", 1)[0]
    if not host:
        return None
    return host.lower(), unquote(parts.path).strip("/")


class StoragePool(Resource):
    kind = "storagepool"
    list_command = "listStoragePools"
    create_command = "createStoragePool"
    update_command = "updateStoragePool"
    delete_command = "deleteStoragePool"
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("pod", find_pod, param="podid", needs="zone"),
        Parent("cluster", find_cluster, param="clusterid", needs="zone"),
    )
    options = {
        "scope": Option("scope", updatable=False, kind="caseless"),  # the API reads it case-insensitively
        "pod": Option("podname", create=False, updatable=False, kind="caseless"),
        "cluster": Option("clustername", create=False, updatable=False, kind="caseless"),
        "hypervisor": Option("hypervisor", updatable=False, kind="caseless"),
        "url": Option("url", updatable=False),
        "provider": Option("provider", updatable=False),
        "tags": Option("tags", kind="list"),
        "capacity_bytes": Option("capacitybytes", kind="int"),
        "capacity_iops": Option("capacityiops", kind="int"),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.created = False

    # -- reading ------------------------------------------------------------------------

    def find(self):
        """By name within the zone only: the pod and cluster are compared, not searched in."""
        zone = self.parent_objects.get("zone")
        if zone is None or zone.get("id") == CHECK_MODE_ID:
            return None
        name = self.params["name"]
        for obj in self.api.list_all(self.list_command, {"zoneid": zone["id"], "name": name}):
            if same_name(obj.get("name"), name):
                return obj
        return None

    def read(self, pool_id):
        found = self.api.list_all(self.list_command, {"id": pool_id})
        if not found:
            raise CloudStackError("storage pool %r (%s) is gone" % (self.params["name"], pool_id))
        return found[0]

    def current_value(self, have, option):
        if option.kind == "list":  # no tags: the field is left out
            return have.get(option.field) or ""
        if option.field in PLACES:  # the pod or cluster may be named by its id
            name, id_field = PLACES[option.field]
            if self.params.get(name) == have.get(id_field):
                return self.params.get(name)
        if option.field == "url":
            return self.current_url(have)
        return super().current_value(have, option)

    def current_url(self, have):
        """The URL asked for when it names the pool's address and path, else the pool's own."""
        wanted = self.params.get("url")
        have_place = ((have.get("ipaddress") or "").lower(), (have.get("path") or "").strip("/"))
        if url_place(wanted) == have_place:
            return wanted
        scheme = SCHEMES.get(have.get("type")) or urlsplit(wanted).scheme or "?"
        return "%s://%s/%s" % (scheme, have.get("ipaddress"), (have.get("path") or "").lstrip("/"))

    # -- creating -----------------------------------------------------------------------

    def scope(self):
        return self.params.get("scope") or ("cluster" if self.params.get("cluster") else "zone")

    def create(self):
        self.created = True
        self.required_to_create = ("url", "pod", "cluster") if self.scope() == "cluster" else ("url", "hypervisor")
        return super().create()

    def create_params(self):
        params = super().create_params()
        params["scope"] = self.scope()
        return params

    def would_create(self):
        obj = super().would_create()
        obj.update({"state": "Up", "scope": self.scope().upper()})
        if isinstance(obj.get("tags"), list):
            obj["tags"] = ",".join(obj["tags"]) or None
        return obj

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if params.get("tags") == []:
            params["tags"] = ""  # an empty list is not sent at all; "" removes the tags
        return params

    # -- states -------------------------------------------------------------------------

    def target_state(self, have):
        """The pool state wanted, or None to leave it."""
        state = self.params.get("state")
        current = have.get("state")
        if state == "present":
            return "Up" if current in MAINTENANCE_STATES else None
        if state == "maintenance":
            return None if current == "PrepareForMaintenance" else "Maintenance"  # on its way: only wait
        return {"enabled": "Up", "disabled": "Disabled"}.get(state)

    def enter_maintenance(self, pool):
        if pool.get("state") == "Disabled":
            pool = self.set_enabled(pool, True)  # CloudStack only starts maintenance from Up
        return self.call("enableStorageMaintenance", {"id": pool["id"]})

    def leave_maintenance(self, pool):
        return self.call("cancelStorageMaintenance", {"id": pool["id"]})

    def set_enabled(self, pool, enabled):
        return self.call(self.update_command, {"id": pool["id"], "enabled": enabled})

    def converge(self, have):
        current = have.get("state")
        target = self.target_state(have)
        if target is None or target == current:
            if current == "PrepareForMaintenance" and not self.module.check_mode:
                self.wait_for_pending_job(have)  # an earlier run's maintenance job
                return self.read(have["id"])
            return have
        self.result["changed"] = True
        diff = self.result.setdefault("diff", {"before": {}, "after": {}})
        if not self.created:
            diff["before"]["state"] = current
        diff["after"]["state"] = target
        if self.module.check_mode:
            return dict(have, state=target)
        self.wait_for_pending_job(have)
        have = self.read(have["id"])
        if target == "Maintenance":
            return self.enter_maintenance(have) if have.get("state") != "Maintenance" else have
        if have.get("state") in MAINTENANCE_STATES:
            have = self.leave_maintenance(have)
        if have.get("state") != target:
            have = self.set_enabled(have, target == "Up")
        return have

    def present(self):
        self.resolve_parents()
        have = self.find()
        have = self.create() if have is None else self.update(have)
        return self.converge(have)

    def absent(self):
        self.resolve_parents()
        have = self.find()
        if have is None:
            self.result["diff"] = {"before": {}, "after": {}}
            return None
        self.result["changed"] = True
        self.result["diff"] = {"before": {"name": have.get("name"), "id": have.get("id"),
                                          "state": have.get("state")}, "after": {}}
        if not self.module.check_mode:
            self.wait_for_pending_job(have)
            have = self.read(have["id"])
            if have.get("state") != "Maintenance":
                have = self.enter_maintenance(have)
            self.delete(have)
        return have

    def states(self):
        return {"present": self.present, "enabled": self.present, "disabled": self.present,
                "maintenance": self.present, "absent": self.absent}


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        scope=dict(type="str", choices=["cluster", "zone"]),
        pod=dict(type="str"),
        cluster=dict(type="str"),
        hypervisor=dict(type="str"),
        url=dict(type="str"),
        provider=dict(type="str"),
        tags=dict(type="list", elements="str"),
        capacity_bytes=dict(type="int"),
        capacity_iops=dict(type="int"),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled", "maintenance"]),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), StoragePool)


if __name__ == "__main__":
    main()
