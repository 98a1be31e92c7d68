#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: domain
short_description: Manage CloudStack domains
description:
  - Create, update and delete domains, found by their path (V(ROOT/child/grandchild)).
  - The parent domain must exist (in check mode, a parent that an earlier check-mode task would have
    created is tolerated). The last part of the path is the domain's name; a difference in its case
    is corrected with a rename.
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
  path:
    description:
      - Path of the domain, V(ROOT/child/grandchild); V(/child/grandchild) and V(child/grandchild) mean the same.
      - Names are compared case-insensitively, as CloudStack does.
    type: str
    required: true
    aliases: [name]
  network_domain:
    description:
      - Network domain for the networks of the domain. V("") clears it.
    type: str
  clean_up:
    description:
      - With O(state=absent), also remove what the domain holds (sub-domains, accounts, networks);
        without it, CloudStack refuses to delete a domain that is not empty.
    type: bool
    default: false
  state:
    description: Whether the domain should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Ensure a customer domain exists below ROOT
  acsible.cloudstack.domain:
    path: ROOT/customers
    network_domain: customers.example.com

- name: Ensure a sub-domain exists
  acsible.cloudstack.domain:
    path: ROOT/customers/acme

- name: Remove a domain with everything it holds
  acsible.cloudstack.domain:
    path: ROOT/customers/acme
    clean_up: true
    state: absent
"""

RETURN = r"""
domain:
  description: The domain, with CloudStack's own field names (in check mode, the domain that would exist).
  returned: unless state is absent and there was no domain
  type: dict
  contains:
    id:
      description: UUID of the domain.
      type: str
    name:
      description: Name of the domain (the last part of its path).
      type: str
    path:
      description: Path of the domain, V(ROOT/child).
      type: str
    parentdomainid:
      description: UUID of the parent domain.
      type: str
    level:
      description: Depth of the domain (ROOT is 0).
      type: int
    networkdomain:
      description: Network domain of the domain.
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
    Resource,
    api_argument_spec,
    domain_path,
    find_domain,
    run_resource,
)


class Domain(Resource):
    kind = "domain"
    list_command = "listDomains"
    create_command = "createDomain"
    update_command = "updateDomain"
    delete_command = "deleteDomain"
    name_option = "path"
    update_name = False  # the path is not a name: a case rename of its last part is handled below
    options = {
        "network_domain": Option("networkdomain"),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.path = domain_path(self.params["path"])
        self.parent_path, self.leaf = self.path.rpartition("/")[::2]
        self.parent = None

    def resolve_parents(self):
        """The parent domain; a missing one is pending (nothing to remove, or a check-mode parent)."""
        if not self.parent_path:  # ROOT has no parent
            return
        self.parent = find_domain(self.api, self.parent_path)
        if self.parent is None:
            if not self.module.check_mode and self.params["state"] == "present":
                self.module.fail_json(msg="path: the parent domain %r of %r does not exist; create it first"
                                          % (self.parent_path, self.path))
            self.parent = {"id": CHECK_MODE_ID, "path": self.parent_path}

    def find(self):
        if self.parent is not None and self.parent["id"] == CHECK_MODE_ID:
            return None
        return find_domain(self.api, self.path)

    def current_value(self, have, option):
        value = super().current_value(have, option)
        return "" if value is None else value  # no network domain: what "" asks for

    def differences(self, have):
        diffs = super().differences(have)
        if self.parent_path and have.get("name") != self.leaf:
            diffs["path"] = (have.get("path"), self.path)
        return diffs

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if "path" in diffs:
            params["name"] = self.leaf
        return params

    def update(self, have):
        obj = super().update(have)
        if self.module.check_mode and "path" in self.result.get("diff", {}).get("after", {}):
            obj = dict(obj, name=self.leaf, path=self.path)
        return obj

    def create_params(self):
        params = {"name": self.leaf, "parentdomainid": self.parent["id"]}
        if self.params.get("network_domain") is not None:
            params["networkdomain"] = self.params["network_domain"]
        return params

    def create(self):
        if not self.parent_path:
            self.module.fail_json(msg="path: the ROOT domain always exists and cannot be created")
        return super().create()

    def would_create(self):
        obj = super().would_create()
        obj.update(name=self.leaf, path=self.path, parentdomainid=self.parent["id"],
                   level=self.path.count("/"))
        return obj

    def delete(self, have):
        self.call(self.delete_command, {"id": have["id"], "cleanup": self.params["clean_up"]})


def main():
    spec = api_argument_spec(
        path=dict(type="str", required=True, aliases=["name"]),
        network_domain=dict(type="str"),
        clean_up=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), Domain)


if __name__ == "__main__":
    main()
