#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zone
short_description: Manage CloudStack zones
description:
  - Create, update, enable, disable and delete zones.
  - Only the options you set are compared. C(network_type) and C(security_group_enabled) cannot be
    changed after creation; a difference fails the task instead of being ignored.
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
    description: Name of the zone (names are unique, compared case-insensitively as CloudStack does).
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) set the zone's allocation state; V(present) leaves it as it is
        (a new zone starts disabled).
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  network_type:
    description: Basic or Advanced networking. Needed to create the zone; cannot change later.
    type: str
    choices: [Basic, Advanced]
  dns1:
    description: First public DNS server. Needed to create the zone.
    type: str
  dns2:
    description: Second public DNS server.
    type: str
  internal_dns1:
    description: First DNS server for system VMs. Needed to create the zone.
    type: str
  internal_dns2:
    description: Second DNS server for system VMs.
    type: str
  ip6_dns1:
    description: First IPv6 DNS server.
    type: str
  ip6_dns2:
    description: Second IPv6 DNS server.
    type: str
  guest_cidr_address:
    description: Guest CIDR of an Advanced zone.
    type: str
  network_domain:
    description: Network domain name for the networks of the zone.
    type: str
  security_group_enabled:
    description: Security groups in an Advanced zone (Basic zones always have them). Cannot change later.
    type: bool
  local_storage_enabled:
    description: Allow local storage for user VMs.
    type: bool
  dhcp_provider:
    description: DHCP provider of the zone (update only).
    type: str
"""

EXAMPLES = r"""
- name: Ensure an advanced zone exists and is enabled
  acsible.cloudstack.zone:
    name: zone1
    network_type: Advanced
    dns1: 198.18.0.53
    internal_dns1: 198.18.0.53
    guest_cidr_address: 10.1.1.0/24
    state: enabled

- name: Remove a zone
  acsible.cloudstack.zone:
    name: zone1
    state: absent
"""

RETURN = r"""
zone:
  description: The zone, with CloudStack's own field names (in check mode, the zone that would exist).
  returned: unless state is absent and there was no zone
  type: dict
  contains:
    id:
      description: UUID of the zone.
      type: str
    name:
      description: Name of the zone.
      type: str
    allocationstate:
      description: Enabled or Disabled.
      type: str
    networktype:
      description: Basic or Advanced.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Option, Resource, api_argument_spec, run_resource

STATE_ALLOCATION = {"enabled": "Enabled", "disabled": "Disabled"}


class Zone(Resource):
    kind = "zone"
    list_command = "listZones"
    create_command = "createZone"
    update_command = "updateZone"
    delete_command = "deleteZone"
    required_to_create = ("network_type", "dns1", "internal_dns1")
    options = {
        "network_type": Option("networktype", updatable=False, kind="caseless"),
        "dns1": Option("dns1"),
        "dns2": Option("dns2"),
        "internal_dns1": Option("internaldns1"),
        "internal_dns2": Option("internaldns2"),
        "ip6_dns1": Option("ip6dns1"),
        "ip6_dns2": Option("ip6dns2"),
        "guest_cidr_address": Option("guestcidraddress"),
        "network_domain": Option("domain"),
        "security_group_enabled": Option("securitygroupenabled", field="securitygroupsenabled", updatable=False,
                                         kind="bool"),
        "local_storage_enabled": Option("localstorageenabled", kind="bool"),
        "dhcp_provider": Option("dhcpprovider", create=False),
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


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled"]),
        network_type=dict(type="str", choices=["Basic", "Advanced"]),
        dns1=dict(type="str"),
        dns2=dict(type="str"),
        internal_dns1=dict(type="str"),
        internal_dns2=dict(type="str"),
        ip6_dns1=dict(type="str"),
        ip6_dns2=dict(type="str"),
        guest_cidr_address=dict(type="str"),
        network_domain=dict(type="str"),
        security_group_enabled=dict(type="bool"),
        local_storage_enabled=dict(type="bool"),
        dhcp_provider=dict(type="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), Zone)


if __name__ == "__main__":
    main()
