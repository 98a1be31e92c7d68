#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: traffic_type
short_description: Manage the traffic types a CloudStack physical network carries
description:
  - Add a traffic type (Public, Guest, Management, Storage) to a physical network, set its network labels,
    or remove it. A traffic type is found by its type within its physical network.
  - Only the options you set are compared. The labels can be changed; C(isolation_method) and C(vlan) are
    only sent when the traffic type is added, because CloudStack can neither change them nor show them
    (they are not in its traffic type response), so a difference on an existing traffic type cannot be seen.
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
  traffic_type:
    description: The traffic type.
    type: str
    required: true
    choices: [Public, Guest, Management, Storage]
  physical_network:
    description: Name or id of the physical network.
    type: str
    required: true
  zone:
    description: Name or id of the zone of the physical network.
    type: str
    required: true
  state:
    description: Whether the physical network carries this traffic type.
    type: str
    choices: [present, absent]
    default: present
  kvm_network_label:
    description: Name of the bridge on KVM hosts for this traffic. An empty string clears it.
    type: str
  vmware_network_label:
    description: Name of the vSwitch (or port group) on VMware hosts for this traffic. An empty string clears it.
    type: str
  xen_network_label:
    description: Name of the network on XenServer hosts for this traffic. An empty string clears it.
    type: str
  hyperv_network_label:
    description: Name of the virtual switch on Hyper-V hosts for this traffic. An empty string clears it.
    type: str
  ovm3_network_label:
    description: Name of the network on OVM3 hosts for this traffic. An empty string clears it.
    type: str
  isolation_method:
    description:
      - Isolation of a Public traffic type when the physical network has several methods (V(vlan) or V(vxlan)).
      - Only sent when the traffic type is added (see the description).
    type: str
  vlan:
    description:
      - VLAN id of Management traffic on VMware hosts.
      - Only sent when the traffic type is added (see the description).
    type: str
"""

EXAMPLES = r"""
- name: Carry guest traffic on the cloudbr1 bridge of the KVM hosts
  acsible.cloudstack.traffic_type:
    traffic_type: Guest
    physical_network: zone1-guest
    zone: zone1
    kvm_network_label: cloudbr1

- name: Stop carrying storage traffic on a physical network
  acsible.cloudstack.traffic_type:
    traffic_type: Storage
    physical_network: zone1-guest
    zone: zone1
    state: absent
"""

RETURN = r"""
traffictype:
  description: The traffic type, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no such traffic type
  type: dict
  contains:
    id:
      description: UUID of the traffic type.
      type: str
    traffictype:
      description: The type (Public, Guest, Management, Storage).
      type: str
    physicalnetworkid:
      description: UUID of the physical network.
      type: str
    kvmnetworklabel:
      description: KVM network label.
      type: str
    vmwarenetworklabel:
      description: VMware network label.
      type: str
    xennetworklabel:
      description: XenServer network label.
      type: str
    hypervnetworklabel:
      description: Hyper-V network label.
      type: str
    ovm3networklabel:
      description: OVM3 network label.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import (
    CHECK_MODE_ID,
    Option,
    Parent,
    Resource,
    api_argument_spec,
    find_physical_network,
    find_zone,
    run_resource,
)

LABELS = {
    "kvm_network_label": "kvmnetworklabel",
    "vmware_network_label": "vmwarenetworklabel",
    "xen_network_label": "xennetworklabel",
    "hyperv_network_label": "hypervnetworklabel",
    "ovm3_network_label": "ovm3networklabel",
}
CREATE_ONLY = {"isolation_method": "isolationmethod", "vlan": "vlan"}


class TrafficType(Resource):
    kind = "traffictype"
    list_command = "listTrafficTypes"
    create_command = "addTrafficType"
    update_command = "updateTrafficType"
    delete_command = "deleteTrafficType"
    name_option = "traffic_type"
    name_param = "traffictype"
    update_name = False
    parents = (
        Parent("zone", find_zone, param=None),
        Parent("physical_network", find_physical_network, param="physicalnetworkid", needs="zone"),
    )
    options = {name: Option(param) for name, param in LABELS.items()}

    def find(self):
        """listTrafficTypes has no type filter: the physical network's traffic types, by type."""
        if self.parents_pending():
            return None
        wanted = self.params["traffic_type"]
        for obj in self.api.list_all(self.list_command, self.parent_ids(for_list=True)):
            if obj.get("traffictype") == wanted:
                return obj
        return None

    def current_value(self, have, option):
        # CloudStack clears a label given as an empty string: no label and "" are the same
        value = super().current_value(have, option)
        return "" if value is None else value

    def create_params(self):
        params = super().create_params()
        for name, param in CREATE_ONLY.items():
            if self.params.get(name) is not None:
                params[param] = self.params[name]
        return params

    def would_create(self):
        obj = super().would_create()
        obj.pop("name", None)
        obj["traffictype"] = self.params["traffic_type"]
        physical_network = self.parent_objects.get("physical_network") or {}
        obj["physicalnetworkid"] = physical_network.get("id", CHECK_MODE_ID)
        return obj

    def absent(self):
        have = super().absent()
        if have is not None:
            self.result["diff"]["before"] = {"traffic_type": have.get("traffictype"), "id": have.get("id")}
        return have


def main():
    spec = api_argument_spec(
        traffic_type=dict(type="str", required=True, choices=["Public", "Guest", "Management", "Storage"]),
        physical_network=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        isolation_method=dict(type="str"),
        vlan=dict(type="str"),
        **{name: dict(type="str") for name in LABELS}
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), TrafficType)


if __name__ == "__main__":
    main()
