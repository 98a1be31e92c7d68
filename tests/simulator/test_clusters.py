"""Clusters: addCluster's list envelope and checks, updateCluster, deleteCluster's refusals, listClusters."""

from __future__ import annotations

import re

from tests.conftest import unique
from tests.simulator.infra_builders import new_cluster, new_host, new_pod, wait_up


def test_addcluster_answers_a_list_envelope_with_the_new_cluster(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    name = unique("cluster")
    reply = api.raw("addCluster", zoneid=zone["id"], podid=pod["id"], clustername=name, hypervisor="kvm",
                    clustertype="CloudManaged")
    assert reply.status == 200 and reply.wrapper == "addclusterresponse"
    assert reply.inner["count"] == 1 and len(reply.inner["cluster"]) == 1
    cluster = reply.inner["cluster"][0]
    assert cluster["name"] == name and cluster["hypervisortype"] == "KVM"
    assert (cluster["podid"], cluster["podname"]) == (pod["id"], pod["name"])
    assert (cluster["zoneid"], cluster["zonename"]) == (zone["id"], zone["name"])
    assert cluster["clustertype"] == "CloudManaged" and cluster["allocationstate"] == "Enabled"
    assert cluster["managedstate"] == "Managed" and cluster["arch"] == "x86_64"
    assert cluster["cpuovercommitratio"] == "1.0" and cluster["memoryovercommitratio"] == "1.0"
    assert cluster["resourcedetails"] == {"cpuOvercommitRatio": "1.0", "memoryOvercommitRatio": "1.0"}
    assert list(cluster)[:6] == ["id", "name", "podid", "podname", "zoneid", "zonename"]
    assert [c["id"] for c in api.listing("listClusters", podid=pod["id"])] == [cluster["id"]]


def test_addcluster_refusals_carry_the_servers_codes_and_texts(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    taken = new_cluster(api, pod)
    base = {"zoneid": zone["id"], "podid": pod["id"], "clustername": unique("cluster"), "hypervisor": "KVM",
            "clustertype": "CloudManaged"}
    cases = [
        ({"hypervisor": "Foo"}, (431, 4350, "Could not find corresponding resource manager for Foo")),
        ({"clustertype": "Managed"}, (431, 9999, "No enum constant com.cloud.org.Cluster.ClusterType.Managed")),
        ({"arch": "sparc"}, (431, 9999, "Unsupported arch type: sparc")),
        ({"allocationstate": "Off"}, (431, 4350, "Unable to resolve Allocation State 'Off' to a supported state")),
        ({"clustername": taken["name"].upper()},
         (530, 4250, f"Unable to create cluster {taken['name'].upper()} in pod and data center with specified ids")),
    ]
    for change, expected in cases:
        error = api.error("addCluster", **{**base, **change})
        assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == expected, change
    other_zone = api.create_zone()
    error = api.error("addCluster", **{**base, "zoneid": other_zone["id"]})
    assert re.fullmatch(r'Pod with specified id doesn\'t belong to the zone Zone \{"id": "\d+", "name": "'
                        + re.escape(other_zone["name"]) + '", "uuid": "' + other_zone["id"] + r'"\}',
                        error["errortext"])
    assert [c["id"] for c in api.listing("listClusters", podid=pod["id"])] == [taken["id"]]


def test_an_advanced_security_group_zone_takes_only_some_hypervisors(api):
    zone = api.create_zone(securitygroupenabled="true")
    pod = new_pod(api, zone)
    error = api.error("addCluster", zoneid=zone["id"], podid=pod["id"], clustername=unique("c"),
                      hypervisor="VMware", clustertype="CloudManaged")
    assert error["errortext"] == "Don't support hypervisor type VMware in advanced security enabled zone"
    assert new_cluster(api, pod)["hypervisortype"] == "KVM"


def test_an_external_cluster_keeps_its_url_and_is_never_contacted(api):
    pod = new_pod(api, api.create_zone())
    error = api.error("addCluster", zoneid=pod["zoneid"], podid=pod["id"], clustername=unique("vc"),
                      hypervisor="VMware", clustertype="ExternalManaged", url="vcenter.example/dc/cluster")
    assert error["errortext"] == "uri.scheme is null vcenter.example/dc/cluster, add http:// as a prefix"
    cluster = new_cluster(api, pod, hypervisor="VMware", clustertype="ExternalManaged",
                          url="http://vcenter.example/dc/cluster", username="administrator", password="pw")
    assert cluster["clustertype"] == "ExternalManaged"
    assert cluster["resourcedetails"]["url"] == "http://vcenter.example/dc/cluster"
    assert "password" not in cluster["resourcedetails"] and "username" not in cluster["resourcedetails"]


def test_updatecluster_changes_state_and_refuses_unknown_values(api):
    pod = new_pod(api, api.create_zone())
    cluster = new_cluster(api, pod)
    name = unique("renamed")
    updated = api.call("updateCluster", id=cluster["id"], clustername=name, allocationstate="Disabled")["cluster"]
    assert updated["name"] == name and updated["allocationstate"] == "Disabled"
    assert [c["id"] for c in api.listing("listClusters", zoneid=pod["zoneid"], allocationstate="Disabled")] == [
        cluster["id"]]
    for params, text in (
        ({"clustertype": "Other"}, "Unable to resolve Other to a supported type"),
        ({"allocationstate": "Off"}, "Unable to resolve Allocation State 'Off' to a supported state"),
        ({"managedstate": "Gone"}, "Unable to resolve Managed State 'Gone' to a supported state"),
    ):
        error = api.error("updateCluster", id=cluster["id"], **params)
        assert (error["errorcode"], error["cserrorcode"], error["errortext"]) == (431, 4350, text)
    vmware = new_cluster(api, pod, hypervisor="VMware")
    error = api.error("updateCluster", id=vmware["id"], clustername=unique("x"))
    assert error["errortext"] == ("Renaming VMware cluster is not supported as it could cause problems if the "
                                  "updated  cluster name is not mapped on VCenter.")


def test_unmanaging_a_cluster_disconnects_its_hosts_and_managing_reconnects_them(api):
    pod = new_pod(api, api.create_zone())
    cluster = new_cluster(api, pod)
    host = wait_up(api, new_host(api, cluster, "10.30.0.1"))
    assert api.call("updateCluster", id=cluster["id"], managedstate="Unmanaged")["cluster"][
        "managedstate"] == "Unmanaged"
    assert api.listing("listHosts", id=host["id"])[0]["state"] == "Disconnected"
    api.call("updateCluster", id=cluster["id"], managedstate="Managed")
    assert wait_up(api, host)["state"] == "Up"


def test_a_cluster_with_hosts_cannot_be_deleted(api):
    pod = new_pod(api, api.create_zone())
    cluster = new_cluster(api, pod)
    host = new_host(api, cluster, "10.30.0.2")
    error = api.error("deleteCluster", id=cluster["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert re.fullmatch(r"Cluster: \d+ cannot be removed\. Cluster still has hosts", error["errortext"])
    api.call("deleteHost", id=host["id"], forced="true")
    assert api.call("deleteCluster", id=cluster["id"]) == {"success": True}
    assert api.call("listClusters", podid=pod["id"]) == {}


def test_listclusters_filters(api):
    zone = api.create_zone()
    pod = new_pod(api, zone)
    kvm = new_cluster(api, pod)
    xen = new_cluster(api, pod, hypervisor="XenServer")
    other_pod = new_pod(api, zone, subnet="192.168.11")
    elsewhere = new_cluster(api, other_pod)

    def ids(**params):
        return [c["id"] for c in api.listing("listClusters", **params)]

    assert ids(zoneid=zone["id"]) == [kvm["id"], xen["id"], elsewhere["id"]]
    assert ids(podid=pod["id"], hypervisor="xenserver") == [xen["id"]]
    assert ids(zoneid=zone["id"], name=kvm["name"].upper()) == [kvm["id"]]
    assert ids(zoneid=zone["id"], hypervisor="NoSuch") == []
    assert ids(zoneid=zone["id"], clustertype="ExternalManaged") == []
    error = api.error("listClusters", arch="sparc")
    assert (error["errorcode"], error["errortext"]) == (431, "Unsupported arch type: sparc")
