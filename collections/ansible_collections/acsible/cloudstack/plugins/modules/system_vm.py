#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: system_vm
short_description: Start, stop, reboot and destroy the system VMs of a CloudStack zone
description:
  - Acts on the secondary storage VM or the console proxy VM of a zone, found by name (V(s-1-VM))
    or by type. CloudStack creates system VMs itself once a zone is enabled and has a host, primary
    storage and an image store (see M(acsible.cloudstack.wait_for)); this module cannot create one.
  - V(absent) destroys the VM (C(destroySystemVm)). In an enabled zone CloudStack creates a new one
    with a new name, so disable the zone first to retire them, for example before tearing the zone down.
  - V(restarted) reboots the VM each time it runs.
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
    support: partial
    details: V(restarted) reboots the VM on every run.
options:
  zone:
    description: Name or id of the zone.
    type: str
    required: true
  name:
    description: Name of the system VM, for example V(s-1-VM) (compared case-insensitively).
    type: str
  system_vm_type:
    description: Type of the system VM, when O(name) is not given; the zone must have one VM of that type.
    type: str
    choices: [secondarystoragevm, consoleproxy]
  state:
    description:
      - V(present) only checks that the VM exists. V(started), V(stopped), V(restarted) start, stop
        and reboot it; V(absent) destroys it.
    type: str
    choices: [present, started, stopped, restarted, absent]
    default: present
  forced:
    description: Force the stop (V(stopped)) or the reboot (V(restarted)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Reboot the console proxy of zone1
  acsible.cloudstack.system_vm:
    zone: zone1
    system_vm_type: consoleproxy
    state: restarted

- name: Destroy both system VMs of a disabled zone
  acsible.cloudstack.system_vm:
    zone: zone1
    system_vm_type: "{{ item }}"
    state: absent
  loop: [secondarystoragevm, consoleproxy]
"""

RETURN = r"""
systemvm:
  description: The system VM, with CloudStack's own field names (for V(absent), as it was before).
  returned: when the VM exists (or existed)
  type: dict
  contains:
    id:
      description: UUID of the VM.
      type: str
    name:
      description: Name of the VM.
      type: str
    systemvmtype:
      description: secondarystoragevm or consoleproxy.
      type: str
    state:
      description: Starting, Running, Stopping, Stopped, ...
      type: str
    zoneid:
      description: UUID of the zone.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Parent, Resource, api_argument_spec, find_zone, run_resource, same_name

RUNNING = ("Running", "Starting")   # a Starting VM is on its way: starting it again is not a change
STOPPED = ("Stopped",)


class SystemVm(Resource):
    kind = "systemvm"
    list_command = "listSystemVms"
    delete_command = "destroySystemVm"
    update_name = False
    parents = (Parent("zone", find_zone, param="zoneid"),)

    def states(self):
        return {"present": self.present, "started": self.present, "stopped": self.present,
                "restarted": self.present, "absent": self.absent}

    def describe(self):
        return self.params.get("name") or self.params["system_vm_type"]

    def find(self):
        if self.parents_pending():
            return None
        filters = self.parent_ids(for_list=True)
        if self.params.get("system_vm_type"):
            filters["systemvmtype"] = self.params["system_vm_type"]
        found = [vm for vm in self.api.list_all(self.list_command, filters)
                 if not self.params.get("name") or same_name(vm.get("name"), self.params["name"])]
        if len(found) > 1:
            self.module.fail_json(msg="system_vm_type: zone %r has %d system VMs of type %s (%s); name one" % (
                self.params["zone"], len(found), self.params["system_vm_type"],
                ", ".join(vm.get("name", "?") for vm in found)))
        return found[0] if found else None

    def create(self):
        if self.module.check_mode and self.parents_pending():
            return None  # the zone itself would be new: there is nothing to act on yet
        self.module.fail_json(msg="%s: zone %r has no such system VM; CloudStack creates them itself once the zone "
                                  "is enabled and ready (acsible.cloudstack.wait_for condition=system_vms waits "
                                  "for them)" % ("name" if self.params.get("name") else "system_vm_type",
                                                 self.params["zone"]))

    def update(self, have):
        state = self.params["state"]
        command, after = None, have.get("state")
        if state == "started" and have.get("state") not in RUNNING:
            command, after = "startSystemVm", "Running"
        elif state == "stopped" and have.get("state") not in STOPPED:
            command, after = "stopSystemVm", "Stopped"
        elif state == "restarted":
            command, after = "rebootSystemVm", "Running"
        self.result["diff"] = {"before": {"state": have.get("state")}, "after": {"state": after}} if command else {
            "before": {}, "after": {}}
        if command is None:
            return have
        self.result["changed"] = True
        if self.module.check_mode:
            return dict(have, state=after)
        self.wait_for_pending_job(have)
        params = {"id": have["id"]}
        if command != "startSystemVm" and self.params["forced"]:
            params["forced"] = True
        return self.call(command, params)


def main():
    spec = api_argument_spec(
        zone=dict(type="str", required=True),
        name=dict(type="str"),
        system_vm_type=dict(type="str", choices=["secondarystoragevm", "consoleproxy"]),
        state=dict(type="str", default="present", choices=["present", "started", "stopped", "restarted", "absent"]),
        forced=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=[("name", "system_vm_type")])
    run_resource(module, SystemVm)


if __name__ == "__main__":
    main()
