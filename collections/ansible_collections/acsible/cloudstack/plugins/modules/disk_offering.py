#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_offering
short_description: Manage CloudStack disk offerings
description:
  - Create disk offerings, found by name, and check existing ones against the options you set.
  - The API catalog this collection targets has no updateDiskOffering and no deleteDiskOffering
    command, so nothing of an existing disk offering can change. A difference in any option fails the
    task, naming it; O(state=absent) succeeds without change when there is no such offering and fails
    clearly when there is one.
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
  disk_size:
    description: Size in GiB of a fixed-size offering. Needed unless O(customized=true).
    type: int
  customized:
    description: A custom size offering (the size is chosen when a volume is made).
    type: bool
  storage_type:
    description: Storage type.
    type: str
    choices: [shared, local]
  provisioning_type:
    description: Provisioning type.
    type: str
    choices: [thin, sparse, fat]
  tags:
    description: Storage tags (a list; order does not matter).
    type: list
    elements: str
  display_offering:
    description: Whether users see the offering.
    type: bool
  customized_iops:
    description: Whether the IOPS are chosen when a volume is made.
    type: bool
  min_iops:
    description: Minimum IOPS (with O(customized_iops=false)).
    type: int
  max_iops:
    description: Maximum IOPS (with O(customized_iops=false)).
    type: int
  hypervisor_snapshot_reserve:
    description: Hypervisor snapshot reserve, as a percentage of the volume (managed storage).
    type: int
  cache_mode:
    description: Disk cache mode.
    type: str
    choices: [none, writeback, writethrough, hypervisor_default]
  bytes_read_rate:
    description: Read rate limit in bytes per second.
    type: int
  bytes_write_rate:
    description: Write rate limit in bytes per second.
    type: int
  iops_read_rate:
    description: Read rate limit in I/O requests per second.
    type: int
  iops_write_rate:
    description: Write rate limit in I/O requests per second.
    type: int
  encrypt:
    description: Whether volumes of the offering are encrypted.
    type: bool
  disk_size_strictness:
    description: Whether volumes of the offering may not be resized.
    type: bool
  zones:
    description: Names (or UUIDs) of the zones the offering is limited to (all zones when not given).
    type: list
    elements: str
  domains:
    description: Paths (or UUIDs) of the domains the offering is limited to (public when not given).
    type: list
    elements: str
  state:
    description:
      - Whether the offering should exist. V(absent) can only confirm that it does not (see the description).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Ensure a 20 GiB SSD disk offering exists
  acsible.cloudstack.disk_offering:
    name: ssd-20
    display_text: 20 GiB on SSD
    disk_size: 20
    tags: [ssd]
    provisioning_type: thin

- name: Ensure a custom-size offering exists
  acsible.cloudstack.disk_offering:
    name: custom
    customized: true
    storage_type: shared
"""

RETURN = r"""
diskoffering:
  description: The offering, with CloudStack's own field names (in check mode, the offering that would exist).
  returned: when the offering exists (or would)
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
    disksize:
      description: Size in GiB (0 for a custom size).
      type: int
    iscustomized:
      description: Whether the size is chosen when a volume is made.
      type: bool
    tags:
      description: Storage tags, comma separated.
      type: str
    storagetype:
      description: shared or local.
      type: str
    provisioningtype:
      description: thin, sparse or fat.
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

SCOPES = {"zones": find_zone, "domains": find_domain}


class DiskOffering(Resource):
    kind = "diskoffering"
    list_command = "listDiskOfferings"
    create_command = "createDiskOffering"
    update_name = False  # there is no update command: not even the case of the name can change
    options = {
        "display_text": Option("displaytext", updatable=False),
        "disk_size": Option("disksize", updatable=False, kind="int"),
        "customized": Option("customized", field="iscustomized", updatable=False, kind="bool"),
        "storage_type": Option("storagetype", updatable=False, kind="caseless"),
        "provisioning_type": Option("provisioningtype", updatable=False),
        "tags": Option("tags", updatable=False, kind="list"),
        "display_offering": Option("displayoffering", updatable=False, kind="bool"),
        "customized_iops": Option("customizediops", field="iscustomizediops", updatable=False, kind="bool"),
        "min_iops": Option("miniops", updatable=False, kind="int"),
        "max_iops": Option("maxiops", updatable=False, kind="int"),
        "hypervisor_snapshot_reserve": Option("hypervisorsnapshotreserve", updatable=False, kind="int"),
        "cache_mode": Option("cachemode", field="cacheMode", updatable=False, kind="caseless"),
        "bytes_read_rate": Option("bytesreadrate", field="diskBytesReadRate", updatable=False, kind="int"),
        "bytes_write_rate": Option("byteswriterate", field="diskBytesWriteRate", updatable=False, kind="int"),
        "iops_read_rate": Option("iopsreadrate", field="diskIopsReadRate", updatable=False, kind="int"),
        "iops_write_rate": Option("iopswriterate", field="diskIopsWriteRate", updatable=False, kind="int"),
        "encrypt": Option("encrypt", updatable=False, kind="bool"),
        "disk_size_strictness": Option("disksizestrictness", updatable=False, kind="bool"),
        "zones": Option("zoneid", updatable=False, kind="list"),
        "domains": Option("domainid", updatable=False, kind="list"),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.scope_ids = {}

    def resolve_parents(self):
        super().resolve_parents()
        for option, finder in SCOPES.items():
            if self.params.get(option) is not None and self.params["state"] == "present":
                self.scope_ids[option] = ids_of(self.module, self.api, option, self.params[option], finder)

    def wanted(self):
        wanted = super().wanted()
        wanted.update(self.scope_ids)
        return wanted

    def current_value(self, have, option):
        value = super().current_value(have, option)
        if option.kind == "list" and value is None:
            return ""  # no tags, no zones: the empty list
        return value

    def refuse_frozen(self, have, frozen):
        changes = ", ".join("%s (is %r, wanted %r)" % (name, old, new) for name, (old, new) in sorted(frozen.items()))
        self.module.fail_json(msg="diskoffering %r: CloudStack cannot change %s: the API has no updateDiskOffering "
                                  "(nor deleteDiskOffering to recreate it); create an offering under another name"
                                  % (have.get("name"), changes))

    def absent(self):
        have = self.find()
        self.result["diff"] = {"before": {}, "after": {}}
        if have is not None:
            self.module.fail_json(msg="diskoffering %r exists and cannot be removed: the API this collection "
                                      "targets has no deleteDiskOffering command" % have.get("name"),
                                  diskoffering=have)
        return None


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        display_text=dict(type="str"),
        disk_size=dict(type="int"),
        customized=dict(type="bool"),
        storage_type=dict(type="str", choices=["shared", "local"]),
        provisioning_type=dict(type="str", choices=["thin", "sparse", "fat"]),
        tags=dict(type="list", elements="str"),
        display_offering=dict(type="bool"),
        customized_iops=dict(type="bool"),
        min_iops=dict(type="int"),
        max_iops=dict(type="int"),
        hypervisor_snapshot_reserve=dict(type="int"),
        cache_mode=dict(type="str", choices=["none", "writeback", "writethrough", "hypervisor_default"]),
        bytes_read_rate=dict(type="int"),
        bytes_write_rate=dict(type="int"),
        iops_read_rate=dict(type="int"),
        iops_write_rate=dict(type="int"),
        encrypt=dict(type="bool"),
        disk_size_strictness=dict(type="bool"),
        zones=dict(type="list", elements="str"),
        domains=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), DiskOffering)


if __name__ == "__main__":
    main()
