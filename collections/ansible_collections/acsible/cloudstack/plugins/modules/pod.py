#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: pod
short_description: Manage CloudStack pods
description:
  - Create, update, enable, disable and delete the pods of a zone.
  - A pod is found by its name within its zone. Only the options you set are compared.
  - The pod's management IP range (O(start_ip), O(end_ip)) is given when the pod is created.
    CloudStack's C(updatePod) takes C(startip) and C(endip) but never applies them, so a different
    range fails the task instead of being silently ignored. O(gateway) and O(netmask) can change.
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
    description: Name of the pod (unique within the zone, compared case-insensitively as CloudStack does).
    type: str
    required: true
  zone:
    description: Name or id of the zone of the pod.
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) set the pod's allocation state; V(present) leaves it as it is
        (a new pod starts enabled).
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  gateway:
    description: Gateway of the pod's management network. Needed to create the pod (outside edge zones).
    type: str
  netmask:
    description: Netmask of the pod's management network. Needed to create the pod (outside edge zones).
    type: str
  start_ip:
    description:
      - First address of the pod's management IP range. Needed to create the pod (outside edge zones).
      - Cannot change after creation; it matches when the pod has a range starting there.
    type: str
  end_ip:
    description:
      - Last address of the pod's management IP range; CloudStack takes the last usable address of
        the subnet when it is not given.
      - Cannot change after creation.
    type: str
"""

EXAMPLES = r"""
- name: Ensure a pod exists
  acsible.cloudstack.pod:
    name: pod1
    zone: zone1
    gateway: 198.18.0.1
    netmask: 255.255.255.0
    start_ip: 198.18.0.100
    end_ip: 198.18.0.150

- name: Disable the pod
  acsible.cloudstack.pod:
    name: pod1
    zone: zone1
    state: disabled

- name: Remove the pod
  acsible.cloudstack.pod:
    name: pod1
    zone: zone1
    state: absent
"""

RETURN = r"""
pod:
  description: The pod, with CloudStack's own field names (in check mode, the pod that would exist).
  returned: unless state is absent and there was no pod
  type: dict
  contains:
    id:
      description: UUID of the pod.
      type: str
    name:
      description: Name of the pod.
      type: str
    zoneid:
      description: UUID of the zone.
      type: str
    gateway:
      description: Gateway of the management network.
      type: str
    netmask:
      description: Netmask of the management network.
      type: str
    ipranges:
      description: The management IP ranges (startip, endip, forsystemvms, vlanid).
      type: list
      elements: dict
    allocationstate:
      description: Enabled or Disabled.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Option, Parent, Resource, api_argument_spec, find_zone, run_resource

STATE_ALLOCATION = {"enabled": "Enabled", "disabled": "Disabled"}
RANGE_FIELDS = ("startip", "endip")


class Pod(Resource):
    kind = "pod"
    list_command = "listPods"
    create_command = "createPod"
    update_command = "updatePod"
    delete_command = "deletePod"
    parents = (Parent("zone", find_zone, param="zoneid"),)
    options = {
        "gateway": Option("gateway"),
        "netmask": Option("netmask"),
        # updatePod accepts startip/endip, but editPod is always called with nulls for them.
        "start_ip": Option("startip", updatable=False),
        "end_ip": Option("endip", updatable=False),
        "allocation_state": Option("allocationstate"),
    }

    def states(self):
        return {"present": self.present, "absent": self.absent, "enabled": self.present, "disabled": self.present}

    def wanted(self):
        wanted = super().wanted()
        allocation = STATE_ALLOCATION.get(self.params.get("state"))
        if allocation:
            wanted["allocation_state"] = allocation
        else:
            wanted.pop("allocation_state", None)
        return wanted

    def current_value(self, have, option):
        """The bound of the pod's range that matches what was asked (the first range otherwise)."""
        if option.field not in RANGE_FIELDS:
            return super().current_value(have, option)
        start, end = self.params.get("start_ip"), self.params.get("end_ip")
        ranges = have.get("ipranges") or []
        for item in ranges:
            if start in (None, item.get("startip")) and end in (None, item.get("endip")):
                return item.get(option.field)
        return ranges[0].get(option.field) if ranges else None

    def create(self):
        zone = self.parent_objects.get("zone") or {}
        # An edge zone's pods have no management range; every other pod needs one.
        self.required_to_create = () if zone.get("type") == "Edge" else ("gateway", "netmask", "start_ip")
        return super().create()


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled"]),
        gateway=dict(type="str"),
        netmask=dict(type="str"),
        start_ip=dict(type="str"),
        end_ip=dict(type="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), Pod)


if __name__ == "__main__":
    main()
