"""Virtual routers: created when a persistent network is implemented, then started, stopped, rebooted, destroyed."""

from __future__ import annotations

from tests.conftest import unique
from tests.simulator.infra_builders import new_cluster, new_host, new_pod, wait_up
from tests.simulator.network_builders import advanced_zone, offering

VR_SERVICES = ("Dhcp", "Dns", "UserData", "SourceNat", "StaticNat", "PortForwarding")


def persistent_offering(api) -> dict:
    providers = {}
    for index, service in enumerate(VR_SERVICES):
        providers[f"serviceproviderlist[{index}].service"] = service
        providers[f"serviceproviderlist[{index}].provider"] = "VirtualRouter"
    return api.call("createNetworkOffering", name=unique("persistent"), traffictype="Guest", guestiptype="Isolated",
                    ispersistent="true", enable="true", supportedservices=",".join(VR_SERVICES),
                    **providers)["networkoffering"]


def persistent_network(api, zone) -> dict:
    return api.call("createNetwork", zoneid=zone["id"], name=unique("persist"),
                    networkofferingid=persistent_offering(api)["id"])["network"]


def router_of(api, network: dict) -> dict | None:
    routers = api.listing("listRouters", networkid=network["id"])
    return routers[0] if routers else None


def running_router(api, network: dict) -> dict:
    return api.wait_until(lambda: (lambda r: r if r and r["state"] == "Running" else None)(router_of(api, network)))


def test_networks_without_an_implementation_have_no_router(api):
    zone, _ = advanced_zone(api)
    network = api.call("createNetwork", zoneid=zone["id"], name=unique("iso"),
                       networkofferingid=offering(api, "DefaultIsolatedNetworkOfferingWithSourceNatService")["id"])
    assert network["network"]["state"] == "Allocated"
    assert api.listing("listRouters", zoneid=zone["id"]) == []


def test_persistent_network_is_implemented_with_a_router(api):
    zone, _ = advanced_zone(api, vlan="3100-3101")
    network = persistent_network(api, zone)
    assert (network["state"], network["vlan"], network["broadcasturi"]) == ("Implemented", "3100", "vlan://3100")
    router = router_of(api, network)
    assert router["state"] == "Starting" and router["name"].startswith("r-") and router["name"].endswith("-VM")
    expected = {"zoneid": zone["id"], "zonename": zone["name"], "guestnetworkid": network["id"],
                "guestnetworkname": network["name"], "guestipaddress": "10.1.0.1", "role": "VIRTUAL_ROUTER",
                "account": "admin", "isredundantrouter": False, "redundantstate": "UNKNOWN",
                "serviceofferingname": "System Offering For Software Router", "requiresupgrade": False}
    assert {key: router.get(key) for key in expected} == expected
    assert [nic["traffictype"] for nic in router["nic"]] == ["Guest", "Control"]
    assert running_router(api, network)["id"] == router["id"]
    assert [r["id"] for r in api.listing("listRouters", zoneid=zone["id"], state="Running")] == [router["id"]]
    second = persistent_network(api, zone)
    assert second["vlan"] == "3101"


def test_router_runs_on_an_up_host_of_its_zone(api):
    zone, _ = advanced_zone(api)
    cluster = new_cluster(api, new_pod(api, zone, subnet="192.168.70"))
    host = wait_up(api, new_host(api, cluster, "10.70.0.1"))
    network = persistent_network(api, zone)
    router = running_router(api, network)
    assert (router["hostid"], router["hostname"], router["podid"], router["hypervisor"]) == (
        host["id"], host["name"], host["podid"], "KVM")
    assert [r["id"] for r in api.listing("listRouters", hostid=host["id"])] == [router["id"]]
    assert [r["id"] for r in api.listing("listRouters", clusterid=cluster["id"])] == [router["id"]]


def test_stop_start_reboot_destroy(api):
    zone, _ = advanced_zone(api)
    network = persistent_network(api, zone)
    router = running_router(api, network)
    reply = api.call("stopRouter", id=router["id"])
    job = api.wait(reply["jobid"])
    assert (job["jobinstancetype"], job["jobinstanceid"]) == ("DomainRouter", router["id"])
    assert job["jobresult"]["router"]["state"] == "Stopped"
    failed = api.wait(api.call("rebootRouter", id=router["id"])["jobid"])
    assert failed["jobstatus"] == 2 and failed["jobresult"]["errorcode"] == 530
    assert failed["jobresult"]["errortext"].endswith("is unreachable: Unable to reboot domR, it is not in right "
                                                     "state Stopped")
    assert api.run_async("startRouter", id=router["id"])["router"]["state"] == "Running"
    assert api.run_async("rebootRouter", id=router["id"])["router"]["state"] == "Running"
    destroyed = api.run_async("destroyRouter", id=router["id"])["router"]
    assert destroyed["id"] == router["id"]
    assert router_of(api, network) is None
    error = api.error("startRouter", id=router["id"])
    assert error["errorcode"] == 431 and "entity does not exist" in error["errortext"]


def test_deleting_the_network_destroys_its_router(api):
    zone, _ = advanced_zone(api)
    network = persistent_network(api, zone)
    assert router_of(api, network) is not None
    api.run_async("deleteNetwork", id=network["id"])
    assert api.listing("listRouters", zoneid=zone["id"]) == []
