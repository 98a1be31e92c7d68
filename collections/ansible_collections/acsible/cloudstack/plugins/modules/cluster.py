#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster
short_description: Manage CloudStack clusters
description:
  - Add, update, enable, disable, manage, unmanage and delete the clusters of a pod.
  - A cluster is found by its name within its zone, and within its pod when O(pod) is given.
    Only the options you set are compared.
  - The URL of an ExternalManaged (vCenter) cluster cannot change after it was added; a different
    O(url) fails the task. O(username) and O(password) are only sent when the cluster is added
    (CloudStack never shows them, so they are not compared).
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
    description: Name of the cluster (unique within its pod, compared case-insensitively as CloudStack does).
    type: str
    required: true
  zone:
    description: Name or id of the zone of the cluster.
    type: str
    required: true
  pod:
    description: Name or id of the pod of the cluster. Needed to add the cluster.
    type: str
  state:
    description:
      - V(enabled) and V(disabled) set the cluster's allocation state, V(managed) and V(unmanaged) its
        managed state (unmanaging disconnects its hosts); V(present) leaves both as they are
        (a new cluster starts enabled and managed).
    type: str
    choices: [present, absent, enabled, disabled, managed, unmanaged]
    default: present
  hypervisor:
    description: Hypervisor of the cluster's hosts, for example V(KVM). Needed to add the cluster.
    type: str
  cluster_type:
    description: V(CloudManaged) (the default when the cluster is added) or V(ExternalManaged) (vCenter).
    type: str
    choices: [CloudManaged, ExternalManaged]
  arch:
    description: CPU architecture of the cluster's hosts (CloudStack uses V(x86_64) when it is not given).
    type: str
    choices: [x86_64, aarch64]
  url:
    description:
      - URL of an ExternalManaged cluster, for example V(http://vcenter/datacenter/cluster). Needed to add one.
      - Cannot change later.
    type: str
  username:
    description: User name for an ExternalManaged cluster; only sent when the cluster is added.
    type: str
  password:
    description: Password for an ExternalManaged cluster; only sent when the cluster is added.
    type: str
"""

EXAMPLES = r"""
- name: Ensure a KVM cluster exists
  acsible.cloudstack.cluster:
    name: cluster1
    zone: zone1
    pod: pod1
    hypervisor: KVM

- name: Disable the cluster
  acsible.cloudstack.cluster:
    name: cluster1
    zone: zone1
    state: disabled

- name: Add a vCenter cluster
  acsible.cloudstack.cluster:
    name: vcluster1
    zone: zone1
    pod: pod1
    hypervisor: VMware
    cluster_type: ExternalManaged
    url: http://vcenter.example.com/dc1/cluster1
    username: administrator@vsphere.local
    password: "{{ vcenter_password }}"

- name: Remove the cluster
  acsible.cloudstack.cluster:
    name: cluster1
    zone: zone1
    state: absent
"""

RETURN = r"""
cluster:
  description: The cluster, with CloudStack's own field names (in check mode, the cluster that would exist).
  returned: unless state is absent and there was no cluster
  type: dict
  contains:
    id:
      description: UUID of the cluster.
      type: str
    name:
      description: Name of the cluster.
      type: str
    podid:
      description: UUID of the pod.
      type: str
    zoneid:
      description: UUID of the zone.
      type: str
    hypervisortype:
      description: Hypervisor of the cluster.
      type: str
    clustertype:
      description: CloudManaged or ExternalManaged.
      type: str
    allocationstate:
      description: Enabled or Disabled.
      type: str
    managedstate:
      description: Managed, Unmanaged, or a state in between.
      type: str
    resourcedetails:
      description: Details of the cluster (overcommit ratios, the URL of an ExternalManaged cluster).
      type: dict
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import (
    Option,
    Parent,
    Resource,
    api_argument_spec,
    find_pod,
    find_zone,
    run_resource,
)

STATE_ALLOCATION = {"enabled": "Enabled", "disabled": "Disabled"}
STATE_MANAGED = {"managed": "Managed", "unmanaged": "Unmanaged"}
DEFAULT_CLUSTER_TYPE = "CloudManaged"


class Cluster(Resource):
    kind = "cluster"
    list_command = "listClusters"
    create_command = "addCluster"
    update_command = "updateCluster"
    delete_command = "deleteCluster"
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("pod", find_pod, param="podid", needs="zone"),
    )
    required_to_create = ("pod", "hypervisor")
    options = {
        # HypervisorType.getType reads the name case-insensitively.
        "hypervisor": Option("hypervisor", field="hypervisortype", kind="caseless"),
        "cluster_type": Option("clustertype"),
        "arch": Option("arch"),
        "url": Option("url", updatable=False),
        "allocation_state": Option("allocationstate"),
        "managed_state": Option("managedstate", create=False),
    }

    def states(self):
        return {"present": self.present, "absent": self.absent, "enabled": self.present, "disabled": self.present,
                "managed": self.present, "unmanaged": self.present}

    def wanted(self):
        wanted = super().wanted()
        state = self.params.get("state")
        wanted.pop("allocation_state", None)
        wanted.pop("managed_state", None)
        if state in STATE_ALLOCATION:
            wanted["allocation_state"] = STATE_ALLOCATION[state]
        if state in STATE_MANAGED:
            wanted["managed_state"] = STATE_MANAGED[state]
        return wanted

    def current_value(self, have, option):
        if option.param == "url":  # kept in the cluster's details
            self.check_url(have.get("clustertype"))
            return (have.get("resourcedetails") or {}).get("url")
        return super().current_value(have, option)

    def check_url(self, cluster_type):
        """Only a vCenter cluster has a URL; CloudStack would drop any other silently."""
        if self.params.get("url") and cluster_type != "ExternalManaged":
            self.module.fail_json(msg="url: only an ExternalManaged cluster has a URL (cluster %r is %s)"
                                      % (self.params.get("name"), cluster_type))

    def create(self):
        cluster_type = self.params.get("cluster_type") or DEFAULT_CLUSTER_TYPE
        self.check_url(cluster_type)
        if cluster_type == "ExternalManaged" and not self.params.get("url"):
            self.module.fail_json(msg="cluster %r does not exist; to add an ExternalManaged cluster, set url"
                                      % self.params.get("name"))
        return super().create()

    def create_params(self):
        params = super().create_params()
        params["clustername"] = params.pop("name")
        params.setdefault("clustertype", DEFAULT_CLUSTER_TYPE)
        for name in ("username", "password"):
            if self.params.get(name) is not None:
                params[name] = self.params[name]
        return params

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if "name" in params:
            params["clustername"] = params.pop("name")
        return params

    def would_create(self):
        obj = super().would_create()
        obj.setdefault("clustertype", DEFAULT_CLUSTER_TYPE)
        obj.setdefault("allocationstate", "Enabled")
        obj.setdefault("managedstate", "Managed")
        if "url" in obj:
            obj["resourcedetails"] = {"url": obj.pop("url")}
        return obj

    def after_create(self, obj):
        """addCluster has no managed state: unmanage a new cluster with a second call."""
        if self.wanted().get("managed_state") not in (None, obj.get("managedstate")):
            obj = self.call(self.update_command, {"id": obj["id"], "managedstate": self.wanted()["managed_state"]})
        return obj


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        pod=dict(type="str"),
        state=dict(type="str", default="present",
                   choices=["present", "absent", "enabled", "disabled", "managed", "unmanaged"]),
        hypervisor=dict(type="str"),
        cluster_type=dict(type="str", choices=["CloudManaged", "ExternalManaged"]),
        arch=dict(type="str", choices=["x86_64", "aarch64"]),
        url=dict(type="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), Cluster)


if __name__ == "__main__":
    main()
