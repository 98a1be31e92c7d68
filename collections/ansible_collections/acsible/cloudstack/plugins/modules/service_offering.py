#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: service_offering
short_description: Manage CloudStack service (compute) offerings
description:
  - Create, update and delete service offerings, found by name (system offerings with O(is_system=true)).
  - Only the options you set are compared; tag lists, zones and domains are compared as sets.
  - What updateServiceOffering can change is changed in place (O(display_text), O(host_tags),
    O(storage_tags), O(zones), O(domains), O(purge_resources)). Everything else (CPU, memory, storage
    type, HA, system VM type, network rate, ...) cannot change after creation; a difference fails the task.
  - CloudStack does not really delete an offering; it becomes Inactive and is no longer listed, so
    O(state=present) afterwards creates a new offering of that name.
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
    description: Name of the offering (compared case-insensitively, as CloudStack does).
    type: str
    required: true
  display_text:
    description: Display text; CloudStack defaults it to the name.
    type: str
  cpu_number:
    description: Number of CPUs of a fixed offering. Cannot change later.
    type: int
  cpu_speed:
    description: CPU speed in MHz. Cannot change later.
    type: int
  memory:
    description: Memory in MiB of a fixed offering. Cannot change later.
    type: int
  customized:
    description:
      - A custom offering (CPU and memory chosen at deployment). CloudStack makes an offering custom when
        O(cpu_number) or O(memory) is missing. Cannot change later.
    type: bool
  min_cpu_number:
    description:
      - Smallest number of CPUs of a custom offering (give all four limits and O(cpu_speed), or none).
      - Cannot change later.
    type: int
  max_cpu_number:
    description: Largest number of CPUs of a custom offering. Cannot change later.
    type: int
  min_memory:
    description: Smallest memory (MiB) of a custom offering. Cannot change later.
    type: int
  max_memory:
    description: Largest memory (MiB) of a custom offering. Cannot change later.
    type: int
  storage_type:
    description: Storage type of the root disk. Cannot change later.
    type: str
    choices: [shared, local]
  provisioning_type:
    description: Provisioning type of the root disk. Cannot change later.
    type: str
    choices: [thin, sparse, fat]
  offer_ha:
    description: Whether VMs of the offering are highly available. Cannot change later.
    type: bool
  limit_cpu_use:
    description: Restrict the CPU use to the offering's speed. Cannot change later.
    type: bool
  is_volatile:
    description: Replace the root disk on every reboot. Cannot change later.
    type: bool
  host_tags:
    description: Host tags (a list; order does not matter). V([]) removes them.
    type: list
    elements: str
  storage_tags:
    description: Storage tags of the root disk (a list; order does not matter). V([]) removes them.
    type: list
    elements: str
  is_system:
    description:
      - A system VM offering. It is also how the offering is looked for (system offerings are listed apart),
        so give it on every task about a system offering. Cannot change later.
    type: bool
  system_vm_type:
    description: The system VM type of a system offering. Cannot change later.
    type: str
    choices: [domainrouter, consoleproxy, secondarystoragevm, internalloadbalancervm]
  network_rate:
    description: Data transfer rate in Mbit/s (user offerings and router offerings). Cannot change later.
    type: int
  deployment_planner:
    description: Deployment planner of the offering. Cannot change later.
    type: str
  root_disk_size:
    description: Root disk size in GiB. Cannot change later.
    type: int
  dynamic_scaling_enabled:
    description: Whether VMs of the offering can be scaled while running. Cannot change later.
    type: bool
  purge_resources:
    description: Purge a VM's resources from the database when it is expunged.
    type: bool
  zones:
    description: Names (or UUIDs) of the zones the offering is limited to; V([]) makes it available in all zones.
    type: list
    elements: str
  domains:
    description: Paths (or UUIDs) of the domains the offering is limited to; V([]) makes it public.
    type: list
    elements: str
  state:
    description: Whether the offering should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Ensure a small fixed offering exists
  acsible.cloudstack.service_offering:
    name: small
    display_text: 1 vCPU, 1 GiB
    cpu_number: 1
    cpu_speed: 1000
    memory: 1024
    host_tags: [general]
    storage_tags: [ssd]

- name: Ensure a custom offering limited to one zone exists
  acsible.cloudstack.service_offering:
    name: custom
    customized: true
    min_cpu_number: 1
    max_cpu_number: 8
    min_memory: 512
    max_memory: 16384
    cpu_speed: 1000
    zones: [zone1]

- name: Ensure a router offering exists
  acsible.cloudstack.service_offering:
    name: router-large
    is_system: true
    system_vm_type: domainrouter
    cpu_number: 2
    cpu_speed: 1000
    memory: 2048
    network_rate: 1000

- name: Remove an offering
  acsible.cloudstack.service_offering:
    name: small
    state: absent
"""

RETURN = r"""
serviceoffering:
  description: The offering, with CloudStack's own field names (in check mode, the offering that would exist).
  returned: unless state is absent and there was no offering
  type: dict
  contains:
    id:
      description: UUID of the offering.
      type: str
    name:
      description: Name of the offering.
      type: str
    displaytext:
      description: Display text.
      type: str
    cpunumber:
      description: Number of CPUs.
      type: int
    cpuspeed:
      description: CPU speed in MHz.
      type: int
    memory:
      description: Memory in MiB.
      type: int
    hosttags:
      description: Host tags, comma separated.
      type: str
    storagetags:
      description: Storage tags, comma separated.
      type: str
    storagetype:
      description: shared or local.
      type: str
    issystem:
      description: Whether this is a system offering.
      type: bool
    systemvmtype:
      description: The system VM type of a system offering.
      type: str
    zoneid:
      description: UUIDs of the zones the offering is limited to, comma separated.
      type: str
    domainid:
      description: UUIDs of the domains the offering is limited to, comma separated.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import (
    Option,
    Resource,
    api_argument_spec,
    find_domain,
    find_zone,
    ids_of,
    run_resource,
)

DETAILS = ("mincpunumber", "maxcpunumber", "minmemory", "maxmemory")  # kept in serviceofferingdetails
SCOPES = {"zones": ("zoneid", "all", find_zone), "domains": ("domainid", "public", find_domain)}


class ServiceOffering(Resource):
    kind = "serviceoffering"
    list_command = "listServiceOfferings"
    create_command = "createServiceOffering"
    update_command = "updateServiceOffering"
    delete_command = "deleteServiceOffering"
    options = {
        "display_text": Option("displaytext"),
        "cpu_number": Option("cpunumber", updatable=False, kind="int"),
        "cpu_speed": Option("cpuspeed", updatable=False, kind="int"),
        "memory": Option("memory", updatable=False, kind="int"),
        "customized": Option("customized", field="iscustomized", updatable=False, kind="bool"),
        "min_cpu_number": Option("mincpunumber", updatable=False, kind="int"),
        "max_cpu_number": Option("maxcpunumber", updatable=False, kind="int"),
        "min_memory": Option("minmemory", updatable=False, kind="int"),
        "max_memory": Option("maxmemory", updatable=False, kind="int"),
        "storage_type": Option("storagetype", updatable=False, kind="caseless"),
        "provisioning_type": Option("provisioningtype", updatable=False),
        "offer_ha": Option("offerha", updatable=False, kind="bool"),
        "limit_cpu_use": Option("limitcpuuse", updatable=False, kind="bool"),
        "is_volatile": Option("isvolatile", updatable=False, kind="bool"),
        "host_tags": Option("hosttags", kind="list"),
        "storage_tags": Option("tags", field="storagetags", update_param="storagetags", kind="list"),
        "is_system": Option("issystem", updatable=False, kind="bool"),
        "system_vm_type": Option("systemvmtype", updatable=False, kind="caseless"),
        "network_rate": Option("networkrate", updatable=False, kind="int"),
        "deployment_planner": Option("deploymentplanner", updatable=False),
        "root_disk_size": Option("rootdisksize", updatable=False, kind="int"),
        "dynamic_scaling_enabled": Option("dynamicscalingenabled", updatable=False, kind="bool"),
        "purge_resources": Option("purgeresources", kind="bool"),
        "zones": Option("zoneid", kind="list"),
        "domains": Option("domainid", kind="list"),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        # System offerings are only listed with issystem=true: the flag is part of the lookup.
        self.list_filters = {"issystem": True} if self.params.get("is_system") else {}
        self.scope_ids = {}

    def resolve_parents(self):
        super().resolve_parents()
        for option, scope in SCOPES.items():
            finder = scope[2]
            if self.params.get(option) is not None and self.params["state"] == "present":
                self.scope_ids[option] = ids_of(self.module, self.api, option, self.params[option], finder)

    def wanted(self):
        wanted = super().wanted()
        wanted.update(self.scope_ids)
        return wanted

    def current_value(self, have, option):
        if option.param in DETAILS:
            return (have.get("serviceofferingdetails") or {}).get(option.param)
        value = super().current_value(have, option)
        if option.kind == "list" and value is None:
            return ""  # no tags, no zones: the empty list
        if option.field == "purgeresources" and value is None:
            return False  # only shown when set
        return value

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        for name in ("host_tags", "storage_tags"):
            if name in diffs and not self.wanted()[name]:
                params[self.options[name].update_param] = ""  # an empty list clears the tags
        for option, scope in SCOPES.items():
            param, everyone = scope[:2]
            if option in diffs:
                params[param] = ",".join(self.scope_ids[option]) or everyone
        return params


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        display_text=dict(type="str"),
        cpu_number=dict(type="int"),
        cpu_speed=dict(type="int"),
        memory=dict(type="int"),
        customized=dict(type="bool"),
        min_cpu_number=dict(type="int"),
        max_cpu_number=dict(type="int"),
        min_memory=dict(type="int"),
        max_memory=dict(type="int"),
        storage_type=dict(type="str", choices=["shared", "local"]),
        provisioning_type=dict(type="str", choices=["thin", "sparse", "fat"]),
        offer_ha=dict(type="bool"),
        limit_cpu_use=dict(type="bool"),
        is_volatile=dict(type="bool"),
        host_tags=dict(type="list", elements="str"),
        storage_tags=dict(type="list", elements="str"),
        is_system=dict(type="bool"),
        system_vm_type=dict(type="str", choices=["domainrouter", "consoleproxy", "secondarystoragevm",
                                                 "internalloadbalancervm"]),
        network_rate=dict(type="int"),
        deployment_planner=dict(type="str"),
        root_disk_size=dict(type="int"),
        dynamic_scaling_enabled=dict(type="bool"),
        purge_resources=dict(type="bool"),
        zones=dict(type="list", elements="str"),
        domains=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[("cpu_number", "min_cpu_number"), ("cpu_number", "max_cpu_number"),
                                               ("memory", "min_memory"), ("memory", "max_memory")],
                           required_by={"system_vm_type": "is_system"})
    run_resource(module, ServiceOffering)


if __name__ == "__main__":
    main()
