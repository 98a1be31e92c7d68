#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: network_offering
short_description: Manage CloudStack network offerings
description:
  - Create, update, enable and disable network offerings, found by name.
  - CloudStack creates an offering disabled. This module enables a new offering right after creating it,
    unless O(state=disabled).
  - Only the options you set are compared. C(display_text), C(availability), C(tags) and the state can be
    changed (C(updateNetworkOffering)). The other options cannot, and a difference fails the task.
    C(supported_services) and C(service_providers) are compared without regard to order or case.
  - State V(absent) only succeeds when there is no such offering. deleteNetworkOffering is not among the
    API commands this collection is built against, so an existing offering is not removed; the task fails
    and says so. Use V(disabled) to keep an offering from new networks.
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
    description: Name of the offering (compared case-insensitively).
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) set the offering's state. V(present) enables a new offering and leaves
        an existing one as it is. See the description for V(absent).
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  display_text:
    description: Display text (CloudStack uses the name when it is not given).
    type: str
  guest_ip_type:
    description: Guest IP type of the networks. Needed to create the offering; cannot change later.
    type: str
    choices: [Isolated, Shared, L2]
  traffic_type:
    description: Traffic type; CloudStack supports only V(Guest), the value used when this is not given.
    type: str
    choices: [Guest]
  supported_services:
    description:
      - Services of the networks, for example V([Dhcp, Dns, SourceNat, Firewall]). Cannot change later.
    type: list
    elements: str
  service_providers:
    description:
      - Provider of each service, a mapping of service name to provider name (see EXAMPLES). Each service
        must be in O(supported_services). Cannot change later.
    type: dict
  specify_vlan:
    description: Whether networks of this offering are given a VLAN. Cannot change later.
    type: bool
  specify_ip_ranges:
    description: Whether networks of this offering are given IP ranges (always for Shared). Cannot change later.
    type: bool
  conserve_mode:
    description: IP conserve mode (several services on one public address). Cannot change later.
    type: bool
  is_persistent:
    description: Whether networks are implemented as soon as they are created. Cannot change later.
    type: bool
  for_vpc:
    description: Whether the offering is for VPC tiers. Cannot change later.
    type: bool
  egress_default_policy:
    description: V(true) to allow egress traffic by default, V(false) to deny it. Cannot change later.
    type: bool
  network_rate:
    description:
      - Data rate in megabits per second; V(0) means no limit (CloudStack shows it as V(-1)).
      - Cannot change after creation.
    type: int
  availability:
    description: V(Required) makes it the default offering for new isolated networks (one offering at most).
    type: str
    choices: [Optional, Required]
  tags:
    description: Tags that pick the physical network of the networks. Order does not matter.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Ensure an isolated offering with a virtual router exists and is enabled
  acsible.cloudstack.network_offering:
    name: isolated-vr
    display_text: Isolated network with a virtual router
    guest_ip_type: Isolated
    supported_services: [Dhcp, Dns, SourceNat, Firewall, PortForwarding, StaticNat]
    service_providers:
      Dhcp: VirtualRouter
      Dns: VirtualRouter
      SourceNat: VirtualRouter
      Firewall: VirtualRouter
      PortForwarding: VirtualRouter
      StaticNat: VirtualRouter

- name: Keep an offering from new networks
  acsible.cloudstack.network_offering:
    name: isolated-vr
    state: disabled
"""

RETURN = r"""
networkoffering:
  description: The offering, with CloudStack's own field names (in check mode, the one that would exist).
  returned: unless state is absent and there was no offering
  type: dict
  contains:
    id:
      description: UUID of the offering.
      type: str
    name:
      description: Name of the offering.
      type: str
    displaytext:
      description: Display text.
      type: str
    state:
      description: Enabled or Disabled.
      type: str
    guestiptype:
      description: Isolated, Shared or L2.
      type: str
    availability:
      description: Optional or Required.
      type: str
    service:
      description: The services, each with its providers.
      type: list
      elements: dict
    tags:
      description: Comma separated tags.
      type: str
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Option, Resource, api_argument_spec, run_resource

OFFERING_STATE = {"enabled": "Enabled", "disabled": "Disabled"}
# Network.Service names: CloudStack reads service names case-insensitively and shows them so.
SERVICES = ("Vpn", "Dhcp", "Dns", "Gateway", "Firewall", "Lb", "UserData", "SourceNat", "StaticNat",
            "PortForwarding", "SecurityGroup", "NetworkACL", "Connectivity")


def service_name(name):
    return next((known for known in SERVICES if known.lower() == str(name).lower()), str(name))


class NetworkOffering(Resource):
    kind = "networkoffering"
    list_command = "listNetworkOfferings"
    create_command = "createNetworkOffering"
    update_command = "updateNetworkOffering"
    required_to_create = ("guest_ip_type",)
    options = {
        "display_text": Option("displaytext"),
        "guest_ip_type": Option("guestiptype", updatable=False),
        "traffic_type": Option("traffictype", updatable=False, kind="caseless"),
        "supported_services": Option("supportedservices", field="service", updatable=False, kind="list"),
        "service_providers": Option("serviceproviderlist", field="service", updatable=False, kind="list"),
        "specify_vlan": Option("specifyvlan", updatable=False, kind="bool"),
        "specify_ip_ranges": Option("specifyipranges", updatable=False, kind="bool"),
        "conserve_mode": Option("conservemode", updatable=False, kind="bool"),
        "is_persistent": Option("ispersistent", updatable=False, kind="bool"),
        "for_vpc": Option("forvpc", updatable=False, kind="bool"),
        "egress_default_policy": Option("egressdefaultpolicy", updatable=False, kind="bool"),
        "network_rate": Option("networkrate", updatable=False, kind="int"),
        "availability": Option("availability", kind="caseless"),
        "tags": Option("tags", kind="list"),
        "offering_state": Option("state", create=False),
    }

    def states(self):
        return {"present": self.present, "absent": self.absent, "enabled": self.present, "disabled": self.present}

    def wanted(self):
        wanted = super().wanted()
        state = OFFERING_STATE.get(self.params.get("state"))
        if state:
            wanted["offering_state"] = state
        else:
            wanted.pop("offering_state", None)
        if "supported_services" in wanted:
            wanted["supported_services"] = sorted({service_name(s) for s in wanted["supported_services"]})
        if "service_providers" in wanted:
            wanted["service_providers"] = sorted("%s:%s" % (service_name(service), provider)
                                                 for service, provider in wanted["service_providers"].items())
        if wanted.get("network_rate") == 0:
            wanted["network_rate"] = -1  # no limit, as CloudStack shows it
        return wanted

    def current_value(self, have, option):
        if option.param == "supportedservices":
            return sorted(entry.get("name") for entry in have.get("service") or [])
        if option.param == "serviceproviderlist":
            chosen = {service_name(s).lower() for s in self.params.get("service_providers") or {}}
            return sorted("%s:%s" % (entry.get("name"), provider.get("name"))
                          for entry in have.get("service") or [] if entry.get("name", "").lower() in chosen
                          for provider in entry.get("provider") or [])
        if option.param == "tags" and have.get("tags") is None:
            return []
        return super().current_value(have, option)

    def update_params(self, have, diffs):
        params = super().update_params(have, diffs)
        if params.get("tags") == []:
            params["tags"] = ""  # an empty list is not sent at all; an empty string clears the tags
        return params

    def differences(self, have):
        diffs = super().differences(have)
        if "service_providers" in diffs:  # provider names are read case-insensitively (Provider.getProvider)
            old, new = diffs["service_providers"]
            if [item.lower() for item in old] == [item.lower() for item in new]:
                del diffs["service_providers"]
        return diffs

    def create(self):
        services = {service_name(s).lower() for s in self.params.get("supported_services") or []}
        stray = sorted(s for s in self.params.get("service_providers") or {} if service_name(s).lower() not in services)
        if stray:
            self.module.fail_json(msg="service_providers: %s not in supported_services" % ", ".join(stray))
        return super().create()

    def create_params(self):
        params = super().create_params()
        params["traffictype"] = self.params.get("traffic_type") or "Guest"
        if self.params.get("supported_services") is not None:
            params["supportedservices"] = [service_name(s) for s in self.params["supported_services"]]
        if self.params.get("service_providers") is not None:
            params["serviceproviderlist"] = [{"service": service_name(service), "provider": provider}
                                             for service, provider in sorted(self.params["service_providers"].items())]
        if self.params.get("network_rate") is not None:
            params["networkrate"] = self.params["network_rate"]
        return params

    def would_create(self):
        obj = super().would_create()
        obj["state"] = self.wanted().get("offering_state", "Enabled")
        obj["traffictype"] = self.params.get("traffic_type") or "Guest"
        services = self.params.get("supported_services") or []
        providers = {service_name(s).lower(): p for s, p in (self.params.get("service_providers") or {}).items()}
        obj["service"] = [{"name": service_name(s), "provider": [{"name": providers[service_name(s).lower()]}]
                           if service_name(s).lower() in providers else []} for s in services]
        return obj

    def after_create(self, obj):
        """CloudStack creates an offering Disabled; enable it unless state is disabled."""
        state = self.wanted().get("offering_state", "Enabled")
        if obj.get("state") != state:
            obj = self.call(self.update_command, {"id": obj["id"], "state": state})
        return obj

    def absent(self):
        have = self.find()
        if have is not None:
            self.module.fail_json(
                msg="state: network offering %r exists and cannot be removed: deleteNetworkOffering is not among "
                    "the API commands acsible.cloudstack is built against; use state: disabled to keep it from "
                    "new networks" % have.get("name"))
        self.result["diff"] = {"before": {}, "after": {}}
        return None


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled"]),
        display_text=dict(type="str"),
        guest_ip_type=dict(type="str", choices=["Isolated", "Shared", "L2"]),
        traffic_type=dict(type="str", choices=["Guest"]),
        supported_services=dict(type="list", elements="str"),
        service_providers=dict(type="dict"),
        specify_vlan=dict(type="bool"),
        specify_ip_ranges=dict(type="bool"),
        conserve_mode=dict(type="bool"),
        is_persistent=dict(type="bool"),
        for_vpc=dict(type="bool"),
        egress_default_policy=dict(type="bool"),
        network_rate=dict(type="int"),
        availability=dict(type="str", choices=["Optional", "Required"]),
        tags=dict(type="list", elements="str"),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), NetworkOffering)


if __name__ == "__main__":
    main()
