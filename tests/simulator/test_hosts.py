"""Hosts: addHost (Connecting, then Up), maintenance jobs, updates, deletion, listHosts and host tags."""

from __future__ import annotations

import re

from tests.conftest import unique
from tests.simulator.infra_builders import compute_stack, host_now, new_cluster, new_host, new_pod, wait_up

HOST_TEXT = r'Host \{"id":\d+,"name":"%s","type":"Routing","uuid":"%s"\}'


def host_text(host: dict) -> str:
    return HOST_TEXT % (re.escape(host["name"]), host["id"])


def test_addhost_answers_a_list_and_the_host_comes_up_later(api):
    pod = new_pod(api, api.create_zone())
    cluster = new_cluster(api, pod)
    reply = api.raw("addHost", zoneid=pod["zoneid"], podid=pod["id"], clusterid=cluster["id"],
                    url="http://10.40.0.5", username="root", password="secret", hypervisor="KVM", hosttags="ssd,gpu")
    assert reply.status == 200 and reply.wrapper == "addhostresponse" and reply.inner["count"] == 1
    host = reply.inner["host"][0]
    assert host["name"] == "10.40.0.5" and host["ipaddress"] == "10.40.0.5"
    assert host["type"] == "Routing" and host["state"] == "Connecting" and host["resourcestate"] == "Enabled"
    assert host["hypervisor"] == "KVM" and host["hosttags"] == "ssd,gpu"
    assert (host["clusterid"], host["clustername"]) == (cluster["id"], cluster["name"])
    assert (host["podid"], host["podname"], host["zoneid"]) == (pod["id"], pod["name"], pod["zoneid"])
    assert host["events"].startswith("AgentConnected; Ready")
    assert host["outofbandmanagement"] == {"powerstate": "Disabled", "enabled": False}
    assert host["hostha"] == {"haenable": False, "hastate": "Disabled"}
    assert "password" not in host and "url" not in host
    up = wait_up(api, host)
    assert up["state"] == "Up" and "Remove" in up["events"]


def test_a_host_already_in_the_zone_is_refused_as_the_kvm_discoverer_does(api):
    zone, pod, cluster, [host] = compute_stack(api)
    error = api.error("addHost", zoneid=zone["id"], podid=pod["id"], clusterid=cluster["id"], url="http://10.20.0.1",
                      username="root", password="x", hypervisor="KVM")
    assert (error["errorcode"], error["cserrorcode"]) == (530, 9999)
    assert error["errortext"].startswith("Could not add host at [http://10.20.0.1] with zone [Zone {")
    assert "already in the database for resource " in error["errortext"]
    assert f"-LibvirtComputingResource with ID {host['id']}" in error["errortext"]
    assert len(api.listing("listHosts", zoneid=zone["id"])) == 1


def test_addhost_checks_its_parameters_in_the_servers_order(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    kvm = new_cluster(api, pod)
    xen = new_cluster(api, pod, hypervisor="XenServer")
    base = {"zoneid": zone["id"], "podid": pod["id"], "clusterid": kvm["id"], "url": "http://10.40.1.1",
            "username": "root", "password": "pw", "hypervisor": "KVM"}
    cases = [
        ({"username": ""}, (431, 4350, "Username need to be provided.")),
        ({"hypervisor": "XenServer", "clusterid": xen["id"], "password": ""},
         (431, 4350, "Username and Password need to be provided.")),
        ({"clustername": "other"}, (431, 4350, "Can't specify cluster by both id and name")),
        ({"url": "10.40.1.1"}, (431, 4350, "uri.scheme is null 10.40.1.1, add nfs:// (or cifs://) as a prefix")),
        ({"hypervisor": "Foo"}, (530, 9999, "Do not support HypervisorType Foo for http://10.40.1.1")),
        ({"clusterid": xen["id"]},
         (530, 9999, "Unable to add the host: Cannot find the server resources at http://10.40.1.1")),
        ({"url": "https://10.40.1.1"},
         (530, 9999, "Unable to add the host: Cannot find the server resources at https://10.40.1.1")),
    ]
    for change, expected in cases:
        error = api.error("addHost", **{**base, **change})
        assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == expected, change
    assert api.call("listHosts", zoneid=zone["id"]) == {}


def test_addhost_with_a_cluster_name_creates_that_cluster(api):
    pod = new_pod(api, api.create_zone())
    name = unique("cluster")
    host = api.call("addHost", zoneid=pod["zoneid"], podid=pod["id"], clustername=name, url="http://10.40.2.1",
                    username="root", hypervisor="KVM")["host"][0]
    [cluster] = api.listing("listClusters", podid=pod["id"])
    assert cluster["name"] == name and cluster["hypervisortype"] == "KVM" and host["clusterid"] == cluster["id"]
    assert cluster["cpuovercommitratio"] == "1"


def test_maintenance_goes_through_preparation_and_back(api):
    _, _, _, [host] = compute_stack(api)
    reply = api.call("prepareHostForMaintenance", id=host["id"])
    job = api.wait(reply["jobid"])
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "Host" and job["jobinstanceid"] == host["id"]
    assert job["cmd"] == "org.apache.cloudstack.api.command.admin.host.PrepareForHostMaintenanceCmd"
    assert job["jobresult"]["host"]["resourcestate"] == "PrepareForMaintenance"
    api.wait_until(lambda: host_now(api, host["id"])["resourcestate"] == "Maintenance")

    again = api.wait(api.call("prepareHostForMaintenance", id=host["id"])["jobid"])
    assert again["jobstatus"] == 2 and again["jobresultcode"] == 530
    assert again["jobresult"]["errortext"] == ("Failed to prepare host for maintenance due to: Host is already in "
                                               "state Maintenance. Cannot recall for maintenance until resolved.")

    back = api.run_async("cancelHostMaintenance", id=host["id"])
    assert back["host"]["resourcestate"] == "Enabled"
    failed = api.wait(api.call("cancelHostMaintenance", id=host["id"])["jobid"])
    assert failed["jobstatus"] == 2 and failed["jobresultcode"] == 530
    assert re.fullmatch("Cannot perform cancelMaintenance when resource state is Enabled, host: " + host_text(host),
                        failed["jobresult"]["errortext"])


def test_a_disabled_host_cannot_enter_maintenance(api):
    _, _, _, [host] = compute_stack(api)
    api.call("updateHost", id=host["id"], allocationstate="Disable")
    job = api.wait(api.call("prepareHostForMaintenance", id=host["id"])["jobid"])
    assert job["jobstatus"] == 2
    assert re.fullmatch("Failed to prepare host for maintenance due to: Cannot transit resource state of "
                        + host_text(host) + " to MaintenanceNo next resource state found for current state = "
                        "Disabled event = AdminAskMaintenance", job["jobresult"]["errortext"])


def test_deletehost_needs_maintenance_or_force(api):
    _, _, cluster, hosts = compute_stack(api, hosts=2)
    error = api.error("deleteHost", id=hosts[0]["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert error["errortext"] == (f"Host with UUID [{hosts[0]['id']}] is not in maintenance mode and no forced "
                                  "deletion was requested.")
    api.run_async("prepareHostForMaintenance", id=hosts[0]["id"])
    api.wait_until(lambda: host_now(api, hosts[0]["id"])["resourcestate"] == "Maintenance")
    assert api.call("deleteHost", id=hosts[0]["id"]) == {"success": True}
    assert api.call("deleteHost", id=hosts[1]["id"], forced="true") == {"success": True}
    assert api.call("listHosts", clusterid=cluster["id"]) == {}


def test_updatehost_tags_allocation_and_name(api):
    _, _, _, [host] = compute_stack(api)
    updated = api.call("updateHost", id=host["id"], hosttags="fast,fast,ssd", allocationstate="Disable",
                       name="kvm-01")["host"]
    assert updated["hosttags"] == "fast,ssd" and updated["resourcestate"] == "Disabled"
    assert updated["name"] == "kvm-01"
    assert api.call("updateHost", id=host["id"], allocationstate="Enable")["host"]["resourcestate"] == "Enabled"
    category = api.listing("listOsTypes", pagesize=1, page=1)[0]
    with_os = api.call("updateHost", id=host["id"], oscategoryid=category["oscategoryid"])["host"]
    assert with_os["oscategoryid"] == category["oscategoryid"]
    assert with_os["oscategoryname"] == category["oscategoryname"]

    renamed = {**host, "name": "kvm-01"}
    error = api.error("updateHost", id=host["id"], allocationstate="Maintain")
    assert (error["errorcode"], error["cserrorcode"]) == (530, 9999)
    assert re.fullmatch(r"Failed to update host: " + host_text(renamed) + r" with id \d+, Invalid allocation "
                        "state: Maintain, only Enable/Disable are allowed", error["errortext"])
    error = api.error("updateHost", id=host["id"], hosttags="x", istagarule="true")
    assert error["errortext"].endswith(", The parameter istagarule cannot be set to true as JS interpretation is "
                                       "disabled")
    assert api.call("updateHost", id=host["id"], hosttags="")["host"].get("hosttags") is None


def test_updatehostpassword(api):
    _, _, cluster, [host] = compute_stack(api)
    assert api.call("updateHostPassword", hostid=host["id"], username="root", password="new") == {"success": True}
    assert api.call("updateHostPassword", clusterid=cluster["id"], username="root", password="n2") == {
        "success": True}
    error = api.error("updateHostPassword", username="root", password="x")
    assert (error["errorcode"], error["errortext"]) == (431, "You should provide an host id.")
    error = api.error("updateHostPassword", hostid=host["id"], username="admin", password="x")
    assert error["errortext"] == "The username is not same for the hosts.."
    error = api.error("updateHostPassword", hostid=host["id"], username=" ", password="x")
    assert error["errortext"] == "Username should be non empty string"


def test_listhosts_filters_and_pages(api):
    zone, pod, cluster, hosts = compute_stack(api, hosts=3)
    other = new_cluster(api, pod, hypervisor="XenServer")
    xen = new_host(api, other, "10.20.9.9", username="root", password="pw", hypervisor="XenServer")

    def ids(**params):
        return [h["id"] for h in api.listing("listHosts", **params)]

    every = [h["id"] for h in hosts] + [xen["id"]]
    assert ids(zoneid=zone["id"]) == every
    assert ids(clusterid=cluster["id"]) == every[:3]
    assert ids(podid=pod["id"], hypervisor="XenServer") == [xen["id"]]
    assert ids(zoneid=zone["id"], name="10.20.0.2") == [hosts[1]["id"]]
    assert ids(zoneid=zone["id"], type="routing", resourcestate="Enabled") == every
    assert ids(zoneid=zone["id"], state="Up", clusterid=cluster["id"]) == every[:3]
    assert ids(zoneid=zone["id"], type="SecondaryStorage") == []
    page = api.call("listHosts", zoneid=zone["id"], page=2, pagesize=3)
    assert page["count"] == 4 and [h["id"] for h in page["host"]] == [xen["id"]]

    minimal = api.listing("listHosts", id=hosts[0]["id"], details="min")[0]
    assert "memorytotal" not in minimal and "events" not in minimal and minimal["state"] == "Up"
    error = api.error("listHosts", details="everything")
    assert error["errortext"] == ("The details parameter contains a non permitted value. The allowed values are "
                                  "[all, capacity, events, stats, min]")


def test_listhosts_is_read_by_an_outside_client(cs_client, api):
    zone, _, _, hosts = compute_stack(api, hosts=2)
    listed = cs_client.listHosts(zoneid=zone["id"], fetch_list=True)
    assert [h["id"] for h in listed] == [h["id"] for h in hosts]


def test_listhosttags_lists_each_tag_with_its_host(api):
    _, _, cluster, _ = compute_stack(api, hosts=0)
    tag = unique("tag")
    new_host(api, cluster, "10.20.5.5", hosttags=f"{tag},shared")
    rows = [row for row in api.listing("listHostTags") if row["name"] == tag]
    assert len(rows) == 1 and isinstance(rows[0]["hostid"], int) and rows[0]["isimplicit"] is False
    assert "id" not in rows[0]


def test_the_simulator_hypervisor_adds_a_new_agent_on_every_call_as_marvin_expects(api):
    default = "KVM,VMware,XenServer,Hyperv,BareMetal,Ovm,LXC,Ovm3,External"  # the setting is unset: its code default
    api.call("updateConfiguration", name="hypervisor.list", value=default + ",Simulator")
    try:
        pod = new_pod(api, api.create_zone(), subnet="192.168.77")
        cluster = new_cluster(api, pod, hypervisor="Simulator")
        added = [api.call("addHost", zoneid=pod["zoneid"], podid=pod["id"], clusterid=cluster["id"],
                          url="http://sim/c0/h0", username="root", password="password",
                          hypervisor="Simulator")["host"][0] for _ in range(2)]
        assert [h["name"].startswith("SimulatedAgent.") for h in added] == [True, True]
        assert added[0]["name"] != added[1]["name"]
        assert [h["ipaddress"] for h in added] == ["192.168.77.10", "192.168.77.11"]
        error = api.error("addHost", zoneid=pod["zoneid"], podid=pod["id"], clusterid=cluster["id"],
                          url="http://kvm5/c0/h0", username="root", password="password", hypervisor="Simulator")
        assert error["errortext"] == "Unable to add the host: Cannot find the server resources at http://kvm5/c0/h0"
    finally:
        api.call("updateConfiguration", name="hypervisor.list", value=default)
