#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Read anything from CloudStack with a list command, every page of it
description:
  - Runs one C(list*) command and returns all its objects, reading page after page until the count
    CloudStack reports is reached.
  - Changes nothing; only list commands are accepted.
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
  command:
    description: A list command, for example V(listHosts).
    type: str
    required: true
  params:
    description: Its parameters (booleans, lists and maps are converted as CloudStack expects).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Read the routing hosts of a zone
  acsible.cloudstack.info:
    command: listHosts
    params:
      zoneid: "{{ zone.id }}"
      type: Routing
  register: hosts
"""

RETURN = r"""
objects:
  description: The objects, with CloudStack's own field names.
  returned: always
  type: list
  elements: dict
count:
  description: How many objects there are.
  returned: always
  type: int
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.api import CloudStackError
from ..module_utils.resource import api_argument_spec, connect


def main():
    module = AnsibleModule(
        argument_spec=api_argument_spec(
            command=dict(type="str", required=True),
            params=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    command = module.params["command"]
    if not command.startswith("list"):
        module.fail_json(msg="command: %r is not a list command (info only reads)" % command)
    api = connect(module)
    params = {key: value for key, value in module.params["params"].items() if key not in ("page", "pagesize")}
    try:
        objects = api.list_all(command, params)
    except CloudStackError as exc:
        details = exc.details() if hasattr(exc, "details") else {}
        module.fail_json(msg=str(exc), **details)
    module.exit_json(changed=False, objects=objects, count=len(objects), api_calls=dict(api.calls))


if __name__ == "__main__":
    main()
