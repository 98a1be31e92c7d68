#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_spec
short_description: Converge whole CloudStack zones to one declarative spec
description:
  - Reads a zone spec whose keys are those of Marvin's zone config (CloudStack's C(setup/dev/advanced.cfg)
    is accepted as it is, C(#) comment lines included), checks it completely before any API call, plans
    the actions that make the cloud match it, and runs them in the order of Marvin's deployDataCenter
    (settings; zone; physical networks with traffic types and providers, then enabled; pods with their
    clusters, hosts and cluster pools; public ranges; image stores; zone-wide pools; zone enabled).
  - Unlike deployDataCenter it converges. What exists and matches is left alone, what differs and
    CloudStack can change is updated, and what it cannot change fails the task before anything is done.
  - Each kind of object is read with one list call per zone (or per physical network), so a re-run
    of an unchanged spec costs a dozen calls whatever the size of the zone.
  - Hosts are matched by the address of their URL. The Simulator hypervisor names its hosts itself,
    so a Simulator cluster's hosts are matched by their place in the cluster's list.
  - A cluster's primary storage is added once the cluster's new hosts are Up (CloudStack mounts
    it on them). With O(wait), the task ends when every host of the spec is Up.
  - Check mode returns the plan and changes nothing; a new zone's whole build can be planned.
  - The spec's host and cluster passwords are masked in everything the module returns.
version_added: 0.2.0
author: acsible contributors (!UNKNOWN)
extends_documentation_fragment:
  - acsible.cloudstack.cloudstack
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the plan, one action per line.
  idempotent:
    support: full
options:
  spec:
    description:
      - The spec as data, with the keys C(zones) and C(globalConfig) of a Marvin config. Marvin's other
        top-level keys (C(dbSvr), C(mgtSvr), C(logger)) are accepted and ignored.
      - Each zone has C(name), C(networktype), C(dns1), C(internaldns1), C(physical_networks) (C(name),
        C(vlan), C(isolationmethods), C(tags), C(traffictypes) with C(typ) and labels, C(providers)),
        C(ipranges), C(pods) (C(name), C(gateway), C(netmask), C(startip), C(endip), C(guestIpRanges),
        C(clusters) with C(clustername), C(hypervisor), C(hosts), C(primaryStorages)),
        C(secondaryStorages), C(primaryStorages) (zone-wide) and C(enabled).
    type: dict
  spec_file:
    description: A file with the spec, JSON (Marvin's files) or YAML, on the host the module runs on.
    type: path
  prune:
    description:
      - Remove what the zones of the spec hold and the spec no longer lists, in reverse order of
        creation; hosts and pools are put into maintenance first.
      - Without it nothing is ever deleted. Zones the spec does not name are never touched.
    type: bool
    default: false
  wait:
    description: Wait until every host of the spec is Up.
    type: bool
    default: true
  wait_for_system_vms:
    description: Wait until each zone's secondary storage VM and console proxy are Running.
    type: bool
    default: false
notes:
  - Needs the netaddr Python library where the module runs.
"""

EXAMPLES = r"""
- name: Converge the lab zone
  acsible.cloudstack.zone_spec:
    spec_file: "{{ inventory_dir }}/zones/lab.yml"
    prune: true
  register: zone

- name: Show what a changed spec would do
  acsible.cloudstack.zone_spec:
    spec: "{{ cloudstack_zone_spec }}"
  check_mode: true
  register: planned
"""

RETURN = r"""
plan:
  description: The actions, in order, that were run (or, in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: ["create pod POD1", "update host kvm1: hosttags [a] -> [a, b]", "delete cluster C3"]
zones:
  description: The id of each zone of the spec, by name (null for one a check-mode run would create).
  returned: success
  type: dict
restart_required:
  description: Settings changed that take effect only after the management servers restart.
  returned: success
  type: list
  elements: str
ignored:
  description: Keys of the spec that were accepted but mean nothing here (Marvin's server settings).
  returned: success
  type: list
  elements: str
errors:
  description: Every problem of a refused spec, each with its place.
  returned: when the spec is refused
  type: list
  elements: str
done:
  description: The actions finished before the one that failed.
  returned: when an action fails
  type: list
  elements: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ..module_utils.api import ApiError, CloudStackError, JobTimeout
from ..module_utils.resource import api_argument_spec, connect
from ..module_utils.zone_converge import ApplyError, ConflictError, converge
from ..module_utils.zone_spec import HAS_NETADDR, SpecError, parse_document, read_spec


def load(module):
    """The spec document, from the spec option or the file."""
    if module.params["spec"] is not None:
        return module.params["spec"]
    path = module.params["spec_file"]
    try:
        with open(path) as handle:
            return parse_document(handle.read(), "spec_file %s" % path)
    except OSError as exc:
        module.fail_json(msg="spec_file: cannot read %s: %s" % (path, exc.strerror), api_calls={})


def secrets_of(spec):
    for zone in spec["zones"]:
        for pod in zone["pods"]:
            for cluster in pod["clusters"]:
                yield cluster["password"]
                for host in cluster["hosts"]:
                    yield host["password"]


def main():
    module = AnsibleModule(
        argument_spec=api_argument_spec(
            spec=dict(type="dict"),
            spec_file=dict(type="path"),
            prune=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_for_system_vms=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("spec", "spec_file")],
        required_one_of=[("spec", "spec_file")],
        supports_check_mode=True,
    )
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib("netaddr"), api_calls={})
    try:
        spec = read_spec(load(module))
    except SpecError as exc:
        module.fail_json(msg=str(exc), errors=exc.errors, api_calls={})
    for secret in secrets_of(spec):
        if secret:
            module.no_log_values.add(secret)
    api = connect(module)
    try:
        outcome = converge(api, spec, prune=module.params["prune"], check_mode=module.check_mode,
                           wait_hosts=module.params["wait"], wait_for_system_vms=module.params["wait_for_system_vms"])
    except ConflictError as exc:
        module.fail_json(msg=str(exc), errors=exc.conflicts, plan=[], api_calls=dict(api.calls))
    except ApplyError as exc:
        details = exc.cause.details() if isinstance(exc.cause, ApiError) else {}
        if isinstance(exc.cause, JobTimeout):
            details = {"jobid": exc.cause.jobid}
        module.fail_json(msg=str(exc), done=exc.done, api_calls=dict(api.calls), **details)
    except CloudStackError as exc:
        module.fail_json(msg=str(exc), api_calls=dict(api.calls))
    plan = outcome["plan"]
    module.exit_json(changed=bool(plan), plan=plan, zones=outcome["zones"],
                     restart_required=outcome["restart_required"], ignored=spec["ignored"],
                     diff={"prepared": "".join(line + "\n" for line in plan)}, api_calls=dict(api.calls))


if __name__ == "__main__":
    main()
