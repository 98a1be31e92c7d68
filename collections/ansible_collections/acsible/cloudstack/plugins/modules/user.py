#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Manage CloudStack users
description:
  - Create, update and delete the users of an account, found by username within the account.
  - CloudStack never returns a password, so it cannot be compared. O(password) is set when the user
    is created, and afterwards only with O(update_password=always) (which then reports a change on
    every run), as Ansible's own user modules do.
  - The API catalog this collection targets has no enableUser, disableUser or lockUser command, so the
    states are only V(present) and V(absent). API keys are managed with M(acsible.cloudstack.user_keys).
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
    details: With O(update_password=always) the password is set, and a change reported, on every run.
options:
  username:
    description: The username (compared case-insensitively, as CloudStack does).
    type: str
    required: true
    aliases: [name]
  account:
    description: Name of the user's account.
    type: str
    required: true
  domain:
    description: Path of the account's domain (V(ROOT/child)), or its UUID.
    type: str
    default: ROOT
  password:
    description: The password. Needed to create the user; see O(update_password).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created; V(always) sets it on every run.
    type: str
    choices: [always, on_create]
    default: on_create
  email:
    description: E-mail address. Needed to create the user.
    type: str
  first_name:
    description: First name. Needed to create the user.
    type: str
  last_name:
    description: Last name. Needed to create the user.
    type: str
  timezone:
    description: Time zone of the user, for example V(Europe/Zurich).
    type: str
  state:
    description: Whether the user should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Ensure an operator exists in the acme account
  acsible.cloudstack.user:
    username: jdoe
    account: acme
    domain: ROOT/customers
    password: "{{ vault_jdoe_password }}"
    email: jdoe@acme.example.com
    first_name: Jane
    last_name: Doe
    timezone: Europe/Zurich

- name: Reset the password
  acsible.cloudstack.user:
    username: jdoe
    account: acme
    domain: ROOT/customers
    password: "{{ vault_jdoe_new_password }}"
    update_password: always

- name: Remove the user
  acsible.cloudstack.user:
    username: jdoe
    account: acme
    domain: ROOT/customers
    state: absent
"""

RETURN = r"""
user:
  description:
    - The user, with CloudStack's own field names (in check mode, the user that would exist).
    - The secret key is never returned (see M(acsible.cloudstack.user_keys)).
  returned: unless state is absent and there was no user
  type: dict
  contains:
    id:
      description: UUID of the user.
      type: str
    username:
      description: The username.
      type: str
    account:
      description: Name of the account.
      type: str
    accountid:
      description: UUID of the account.
      type: str
    domainid:
      description: UUID of the domain.
      type: str
    email:
      description: E-mail address.
      type: str
    firstname:
      description: First name.
      type: str
    lastname:
      description: Last name.
      type: str
    timezone:
      description: Time zone.
      type: str
    state:
      description: enabled, disabled or locked.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import (
    MASK,
    Option,
    Parent,
    Resource,
    api_argument_spec,
    find_account,
    find_domain,
    run_resource,
)

NEW_PASSWORD = MASK + " (new)"


class User(Resource):
    kind = "user"
    list_command = "listUsers"
    create_command = "createUser"
    update_command = "updateUser"
    delete_command = "deleteUser"
    name_option = "username"
    name_param = "username"
    update_name = False  # users have a username, not a name: a case rename is handled below
    required_to_create = ("password", "email", "first_name", "last_name")
    parents = (Parent("domain", find_domain, param="domainid"),
               Parent("account", find_account, param="account", needs="domain"))
    options = {
        "email": Option("email"),
        "first_name": Option("firstname"),
        "last_name": Option("lastname"),
        "timezone": Option("timezone"),
        "password": Option("password"),
    }

    def parent_ids(self, for_list=False):
        """createUser and listUsers take the account by name, within the domain's id."""
        ids = {}
        domain, account = self.parent_objects.get("domain"), self.parent_objects.get("account")
        if domain is not None:
            ids["domainid"] = domain["id"]
        if account is not None:
            ids["account"] = account["name"]
        return ids

    def wanted(self):
        wanted = super().wanted()
        wanted.pop("password", None)  # never compared: CloudStack does not return it
        return wanted

    def differences(self, have):
        diffs = super().differences(have)
        if have.get("username") != self.params["username"]:
            diffs["username"] = (have.get("username"), self.params["username"])
        if self.params.get("password") is not None and self.params["update_password"] == "always":
            diffs["password"] = (MASK, NEW_PASSWORD)
        return diffs

    def update_params(self, have, diffs):
        params = {"id": have["id"]}
        wanted = self.wanted()
        for name in diffs:
            if name == "username":
                params["username"] = self.params["username"]
            elif name == "password":
                params["password"] = self.params["password"]
            else:
                params[self.options[name].update_param] = wanted[name]
        return params

    def update(self, have):
        obj = super().update(have)
        if self.module.check_mode and "name" in obj and "name" not in have:
            obj = dict(obj, username=obj["name"])  # the base merges a new name as `name`
            obj.pop("name")
        return {key: value for key, value in obj.items() if key != "password"}

    def create_params(self):
        params = super().create_params()
        params["password"] = self.params["password"]
        return params

    def would_create(self):
        obj = super().would_create()
        obj.pop("name", None)
        obj.update(username=self.params["username"], account=self.params["account"])
        return obj

    def states(self):
        return {"present": lambda: self.without_secrets(self.present()),
                "absent": lambda: self.without_secrets(self.absent())}

    @staticmethod
    def without_secrets(obj):
        if not isinstance(obj, dict):
            return obj
        return {key: value for key, value in obj.items() if key not in ("secretkey", "password")}


def main():
    spec = api_argument_spec(
        username=dict(type="str", required=True, aliases=["name"]),
        account=dict(type="str", required=True),
        domain=dict(type="str", default="ROOT"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
        email=dict(type="str"),
        first_name=dict(type="str"),
        last_name=dict(type="str"),
        timezone=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), User)


if __name__ == "__main__":
    main()
