#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Manage CloudStack guest networks
description:
  - Create, update and delete guest networks (isolated, shared, L2), found by name within their zone
    (and account, when one is given).
  - Only the options you set are compared. C(display_text), C(network_domain), C(dns1), C(dns2) and
    C(network_offering) can be changed (C(updateNetwork)); C(gateway), C(netmask), C(vlan) and
    C(physical_network) cannot, and a difference fails the task.
  - C(start_ip) and C(end_ip) are only sent when the network is created; CloudStack does not show them on
    the network (they become an IP range, see M(acsible.cloudstack.vlan_ip_range)).
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
    description: Name of the network (compared case-insensitively, as CloudStack does).
    type: str
    required: true
  zone:
    description: Name or id of the zone.
    type: str
    required: true
  state:
    description: Whether the network exists.
    type: str
    choices: [present, absent]
    default: present
  network_offering:
    description: Name or id of the network offering. Needed to create the network; changing it upgrades the network.
    type: str
  display_text:
    description: Display text (CloudStack uses the name when it is not given).
    type: str
  gateway:
    description: Gateway of the network. Cannot change after creation.
    type: str
  netmask:
    description: Netmask of the network. Cannot change after creation.
    type: str
  vlan:
    description: VLAN id of the network (offerings with specify_vlan, shared networks). Cannot change after creation.
    type: str
  start_ip:
    description: First address of a shared network's range (sent only on creation).
    type: str
  end_ip:
    description: Last address of a shared network's range (sent only on creation).
    type: str
  network_domain:
    description: DNS domain of the network.
    type: str
  dns1:
    description: First IPv4 DNS server of the network.
    type: str
  dns2:
    description: Second IPv4 DNS server of the network.
    type: str
  physical_network:
    description: Name or id of the physical network of a shared or L2 network. Cannot change after creation.
    type: str
  acl_type:
    description: V(Account) or V(Domain) (shared networks). Cannot change after creation.
    type: str
    choices: [Account, Domain]
  account:
    description: Account owning the network; needs O(domain).
    type: str
  domain:
    description: Domain path (V(ROOT/child)) or id of the owning account, or of a domain network.
    type: str
  clean_up:
    description: With state absent, delete the network even if its addresses are in use (C(forced)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Ensure an isolated network exists
  acsible.cloudstack.network:
    name: web
    zone: zone1
    network_offering: DefaultIsolatedNetworkOfferingWithSourceNatService
    display_text: Web tier
    network_domain: web.example.internal

- name: Ensure a shared network on VLAN 120 exists
  acsible.cloudstack.network:
    name: shared-120
    zone: zone1
    network_offering: DefaultSharedNetworkOffering
    vlan: "120"
    gateway: 10.120.0.1
    netmask: 255.255.255.0
    start_ip: 10.120.0.10
    end_ip: 10.120.0.250

- name: Remove a network
  acsible.cloudstack.network:
    name: web
    zone: zone1
    state: absent
"""

RETURN = r"""
network:
  description: The network, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no network
  type: dict
  contains:
    id:
      description: UUID of the network.
      type: str
    name:
      description: Name of the network.
      type: str
    displaytext:
      description: Display text.
      type: str
    zoneid:
      description: UUID of the zone.
      type: str
    networkofferingid:
      description: UUID of the network offering.
      type: str
    networkofferingname:
      description: Name of the network offering.
      type: str
    type:
      description: Isolated, Shared or L2.
      type: str
    state:
      description: Allocated, Setup, Implemented, ...
      type: str
    gateway:
      description: Gateway.
      type: str
    netmask:
      description: Netmask.
      type: str
    cidr:
      description: CIDR.
      type: str
    vlan:
      description: VLAN id (shown to root admins).
      type: str
    networkdomain:
      description: DNS domain.
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
    Parent,
    Resource,
    api_argument_spec,
    find_by_name,
    find_domain,
    find_physical_network,
    find_zone,
    run_resource,
)

CREATE_ONLY = {"start_ip": "startip", "end_ip": "endip"}


def find_network_offering(api, name):
    return find_by_name(api, "listNetworkOfferings", name)


def vlan_value(tag):
    """A VLAN as compared: without a vlan:// scheme, lower case."""
    if tag is None:
        return None
    text = str(tag)
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.lower()


class Network(Resource):
    kind = "network"
    list_command = "listNetworks"
    create_command = "createNetwork"
    update_command = "updateNetwork"
    delete_command = "deleteNetwork"
    list_filters = {"listall": True}
    required_to_create = ("network_offering",)
    parents = (
        Parent("zone", find_zone, param="zoneid"),
        Parent("domain", find_domain, param="domainid"),
    )
    options = {
        "network_offering": Option("networkofferingid"),
        "display_text": Option("displaytext"),
        "gateway": Option("gateway", updatable=False),
        "netmask": Option("netmask", updatable=False),
        "vlan": Option("vlan", updatable=False),
        "network_domain": Option("networkdomain"),
        "dns1": Option("dns1"),
        "dns2": Option("dns2"),
        "physical_network": Option("physicalnetworkid", updatable=False),
        "acl_type": Option("acltype", updatable=False, kind="caseless"),
        "account": Option("account", updatable=False),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.references = None

    def resolve_references(self):
        """Offering and physical network names as ids (a check-mode run tolerates missing ones)."""
        if self.references is not None:
            return self.references
        self.references = {}
        offering = self.params.get("network_offering")
        if offering is not None:
            found = find_network_offering(self.api, offering)
            if found is None and not self.module.check_mode:
                self.module.fail_json(msg="network_offering: no network offering named %r" % offering)
            self.references["network_offering"] = found["id"] if found else CHECK_MODE_ID
        physical_network = self.params.get("physical_network")
        if physical_network is not None:
            zone = self.parent_objects.get("zone") or {}
            found = None
            if zone.get("id") not in (None, CHECK_MODE_ID):
                found = find_physical_network(self.api, physical_network, zone["id"])
            if found is None and not self.module.check_mode:
                self.module.fail_json(msg="physical_network: no physical network named %r" % physical_network)
            self.references["physical_network"] = found["id"] if found else CHECK_MODE_ID
        return self.references

    def find(self):
        """By name within the zone; with an account, that account's network."""
        if self.parents_pending():
            return None
        filters = dict(self.list_filters, zoneid=self.parent_objects["zone"]["id"])
        if self.params.get("account"):
            filters.update(account=self.params["account"], domainid=self.parent_objects["domain"]["id"])
        for obj in self.api.list_all(self.list_command, dict(filters, name=self.params["name"])):
            if obj.get("name", "").lower() == self.params["name"].lower():
                return obj
        return None

    def wanted(self):
        wanted = super().wanted()
        wanted.update(self.resolve_references())
        return wanted

    def current_value(self, have, option):
        value = super().current_value(have, option)
        return vlan_value(value) if option.field == "vlan" else value

    def differences(self, have):
        diffs = super().differences(have)
        if "vlan" in diffs and vlan_value(diffs["vlan"][1]) == diffs["vlan"][0]:
            del diffs["vlan"]
        return diffs

    def create_params(self):
        params = super().create_params()
        for name, param in CREATE_ONLY.items():
            if self.params.get(name) is not None:
                params[param] = self.params[name]
        return params

    def delete(self, have):
        self.call(self.delete_command, {"id": have["id"], "forced": self.params["clean_up"] or None})


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        network_offering=dict(type="str"),
        display_text=dict(type="str"),
        gateway=dict(type="str"),
        netmask=dict(type="str"),
        vlan=dict(type="str"),
        start_ip=dict(type="str"),
        end_ip=dict(type="str"),
        network_domain=dict(type="str"),
        dns1=dict(type="str"),
        dns2=dict(type="str"),
        physical_network=dict(type="str"),
        acl_type=dict(type="str", choices=["Account", "Domain"]),
        account=dict(type="str"),
        domain=dict(type="str"),
        clean_up=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, required_by={"account": "domain"},
                           required_together=[("gateway", "netmask")])
    run_resource(module, Network)


if __name__ == "__main__":
    main()
