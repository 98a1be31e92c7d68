#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: physical_network
short_description: Manage the physical networks of a CloudStack zone
description:
  - Create, update, enable, disable and delete physical networks, found by name within their zone.
  - Only the options you set are compared. C(isolation_method) and C(broadcast_domain_range) cannot be
    changed after creation; a difference fails the task instead of being ignored.
  - C(vlan) is compared as a set of VLAN ids, the way CloudStack stores it (V(300-400,100-200) and
    V(100-200,300-400) are the same ranges; adjacent ranges are merged).
  - CloudStack adds a physical network only while its zone is disabled.
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
    description: Name of the physical network, unique within its zone (compared case-insensitively).
    type: str
    required: true
  zone:
    description: Name or id of the zone.
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) set the physical network's state; V(present) leaves it as it is (a new
        physical network starts disabled).
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  isolation_method:
    description:
      - How guest traffic is isolated, for example V(VLAN), V(VXLAN), V(GRE), V(STT), V(L3), V(BCF_SEGMENT),
        V(SSP), V(ODL), V(VCS), V(NSX) or V(NETRIS). Cannot change after creation.
    type: str
  vlan:
    description:
      - The VLAN (or VNI) ranges for guest networks, comma separated start-end pairs, for example
        V(100-200,300-400). An empty string removes every range. Ranges in use by networks cannot go.
    type: str
  broadcast_domain_range:
    description: V(ZONE) in advanced zones, V(POD) in basic ones (the default CloudStack picks). Cannot change later.
    type: str
    choices: [ZONE, POD]
  tags:
    description: Tags of the physical network; CloudStack allows one tag. Order does not matter.
    type: list
    elements: str
  network_speed:
    description: Speed of the physical network, for example V(1G) or V(10G).
    type: str
"""

EXAMPLES = r"""
- name: Ensure the guest physical network of zone1 exists and is enabled
  acsible.cloudstack.physical_network:
    name: zone1-guest
    zone: zone1
    isolation_method: VLAN
    vlan: 100-200,300-400
    tags:
      - guest
    state: enabled

- name: Remove a physical network
  acsible.cloudstack.physical_network:
    name: zone1-guest
    zone: zone1
    state: absent
"""

RETURN = r"""
physicalnetwork:
  description: The physical network, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no physical network
  type: dict
  contains:
    id:
      description: UUID of the physical network.
      type: str
    name:
      description: Name of the physical network.
      type: str
    zoneid:
      description: UUID of its zone.
      type: str
    state:
      description: Enabled or Disabled.
      type: str
    isolationmethods:
      description: Isolation method.
      type: str
    vlan:
      description: VLAN ranges, as CloudStack merged them.
      type: str
    broadcastdomainrange:
      description: ZONE or POD.
      type: str
    tags:
      description: Comma separated tags.
      type: str
    networkspeed:
      description: Speed of the network.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Option, Parent, Resource, api_argument_spec, find_zone, run_resource

NETWORK_STATE = {"enabled": "Enabled", "disabled": "Disabled"}


def canonical_vnets(text):
    """A VLAN range string the way CloudStack stores it: sorted, overlapping and adjacent ranges merged.

    >>> canonical_vnets("300-400, 100-150,151-200")
    '100-200,300-400'

    Anything that is not a range is kept as written, for CloudStack to refuse with its own message.
    """
    if text is None:
        return None
    ranges = []
    for token in str(text).split(","):
        token = token.strip()
        if not token:
            continue
        bounds = [part.strip() for part in token.split("-")]
        if len(bounds) == 1:
            bounds = bounds * 2
        if len(bounds) != 2 or not all(part.isdigit() for part in bounds):
            return str(text)
        ranges.append((int(bounds[0]), int(bounds[1])))
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return ",".join("%d-%d" % (start, end) for start, end in merged)


class PhysicalNetwork(Resource):
    kind = "physicalnetwork"
    list_command = "listPhysicalNetworks"
    create_command = "createPhysicalNetwork"
    update_command = "updatePhysicalNetwork"
    delete_command = "deletePhysicalNetwork"
    update_name = False         # updatePhysicalNetwork has no name parameter
    parents = (Parent("zone", find_zone, param="zoneid"),)
    options = {
        "isolation_method": Option("isolationmethods", updatable=False, kind="list"),
        "vlan": Option("vlan"),
        "broadcast_domain_range": Option("broadcastdomainrange", updatable=False, kind="caseless"),
        "tags": Option("tags", kind="list"),
        "network_speed": Option("networkspeed"),
        "network_state": Option("state", create=False),
    }

    def states(self):
        return {"present": self.present, "absent": self.absent, "enabled": self.present, "disabled": self.present}

    def wanted(self):
        wanted = super().wanted()
        state = NETWORK_STATE.get(self.params.get("state"))
        if state:
            wanted["network_state"] = state
        else:
            wanted.pop("network_state", None)
        if "vlan" in wanted:
            wanted["vlan"] = canonical_vnets(wanted["vlan"])
        return wanted

    def current_value(self, have, option):
        value = super().current_value(have, option)
        if option.field == "vlan":
            return canonical_vnets(value or "")
        if option.field == "tags" and value is None:
            return []
        return value

    def update(self, have):
        if self.params.get("tags") == [] and have.get("tags"):
            self.module.fail_json(msg="tags: updatePhysicalNetwork cannot remove the tag %r of physical network %r; "
                                      "set another tag instead" % (have.get("tags"), have.get("name")))
        return super().update(have)

    def after_create(self, obj):
        """A new physical network is Disabled; state enabled takes a second call."""
        state = self.wanted().get("network_state")
        if state and obj.get("state") != state:
            obj = self.call(self.update_command, {"id": obj["id"], "state": state})
        return obj


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled"]),
        isolation_method=dict(type="str"),
        vlan=dict(type="str"),
        broadcast_domain_range=dict(type="str", choices=["ZONE", "POD"]),
        tags=dict(type="list", elements="str"),
        network_speed=dict(type="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), PhysicalNetwork)


if __name__ == "__main__":
    main()
