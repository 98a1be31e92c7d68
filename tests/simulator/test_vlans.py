"""Public and guest VLAN IP ranges."""

from __future__ import annotations

from tests.conftest import unique
from tests.simulator.infra_builders import new_pod
from tests.simulator.network_builders import (
    advanced_zone,
    enable_router_provider,
    new_physical_network,
    offering,
    provider,
    system_network,
)

PUBLIC = {"gateway": "203.0.113.1", "netmask": "255.255.255.0", "startip": "203.0.113.10", "endip": "203.0.113.50"}


def public_range(api, zone, **extra) -> dict:
    return api.call("createVlanIpRange", zoneid=zone["id"], forvirtualnetwork="true", **{**PUBLIC, **extra})["vlan"]


def test_public_range_goes_to_the_zone_public_network(api):
    zone, pn = advanced_zone(api)
    vlan = public_range(api, zone, vlan="50")
    public = system_network(api, zone, "Public")
    assert vlan == {
        "id": vlan["id"], "forvirtualnetwork": True, "zoneid": zone["id"], "vlan": "vlan://50",
        "gateway": "203.0.113.1", "netmask": "255.255.255.0", "cidr": "203.0.113.0/24", "startip": "203.0.113.10",
        "endip": "203.0.113.50", "networkid": public["id"], "physicalnetworkid": pn["id"], "forsystemvms": False,
    }
    listed = api.call("listVlanIpRanges", zoneid=zone["id"])
    assert listed["count"] == 1 and listed["vlaniprange"] == [vlan]
    assert (public["cidr"], public["gateway"]) == ("203.0.113.0/24", "203.0.113.1")


def test_untagged_range_and_end_defaults_to_start(api):
    zone, _ = advanced_zone(api)
    vlan = public_range(api, zone, endip="")
    assert (vlan["vlan"], vlan["startip"], vlan["endip"]) == ("vlan://untagged", "203.0.113.10", "203.0.113.10")


def test_overlapping_ranges_are_refused_and_extensions_allowed(api):
    zone, _ = advanced_zone(api)
    public_range(api, zone, vlan="50")
    error = api.error("createVlanIpRange", zoneid=zone["id"], vlan="50",
                      **{**PUBLIC, "startip": "203.0.113.40", "endip": "203.0.113.60"})
    assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (
        431, 4350, "The IP range already has IPs that overlap with the new range. Please specify a different start "
                   "IP/end IP.")
    extension = public_range(api, zone, vlan="50", startip="203.0.113.51", endip="203.0.113.60")
    assert extension["startip"] == "203.0.113.51"
    error = api.error("createVlanIpRange", zoneid=zone["id"], vlan="50", gateway="203.0.113.254",
                      netmask="255.255.255.0", startip="203.0.113.70", endip="203.0.113.80")
    assert error["errortext"] == ("The IP range has already been added with gateway 203.0.113.1 ,and netmask "
                                  "255.255.255.0, Please specify the gateway/netmask if you want to extend ip range")
    error = api.error("createVlanIpRange", zoneid=zone["id"], vlan="60", **{**PUBLIC, "startip": "203.0.113.100",
                                                                            "endip": "203.0.113.110"})
    assert error["errortext"] == (f"The IP range with tag: vlan://50 in zone {zone['name']} has overlapped with the "
                                  "subnet. Please specify a different gateway/netmask.")


def test_range_checks(api):
    zone, _ = advanced_zone(api)
    cases = [
        ({"startip": "203.0.113.300"}, "Please specify a valid IP range or valid netmask or valid gateway"),
        ({"startip": "203.0.113.60", "endip": "203.0.113.50"}, "Please specify a valid IP range."),
        ({"startip": "203.0.113.1"}, "The gateway ip should not be the part of the ip range being added."),
        ({"startip": "198.51.100.10", "endip": "198.51.100.20"},
         "Please specify a valid IP range or valid netmask or valid gateway"),
        ({"gateway": "203.0.113"}, "Please specify a valid gateway"),
        ({"netmask": "255.0.255.0"}, "Please specify a valid netmask"),
        ({"startip": None}, "StartIP or IPv6 CIDR is missing in the parameters!"),
        ({"vlan": "3050"}, f"The VLAN tag vlan://3050 is already being used for dynamic vlan allocation for the guest "
                           f"network in zone {zone['name']}"),
    ]
    for change, text in cases:
        params = {key: value for key, value in {**PUBLIC, **change}.items() if value is not None}
        error = api.error("createVlanIpRange", zoneid=zone["id"], **params)
        assert (error["errorcode"], error["errortext"]) == (431, text), change
    assert api.listing("listVlanIpRanges", zoneid=zone["id"]) == []


def test_public_range_needs_a_physical_network_with_public_traffic(api):
    zone = api.create_zone()
    new_physical_network(api, zone)
    error = api.error("createVlanIpRange", zoneid=zone["id"], **PUBLIC)
    assert (error["errorcode"], error["errortext"]) == (
        431, "Unable to find the default physical network with traffic=Public in the specified zone id")
    error = api.error("createVlanIpRange", zoneid=zone["id"], forvirtualnetwork="false", **PUBLIC)
    assert error["errortext"] == "Physical Network Id is null, please provide the Network id for Direct vlan creation "


def test_private_pod_range_cannot_overlap(api):
    zone, _ = advanced_zone(api)
    new_pod(api, zone, subnet="203.0.113")
    error = api.error("createVlanIpRange", zoneid=zone["id"], **{**PUBLIC, "startip": "203.0.113.5",
                                                                 "endip": "203.0.113.20"})
    assert error["errortext"] == ("The Start IP and EndIP address range overlap with private IP :"
                                  "203.0.113.10:203.0.113.99")


def test_dedicated_range_shows_its_account(api):
    zone, _ = advanced_zone(api)
    [admin] = api.listing("listAccounts", name="admin")
    vlan = public_range(api, zone, account="admin", domainid=admin["domainid"])
    assert (vlan["account"], vlan["domainid"], vlan["domain"]) == ("admin", admin["domainid"], "ROOT")
    error = api.error("createVlanIpRange", zoneid=zone["id"], account="nobody", domainid=admin["domainid"],
                      **{**PUBLIC, "startip": "203.0.113.100", "endip": "203.0.113.101"})
    assert error["errortext"] == "Please specify a valid account."


def test_list_filters_and_delete(api):
    zone, pn = advanced_zone(api)
    first = public_range(api, zone, vlan="50")
    second = public_range(api, zone, vlan="60", gateway="198.51.100.1", startip="198.51.100.10",
                          endip="198.51.100.20")
    ids = lambda **filters: [v["id"] for v in api.listing("listVlanIpRanges", zoneid=zone["id"], **filters)]  # noqa: E731
    assert ids() == [first["id"], second["id"]]
    assert ids(vlan="vlan://60") == [second["id"]]
    assert ids(forvirtualnetwork="false") == []
    assert ids(physicalnetworkid=pn["id"]) == [first["id"], second["id"]]
    assert [v["id"] for v in api.listing("listVlanIpRanges", keyword="198.51.100.10")] == [second["id"]]
    assert api.call("deleteVlanIpRange", id=first["id"]) == {"success": True}
    assert ids() == [second["id"]]
    assert system_network(api, zone, "Public")["cidr"] == "198.51.100.0/24"
    error = api.error("deleteVlanIpRange", id=first["id"])
    assert error["errorcode"] == 431


def test_shared_network_range_extends_its_subnet(api):
    zone, pn = advanced_zone(api)
    shared = offering(api, "DefaultSharedNetworkOffering")
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("shared"), networkofferingid=shared["id"],
                       vlan="1000", gateway="192.168.50.1", netmask="255.255.255.0", startip="192.168.50.10",
                       endip="192.168.50.100")["network"]
    [first] = api.listing("listVlanIpRanges", networkid=network["id"])
    assert (first["vlan"], first["account"], first["forvirtualnetwork"]) == ("1000", "system", False)
    more = api.call("createVlanIpRange", networkid=network["id"], startip="192.168.50.150", endip="192.168.50.160",
                    forvirtualnetwork="false")["vlan"]
    # the command writes the network's VLAN as a URI; createNetwork wrote it as given
    assert (more["vlan"], more["gateway"], more["netmask"], more["physicalnetworkid"]) == (
        "vlan://1000", "192.168.50.1", "255.255.255.0", pn["id"])
    error = api.error("createVlanIpRange", networkid=network["id"], vlan="2000", startip="192.168.50.170",
                      endip="192.168.50.180", forvirtualnetwork="false")
    assert error["errortext"].startswith("there is already one vlan 1000 on network :Network {\"id\": ")
    error = api.error("createVlanIpRange", networkid=network["id"], startip="192.168.60.10", endip="192.168.60.20",
                      forvirtualnetwork="false")
    assert error["errortext"] == ("The ip range dose not belong to any of the existing subnets, Provide the netmask "
                                  "and gateway if you want to add new subnet")


def test_virtual_range_refused_on_a_guest_network(api):
    zone, _ = advanced_zone(api)
    isolated = offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("iso"),
                       networkofferingid=isolated["id"])["network"]
    error = api.error("createVlanIpRange", networkid=network["id"], **PUBLIC)
    assert error["errortext"].startswith("Can't find Public network Network {")
    error = api.error("createVlanIpRange", networkid=network["id"], forvirtualnetwork="false", **PUBLIC)
    assert error["errortext"].startswith("Can't create direct vlan for network Network {")
    assert error["errortext"].endswith(" with type: Isolated")


def test_basic_zone_pod_range_on_the_guest_network(api):
    zone = api.create_zone(networktype="Basic")
    pn = new_physical_network(api, zone)
    api.run_async("addTrafficType", physicalnetworkid=pn["id"], traffictype="Guest")
    enable_router_provider(api, pn)
    security = provider(api, pn, "SecurityGroupProvider")
    api.run_async("updateNetworkServiceProvider", id=security["id"], state="Enabled")
    api.run_async("updatePhysicalNetwork", id=pn["id"], state="Enabled")
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("guest"),
                       networkofferingid=offering(api, "DefaultSharedNetworkOfferingWithSGService")["id"])["network"]
    assert (network["state"], network["broadcastdomaintype"], network["broadcasturi"]) == (
        "Setup", "Native", "vlan://untagged")
    error = api.error("createNetwork", zoneid=zone["id"], name=unique("guest"),
                      networkofferingid=offering(api, "DefaultSharedNetworkOfferingWithSGService")["id"])
    assert error["errortext"] == "Can't have more than one Guest network in zone with network type Basic"
    pod = new_pod(api, zone, subnet="192.168.90")
    vlan = api.call("createVlanIpRange", podid=pod["id"], zoneid=zone["id"], forvirtualnetwork="false",
                    gateway="172.16.5.1", netmask="255.255.255.0", startip="172.16.5.10",
                    endip="172.16.5.200")["vlan"]
    assert (vlan["networkid"], vlan["podid"], vlan["podname"], vlan["vlan"], vlan["account"]) == (
        network["id"], pod["id"], pod["name"], "vlan://untagged", "system")
