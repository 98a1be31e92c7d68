#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: network_service_provider
short_description: Manage the network service providers of a CloudStack physical network
description:
  - Add, enable and disable the network service providers (VirtualRouter, VpcVirtualRouter, InternalLbVm,
    SecurityGroupProvider, ConfigDrive, ...) of a physical network, found by name within it.
    CloudStack adds the usual providers itself when it creates a physical network, disabled.
  - Enabling V(VirtualRouter), V(VpcVirtualRouter) or V(InternalLbVm) first enables the provider's element
    (C(configureVirtualRouterElement) or C(configureInternalLoadBalancerElement)), because CloudStack refuses to
    enable a provider whose element is not configured; a provider already enabled whose element was disabled
    gets its element enabled again. Disabling a provider leaves its element as it is.
  - State V(absent) only succeeds when there is no such provider. deleteNetworkServiceProvider is not among
    the API commands this collection is built against, so an existing provider is not removed; the task fails
    and says so. Disable the provider instead, or delete its physical network.
  - State V(shutdown) always fails with an explanation. CloudStack documents Shutdown as a state of
    C(updateNetworkServiceProvider) but refuses it ("Updating the provider state to 'Shutdown' is not
    supported"). It shuts a provider down only when deleting it.
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
    description: Name of the provider, for example V(VirtualRouter) (compared case-insensitively, as CloudStack does).
    type: str
    required: true
  physical_network:
    description: Name or id of the physical network.
    type: str
    required: true
  zone:
    description: Name or id of the zone of the physical network.
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) set the provider's state; V(present) leaves it as it is (a new provider
        starts disabled). See the description for V(absent) and V(shutdown).
    type: str
    choices: [present, absent, enabled, disabled, shutdown]
    default: present
  service_list:
    description:
      - The services the provider offers on this physical network, for example V([Dhcp, Dns, UserData]).
        Order does not matter.
      - V(Gateway), V(NetworkACL) and V(Connectivity) are left out of the comparison, because CloudStack never
        lists them for a provider.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Enable the virtual router provider (and its element) of a physical network
  acsible.cloudstack.network_service_provider:
    name: VirtualRouter
    physical_network: zone1-guest
    zone: zone1
    state: enabled

- name: Disable the security group provider
  acsible.cloudstack.network_service_provider:
    name: SecurityGroupProvider
    physical_network: zone1-guest
    zone: zone1
    state: disabled
"""

RETURN = r"""
networkserviceprovider:
  description: The provider, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no such provider
  type: dict
  contains:
    id:
      description: UUID of the provider.
      type: str
    name:
      description: Name of the provider.
      type: str
    physicalnetworkid:
      description: UUID of the physical network.
      type: str
    state:
      description: Enabled, Disabled or Shutdown.
      type: str
    servicelist:
      description: The services it offers.
      type: list
      elements: str
virtualrouterelement:
  description: The virtual router element of a VirtualRouter or VpcVirtualRouter provider, when it was looked at.
  returned: when state is enabled and the provider is VirtualRouter or VpcVirtualRouter
  type: dict
  contains:
    id:
      description: UUID of the element.
      type: str
    nspid:
      description: UUID of its provider.
      type: str
    enabled:
      description: Whether the element is enabled.
      type: bool
internalloadbalancerelement:
  description: The internal load balancer element of an InternalLbVm provider, when it was looked at.
  returned: when state is enabled and the provider is InternalLbVm
  type: dict
  contains:
    id:
      description: UUID of the element.
      type: str
    nspid:
      description: UUID of its provider.
      type: str
    enabled:
      description: Whether the element is enabled.
      type: bool
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
    find_physical_network,
    find_zone,
    normalize,
    run_resource,
    same_name,
)

PROVIDER_STATE = {"enabled": "Enabled", "disabled": "Disabled"}
# Provider (lower case) -> (element kind, list command, configure command): the elements that must be
# enabled before CloudStack enables their provider (VirtualRouterElement / InternalLoadBalancerElement isReady).
ELEMENTS = {
    "virtualrouter": ("virtualrouterelement", "listVirtualRouterElements", "configureVirtualRouterElement"),
    "vpcvirtualrouter": ("virtualrouterelement", "listVirtualRouterElements", "configureVirtualRouterElement"),
    "internallbvm": ("internalloadbalancerelement", "listInternalLoadBalancerElements",
                     "configureInternalLoadBalancerElement"),
}
UNLISTED_SERVICES = ("gateway", "networkacl", "connectivity")  # never in a provider's servicelist
ELEMENT = "element_enabled"  # the diff key of the element's state


class NetworkServiceProvider(Resource):
    kind = "networkserviceprovider"
    list_command = "listNetworkServiceProviders"
    create_command = "addNetworkServiceProvider"
    update_command = "updateNetworkServiceProvider"
    update_name = False
    parents = (
        Parent("zone", find_zone, param=None),
        Parent("physical_network", find_physical_network, param="physicalnetworkid", needs="zone"),
    )
    options = {
        "service_list": Option("servicelist", kind="list"),
        "provider_state": Option("state", create=False),
    }

    def __init__(self, module, api):
        super().__init__(module, api)
        self.element = None         # the provider's element, once looked up

    def states(self):
        return {"present": self.present, "absent": self.absent, "enabled": self.present, "disabled": self.present,
                "shutdown": self.shutdown}

    # -- reading ------------------------------------------------------------------------

    def find(self):
        """The provider of that name on the physical network (names match case-insensitively)."""
        if self.parents_pending():
            return None
        for obj in self.api.list_all(self.list_command, self.parent_ids(for_list=True)):
            if same_name(obj.get("name"), self.params["name"]):
                return obj
        return None

    def wanted(self):
        wanted = super().wanted()
        state = PROVIDER_STATE.get(self.params.get("state"))
        if state:
            wanted["provider_state"] = state
        else:
            wanted.pop("provider_state", None)
        return wanted

    def current_value(self, have, option):
        value = super().current_value(have, option)
        if option.field == "servicelist":
            return [service for service in normalize("list", value or [])
                    if service.lower() not in UNLISTED_SERVICES]
        return value

    def differences(self, have):
        diffs = super().differences(have)
        if "service_list" in diffs:
            old, new = diffs["service_list"]
            new = [service for service in new if service.lower() not in UNLISTED_SERVICES]
            if sorted(s.lower() for s in old) == sorted(s.lower() for s in new):
                del diffs["service_list"]
        if self.wanted().get("provider_state") == "Enabled":
            element = self.find_element(have)
            if element is not None and not element.get("enabled"):
                diffs[ELEMENT] = (False, True)
        return diffs

    def element_commands(self):
        return ELEMENTS.get(self.params["name"].lower())

    def find_element(self, provider):
        """The provider's element (None for providers without one); fails when CloudStack has none for it."""
        commands = self.element_commands()
        if commands is None or provider.get("id") == CHECK_MODE_ID:
            return None
        kind, list_command, _configure = commands
        found = self.api.list_all(list_command, {"nspid": provider["id"]})
        if not found:
            self.module.fail_json(msg="name: provider %s of physical network %r has no %s to enable; CloudStack "
                                      "creates it only with the physical network" % (
                                          provider.get("name"), self.params["physical_network"], kind))
        self.element = found[0]
        return self.element

    # -- changing -----------------------------------------------------------------------

    def enable_element(self, provider):
        """Configure (enable) the element, which CloudStack requires before it enables the provider."""
        element = self.element if self.element is not None else self.find_element(provider)
        if element is None or element.get("enabled"):
            return
        kind, _list_command, configure = self.element_commands()
        reply = self.api.call(configure, {"id": element["id"], "enabled": True})
        result = self.api.wait_for_job(configure, reply["jobid"]) if "jobid" in reply else reply
        self.element = result.get(kind, result)

    def update(self, have):
        diffs = self.differences(have)
        self.result["diff"] = self.diff_of(diffs)
        if not diffs:
            return have
        self.result["changed"] = True
        if self.module.check_mode:
            merged = dict(have)
            for name, (_old, new) in diffs.items():
                if name == ELEMENT:
                    self.element = dict(self.element, enabled=True)
                else:
                    merged[self.options[name].field] = new
            return merged
        self.wait_for_pending_job(have)
        if ELEMENT in diffs:
            self.enable_element(have)
        provider_diffs = {name: change for name, change in diffs.items() if name != ELEMENT}
        if not provider_diffs:
            return have
        return self.call(self.update_command, self.update_params(have, provider_diffs))

    def after_create(self, obj):
        """A new provider is Disabled: enable its element, then the provider, when state is enabled."""
        state = self.wanted().get("provider_state")
        if state and obj.get("state") != state:
            if state == "Enabled":
                self.enable_element(obj)
            obj = self.call(self.update_command, {"id": obj["id"], "state": state})
        return obj

    def absent(self):
        self.resolve_parents()
        have = self.find()
        if have is not None:
            self.module.fail_json(
                msg="state: provider %s of physical network %r exists and cannot be removed: "
                    "deleteNetworkServiceProvider is not among the API commands acsible.cloudstack is built "
                    "against; use state: disabled, or delete the physical network" % (
                        have.get("name"), self.params["physical_network"]))
        self.result["diff"] = {"before": {}, "after": {}}
        return None

    def shutdown(self):
        self.module.fail_json(msg="state: shutdown: CloudStack refuses it (\"Updating the provider state to "
                                  "'Shutdown' is not supported\"); it shuts a provider down only when deleting it. "
                                  "Use state: disabled")

    def present(self):
        obj = super().present()
        if self.element is not None:
            self.result[self.element_commands()[0]] = self.element
        return obj


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        physical_network=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled", "shutdown"]),
        service_list=dict(type="list", elements="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), NetworkServiceProvider)


if __name__ == "__main__":
    main()
