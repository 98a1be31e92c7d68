"""Physical networks, traffic types, network service providers and their elements."""

from __future__ import annotations

from tests.conftest import unique
from tests.simulator.network_builders import add_traffic, enable_router_provider, new_physical_network, provider

ADVANCED_PROVIDERS = ["Netris", "Nsx", "ConfigDrive", "Tungsten", "InternalLbVm", "BaremetalPxeProvider",
                      "VpcVirtualRouter", "SecurityGroupProvider", "VirtualRouter"]
VR_SERVICES = ["Vpn", "Dhcp", "Dns", "Gateway", "Firewall", "Lb", "SourceNat", "StaticNat", "PortForwarding",
               "UserData"]


def failed_job(api, command: str, **params) -> dict:
    job = api.wait(api.call(command, **params)["jobid"])
    assert job["jobstatus"] == 2, job
    return job["jobresult"]


# -- physical networks --------------------------------------------------------------------


def test_create_answers_the_id_at_once_and_the_job_returns_the_network(api):
    zone = api.create_zone()
    name = unique("pn")
    reply = api.call("createPhysicalNetwork", zoneid=zone["id"], name=name, isolationmethods="VLAN",
                     vlan="300-400,100-200", tags="fast", networkspeed="10G")
    assert set(reply) == {"id", "jobid"}
    job = api.wait(reply["jobid"])
    assert job["jobstatus"] == 1
    assert job["jobinstancetype"] == "PhysicalNetwork" and job["jobinstanceid"] == reply["id"]
    assert job["jobresult"]["physicalnetwork"] == {
        "id": reply["id"], "name": name, "broadcastdomainrange": "ZONE", "zoneid": zone["id"],
        "zonename": zone["name"], "state": "Disabled", "vlan": "100-200,300-400", "tags": "fast",
        "isolationmethods": "VLAN", "networkspeed": "10G",
    }


def test_physical_network_exists_before_its_job_finishes(api):
    zone = api.create_zone()
    reply = api.call("createPhysicalNetwork", zoneid=zone["id"], name=unique("pn"))
    assert [pn["id"] for pn in api.listing("listPhysicalNetworks", zoneid=zone["id"])] == [reply["id"]]
    api.wait(reply["jobid"])


def test_basic_zone_physical_network_spans_pods_and_only_one_is_allowed(api):
    zone = api.create_zone(networktype="Basic")
    pn = new_physical_network(api, zone)
    assert pn["broadcastdomainrange"] == "POD"
    error = api.error("createPhysicalNetwork", zoneid=zone["id"], name=unique("pn"))
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert error["errortext"].startswith("Cannot add the physical network to basic zone: Zone {\"id\": ")
    assert error["errortext"].endswith(", there is a physical network already existing in this basic Zone")


def test_create_refusals(api):
    zone = api.create_zone()
    cases = [
        ({"tags": "a,b"}, 431, "Only one tag can be specified for a physical network at this time"),
        ({"isolationmethods": "VLAN,VXLAN"}, 431,
         "Only one isolationMethod can be specified for a physical network at this time"),
        ({"broadcastdomainrange": "Pod"}, 431, "Advance zone can have broadcast domain type of value ZONE only"),
        ({"broadcastdomainrange": "rack"}, 431, "Unable to resolve broadcastDomainRange 'rack' to a supported value "
                                                "{Pod or Zone}"),
        ({"vlan": "100"}, 530, "Fail to create a physical network"),
        ({"vlan": "200-100"}, 530, "Fail to create a physical network"),
    ]
    for extra, code, text in cases:
        error = api.error("createPhysicalNetwork", zoneid=zone["id"], name=unique("pn"), **extra)
        assert (error["errorcode"], error["errortext"]) == (code, text), extra
    assert api.listing("listPhysicalNetworks", zoneid=zone["id"]) == []


def test_an_enabled_zone_takes_no_new_physical_network(api):
    zone = api.create_zone(allocationstate="Enabled")
    error = api.error("createPhysicalNetwork", zoneid=zone["id"], name=unique("pn"))
    assert (error["errorcode"], error["cserrorcode"]) == (531, 4365)
    assert error["errortext"].startswith("Cannot create PhysicalNetwork since the Zone is currently enabled, zone: ")


def test_update_state_vlan_tags_and_speed(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone, vlan="100-199")
    updated = api.run_async("updatePhysicalNetwork", id=pn["id"], state="Enabled", vlan="100-149,150-160,500-510",
                            tags="gold", networkspeed="1G")["physicalnetwork"]
    assert (updated["state"], updated["vlan"], updated["tags"], updated["networkspeed"]) == (
        "Enabled", "100-160,500-510", "gold", "1G")
    assert api.listing("listPhysicalNetworks", id=pn["id"])[0]["vlan"] == "100-160,500-510"


def test_update_refusals_fail_the_job(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    result = failed_job(api, "updatePhysicalNetwork", id=pn["id"], state="enabled")
    assert result == {"errorcode": 431,
                      "errortext": "Unable to resolve state 'enabled' to a supported value {Enabled or Disabled}"}
    result = failed_job(api, "updatePhysicalNetwork", id=pn["id"], vlan="5000-5001")
    assert result["errortext"] == "Vnet range has to be between 0 and 4095"
    result = failed_job(api, "updatePhysicalNetwork", id=pn["id"], vlan="x-2")
    assert result["errortext"] == ("Please provide valid vnet range. The vnet range should be a comma separated list "
                                   "example 2001-2012,3000-3005. between 0 and 4095")
    result = failed_job(api, "updatePhysicalNetwork", id=pn["id"], tags="a,b")
    assert result["errortext"] == "Unable to support more than one tag on network yet"


def test_vxlan_ids_are_unique_in_a_zone(api):
    zone = api.create_zone()
    new_physical_network(api, zone, isolationmethods="VXLAN", vlan="5000-6000", tags="one")
    other = new_physical_network(api, zone, isolationmethods="VXLAN", tags="two")
    result = failed_job(api, "updatePhysicalNetwork", id=other["id"], vlan="6000-7000")
    assert result["errortext"].startswith("VNI 6000 already exists on another network in zone (Zone {")


def test_list_filters(api):
    zone = api.create_zone()
    first = new_physical_network(api, zone, name=unique("alpha"))
    second = new_physical_network(api, zone, name=unique("beta"))
    assert [pn["id"] for pn in api.listing("listPhysicalNetworks", zoneid=zone["id"])] == [first["id"], second["id"]]
    assert [pn["id"] for pn in api.listing("listPhysicalNetworks", zoneid=zone["id"], name="BETA")] == [second["id"]]
    assert [pn["id"] for pn in api.listing("listPhysicalNetworks", zoneid=zone["id"], keyword="alph")] == [first["id"]]


def test_delete_removes_providers_and_traffic_types_and_unblocks_the_zone(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    traffic = add_traffic(api, pn, "Guest")
    router = provider(api, pn, "VirtualRouter")
    assert api.error("deleteZone", id=zone["id"])["errortext"] == (
        "The zone cannot be deleted because there are physical networks in this zone.")
    job = api.wait(api.call("deletePhysicalNetwork", id=pn["id"])["jobid"])
    assert job["jobstatus"] == 1 and job["jobresult"] == {"success": True}
    assert api.listing("listPhysicalNetworks", zoneid=zone["id"]) == []
    for command, gone in (("updateTrafficType", traffic), ("updateNetworkServiceProvider", router)):
        error = api.error(command, id=gone["id"])
        assert error["errorcode"] == 431 and "entity does not exist" in error["errortext"]
    api.call("deleteZone", id=zone["id"])


# -- traffic types ------------------------------------------------------------------------


def test_traffic_types_one_of_each_per_physical_network(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    reply = api.call("addTrafficType", physicalnetworkid=pn["id"], traffictype="Guest", kvmnetworklabel="cloudbr1",
                     vmwarenetworklabel="vSwitch1", vlan="42", isolationmethod="vlan")
    assert set(reply) == {"id", "jobid"}
    job = api.wait(reply["jobid"])
    assert job["jobinstancetype"] == "TrafficType"
    assert job["jobresult"]["traffictype"] == {"id": reply["id"], "traffictype": "Guest",
                                               "physicalnetworkid": pn["id"], "kvmnetworklabel": "cloudbr1",
                                               "vmwarenetworklabel": "vSwitch1"}
    error = api.error("addTrafficType", physicalnetworkid=pn["id"], traffictype="Guest")
    assert (error["errorcode"], error["errortext"]) == (530, "This physical network already supports the traffic "
                                                             "type: Guest")
    error = api.error("addTrafficType", physicalnetworkid=pn["id"], traffictype="guest")
    assert (error["errorcode"], error["errortext"]) == (431, "Unable to resolve trafficType 'guest' to a supported "
                                                             "value")
    control = add_traffic(api, pn, "Control")
    assert control["xennetworklabel"] == "cloud_link_local_network"
    assert [t["traffictype"] for t in api.listing("listTrafficTypes", physicalnetworkid=pn["id"])] == [
        "Guest", "Control"]


def test_system_traffic_lives_on_one_physical_network_per_zone(api):
    zone = api.create_zone()
    first = new_physical_network(api, zone, tags="a")
    second = new_physical_network(api, zone)
    add_traffic(api, first, "Public")
    error = api.error("addTrafficType", physicalnetworkid=second["id"], traffictype="Public")
    assert error["errortext"] == ("Fail to add the traffic type to physical network because Zone already has a "
                                  "physical network with this traffic type: Public")
    add_traffic(api, second, "Guest")
    third = new_physical_network(api, zone)
    error = api.error("addTrafficType", physicalnetworkid=third["id"], traffictype="Guest")
    assert error["errorcode"] == 530
    assert error["errortext"].startswith("There are more than 1 physical network without tags in the zone: Zone {")


def test_update_and_delete_traffic_type(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    traffic = add_traffic(api, pn, "Management", kvmnetworklabel="cloudbr0", xennetworklabel="xenbr0")
    updated = api.run_async("updateTrafficType", id=traffic["id"], kvmnetworklabel="cloudbr9",
                            xennetworklabel="")["traffictype"]
    assert updated["kvmnetworklabel"] == "cloudbr9" and "xennetworklabel" not in updated
    assert api.run_async("deleteTrafficType", id=traffic["id"]) == {"success": True}
    assert api.listing("listTrafficTypes", physicalnetworkid=pn["id"]) == []


# -- providers and elements ---------------------------------------------------------------


def test_new_physical_network_gets_the_default_providers(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    providers = api.listing("listNetworkServiceProviders", physicalnetworkid=pn["id"])
    assert [p["name"] for p in providers] == ADVANCED_PROVIDERS
    states = {p["name"]: p["state"] for p in providers}
    assert states["VirtualRouter"] == states["VpcVirtualRouter"] == states["InternalLbVm"] == "Disabled"
    assert states["SecurityGroupProvider"] == "Disabled"
    router = provider(api, pn, "VirtualRouter")
    assert router["servicelist"] == VR_SERVICES and router["canenableindividualservice"] is True
    assert provider(api, pn, "SecurityGroupProvider")["canenableindividualservice"] is False
    elements = api.listing("listVirtualRouterElements", nspid=router["id"])
    assert [(e["nspid"], e["enabled"]) for e in elements] == [(router["id"], False)]
    internal = provider(api, pn, "InternalLbVm")
    assert [e["enabled"] for e in api.listing("listInternalLoadBalancerElements", nspid=internal["id"])] == [False]


def test_basic_zone_providers(api):
    zone = api.create_zone(networktype="Basic")
    pn = new_physical_network(api, zone)
    names = [p["name"] for p in api.listing("listNetworkServiceProviders", physicalnetworkid=pn["id"])]
    assert names == ["Tungsten", "InternalLbVm", "BaremetalUserdataProvider", "BaremetalPxeProvider",
                     "BaremetalDhcpProvider", "VpcVirtualRouter", "SecurityGroupProvider", "VirtualRouter"]


def test_virtual_router_cannot_be_enabled_before_its_element(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    nsp = provider(api, pn, "VirtualRouter")
    result = failed_job(api, "updateNetworkServiceProvider", id=nsp["id"], state="Enabled")
    assert result == {"errorcode": 530,
                      "errortext": "Provider is not ready, cannot Enable the provider, please configure the provider "
                                   "first"}
    enabled = enable_router_provider(api, pn)
    assert enabled["state"] == "Enabled"
    assert [e["enabled"] for e in api.listing("listVirtualRouterElements", nspid=nsp["id"], enabled="true")] == [True]
    assert [p["id"] for p in api.listing("listNetworkServiceProviders", physicalnetworkid=pn["id"],
                                         state="Enabled", name="virtualrouter")] == [nsp["id"]]


def test_provider_state_changes_and_refusals(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    security = provider(api, pn, "SecurityGroupProvider")
    assert api.run_async("updateNetworkServiceProvider", id=security["id"],
                         state="Enabled")["networkserviceprovider"]["state"] == "Enabled"
    result = failed_job(api, "updateNetworkServiceProvider", id=security["id"], state="Shutdown")
    assert result == {"errorcode": 431, "errortext": "Updating the provider state to 'Shutdown' is not supported"}
    result = failed_job(api, "updateNetworkServiceProvider", id=security["id"], servicelist="SecurityGroup")
    assert result["errortext"] == "Cannot update set of Services for this Service Provider 'SecurityGroupProvider'"
    router = provider(api, pn, "VirtualRouter")
    updated = api.run_async("updateNetworkServiceProvider", id=router["id"], servicelist="Dns,dhcp")
    assert updated["networkserviceprovider"]["servicelist"] == ["Dhcp", "Dns"]


def test_add_network_service_provider(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    reply = api.call("addNetworkServiceProvider", physicalnetworkid=pn["id"], name="Netscaler",
                     servicelist="Lb,StaticNat")
    assert set(reply) == {"id", "jobid"}
    job = api.wait(reply["jobid"])
    assert job["jobinstancetype"] == "PhysicalNetworkServiceProvider"
    assert job["jobresult"]["networkserviceprovider"] == {
        "name": "Netscaler", "physicalnetworkid": pn["id"], "state": "Disabled", "id": reply["id"],
        "servicelist": ["Lb", "StaticNat"], "canenableindividualservice": True}
    error = api.error("addNetworkServiceProvider", physicalnetworkid=pn["id"], name="netscaler")
    assert error["errorcode"] == 530
    assert error["errortext"].startswith("The 'netscaler' provider already exists on physical network : "
                                         "PhysicalNetwork {\"id\":")
    cases = [
        ("Bogus", None, "Invalid Network Service Provider=Bogus"),
        ("JuniperSRX", None, "Unable to find the Network Element implementing the Service Provider 'JuniperSRX'"),
        ("GloboDns", "Lb", "GloboDns Provider cannot provide this Service specified=Lb"),
        ("Opendaylight", "Connectivity,Dns", "Cannot enable subset of Services, Please specify the complete list of "
                                             "Services for this Service Provider 'Opendaylight'"),
        ("BrocadeVcs", "Nope", "Invalid Network Service specified=Nope"),
    ]
    for name, services, text in cases:
        extra = {"servicelist": services} if services else {}
        error = api.error("addNetworkServiceProvider", physicalnetworkid=pn["id"], name=name, **extra)
        assert (error["errorcode"], error["errortext"]) == (431, text), name


def test_internal_load_balancer_element(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    nsp = provider(api, pn, "InternalLbVm")
    [element] = api.listing("listInternalLoadBalancerElements", nspid=nsp["id"])
    configured = api.run_async("configureInternalLoadBalancerElement", id=element["id"], enabled="true")
    assert configured == {"internalloadbalancerelement": {"id": element["id"], "nspid": nsp["id"], "enabled": True}}
    assert api.run_async("updateNetworkServiceProvider", id=nsp["id"],
                         state="Enabled")["networkserviceprovider"]["state"] == "Enabled"
    error = api.error("configureVirtualRouterElement", id=element["id"], enabled="true")
    assert error["errorcode"] == 431


def test_tungsten_needs_management_traffic(api):
    zone = api.create_zone()
    pn = new_physical_network(api, zone)
    nsp = provider(api, pn, "Tungsten")
    assert failed_job(api, "updateNetworkServiceProvider", id=nsp["id"], state="Enabled")["errorcode"] == 530
    add_traffic(api, pn, "Management")
    assert api.run_async("updateNetworkServiceProvider", id=nsp["id"],
                         state="Enabled")["networkserviceprovider"]["state"] == "Enabled"


def test_only_the_first_physical_network_of_the_cloud_gets_its_providers_enabled(api):
    """NetworkServiceImpl.enableProvider enables the first provider of that name, whichever its network."""
    zone = api.create_zone()
    new_physical_network(api, zone, tags="first")
    second = new_physical_network(api, zone, tags="second")
    for name in ("ConfigDrive", "BaremetalPxeProvider", "Netris"):
        assert provider(api, second, name)["state"] == "Disabled", name
