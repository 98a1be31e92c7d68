"""Pods: createPod's IP range checks, updatePod, deletePod's refusals and listPods."""

from __future__ import annotations

import re

from tests.conftest import unique
from tests.simulator.infra_builders import new_cluster, new_pod


def zone_text(zone: dict) -> str:
    """DataCenterVO.toString as a pattern (the internal id is the server's own)."""
    return re.escape('Zone {"id": "') + r"\d+" + re.escape(f'", "name": "{zone["name"]}", "uuid": "{zone["id"]}"}}')


def test_a_pod_shows_its_ip_range_as_createpodresponse_builds_it(api):
    zone = api.create_zone()
    pod = new_pod(api, zone, subnet="192.168.20")
    assert pod["zoneid"] == zone["id"] and pod["zonename"] == zone["name"]
    assert pod["gateway"] == "192.168.20.1" and pod["netmask"] == "255.255.255.0"
    assert pod["ipranges"] == [{"startip": "192.168.20.10", "endip": "192.168.20.99", "forsystemvms": "0",
                                "vlanid": "vlan://untagged"}]
    assert pod["startip"] == ["192.168.20.10"] and pod["endip"] == ["192.168.20.99"]
    assert pod["forsystemvms"] == ["0"] and pod["vlanid"] == ["vlan://untagged"]
    assert pod["allocationstate"] == "Enabled" and pod["hasannotations"] is False
    assert list(pod)[:4] == ["id", "name", "zoneid", "zonename"]
    assert [p["id"] for p in api.listing("listPods", zoneid=zone["id"])] == [pod["id"]]


def test_endip_defaults_to_the_last_address_of_the_cidr(api):
    zone = api.create_zone()
    pod = api.call("createPod", zoneid=zone["id"], name=unique("pod"), startip="172.16.4.20",
                   gateway="172.16.4.1", netmask="255.255.252.0")["pod"]
    assert pod["endip"] == ["172.16.7.254"] and pod["netmask"] == "255.255.252.0"


def test_createpod_refuses_bad_addresses_with_the_servers_texts(api):
    zone = api.create_zone()
    base = {"zoneid": zone["id"], "name": unique("pod"), "startip": "192.168.30.10", "endip": "192.168.30.20",
            "gateway": "192.168.30.1", "netmask": "255.255.255.0"}
    cases = [
        ({"startip": "192.168.30"}, "The start IP is invalid"),
        ({"endip": "300.1.1.1"}, "The end IP is invalid"),
        ({"gateway": "gw"}, "The gateway is invalid"),
        ({"netmask": "255.0.255.0"}, "The netmask is invalid"),
        ({"startip": "192.168.31.10"}, "The start address of the IP range is not in the CIDR subnet."),
        ({"endip": "192.168.31.20"}, "The end address of the IP range is not in the CIDR subnet."),
        ({"startip": "192.168.30.50"}, "The start IP address must have a lower value than the end IP address."),
        ({"startip": "192.168.30.1"}, "The gateway shouldn't overlap start/end ip addresses"),
        ({"allocationstate": "enabled"}, "Unable to resolve Allocation State 'enabled' to a supported state"),
    ]
    for change, text in cases:
        error = api.error("createPod", **{**base, **change})
        assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (431, 4350, text), change
    assert api.call("listPods", zoneid=zone["id"]) == {}


def test_a_duplicate_name_in_the_zone_is_refused_whatever_its_case(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    error = api.error("createPod", zoneid=zone["id"], name=pod["name"].upper(), startip="192.168.40.10",
                      gateway="192.168.40.1", netmask="255.255.255.0")
    assert error["errorcode"] == 431 and error["cserrorcode"] == 4350
    assert re.fullmatch(f"A pod with name: {re.escape(pod['name'].upper())} already exists in zone "
                        f"{zone_text(zone)}\\. Please specify a different pod name\\. ", error["errortext"])
    # The same name in another zone is fine.
    assert new_pod(api, api.create_zone(), name=pod["name"])["name"] == pod["name"]


def test_pod_subnets_may_not_meet_other_pods_or_the_guest_cidr(api):
    zone = api.create_zone(guestcidraddress="10.1.1.0/24")
    first = new_pod(api, zone, subnet="192.168.50")
    error = api.error("createPod", zoneid=zone["id"], name=unique("pod"), startip="192.168.50.150",
                      endip="192.168.50.160", gateway="192.168.50.129", netmask="255.255.255.128")
    assert error["errortext"] == (f"The subnet of the pod you are adding conflicts with the subnet of pod "
                                  f"{first['name']} in zone {zone['name']}. Please specify a different CIDR.")
    error = api.error("createPod", zoneid=zone["id"], name=unique("pod"), startip="10.1.1.10",
                      gateway="10.1.1.1", netmask="255.255.255.0")
    assert error["errortext"] == ("The subnet of the pod you are adding conflicts with the subnet of the Guest IP "
                                  "Network. Please specify a different CIDR.")
    assert new_pod(api, zone, subnet="192.168.51")["gateway"] == "192.168.51.1"


def test_updatepod_renames_disables_and_keeps_its_range_inside_the_cidr(api):
    zone = api.create_zone()
    pod = new_pod(api, zone, subnet="192.168.60")
    other = new_pod(api, zone, subnet="192.168.61")
    name = unique("renamed")
    updated = api.call("updatePod", id=pod["id"], name=name, allocationstate="Disabled")["pod"]
    assert updated["name"] == name and updated["allocationstate"] == "Disabled"
    assert updated["ipranges"] == pod["ipranges"]
    assert [p["id"] for p in api.listing("listPods", zoneid=zone["id"], allocationstate="Disabled")] == [pod["id"]]
    assert [p["id"] for p in api.listing("listPods", name=name.upper())] == [pod["id"]]

    error = api.error("updatePod", id=pod["id"], name=other["name"])
    assert re.fullmatch(f"A pod with name: {re.escape(other['name'])} already exists in zone {zone_text(zone)}\\. "
                        "Please specify a different pod name\\. ", error["errortext"])
    error = api.error("updatePod", id=pod["id"], gateway="192.168.60.129", netmask="255.255.255.128")
    assert error["errortext"] == "The start address of the some IP range is not in the CIDR subnet."
    error = api.error("updatePod", id=pod["id"], netmask="255.255.0.255")
    assert error["errortext"] == f"Please enter a valid CIDR for pod: {name}"
    error = api.error("updatePod", id=pod["id"], gateway="192.168.60.10")
    assert error["errortext"] == "The gateway shouldn't overlap some start/end ip addresses"
    # A wider netmask keeps the range inside and is accepted.
    assert api.call("updatePod", id=pod["id"], netmask="255.255.255.0", gateway="192.168.60.254")["pod"][
        "gateway"] == "192.168.60.254"


def test_a_pod_with_clusters_cannot_be_deleted(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    cluster = new_cluster(api, pod)
    error = api.error("deletePod", id=pod["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert error["errortext"] == "The pod cannot be deleted because there are clusters in this pod."
    api.call("deleteCluster", id=cluster["id"])
    assert api.call("deletePod", id=pod["id"]) == {"success": True}
    assert api.call("listPods", zoneid=zone["id"]) == {}


def test_an_edge_zone_pod_has_no_ip_range(api):
    zone = api.create_zone(isedge="true")
    error = api.error("createPod", zoneid=zone["id"], name=unique("pod"), startip="192.168.70.10")
    assert error["errortext"] == "IP range parameters can not be specified for a pod in an edge zone"
    pod = api.call("createPod", zoneid=zone["id"], name=unique("pod"))["pod"]
    assert pod["ipranges"] == [] and pod["startip"] == [] and pod["gateway"] == ""


def test_listpods_pages_and_filters_by_zone(api):
    zone = api.create_zone()
    pods = [new_pod(api, zone, subnet=f"192.168.{80 + index}") for index in range(3)]
    page = api.call("listPods", zoneid=zone["id"], page=2, pagesize=2)
    assert page["count"] == 3 and [p["id"] for p in page["pod"]] == [pods[2]["id"]]
    assert api.call("listPods", zoneid=zone["id"], allocationstate="Disabled") == {}
