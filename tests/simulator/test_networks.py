"""Guest networks, network offerings and security groups."""

from __future__ import annotations

from tests.conftest import unique
from tests.simulator.network_builders import advanced_zone, new_physical_network, offering, system_network

SHARED_RANGE = {"gateway": "192.168.50.1", "netmask": "255.255.255.0", "startip": "192.168.50.10",
                "endip": "192.168.50.100"}


def new_offering(api, **extra) -> dict:
    params = {"name": unique("offering"), "traffictype": "Guest", "guestiptype": "Isolated", **extra}
    return api.call("createNetworkOffering", **params)["networkoffering"]


def service_map(offering_or_network: dict) -> dict:
    return {s["name"]: [p["name"] for p in s["provider"]] for s in offering_or_network["service"]}


# -- network offerings --------------------------------------------------------------------


def test_seeded_offerings_are_listed_without_the_system_ones(api):
    names = [o["name"] for o in api.listing("listNetworkOfferings", isdefault="true")]
    assert "DefaultSharedNetworkOffering" in names and "DefaultL2NetworkOffering" in names
    assert not [name for name in names if name.startswith("System-")]
    isolated = offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")
    assert (isolated["state"], isolated["availability"], isolated["guestiptype"], isolated["networkrate"]) == (
        "Enabled", "Required", "Isolated", 200)
    assert "Gateway" not in service_map(isolated)
    source_nat = next(s for s in isolated["service"] if s["name"] == "SourceNat")
    assert source_nat["capability"][0] == {"name": "SupportedSourceNatTypes", "value": "peraccount",
                                           "canchooseservicecapability": False}
    vpc = offering(api, "DefaultIsolatedNetworkOfferingForVpcNetworks")
    assert service_map(vpc)["Dhcp"] == ["VpcVirtualRouter"] and vpc["forvpc"] is True


def test_list_offering_filters(api):
    shared = [o["name"] for o in api.listing("listNetworkOfferings", guestiptype="shared", isdefault="true")]
    assert "DefaultSharedNetworkOffering" in shared and "DefaultL2NetworkOffering" not in shared
    with_sg = [o["name"] for o in api.listing("listNetworkOfferings", supportedservices="SecurityGroup")]
    assert "DefaultSharedNetworkOfferingWithSGService" in with_sg and "DefaultSharedNetworkOffering" not in with_sg
    vpc = [o["name"] for o in api.listing("listNetworkOfferings", forvpc="true", isdefault="true")]
    assert "DefaultIsolatedNetworkOfferingForVpcNetworks" in vpc and "DefaultSharedNetworkOffering" not in vpc
    keyword = [o["name"] for o in api.listing("listNetworkOfferings", keyword="config drive user data VLAN")]
    assert keyword == ["DefaultL2NetworkOfferingConfigDriveVlan"]
    error = api.error("listNetworkOfferings", supportedservices="Teleport")
    assert error["errortext"] == "Invalid service specified Teleport"


def test_zone_lists_only_offerings_whose_providers_are_enabled(api):
    zone, _ = advanced_zone(api)
    names = {o["name"] for o in api.listing("listNetworkOfferings", zoneid=zone["id"])}
    assert {"DefaultSharedNetworkOffering", "DefaultIsolatedNetworkOfferingWithSourceNatService",
            "DefaultL2NetworkOffering", "DefaultL2NetworkOfferingVlan"} <= names
    assert "DefaultSharedNetworkOfferingWithSGService" not in names  # SecurityGroupProvider is disabled
    assert "DefaultIsolatedNetworkOfferingForVpcNetworks" not in names
    basic = api.create_zone(networktype="Basic")
    assert api.listing("listNetworkOfferings", zoneid=basic["id"]) == []
    bare = api.create_zone()
    error = api.error("listNetworkOfferings", zoneid=bare["id"])
    assert error["errortext"].startswith("Unable to find physical network in zone id=")


def test_create_offering_starts_disabled_and_is_enabled_by_update(api):
    services = ("Dhcp", "Dns", "SourceNat", "PortForwarding")
    providers = {}
    for index, service in enumerate(services):
        providers[f"serviceproviderlist[{index}].service"] = service
        providers[f"serviceproviderlist[{index}].provider"] = "VirtualRouter"
    created = new_offering(api, supportedservices=",".join(services), **providers)
    assert (created["state"], created["availability"], created["isdefault"], created["conservemode"]) == (
        "Disabled", "Optional", False, True)
    assert created["displaytext"] == created["name"] and created["egressdefaultpolicy"] is True
    assert service_map(created) == {"Dhcp": ["VirtualRouter"], "Dns": ["VirtualRouter"],
                                    "SourceNat": ["VirtualRouter"], "PortForwarding": ["VirtualRouter"],
                                    "Firewall": ["VirtualRouter"]}  # port forwarding on the VR brings its firewall
    updated = api.call("updateNetworkOffering", id=created["id"], state="enabled", displaytext="Gold",
                       tags="gold")["networkoffering"]
    assert (updated["state"], updated["displaytext"], updated["tags"]) == ("Enabled", "Gold", "gold")
    assert api.listing("listNetworkOfferings", id=created["id"], state="Enabled")[0]["displaytext"] == "Gold"
    error = api.error("updateNetworkOffering", id=created["id"], state="Retired")
    assert error["errortext"] == "Incorrect state value: Retired"


def test_create_offering_refusals(api):
    cases = [
        ({"traffictype": "Public"}, "Only traffic type Guest is supported in the current release"),
        ({"traffictype": "Bogus"}, "Invalid value for traffictype. Supported traffic types: Public, Management, "
                                   "Control, Guest, Vlan or Storage"),
        ({"guestiptype": "Private"}, 'Invalid "type" parameter is given; can have Shared and Isolated values'),
        ({"guestiptype": "Shared"}, "SpecifyIpRanges should always be true for Shared network offerings"),
        ({"availability": "Always"}, "Invalid value for Availability. Supported types: Required, Optional"),
        ({"supportedservices": "Gateway"}, "Invalid service Gateway"),
        ({"supportedservices": "SecurityGroup"}, "Security group service is supported for network offerings with "
                                                 "guest ip type Shared"),
        ({"supportedservices": "Dhcp", "serviceproviderlist[0].service": "Dns",
          "serviceproviderlist[0].provider": "VirtualRouter"},
         "Service Dns is not enabled for the network offering, can't add a provider to it"),
        ({"supportedservices": "Dhcp", "serviceproviderlist[0].service": "Dhcp",
          "serviceproviderlist[0].provider": "Acme"}, "Invalid service provider: Acme"),
        ({"supportedservices": "SourceNat", "specifyipranges": "true"},
         "SpecifyIpRanges can only be true for Shared network offerings and Isolated with no SourceNat service"),
        ({"ispersistent": "true", "guestiptype": "Shared", "specifyipranges": "true"},
         "isPersistent should be false if network offering's type is Shared"),
        ({"details[0].bogus": "x"}, "Unsupported detail bogus"),
    ]
    for extra, text in cases:
        params = {"name": unique("offering"), "traffictype": "Guest", "guestiptype": "Isolated", **extra}
        error = api.error("createNetworkOffering", **params)
        assert (error["errorcode"], error["errortext"]) == (431, text), extra
    error = api.error("createNetworkOffering", name=unique("offering"), traffictype="Guest", guestiptype="Isolated",
                      availability="Required", supportedservices="SourceNat")
    assert error["errortext"].startswith("System already has network offering id=")
    error = api.error("createNetworkOffering", name=unique("offering"), traffictype="Guest", guestiptype="Isolated",
                      supportedservices="Lb", **{"serviceproviderlist[0].service": "Lb",
                                                 "serviceproviderlist[0].provider": "GloboDns"})
    assert (error["errorcode"], error["errortext"]) == (530, "GloboDns Provider cannot provide service Lb")


# -- networks -----------------------------------------------------------------------------


def test_each_zone_has_its_system_networks(api):
    zone = api.create_zone()
    systems = api.listing("listNetworks", issystem="true", zoneid=zone["id"])
    assert sorted(net["traffictype"] for net in systems) == ["Control", "Management", "Public", "Storage"]
    control = system_network(api, zone, "Control")
    assert (control["broadcastdomaintype"], control["cidr"], control["state"], control["account"]) == (
        "LinkLocal", "169.254.0.0/16", "Setup", "system")
    assert api.listing("listNetworks", zoneid=zone["id"]) == []
    sg_zone = api.create_zone(securitygroupenabled="true")
    assert "Public" not in [n["traffictype"] for n in api.listing("listNetworks", issystem="true",
                                                                  zoneid=sg_zone["id"])]
    job = api.wait(api.call("deleteNetwork", id=control["id"])["jobid"])
    assert job["jobresult"] == {"errorcode": 431,
                                "errortext": "Network with specified id is system and can't be removed"}


def test_isolated_network_takes_the_zone_guest_cidr(api):
    zone, pn = advanced_zone(api)
    isolated = offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")
    name = unique("iso")
    network = api.call("createNetwork", zoneid=zone["id"], name=name, displaytext="My net",
                       networkofferingid=isolated["id"])["network"]
    expected = {"name": name, "displaytext": "My net", "type": "Isolated", "state": "Allocated",
                "traffictype": "Guest", "broadcastdomaintype": "Vlan", "cidr": "10.1.0.0/16", "gateway": "10.1.0.1",
                "netmask": "255.255.0.0", "networkdomain": "cs2cloud.internal", "acltype": "Account",
                "account": "admin", "physicalnetworkid": pn["id"], "zonename": zone["name"], "related": network["id"],
                "networkofferingname": isolated["name"], "issystem": False, "canusefordeploy": True,
                "specifyipranges": False, "publicmtu": 1500, "privatemtu": 1500, "dns1": "198.18.0.53"}
    assert {key: network.get(key) for key in expected} == expected
    assert "vlan" not in network and "SourceNat" in service_map(network)
    listed = api.listing("listNetworks", id=network["id"])
    assert listed == [network]


def test_shared_network_with_vlan_is_set_up_with_its_range(api):
    zone, pn = advanced_zone(api)
    shared = offering(api, "DefaultSharedNetworkOffering")
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("shared"), networkofferingid=shared["id"],
                       vlan="1000", **SHARED_RANGE)["network"]
    assert (network["state"], network["type"], network["acltype"], network["vlan"], network["broadcasturi"]) == (
        "Setup", "Shared", "Domain", "1000", "vlan://1000")
    assert (network["subdomainaccess"], network["domain"], network["cidr"]) == (True, "ROOT", "192.168.50.0/24")
    assert "account" not in network
    [vlan] = api.listing("listVlanIpRanges", networkid=network["id"])
    assert (vlan["startip"], vlan["endip"], vlan["physicalnetworkid"]) == ("192.168.50.10", "192.168.50.100", pn["id"])
    error = api.error("createNetwork", zoneid=zone["id"], name=unique("shared"), networkofferingid=shared["id"],
                      vlan="1000", **{**SHARED_RANGE, "gateway": "192.168.60.1", "startip": "192.168.60.10",
                                      "endip": "192.168.60.20"})
    assert error["errortext"].startswith("Network with vlan 1000 already exists or overlaps with other network "
                                         "vlans in zone Zone {")
    error = api.error("createNetwork", zoneid=zone["id"], name=unique("shared"), networkofferingid=shared["id"],
                      vlan="3010", **SHARED_RANGE)
    assert error["errortext"] == (f"The VLAN tag to use for new guest network, 3010 is already being used for dynamic "
                                  f"vlan allocation for the guest network in zone {zone['name']}")


def test_create_network_refusals(api):
    zone, pn = advanced_zone(api)
    shared = offering(api, "DefaultSharedNetworkOffering")
    l2_vlan = offering(api, "DefaultL2NetworkOfferingVlan")
    isolated = offering(api, "DefaultIsolatedNetworkOffering")
    cases = [
        (shared, {"vlan": "1001"}, "Gateway/netmask are required when creating Shared networks."),
        (shared, {**SHARED_RANGE}, "Vlan has to be specified; corresponding offering says specifyVlan=true"),
        (shared, {**SHARED_RANGE, "vlan": "1001", "gateway": "192.168.50.0"},
         "Invalid gateway IP provided. Either the IP is broadcast or network IP."),
        (shared, {**SHARED_RANGE, "vlan": "1001", "gateway": "gw"}, "Gateway parameter is invalid"),
        (l2_vlan, {}, "Vlan has to be specified; corresponding offering says specifyVlan=true"),
        (isolated, {"vlan": "1002", "physicalnetworkid": pn["id"]},
         "Physical network ID can be specified for networks of guest IP type Shared or L2 only."),
        (isolated, {"vlan": "1002", "gateway": "8.8.8.1", "netmask": "255.255.255.0"},
         "Virtual Guest Cidr 8.8.8.0/24 is not RFC 1918 or 6598 compliant"),
    ]
    for chosen, extra, text in cases:
        error = api.error("createNetwork", zoneid=zone["id"], name=unique("net"), networkofferingid=chosen["id"],
                          **extra)
        assert (error["errorcode"], error["errortext"]) == (431, text), text
    disabled = new_offering(api, guestiptype="L2")
    error = api.error("createNetwork", zoneid=zone["id"], name=unique("net"), networkofferingid=disabled["id"])
    assert error["errortext"] == "Can't use specified network offering id as its state is not Enabled"


def test_network_needs_an_enabled_physical_network(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    api.run_async("addTrafficType", physicalnetworkid=pn["id"], traffictype="Guest")
    l2 = offering(api, "DefaultL2NetworkOffering")
    error = api.error("createNetwork", zoneid=zone["id"], name=unique("l2"), networkofferingid=l2["id"])
    assert error["errortext"] == "Specified physical network id is in incorrect state:Disabled"
    bare = api.create_zone()
    error = api.error("createNetwork", zoneid=bare["id"], name=unique("l2"), networkofferingid=l2["id"])
    assert error["errortext"].startswith("Unable to find physical network in zone id=")


def test_l2_network_and_list_filters(api):
    zone, _ = advanced_zone(api)
    l2 = api.call("createNetwork", zoneid=zone["id"], name=unique("l2"),
                  networkofferingid=offering(api, "DefaultL2NetworkOfferingVlan")["id"], vlan="1200")["network"]
    assert (l2["type"], l2["state"], "cidr" in l2, l2["canusefordeploy"]) == ("L2", "Setup", False, True)
    isolated = api.call("createNetwork", zoneid=zone["id"], name=unique("iso"),
                        networkofferingid=offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")["id"])
    ids = lambda **filters: [n["id"] for n in api.listing("listNetworks", zoneid=zone["id"], **filters)]  # noqa: E731
    assert ids() == [isolated["network"]["id"], l2["id"]]  # newest first
    assert ids(type="l2") == [l2["id"]]
    assert ids(supportedservices="SourceNat") == [isolated["network"]["id"]]
    assert ids(vlan="1200") == [l2["id"]]
    assert ids(name=l2["name"]) == [l2["id"]]


def test_update_and_delete_network(api):
    zone, _ = advanced_zone(api)
    isolated = offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("iso"),
                       networkofferingid=isolated["id"])["network"]
    reply = api.call("updateNetwork", id=network["id"], name="renamed", networkdomain="corp.example",
                     dns1="9.9.9.9")
    job = api.wait(reply["jobid"])
    assert (job["jobinstancetype"], job["jobinstanceid"]) == ("Network", network["id"])
    updated = job["jobresult"]["network"]
    assert (updated["name"], updated["networkdomain"], updated["dns1"]) == ("renamed", "corp.example", "9.9.9.9")
    result = api.wait(api.call("updateNetwork", id=network["id"], networkdomain="-bad-")["jobid"])["jobresult"]
    assert result["errorcode"] == 431 and result["errortext"].startswith("Invalid network domain.")
    shared = offering(api, "DefaultSharedNetworkOffering")
    result = api.wait(api.call("updateNetwork", id=network["id"], networkofferingid=shared["id"])["jobid"])
    assert result["jobresult"]["errortext"].startswith("Can't upgrade from network offering ")
    assert api.run_async("deleteNetwork", id=network["id"]) == {"success": True}
    assert api.listing("listNetworks", zoneid=zone["id"]) == []


def test_physical_network_with_networks_cannot_be_deleted(api):
    zone, pn = advanced_zone(api)
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("l2"),
                       networkofferingid=offering(api, "DefaultL2NetworkOffering")["id"])["network"]
    job = api.wait(api.call("deletePhysicalNetwork", id=pn["id"])["jobid"])
    assert job["jobresult"] == {"errorcode": 530, "errortext": "The Physical Network is not deletable because there "
                                                               "are networks associated to this physical network"}
    traffic = [t for t in api.listing("listTrafficTypes", physicalnetworkid=pn["id"]) if t["traffictype"] == "Guest"]
    job = api.wait(api.call("deleteTrafficType", id=traffic[0]["id"])["jobid"])
    assert job["jobresult"]["errortext"] == ("The Traffic Type is not deletable because there are existing networks "
                                             "with this traffic type:Guest")
    api.run_async("deleteNetwork", id=network["id"])
    assert api.run_async("deletePhysicalNetwork", id=pn["id"]) == {"success": True}


def test_default_security_group(api):
    [group] = api.listing("listSecurityGroups", securitygroupname="default")
    assert {key: group[key] for key in ("name", "description", "account", "domain", "virtualmachinecount")} == {
        "name": "default", "description": "Default Security Group", "account": "admin", "domain": "ROOT",
        "virtualmachinecount": 0}
    assert group["ingressrule"] == [] and group["egressrule"] == []
