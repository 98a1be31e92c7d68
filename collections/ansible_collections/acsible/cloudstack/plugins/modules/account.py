#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: account
short_description: Manage CloudStack accounts
description:
  - Create, update and delete accounts, found by name within their domain.
  - A new account gets its first user from O(username), O(password), O(email), O(first_name) and
    O(last_name); these are only used on creation (manage users later with M(acsible.cloudstack.user)).
  - O(account_type) cannot change after creation; a difference fails the task. O(role) and
    O(network_domain) are updated in place.
  - The API catalog this collection targets has no enableAccount, disableAccount or lockAccount
    command, so the states are only V(present) and V(absent).
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
    description: Name of the account (compared case-insensitively, as CloudStack does).
    type: str
    required: true
  domain:
    description: Path of the account's domain (V(ROOT/child)), or its UUID.
    type: str
    default: ROOT
  account_type:
    description:
      - Type of the account. Needed to create it, unless O(role) is given; cannot change later
        (a new O(role) changes it with the role's type).
    type: str
    choices: [user, root_admin, domain_admin, resource_admin]
  role:
    description:
      - UUID of the account's role. The catalog has no listRoles command, so roles are given by UUID.
    type: str
  network_domain:
    description: Network domain of the account's networks. V("") clears it.
    type: str
  username:
    description: Username of the first user, on creation only. Defaults to O(name).
    type: str
  password:
    description: Password of the first user, on creation only (never compared).
    type: str
  email:
    description: E-mail address of the first user, on creation only.
    type: str
  first_name:
    description: First name of the first user, on creation only.
    type: str
  last_name:
    description: Last name of the first user, on creation only.
    type: str
  timezone:
    description: Time zone of the first user, on creation only.
    type: str
  state:
    description: Whether the account should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Ensure a customer account exists
  acsible.cloudstack.account:
    name: acme
    domain: ROOT/customers
    account_type: user
    username: acme-admin
    password: "{{ vault_acme_password }}"
    email: ops@acme.example.com
    first_name: Acme
    last_name: Operations
    network_domain: acme.example.com

- name: Remove the account (its users, networks and VMs go with it)
  acsible.cloudstack.account:
    name: acme
    domain: ROOT/customers
    state: absent
"""

RETURN = r"""
account:
  description:
    - The account, with CloudStack's own field names (in check mode, the account that would exist).
    - Secret keys of its users are never returned.
  returned: unless state is absent and there was no account
  type: dict
  contains:
    id:
      description: UUID of the account.
      type: str
    name:
      description: Name of the account.
      type: str
    accounttype:
      description: 0 user, 1 root admin, 2 domain admin, 3 resource admin.
      type: int
    roleid:
      description: UUID of the account's role.
      type: str
    rolename:
      description: Name of the account's role.
      type: str
    domainid:
      description: UUID of the domain.
      type: str
    domainpath:
      description: Path of the domain.
      type: str
    state:
      description: enabled, disabled or locked.
      type: str
    networkdomain:
      description: Network domain of the account.
      type: str
    user:
      description: The users of the account.
      type: list
      elements: dict
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import (
    Option,
    Parent,
    Resource,
    api_argument_spec,
    find_domain,
    looks_like_uuid,
    run_resource,
)

ACCOUNT_TYPES = {"user": 0, "root_admin": 1, "domain_admin": 2, "resource_admin": 3}
ACCOUNT_TYPE_NAMES = {number: name for name, number in ACCOUNT_TYPES.items()}
FIRST_USER = {"username": "username", "password": "password", "email": "email", "first_name": "firstname",
              "last_name": "lastname", "timezone": "timezone"}


def without_secrets(obj):
    """The object without any user's secret key (use.secret.key.in.response would show them)."""
    if not isinstance(obj, dict):
        return obj
    clean = {key: value for key, value in obj.items() if key not in ("secretkey", "password")}
    if isinstance(clean.get("user"), list):
        clean["user"] = [without_secrets(user) for user in clean["user"]]
    return clean


class Account(Resource):
    kind = "account"
    list_command = "listAccounts"
    create_command = "createAccount"
    update_command = "updateAccount"
    delete_command = "deleteAccount"
    required_to_create = ("password", "email", "first_name", "last_name")
    parents = (Parent("domain", find_domain, param="domainid"),)
    options = {
        "account_type": Option("accounttype", updatable=False),
        "role": Option("roleid"),
        "network_domain": Option("networkdomain"),
    }

    def current_value(self, have, option):
        value = super().current_value(have, option)
        if option.field == "accounttype":
            return ACCOUNT_TYPE_NAMES.get(value, value)
        if option.field == "networkdomain" and value is None:
            return ""  # no network domain: what "" asks for
        return value

    def create(self):
        if self.params.get("account_type") is None and self.params.get("role") is None:
            self.module.fail_json(msg="account %r does not exist; to create it, set account_type or role"
                                      % self.params["name"])
        return super().create()

    def create_params(self):
        params = super().create_params()
        params["account"] = params.pop("name")
        if "accounttype" in params:
            params["accounttype"] = ACCOUNT_TYPES[params["accounttype"]]
        for option, param in FIRST_USER.items():
            if self.params.get(option) is not None:
                params[param] = self.params[option]
        params.setdefault("username", self.params["name"])
        return params

    def would_create(self):
        obj = super().would_create()
        if "accounttype" in obj:
            obj["accounttype"] = ACCOUNT_TYPES[obj["accounttype"]]
        obj["user"] = [{"username": self.params.get("username") or self.params["name"],
                        "email": self.params.get("email"), "firstname": self.params.get("first_name"),
                        "lastname": self.params.get("last_name")}]
        return obj

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if "name" in params:  # a rename (here: the case of the name) is `newname` for updateAccount
            params["newname"] = params.pop("name")
        return params

    def states(self):
        return {"present": lambda: without_secrets(self.present()),
                "absent": lambda: without_secrets(self.absent())}


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        domain=dict(type="str", default="ROOT"),
        account_type=dict(type="str", choices=list(ACCOUNT_TYPES)),
        role=dict(type="str"),
        network_domain=dict(type="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        email=dict(type="str"),
        first_name=dict(type="str"),
        last_name=dict(type="str"),
        timezone=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[("account_type", "role")])
    if module.params.get("role") is not None and not looks_like_uuid(module.params["role"]):
        module.fail_json(msg="role: %r is not a role UUID (the API catalog has no listRoles to look a role's name "
                             "up; give the role's id)" % module.params["role"])
    run_resource(module, Account)


if __name__ == "__main__":
    main()
