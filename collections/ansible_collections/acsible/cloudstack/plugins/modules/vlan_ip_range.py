#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: vlan_ip_range
short_description: Manage the public and shared-network IP ranges of a CloudStack zone
description:
  - Add or remove an IP range (a VLAN IP range), either public addresses of a zone or the addresses of a
    shared guest network. A range is found within its zone by its first and last address (and, when given, its
    network and VLAN).
  - CloudStack cannot change a range once it is added. Any difference in the options you set fails
    the task and names the options; remove the range and add it again to change it.
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
  zone:
    description: Name or id of the zone.
    type: str
    required: true
  start_ip:
    description: First address of the range.
    type: str
    required: true
  end_ip:
    description: Last address of the range; the range is the one address O(start_ip) when not given.
    type: str
  state:
    description: Whether the range exists.
    type: str
    choices: [present, absent]
    default: present
  gateway:
    description: Gateway of the range's subnet. Needed to add a public range.
    type: str
  netmask:
    description: Netmask of the range's subnet. Needed to add a public range.
    type: str
  vlan:
    description:
      - VLAN id of the range, or V(untagged) (what CloudStack takes when none is given for a public range;
        a shared network's range takes the network's VLAN).
    type: str
  for_virtual_network:
    description:
      - V(true) for public addresses of virtual (isolated and VPC) networks, V(false) for the addresses of a
        shared network. V(true) when a range is added and this is not given.
    type: bool
  physical_network:
    description: Name or id of the physical network carrying the range (CloudStack finds it when not given).
    type: str
  network:
    description: Name or id of the shared guest network the range belongs to.
    type: str
  pod:
    description: Name or id of the pod of a guest range in a basic zone.
    type: str
"""

EXAMPLES = r"""
- name: Give zone1 a public IP range on VLAN 50
  acsible.cloudstack.vlan_ip_range:
    zone: zone1
    start_ip: 198.51.100.10
    end_ip: 198.51.100.99
    gateway: 198.51.100.1
    netmask: 255.255.255.0
    vlan: "50"

- name: Add addresses to a shared network
  acsible.cloudstack.vlan_ip_range:
    zone: zone1
    network: shared-net
    for_virtual_network: false
    start_ip: 10.20.0.100
    end_ip: 10.20.0.199
    gateway: 10.20.0.1
    netmask: 255.255.255.0

- name: Remove a public IP range
  acsible.cloudstack.vlan_ip_range:
    zone: zone1
    start_ip: 198.51.100.10
    end_ip: 198.51.100.99
    state: absent
"""

RETURN = r"""
vlaniprange:
  description: The range, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no such range
  type: dict
  contains:
    id:
      description: UUID of the range.
      type: str
    zoneid:
      description: UUID of the zone.
      type: str
    startip:
      description: First address.
      type: str
    endip:
      description: Last address.
      type: str
    gateway:
      description: Gateway.
      type: str
    netmask:
      description: Netmask.
      type: str
    vlan:
      description: VLAN as CloudStack keeps it, for example V(vlan://50) or V(vlan://untagged).
      type: str
    forvirtualnetwork:
      description: Whether the addresses are public addresses of virtual networks.
      type: bool
    networkid:
      description: UUID of the network the range belongs to (the zone's public network for public ranges).
      type: str
    physicalnetworkid:
      description: UUID of the physical network.
      type: str
    podid:
      description: UUID of the pod (basic zones).
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
    find_network,
    find_physical_network,
    find_pod,
    find_zone,
    run_resource,
)


def vlan_value(tag):
    """A VLAN as compared: without its vlan:// (or vxlan://) scheme, lower case (vlan://Untagged is untagged)."""
    if tag is None:
        return None
    text = str(tag)
    for scheme in ("vlan://", "vxlan://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme):]
    return text.lower()


class VlanIpRange(Resource):
    kind = "vlaniprange"            # listVlanIpRanges' object name ...
    list_key = "vlan"               # ... createVlanIpRange answers with "vlan"
    list_command = "listVlanIpRanges"
    create_command = "createVlanIpRange"
    delete_command = "deleteVlanIpRange"
    name_option = "start_ip"
    name_param = "startip"
    update_name = False
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("physical_network", find_physical_network, param="physicalnetworkid", needs="zone"),
        Parent("network", find_network, param="networkid", needs="zone"),
        Parent("pod", find_pod, param="podid", needs="zone"),
    )
    # Nothing of a range can change: createVlanIpRange is the only command that sets these.
    options = {
        "end_ip": Option("endip", updatable=False),
        "gateway": Option("gateway", updatable=False),
        "netmask": Option("netmask", updatable=False),
        "vlan": Option("vlan", updatable=False),
        "for_virtual_network": Option("forvirtualnetwork", updatable=False, kind="bool"),
    }
    parent_fields = {"physical_network": "physicalnetworkid", "network": "networkid", "pod": "podid"}

    def wanted(self):
        wanted = super().wanted()
        wanted.setdefault("end_ip", self.params["start_ip"])
        return wanted

    def current_value(self, have, option):
        value = super().current_value(have, option)
        return vlan_value(value) if option.field == "vlan" else value

    def differences(self, have):
        diffs = {}
        for name, (old, new) in super().differences(have).items():
            if name == "vlan" and vlan_value(new) == old:
                continue
            diffs[name] = (old, new)
        for option, field in self.parent_fields.items():  # a range cannot move either
            parent = self.parent_objects.get(option)
            if parent is not None and have.get(field) != parent["id"]:
                diffs[option] = (have.get(field), parent["id"])
        return diffs

    def find(self):
        """The zone's range with these first and last addresses; with a network, that network's one.

        listVlanIpRanges filters the VLAN by its stored form (vlan://50), so the VLAN is matched here.
        """
        if self.parents_pending():
            return None
        filters = {"zoneid": self.parent_objects["zone"]["id"]}
        if self.parent_objects.get("network") is not None:
            filters["networkid"] = self.parent_objects["network"]["id"]
        end_ip = self.params.get("end_ip") or self.params["start_ip"]
        found = [obj for obj in self.api.list_all(self.list_command, filters)
                 if obj.get("startip") == self.params["start_ip"] and obj.get("endip") == end_ip]
        vlan = vlan_value(self.params.get("vlan"))
        same_vlan = [obj for obj in found if vlan is not None and vlan_value(obj.get("vlan")) == vlan]
        candidates = same_vlan or found
        return candidates[0] if candidates else None

    def update(self, have):
        diffs = self.differences(have)
        if diffs:
            changes = ", ".join("%s (is %r, wanted %r)" % (name, old, new)
                                for name, (old, new) in sorted(diffs.items()))
            self.module.fail_json(msg="IP range %s-%s: CloudStack cannot change %s of an IP range; remove it "
                                      "(state: absent) and add it again to change that" % (
                                          have.get("startip"), have.get("endip"), changes))
        self.result["diff"] = self.diff_of(diffs)
        return have

    def would_create(self):
        obj = super().would_create()
        obj.pop("name", None)
        obj["startip"] = self.params["start_ip"]
        obj.setdefault("forvirtualnetwork", True)
        for option, field in self.parent_fields.items():
            if self.params.get(option) is not None and field not in obj:
                obj[field] = CHECK_MODE_ID
        return obj

    def create_params(self):
        params = super().create_params()
        params.setdefault("forvirtualnetwork", True)
        return params

    def absent(self):
        have = super().absent()
        if have is not None:
            self.result["diff"]["before"] = {"start_ip": have.get("startip"), "end_ip": have.get("endip"),
                                             "id": have.get("id")}
        return have


def main():
    spec = api_argument_spec(
        zone=dict(type="str", required=True),
        start_ip=dict(type="str", required=True),
        end_ip=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        gateway=dict(type="str"),
        netmask=dict(type="str"),
        vlan=dict(type="str"),
        for_virtual_network=dict(type="bool"),
        physical_network=dict(type="str"),
        network=dict(type="str"),
        pod=dict(type="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), VlanIpRange)


if __name__ == "__main__":
    main()
