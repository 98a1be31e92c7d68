#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: host
short_description: Manage CloudStack hypervisor hosts
description:
  - Add hosts to a cluster, set their tags, enable, disable, put them into maintenance and back,
    and delete them.
  - A host is found by its name within its zone. CloudStack names a KVM host after the host part of
    the URL it was added with (V(http://198.18.0.31) gives V(198.18.0.31)), so O(name) may be left
    out when O(url) is given.
  - The pod, cluster and hypervisor of a host cannot change; a difference fails the task.
    O(username) and O(password) are only sent when the host is added (CloudStack never shows the
    password, so it is not compared).
  - V(maintenance) asks CloudStack to prepare the host for maintenance and waits until its resource
    state is C(Maintenance). V(absent) puts the host into maintenance first, as CloudStack requires,
    then deletes it.
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
    description:
      - Name of the host within its zone.
      - Defaults to the host part of O(url).
    type: str
  url:
    description:
      - URL the host is added with, for example V(http://198.18.0.31). Needed to add the host.
      - Only used when the host is added, and to name it when O(name) is not given.
    type: str
  zone:
    description: Name or id of the zone of the host.
    type: str
    required: true
  pod:
    description: Name or id of the pod of the host. Needed to add the host; cannot change later.
    type: str
  cluster:
    description: Name or id of the cluster of the host. Needed to add the host; cannot change later.
    type: str
  hypervisor:
    description: Hypervisor of the host, for example V(KVM). Needed to add the host; cannot change later.
    type: str
  username:
    description: User CloudStack logs in to the host as; only sent when the host is added.
    type: str
  password:
    description: Password of O(username); only sent when the host is added.
    type: str
  host_tags:
    description: Tags of the host. The order does not matter; V([]) removes every tag.
    type: list
    elements: str
  state:
    description:
      - V(present) makes sure the host exists, and takes it out of maintenance if it is in maintenance.
      - V(enabled) and V(disabled) set its allocation state (a host in maintenance leaves it first).
      - V(maintenance) puts it into maintenance and waits until CloudStack reports it there.
      - V(absent) puts it into maintenance, then deletes it.
    type: str
    choices: [present, absent, enabled, disabled, maintenance]
    default: present
  wait:
    description:
      - Wait until a host just added (or still connecting) is C(Up), for at most O(job_timeout) seconds.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Add a KVM host
  acsible.cloudstack.host:
    url: http://198.18.0.31
    zone: zone1
    pod: pod1
    cluster: cluster1
    hypervisor: KVM
    username: root
    password: "{{ kvm_root_password }}"
    host_tags: [ssd, gpu]

- name: Put the host into maintenance
  acsible.cloudstack.host:
    name: 198.18.0.31
    zone: zone1
    state: maintenance

- name: Take it out of maintenance
  acsible.cloudstack.host:
    name: 198.18.0.31
    zone: zone1
    state: enabled

- name: Remove the host
  acsible.cloudstack.host:
    name: 198.18.0.31
    zone: zone1
    state: absent
"""

RETURN = r"""
host:
  description: The host, with CloudStack's own field names (in check mode, the host that would exist).
  returned: unless state is absent and there was no host
  type: dict
  contains:
    id:
      description: UUID of the host.
      type: str
    name:
      description: Name of the host.
      type: str
    ipaddress:
      description: Address of the host.
      type: str
    state:
      description: Status of the host's agent (Connecting, Up, Disconnected, ...).
      type: str
    resourcestate:
      description: Enabled, Disabled, PrepareForMaintenance, Maintenance, ...
      type: str
    hypervisor:
      description: Hypervisor of the host.
      type: str
    hosttags:
      description: Tags of the host, comma separated.
      type: str
    podid:
      description: UUID of the pod.
      type: str
    clusterid:
      description: UUID of the cluster.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from urllib.parse import urlsplit

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

# ResourceState values a host has while in (or on its way into) maintenance.
MAINTENANCE_STATES = ("PrepareForMaintenance", "ErrorInPrepareForMaintenance", "Maintenance", "ErrorInMaintenance")
MAINTENANCE_FAILED = ("ErrorInPrepareForMaintenance", "ErrorInMaintenance")
TARGET = {"enabled": "Enabled", "disabled": "Disabled", "maintenance": "Maintenance"}
# The fields the pod and cluster options are compared with: (option, name field, id field).
PLACES = {"podname": ("pod", "podid"), "clustername": ("cluster", "clusterid")}


def url_host(url):
    """URI.getHost, as CloudStack names a KVM host: the address without user info or port."""
    netloc = urlsplit(url or "").netloc.rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.split(":", 1)[0] or None


class Host(Resource):
    kind = "host"
    list_command = "listHosts"
    create_command = "addHost"
    update_command = "updateHost"
    delete_command = "deleteHost"
    list_filters = {"type": "Routing"}
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("pod", find_pod, param="podid", needs="zone"),
        Parent("cluster", find_cluster, param="clusterid", needs="zone"),
    )
    required_to_create = ("url", "pod", "cluster", "hypervisor")
    options = {
        # Where a host is cannot change; compared by name (CloudStack names compare case-insensitively).
        "pod": Option("podname", create=False, updatable=False, kind="caseless"),
        "cluster": Option("clustername", create=False, updatable=False, kind="caseless"),
        "hypervisor": Option("hypervisor", updatable=False, kind="caseless"),
        "host_tags": Option("hosttags", kind="list"),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.created = False
        if not self.params.get("name"):
            self.params["name"] = url_host(self.params.get("url"))
            if not self.params["name"]:
                module.fail_json(msg="url: %r has no host part to name the host by; set name"
                                     % self.params.get("url"))

    # -- reading ------------------------------------------------------------------------

    def find(self):
        """By name within the zone only: the pod and cluster are compared, not searched in."""
        zone = self.parent_objects.get("zone")
        if zone is None or zone.get("id") == CHECK_MODE_ID:
            return None
        name = self.params["name"]
        for obj in self.api.list_all(self.list_command, dict(self.list_filters, zoneid=zone["id"], name=name)):
            if same_name(obj.get("name"), name):
                return obj
        return None

    def read(self, host_id):
        found = self.api.list_all(self.list_command, {"id": host_id})
        if not found:
            raise CloudStackError("host %r (%s) is gone" % (self.params["name"], host_id))
        return found[0]

    def current_value(self, have, option):
        if option.kind == "list":  # no tags: the field is left out
            return have.get(option.field) or ""
        if option.field in PLACES:  # the pod or cluster may be named by its id
            name, id_field = PLACES[option.field]
            if self.params.get(name) == have.get(id_field):
                return self.params.get(name)
        return super().current_value(have, option)

    # -- calls --------------------------------------------------------------------------

    def create_params(self):
        params = super().create_params()
        params.pop("name", None)  # addHost names the host itself
        for name in ("url", "username", "password"):
            if self.params.get(name) is not None:
                params[name] = self.params[name]
        return params

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if params.get("hosttags") == []:
            params["hosttags"] = ""  # an empty list is not sent at all; "" removes the tags
        return params

    def would_create(self):
        obj = super().would_create()
        obj.update({"state": "Up", "resourcestate": "Enabled", "type": "Routing"})
        if isinstance(obj.get("hosttags"), list):
            obj["hosttags"] = ",".join(obj["hosttags"]) or None
        return obj

    def wait_up(self, host):
        """A host just added connects on its own: wait for its agent to be Up."""
        if not self.params.get("wait") or self.module.check_mode:
            return host
        if host.get("state") == "Up" or not (self.created or host.get("state") == "Connecting"):
            return host

        def probe():
            current = self.read(host["id"])
            return current.get("state") == "Up", current

        def what(seen):
            return "host %r to be Up (it is %s)" % (self.params["name"], (seen or {}).get("state"))

        return self.api.wait_until(probe, what)

    def wait_maintenance(self, host):
        def probe():
            current = self.read(host["id"])
            if current.get("resourcestate") in MAINTENANCE_FAILED:
                raise CloudStackError("host %r: maintenance failed, its resource state is %s"
                                      % (self.params["name"], current["resourcestate"]))
            return current.get("resourcestate") == "Maintenance", current

        def what(seen):
            return "host %r to be in maintenance (its resource state is %s)" % (
                self.params["name"], (seen or {}).get("resourcestate"))

        return self.api.wait_until(probe, what)

    def allocate(self, host, event):
        return self.call(self.update_command, {"id": host["id"], "allocationstate": event})

    def enter_maintenance(self, host):
        if host.get("resourcestate") == "Disabled":
            host = self.allocate(host, "Enable")  # Disabled has no way into maintenance but through Enabled
        if host.get("resourcestate") != "PrepareForMaintenance":
            host = self.call("prepareHostForMaintenance", {"id": host["id"]})
        return self.wait_maintenance(host)

    def leave_maintenance(self, host):
        return self.call("cancelHostMaintenance", {"id": host["id"]})

    # -- states -------------------------------------------------------------------------

    def target_state(self, have):
        """The resource state wanted for this host, or None to leave it."""
        state = self.params.get("state")
        current = have.get("resourcestate")
        if state == "present":
            return "Enabled" if current in MAINTENANCE_STATES else None
        if state == "maintenance" and current == "PrepareForMaintenance":
            return None  # on its way already: only wait
        return TARGET.get(state)

    def converge(self, have):
        current = have.get("resourcestate")
        target = self.target_state(have)
        if target is not None and target != current:
            self.result["changed"] = True
            diff = self.result.setdefault("diff", {"before": {}, "after": {}})
            if not self.created:
                diff["before"]["resource_state"] = current
            diff["after"]["resource_state"] = target
            if self.module.check_mode:
                return dict(have, resourcestate=target)
            self.wait_for_pending_job(have)
            have = self.read(have["id"])
            if target == "Maintenance":
                return have if have.get("resourcestate") == "Maintenance" else self.enter_maintenance(have)
            if have.get("resourcestate") in MAINTENANCE_STATES:
                have = self.leave_maintenance(have)
            if have.get("resourcestate") != target:
                have = self.allocate(have, "Enable" if target == "Enabled" else "Disable")
            return have
        if self.params.get("state") == "maintenance" and current == "PrepareForMaintenance" \
                and not self.module.check_mode:
            return self.wait_maintenance(have)
        return have

    def present(self):
        self.resolve_parents()
        have = self.find()
        if have is None:
            self.created = True
            have = self.wait_up(self.create())
        else:
            have = self.wait_up(self.update(have))
        return self.converge(have)

    def absent(self):
        self.resolve_parents()
        have = self.find()
        if have is None:
            self.result["diff"] = {"before": {}, "after": {}}
            return None
        self.result["changed"] = True
        self.result["diff"] = {"before": {"name": have.get("name"), "id": have.get("id"),
                                          "resource_state": have.get("resourcestate")}, "after": {}}
        if not self.module.check_mode:
            self.wait_for_pending_job(have)
            have = self.read(have["id"])
            if have.get("resourcestate") not in ("Maintenance", "Degraded"):
                if have.get("resourcestate") in MAINTENANCE_FAILED:
                    have = self.leave_maintenance(have)
                have = self.enter_maintenance(have)
            self.delete(have)
        return have

    def states(self):
        return {"present": self.present, "enabled": self.present, "disabled": self.present,
                "maintenance": self.present, "absent": self.absent}


def main():
    spec = api_argument_spec(
        name=dict(type="str"),
        url=dict(type="str"),
        zone=dict(type="str", required=True),
        pod=dict(type="str"),
        cluster=dict(type="str"),
        hypervisor=dict(type="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        host_tags=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled", "maintenance"]),
        wait=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, required_one_of=[("name", "url")])
    run_resource(module, Host)


if __name__ == "__main__":
    main()
