#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: configuration
short_description: Manage CloudStack settings (global and scoped configuration values)
description:
  - Set a global setting, or the value of a setting for one zone, cluster, primary storage pool,
    image store, domain or account.
  - The value is compared as CloudStack stores it, by the setting's type. Booleans are compared in lower
    case (V(true) and V(True) are the same), numbers by value (V(300) and V(0300), V(1.5) and V(1.50)),
    everything else as text without surrounding spaces.
  - The result says in RV(restart_required) whether the management servers must be restarted for the
    change to take effect (the setting is not dynamic and its value changed), so a handler can be notified.
  - CloudStack never shows the value of a C(Secure) setting (such as V(ldap.bind.password)); it cannot
    be compared. Such a value is set when the setting has none, and afterwards only with
    O(update_secure=always). The value is then masked in the task's result as with C(no_log).
  - A setting CloudStack does not know fails the task with the server's own text.
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
    details: A C(Secure) setting with O(update_secure=always) is set, and a change reported, on every run.
options:
  name:
    description: Name of the setting, for example V(expunge.delay).
    type: str
    required: true
  value:
    description:
      - The value. Booleans and numbers may be given as YAML values (V(true), V(300)); they are sent as
        CloudStack writes them (V(true), V(300)). V("") clears a global value.
    type: raw
    required: true
  zone:
    description: Set the value for this zone (name or UUID).
    type: str
  cluster:
    description: Set the value for this cluster (name or UUID).
    type: str
  storage:
    description: Set the value for this primary storage pool (name or UUID).
    type: str
  image_store:
    description: Set the value for this image store (name or UUID).
    type: str
  domain:
    description:
      - Set the value for this domain (path V(ROOT/child), or UUID).
      - With O(account), the domain of the account (V(ROOT) when not given).
    type: str
  account:
    description: Set the value for this account (name, within O(domain)).
    type: str
  update_secure:
    description:
      - For C(Secure) settings, whose value CloudStack never shows. V(when_unset) sets the value only
        when the setting has none; V(always) sets it on every run.
    type: str
    choices: [always, when_unset]
    default: when_unset
"""

EXAMPLES = r"""
- name: Wait a day before expunging destroyed VMs
  acsible.cloudstack.configuration:
    name: expunge.delay
    value: 86400
  notify: Restart cloudstack-management

- name: Allow dynamic scaling of VMs in one zone
  acsible.cloudstack.configuration:
    name: enable.dynamic.scale.vm
    value: true
    zone: zone1

- name: Overprovision CPU in a cluster
  acsible.cloudstack.configuration:
    name: cpu.overprovisioning.factor
    value: 2.0
    cluster: cluster1

- name: Require longer passwords in a customer domain
  acsible.cloudstack.configuration:
    name: password.policy.minimum.length
    value: 12
    domain: ROOT/customers

# LDAP: the servers come from acsible.cloudstack.ldap_configuration, the rest are settings.
- name: Set the LDAP settings
  acsible.cloudstack.configuration:
    name: "{{ item.name }}"
    value: "{{ item.value }}"
  loop:
    - {name: ldap.basedn, value: "ou=people,dc=example,dc=com"}
    - {name: ldap.user.object, value: inetOrgPerson}
    - {name: ldap.bind.principal, value: "cn=cloudstack,ou=services,dc=example,dc=com"}

- name: Set the LDAP bind password (a Secure setting, set when it has none)
  acsible.cloudstack.configuration:
    name: ldap.bind.password
    value: "{{ vault_ldap_bind_password }}"
  no_log: true

- name: Replace the LDAP bind password
  acsible.cloudstack.configuration:
    name: ldap.bind.password
    value: "{{ vault_ldap_bind_password }}"
    update_secure: always
  no_log: true
"""

RETURN = r"""
configuration:
  description:
    - The setting, with CloudStack's own field names (in check mode, as it would be).
    - The value of a C(Secure) setting is shown as V(********).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the setting.
      type: str
    value:
      description: Its value (for the scope, when one was given).
      type: str
    defaultvalue:
      description: The default value.
      type: str
    category:
      description: Category of the setting (C(Secure) values are never shown).
      type: str
    scope:
      description: The scope of the value (zone, cluster, storagepool, account, domain, imagestore), if any.
      type: str
    isdynamic:
      description: Whether a change takes effect without a restart of the management servers.
      type: bool
    type:
      description: Type of the value (Boolean, Number, Decimal, Range, String, ...).
      type: str
restart_required:
  description: True when the value changed and the setting is not dynamic (the management servers must restart).
  returned: always
  type: bool
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.api import CloudStackError
from ..module_utils.resource import (
    MASK,
    Parent,
    Resource,
    api_argument_spec,
    find_account,
    find_by_name,
    find_domain,
    find_zone,
    looks_like_uuid,
    run_resource,
    same_name,
)

SECRET_CATEGORIES = ("Secure", "Hidden")
SCOPE_WORDS = {"zone": "zone", "cluster": "cluster", "storage": "primary storage pool",
               "image_store": "image store", "domain": "domain", "account": "account"}


def unique_finder(command, what):
    """A finder of the one object of that name (or UUID); several of that name fail, asking for the UUID."""
    def finder(api, name):
        if looks_like_uuid(name):
            return find_by_name(api, command, name)
        found = [obj for obj in api.list_all(command, {"name": name}) if same_name(obj.get("name"), name)]
        if len(found) > 1:
            raise CloudStackError("%s: %d %ss are named %r; give the UUID of the one meant" % (
                what, len(found), what.replace("_", " "), name))
        return found[0] if found else None
    return finder


def value_text(value):
    """The value as CloudStack is sent it: booleans in lower case, numbers and text as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical(value, value_type):
    """A value in the form CloudStack keeps for a setting of this type, to compare two values."""
    text = "" if value is None else str(value).strip()
    try:
        if value_type == "Boolean" or (value_type is None and text.lower() in ("true", "false")):
            return text.lower()
        if value_type == "Number":
            return str(int(text))
        if value_type in ("Decimal", "Range"):
            return repr(float(text.rstrip("fFdD")))
    except ValueError:
        pass
    return text


class Configuration(Resource):
    kind = "configuration"
    list_command = "listConfigurations"
    update_command = "updateConfiguration"
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("cluster", unique_finder("listClusters", "cluster"), param="clusterid"),
        Parent("storage", unique_finder("listStoragePools", "storage"), param="storageid"),
        Parent("image_store", unique_finder("listImageStores", "image_store"), param="imagestoreuuid"),
        Parent("domain", find_domain, param="domainid"),
        Parent("account", find_account, param="accountid", needs="domain"),
    )

    def __init__(self, module, api):
        super().__init__(module, api)
        if self.params.get("account") is not None and self.params.get("domain") is None:
            self.params["domain"] = "ROOT"
        self.scope = next((option for option in ("account", "zone", "cluster", "storage", "image_store", "domain")
                           if self.params.get(option) is not None), None)

    def parent_ids(self, for_list=False):
        ids = super().parent_ids(for_list)
        if self.scope == "account":
            ids.pop("domainid", None)  # the account's domain only serves to find the account
        return ids

    def lookup(self, filters):
        """The listed setting of that name, as seen with these scope filters."""
        name = self.params["name"]
        listed = self.api.list_all(self.list_command, dict(filters, name=name))
        exact = [row for row in listed if row.get("name") == name]
        return (exact or [row for row in listed if same_name(row.get("name"), name)] or [None])[0]

    def find(self):
        if self.parents_pending():  # a scope object a check-mode task would have made: its value is unknown
            have = self.lookup({})
            return dict(have, value=None, scope=self.scope) if have is not None else self.unknown()
        have = self.lookup(self.parent_ids(for_list=True))
        if have is None and self.scope and self.lookup({}) is not None:
            self.module.fail_json(msg="name: %r is not a setting CloudStack keeps per %s (it lists no %s value "
                                      "of it)" % (self.params["name"], SCOPE_WORDS[self.scope],
                                                  SCOPE_WORDS[self.scope]))
        return have if have is not None else self.unknown()

    def unknown(self):
        """Fail with the server's own text: updateConfiguration without a value changes nothing."""
        self.api.call(self.update_command, {"name": self.params["name"]})
        self.module.fail_json(msg="name: %r is not listed by listConfigurations (a hidden setting); this module "
                                  "manages listed settings only" % self.params["name"])

    def masked(self, have, value):
        return MASK if have.get("category") in SECRET_CATEGORIES and value not in (None, "") else value

    def visible(self, obj):
        if obj.get("category") in SECRET_CATEGORIES and obj.get("value") not in (None, ""):
            return dict(obj, value=MASK)
        return obj

    def present(self):
        self.resolve_parents()
        have = self.find()
        wanted = value_text(self.params["value"])
        current = have.get("value")
        secret = have.get("category") in SECRET_CATEGORIES
        if secret:
            for text in (wanted, self.params["value"]):
                if text not in (None, "") and isinstance(text, str):
                    self.module.no_log_values.add(text)
            unset = current in (None, "")
            changed = (unset or self.params["update_secure"] == "always") and not (unset and wanted == "")
        else:
            changed = canonical(current, have.get("type")) != canonical(wanted, have.get("type"))
        self.result["restart_required"] = changed and not have.get("isdynamic", False)
        if not changed:
            self.result["diff"] = {"before": {}, "after": {}}
            return self.visible(have)
        self.result["changed"] = True
        self.result["diff"] = {"before": {"value": self.masked(have, current)},
                               "after": {"value": self.masked(have, wanted)}}
        if self.module.check_mode:
            return self.visible(dict(have, value=wanted))
        params = dict(self.parent_ids(), name=have["name"], value=wanted)
        return self.visible(self.call(self.update_command, params))

    def states(self):
        return {"present": self.present}

    def run(self):
        self.result["restart_required"] = False
        super().run()


def main():
    scopes = ["zone", "cluster", "storage", "image_store"]
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        value=dict(type="raw", required=True),
        zone=dict(type="str"),
        cluster=dict(type="str"),
        storage=dict(type="str"),
        image_store=dict(type="str"),
        domain=dict(type="str"),
        account=dict(type="str"),
        update_secure=dict(type="str", default="when_unset", choices=["always", "when_unset"]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[[*scopes, "account"], [*scopes, "domain"]])
    run_resource(module, Configuration)


if __name__ == "__main__":
    main()
