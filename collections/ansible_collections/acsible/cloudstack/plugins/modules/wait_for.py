#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wait_for
short_description: Wait until CloudStack reaches a state (hosts Up, system VMs Running, a template ready)
description:
  - Reads CloudStack every O(poll_interval) seconds until the condition holds, for at most O(timeout)
    seconds, then returns what it saw. At the deadline it fails with a message saying what it was
    still waiting for.
  - Changes nothing, so it always reports C(changed=false) and runs the same in check mode.
  - V(host_up) waits for the host O(host) of O(zone) to be C(Up); without O(host), for at least one
    host of the zone (or of O(cluster)) and every one of them to be C(Up).
  - V(system_vms) waits for the secondary storage VM and the console proxy VM of O(zone) to be
    C(Running), with their agent C(Up) where CloudStack shows it.
  - V(template_ready) waits for the template O(template) (name or id) to be ready in O(zone).
  - V(api) waits for the API to answer C(listCapabilities).
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
extends_documentation_fragment:
  - acsible.cloudstack.cloudstack
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  condition:
    description: What to wait for.
    type: str
    required: true
    choices: [host_up, system_vms, template_ready, api]
  zone:
    description: Name or id of the zone. Needed for every condition but V(api).
    type: str
  host:
    description: Name of the host to wait for (V(host_up)); every host of the zone or cluster when not given.
    type: str
  cluster:
    description: Name or id of the cluster whose hosts to wait for (V(host_up) without O(host)).
    type: str
  template:
    description: Name or id of the template to wait for (V(template_ready)).
    type: str
  timeout:
    description: Seconds to wait before failing.
    type: float
    default: 600
"""

EXAMPLES = r"""
- name: Wait for the API after starting the management server
  acsible.cloudstack.wait_for:
    condition: api
    timeout: 300

- name: Wait for the new KVM host
  acsible.cloudstack.wait_for:
    condition: host_up
    zone: zone1
    host: 198.18.0.31

- name: Wait for the system VMs of the zone
  acsible.cloudstack.wait_for:
    condition: system_vms
    zone: zone1
    timeout: 1200

- name: Wait for the built-in template to be downloaded
  acsible.cloudstack.wait_for:
    condition: template_ready
    zone: zone1
    template: CentOS 5.5(64-bit) no GUI (KVM)
"""

RETURN = r"""
hosts:
  description: The hosts waited for, with CloudStack's own field names.
  returned: when condition is host_up
  type: list
  elements: dict
  contains:
    name:
      description: Name of the host.
      type: str
    state:
      description: Status of the host's agent (Up when the wait succeeded).
      type: str
system_vms:
  description: The system VMs of the zone, with CloudStack's own field names.
  returned: when condition is system_vms
  type: list
  elements: dict
  contains:
    name:
      description: Name of the VM (s-1-VM, v-2-VM, ...).
      type: str
    systemvmtype:
      description: secondarystoragevm or consoleproxy.
      type: str
    state:
      description: State of the VM.
      type: str
    agentstate:
      description: State of the VM's agent.
      type: str
template:
  description: The template's row for the zone, with CloudStack's own field names.
  returned: when condition is template_ready
  type: dict
  contains:
    id:
      description: UUID of the template.
      type: str
    isready:
      description: Whether the template is ready in the zone.
      type: bool
    status:
      description: Download status of the template.
      type: str
capabilities:
  description: What listCapabilities answered.
  returned: when condition is api
  type: dict
  contains:
    cloudstackversion:
      description: Version of the management server.
      type: str
elapsed:
  description: Seconds the wait took.
  returned: always
  type: float
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.api import CloudStackError, WaitTimeout
from ..module_utils.resource import api_argument_spec, connect, find_cluster, find_zone, looks_like_uuid, same_name

SSVM = "secondarystoragevm"
CPVM = "consoleproxy"
RESULT_KEYS = {"host_up": "hosts", "system_vms": "system_vms", "template_ready": "template", "api": "capabilities"}


class Waiter:
    """One condition: a probe that answers (done, what was seen) and a sentence for the deadline."""

    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.params = module.params
        self.zone = None
        self.cluster = None

    def resolve(self):
        if self.params.get("zone"):
            self.zone = find_zone(self.api, self.params["zone"])
            if self.zone is None:
                self.module.fail_json(msg="zone: no zone named %r" % self.params["zone"])
        if self.params.get("cluster"):
            self.cluster = find_cluster(self.api, self.params["cluster"], self.zone["id"])
            if self.cluster is None:
                self.module.fail_json(msg="cluster: no cluster named %r in zone %r"
                                          % (self.params["cluster"], self.zone["name"]))

    def run(self):
        self.resolve()
        conditions = {"host_up": self.host_up, "system_vms": self.system_vms,
                      "template_ready": self.template_ready, "api": self.answers}
        probe, what = conditions[self.params["condition"]]()
        return self.api.wait_until(probe, what, timeout=self.params["timeout"])

    # -- host_up --------------------------------------------------------------------------

    def host_up(self):
        name = self.params.get("host")
        filters = {"zoneid": self.zone["id"], "type": "Routing"}
        if self.cluster:
            filters["clusterid"] = self.cluster["id"]
        if name:
            filters["name"] = name

        def probe():
            hosts = self.api.list_all("listHosts", filters)
            if name:
                hosts = [host for host in hosts if same_name(host.get("name"), name)]
            return bool(hosts) and all(host.get("state") == "Up" for host in hosts), hosts

        def what(hosts):
            if name:
                where = "host %r of zone %r to be Up" % (name, self.zone["name"])
            elif self.cluster:
                where = "every host of cluster %r to be Up" % self.cluster["name"]
            else:
                where = "every host of zone %r to be Up" % self.zone["name"]
            if not hosts:
                return where + " (no such host yet)"
            down = ["%s (%s)" % (host.get("name"), host.get("state")) for host in hosts if host.get("state") != "Up"]
            return "%s (not Up: %s)" % (where, ", ".join(down))

        return probe, what

    # -- system_vms -----------------------------------------------------------------------

    def system_vms(self):
        def ready(vm):
            # The agent state is only shown once the VM has one.
            return vm.get("state") == "Running" and vm.get("agentstate", "Up") == "Up"

        def probe():
            vms = self.api.list_all("listSystemVms", {"zoneid": self.zone["id"]})
            done = all(any(ready(vm) for vm in vms if vm.get("systemvmtype") == kind) for kind in (SSVM, CPVM))
            return done, vms

        def what(vms):
            missing = []
            for kind in (SSVM, CPVM):
                mine = [vm for vm in vms or [] if vm.get("systemvmtype") == kind]
                if not mine:
                    missing.append("%s: none yet" % kind)
                elif not any(ready(vm) for vm in mine):
                    missing.append(", ".join("%s: %s %s, agent %s" % (kind, vm.get("name"), vm.get("state"),
                                                                      vm.get("agentstate", "-")) for vm in mine))
            return "the system VMs of zone %r to be Running (%s)" % (self.zone["name"], "; ".join(missing))

        return probe, what

    # -- template_ready -------------------------------------------------------------------

    def template_ready(self):
        wanted = self.params["template"]
        filters = {"templatefilter": "all", "zoneid": self.zone["id"]}
        filters["id" if looks_like_uuid(wanted) else "name"] = wanted

        def probe():
            rows = [row for row in self.api.list_all("listTemplates", filters)
                    if same_name(row.get("name"), wanted) or row.get("id") == wanted]
            ready = [row for row in rows if row.get("isready")]
            return bool(ready), (ready or rows or [None])[0]

        def what(row):
            state = "status %s" % row.get("status") if row else "not in the zone yet"
            return "template %r to be ready in zone %r (%s)" % (wanted, self.zone["name"], state)

        return probe, what

    # -- api ------------------------------------------------------------------------------

    def answers(self):
        self.api.retries = 0  # the wait itself tries again, on its own deadline

        def probe():
            try:
                return True, self.api.call("listCapabilities").get("capability", {})
            except CloudStackError as exc:
                return False, str(exc)

        def what(error):
            return "the API to answer listCapabilities (last error: %s)" % error

        return probe, what


def main():
    module = AnsibleModule(
        argument_spec=api_argument_spec(
            condition=dict(type="str", required=True, choices=["host_up", "system_vms", "template_ready", "api"]),
            zone=dict(type="str"),
            host=dict(type="str"),
            cluster=dict(type="str"),
            template=dict(type="str"),
            timeout=dict(type="float", default=600),
        ),
        required_if=[
            ("condition", "host_up", ("zone",)),
            ("condition", "system_vms", ("zone",)),
            ("condition", "template_ready", ("zone", "template")),
        ],
        mutually_exclusive=[("host", "cluster")],
        supports_check_mode=True,
    )
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout: must be a positive number of seconds, got %s" % module.params["timeout"])
    api = connect(module)
    key = RESULT_KEYS[module.params["condition"]]
    started = time.monotonic()
    try:
        seen = Waiter(module, api).run()
    except WaitTimeout as exc:
        last = exc.last if key != "capabilities" else None
        module.fail_json(msg=str(exc), elapsed=round(time.monotonic() - started, 3), api_calls=dict(api.calls),
                         **{key: last})
    except CloudStackError as exc:
        details = exc.details() if hasattr(exc, "details") else {}
        module.fail_json(msg=str(exc), api_calls=dict(api.calls), **details)
    module.exit_json(changed=False, elapsed=round(time.monotonic() - started, 3), api_calls=dict(api.calls),
                     **{key: seen})


if __name__ == "__main__":
    main()
