"""Read-only views of the infrastructure: hypervisors, OS types, capacity, counts, metrics, rolling maintenance."""

from __future__ import annotations

import re

from tests.simulator.infra_builders import compute_stack, host_now, new_cluster, new_pod


def test_listhypervisors_gives_the_hypervisor_list_or_a_zones_clusters(api):
    names = [h["name"] for h in api.listing("listHypervisors")]
    assert names == ["KVM", "VMware", "XenServer", "Hyperv", "BareMetal", "Ovm", "LXC", "Ovm3", "External"]
    zone = api.create_zone()
    assert api.call("listHypervisors", zoneid=zone["id"]) == {}
    pod = new_pod(api, zone)
    new_cluster(api, pod)
    new_cluster(api, pod, hypervisor="XenServer")
    new_cluster(api, pod)
    # One entry per cluster, duplicates included, as ManagementServerImpl.getHypervisors answers.
    assert [h["name"] for h in api.listing("listHypervisors", zoneid=zone["id"])] == ["KVM", "XenServer", "KVM"]


def test_listhypervisorcapabilities_uses_its_camel_case_object_name(api):
    reply = api.call("listHypervisorCapabilities", hypervisor="kvm")
    assert set(reply) == {"count", "hypervisorCapabilities"}
    [row] = reply["hypervisorCapabilities"]
    assert row["hypervisor"] == "KVM" and row["hypervisorversion"] == "default" and row["maxguestslimit"] == 50
    assert api.listing("listHypervisorCapabilities", id=row["id"]) == [row]
    assert api.call("listHypervisorCapabilities", hypervisor="NoSuch") == {}
    assert api.call("listHypervisorCapabilities")["count"] > 10


def test_listostypes_filters_and_orders_by_description(api):
    every = api.listing("listOsTypes", pagesize=-1)
    descriptions = [os["description"].lower() for os in every]
    assert descriptions == sorted(descriptions)
    ubuntu = [os for os in api.listing("listOsTypes", description="ubuntu", pagesize=-1)]
    assert ubuntu and all("ubuntu" in os["description"].lower() for os in ubuntu)
    category = ubuntu[0]["oscategoryid"]
    assert all(os["oscategoryid"] == category for os in api.listing("listOsTypes", oscategoryid=category))
    [one] = api.listing("listOsTypes", id=ubuntu[0]["id"])
    assert set(one) >= {"id", "oscategoryid", "oscategoryname", "name", "description", "isuserdefined", "fordisplay"}


def test_listvmwaredcs_needs_a_zone_and_finds_none(api):
    error = api.error("listVmwareDcs")
    assert error["errortext"] == "Unable to execute API command listvmwaredcs due to missing parameter zoneid"
    assert api.call("listVmwareDcs", zoneid=api.create_zone()["id"]) == {}


def test_listcapacity_sums_up_hosts_and_pod_ranges_per_zone(api):
    zone, pod, cluster, hosts = compute_stack(api, hosts=2)
    rows = api.listing("listCapacity", zoneid=zone["id"])
    by_type = {row["type"]: row for row in rows}
    assert [row["type"] for row in rows] == sorted(by_type)
    assert by_type[0]["name"] == "MEMORY" and by_type[0]["capacitytotal"] == 2 * 64 * 1024 ** 3
    assert by_type[1]["name"] == "CPU" and by_type[1]["capacitytotal"] == 2 * 16 * 2400
    assert by_type[90]["name"] == "CPU_CORE" and by_type[90]["capacitytotal"] == 32
    assert by_type[5]["name"] == "PRIVATE_IP" and by_type[5]["capacitytotal"] == 90
    assert by_type[6]["name"] == "SECONDARY_STORAGE" and by_type[6]["percentused"] == "0"
    assert all(row["zoneid"] == zone["id"] and row["zonename"] == zone["name"] for row in rows)

    [memory] = api.listing("listCapacity", clusterid=cluster["id"], type=0)
    assert (memory["clusterid"], memory["clustername"], memory["podid"]) == (cluster["id"], cluster["name"],
                                                                             pod["id"])
    api.run_async("prepareHostForMaintenance", id=hosts[0]["id"])
    [cores] = api.listing("listCapacity", podid=pod["id"], type=90)
    assert cores["capacitytotal"] == 16 and cores["podname"] == pod["name"]
    error = api.error("listCapacity", sortby="name")
    assert error["errortext"] == "Only value supported for sortBy parameter is : usage"
    error = api.error("listCapacity", sortby="usage", clusterid=cluster["id"])
    assert error["errortext"] == "Currently clusterId param is not supported"


def test_listinfrastructure_counts_what_exists(api):
    before = api.call("listInfrastructure")["infrastructure"]
    assert before["managementservers"] >= 1
    compute_stack(api, hosts=2)
    after = api.call("listInfrastructure")["infrastructure"]
    assert after["zones"] - before["zones"] == 1 and after["pods"] - before["pods"] == 1
    assert after["clusters"] - before["clusters"] == 1 and after["hosts"] - before["hosts"] == 2
    assert after["cpusockets"] - before["cpusockets"] == 4
    assert list(after) == ["zones", "pods", "clusters", "hosts", "storagepools", "imagestores", "backuprepositories",
                           "objectstores", "systemvms", "routers", "ilbvms", "cpusockets", "managementservers",
                           "alerts"]


def test_listzonesmetrics_adds_the_metrics_to_each_zone(api):
    zone, _, _, _ = compute_stack(api, hosts=2)
    reply = api.call("listZonesMetrics", id=zone["id"])
    assert set(reply) == {"count", "zone"}
    [metrics] = reply["zone"]
    assert metrics["id"] == zone["id"] and metrics["name"] == zone["name"]
    assert metrics["state"] == zone["allocationstate"] and metrics["clusters"] == "1 / 1"
    assert metrics["cputotal"] == "76.80 Ghz" and metrics["memorytotal"] == "128.00 GB"
    assert metrics["cpuallocated"] == "0.00%" and metrics["memoryallocatedthreshold"] is False
    assert list(metrics)[:2] == ["state", "clusters"]


def test_listhostsmetrics_answers_hosts_with_their_metrics(api):
    zone, _, _, [host] = compute_stack(api)
    [metrics] = api.listing("listHostsMetrics", zoneid=zone["id"])
    assert metrics["id"] == host["id"] and metrics["powerstate"] == "Disabled"
    assert metrics["instances"] == "0 / 0" and metrics["systeminstances"] == "0 / 0"
    assert metrics["cputotalghz"] == "38.40 Ghz" and metrics["memorytotalgb"] == "64.00 GB"
    assert metrics["cpuallocatedthreshold"] is False and metrics["memorythreshold"] is False
    assert set(api.call("listHostsMetrics", zoneid=zone["id"])) == {"count", "host"}


def test_rolling_maintenance_takes_each_host_through_maintenance_and_back(api):
    _, _, cluster, hosts = compute_stack(api, hosts=2)
    result = api.run_async("startRollingMaintenance", clusterids=cluster["id"])["rollingmaintenance"]
    assert result["success"] is True and result["details"] == "OK" and result["hostsskipped"] == []
    assert [h["hostid"] for h in result["hostsupdated"]] == [h["id"] for h in hosts]
    assert all(set(h) == {"hostid", "hostname", "startdate", "enddate", "output"} for h in result["hostsupdated"])
    assert all(host_now(api, h["id"])["resourcestate"] == "Enabled" for h in hosts)


def test_rolling_maintenance_reports_failures_in_its_result(api):
    _, _, cluster, [host] = compute_stack(api)
    result = api.run_async("startRollingMaintenance", hostids=host["id"])["rollingmaintenance"]
    assert result["success"] is False and result["hostsupdated"] == []
    assert result["details"] == (f"Error starting rolling maintenance: No host available in cluster {cluster['id']} "
                                 f"({cluster['name']}) to support host {host['id']} ({host['name']}) in maintenance")
    short = api.run_async("startRollingMaintenance", hostids=host["id"], timeout=5)["rollingmaintenance"]
    assert short["success"] is False and re.search("greater or equal than the ping interval", short["details"])
    job = api.wait(api.call("startRollingMaintenance")["jobid"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errortext"] == (
        "Parameters podId, clusterId, zoneId, hostId are mutually exclusive, please set only one of them")


def test_showcapacities_nests_the_capacities_in_pods_and_clusters(api):
    _, pod, cluster, _ = compute_stack(api)
    [listed] = api.listing("listPods", id=pod["id"], showcapacities="true")
    by_type = {row["type"]: row for row in listed["capacity"]}
    assert set(by_type[0]) == {"type", "name", "capacityused", "capacitytotal", "percentused"}
    assert by_type[5]["capacitytotal"] == 90
    [with_capacity] = api.listing("listClusters", id=cluster["id"], showcapacities="true")
    assert {row["name"] for row in with_capacity["capacity"]} == {"MEMORY", "CPU", "CPU_CORE"}
    assert "capacity" not in api.listing("listPods", id=pod["id"])[0]
