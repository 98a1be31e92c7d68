#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ldap_configuration
short_description: Manage the LDAP servers CloudStack authenticates against
description:
  - Add and remove LDAP servers (C(addLdapConfiguration), C(deleteLdapConfiguration)), found by host name
    and port, globally or for one domain.
  - An LDAP server entry has nothing to update; it is there or not.
  - The other LDAP settings (base DN, bind principal and password, user and group attributes) are
    settings, set with M(acsible.cloudstack.configuration) (see the examples). The bind password is a
    C(Secure) setting, so give it with C(no_log).
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
  hostname:
    description: Host name (or address) of the LDAP server, compared case-insensitively.
    type: str
    required: true
  port:
    description: Port of the LDAP server.
    type: int
    default: 389
  domain:
    description:
      - Path of the domain (V(ROOT/child)) or UUID the server is for; without it, the server is global.
    type: str
  state:
    description: Whether the server should be configured.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Authenticate users against two LDAP servers
  acsible.cloudstack.ldap_configuration:
    hostname: "{{ item }}"
    port: 389
  loop: [ldap1.example.com, ldap2.example.com]

- name: Set the LDAP settings
  acsible.cloudstack.configuration:
    name: "{{ item.name }}"
    value: "{{ item.value }}"
  loop:
    - {name: ldap.basedn, value: "ou=people,dc=example,dc=com"}
    - {name: ldap.user.object, value: inetOrgPerson}
    - {name: ldap.username.attribute, value: uid}
    - {name: ldap.bind.principal, value: "cn=cloudstack,ou=services,dc=example,dc=com"}

- name: Set the LDAP bind password
  acsible.cloudstack.configuration:
    name: ldap.bind.password
    value: "{{ vault_ldap_bind_password }}"
  no_log: true

- name: Use another LDAP server for one domain
  acsible.cloudstack.ldap_configuration:
    hostname: ldap.customer.example.com
    port: 636
    domain: ROOT/customers

- name: Stop using a server
  acsible.cloudstack.ldap_configuration:
    hostname: ldap2.example.com
    state: absent
"""

RETURN = r"""
ldapconfiguration:
  description: The LDAP server entry, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no entry
  type: dict
  contains:
    id:
      description: UUID of the entry.
      type: str
    hostname:
      description: Host name of the LDAP server.
      type: str
    port:
      description: Port of the LDAP server.
      type: int
    domainid:
      description: UUID of the domain the server is for (absent for a global server).
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Parent, Resource, api_argument_spec, find_domain, run_resource, same_name

# The commands share the wrapper `ldapconfigurationresponse`; the object under it is named per command.
OBJECT_NAMES = ("LdapConfiguration", "LdapAddConfiguration", "LdapDeleteConfiguration")


class LdapConfiguration(Resource):
    kind = "ldapconfiguration"
    list_command = "listLdapConfigurations"
    create_command = "addLdapConfiguration"
    delete_command = "deleteLdapConfiguration"
    name_option = "hostname"
    name_param = "hostname"
    update_name = False  # nothing can be updated: the host name identifies the entry
    parents = (Parent("domain", find_domain, param="domainid"),)
    options = {}

    def find(self):
        if self.parents_pending():
            return None
        filters = dict(self.parent_ids(for_list=True), hostname=self.params["hostname"], port=self.params["port"])
        for obj in self.api.list_all(self.list_command, filters):
            if same_name(obj.get("hostname"), self.params["hostname"]) and obj.get("port") == self.params["port"] \
                    and obj.get("domainid") == filters.get("domainid"):
                return obj
        return None

    def object_of(self, reply):
        if isinstance(reply, dict):
            for name in OBJECT_NAMES:
                if isinstance(reply.get(name), dict):
                    return reply[name]
        return super().object_of(reply)

    def create_params(self):
        return dict(self.parent_ids(), hostname=self.params["hostname"], port=self.params["port"])

    def would_create(self):
        obj = super().would_create()
        obj.pop("name", None)
        obj.update(hostname=self.params["hostname"], port=self.params["port"])
        return obj

    def create(self):
        obj = super().create()
        self.result["diff"]["after"]["port"] = self.params["port"]
        if self.params.get("domain") is not None:
            self.result["diff"]["after"]["domain"] = self.params["domain"]
        return obj

    def absent(self):
        have = super().absent()
        if have is not None:
            self.result["diff"]["before"] = {"hostname": have.get("hostname"), "port": have.get("port"),
                                             "id": have.get("id")}
        return have


def main():
    spec = api_argument_spec(
        hostname=dict(type="str", required=True),
        port=dict(type="int", default=389),
        domain=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if not 0 < module.params["port"] < 65536:
        module.fail_json(msg="port: %r is not a TCP port (1-65535)" % module.params["port"])
    run_resource(module, LdapConfiguration)


if __name__ == "__main__":
    main()
