"""System VMs: the SSVM and CPVM of a ready zone, their life cycle and the list."""

from __future__ import annotations

import ipaddress
import time

from tests.conftest import unique
from tests.simulator.network_builders import advanced_zone
from tests.simulator.storage_builders import Site, random_subnet, ready_site, running_system_vms, site, system_vms


def test_a_ready_zone_gets_a_secondary_storage_vm_and_a_console_proxy(api):
    place = ready_site(api)
    starting = system_vms(api, place.zone)
    assert sorted(vm["systemvmtype"] for vm in starting) == ["consoleproxy", "secondarystoragevm"]
    assert {vm["state"] for vm in starting} <= {"Starting", "Running"}
    vms = {vm["systemvmtype"]: vm for vm in running_system_vms(api, place.zone)}
    ssvm, cpvm = vms["secondarystoragevm"], vms["consoleproxy"]
    number = int(ssvm["name"].split("-")[1])
    assert ssvm["name"] == f"s-{number}-VM" and cpvm["name"] == f"v-{number + 1}-VM"
    for vm in (ssvm, cpvm):
        assert (vm["zoneid"], vm["zonename"], vm["podid"], vm["podname"]) == \
            (place.zone["id"], place.zone["name"], place.pod["id"], place.pod["name"])
        assert (vm["hostid"], vm["hostname"], vm["hostcontrolstate"]) == (place.host["id"], place.host["name"],
                                                                          "Enabled")
        assert (vm["agentstate"], vm["hypervisor"], vm["templatename"]) == ("Up", "KVM", "SystemVM Template (KVM)")
        assert vm["dns1"] == place.zone["dns1"] and vm["arch"] == "x86_64"
        assert ipaddress.ip_address(vm["privateip"]) in ipaddress.ip_network(f"{place.subnet}.0/24")
        assert vm["privatenetmask"] == "255.255.255.0"
        assert vm["linklocalip"].startswith("169.254.") and vm["linklocalnetmask"] == "255.255.0.0"
    assert ssvm["privateip"] != cpvm["privateip"]
    assert ssvm["serviceofferingname"] == "System Offering For Secondary Storage VM"
    assert cpvm["serviceofferingname"] == "System Offering For Console Proxy"
    assert cpvm["activeviewersessions"] == 0 and "activeviewersessions" not in ssvm


def test_public_addresses_come_from_the_zones_public_range(api):
    zone, pn = advanced_zone(api)
    public, subnet = random_subnet(), random_subnet()
    api.call("createVlanIpRange", zoneid=zone["id"], physicalnetworkid=pn["id"], vlan="vlan://100",
             gateway=f"{public}.1", netmask="255.255.255.0", startip=f"{public}.10", endip=f"{public}.20",
             forvirtualnetwork="true")
    pod = api.call("createPod", zoneid=zone["id"], name=unique("pod"), gateway=f"{subnet}.1", netmask="255.255.255.0",
                   startip=f"{subnet}.10", endip=f"{subnet}.20")["pod"]
    cluster = api.call("addCluster", zoneid=zone["id"], podid=pod["id"], clustername=unique("cluster"),
                       hypervisor="KVM", clustertype="CloudManaged")["cluster"][0]
    host = api.call("addHost", zoneid=zone["id"], podid=pod["id"], clusterid=cluster["id"], url=f"http://{subnet}.100",
                    username="root", password="secret", hypervisor="KVM")["host"][0]
    api.wait_until(lambda: api.listing("listHosts", id=host["id"])[0]["state"] == "Up")
    place = Site(zone, pod, cluster, host, subnet)
    place.pool(api)
    place.image_store(api)
    place.enable(api)
    vms = running_system_vms(api, zone)
    assert sorted(vm["publicip"] for vm in vms) == [f"{public}.10", f"{public}.11"]
    assert {(vm["publicnetmask"], vm["gateway"]) for vm in vms} == {("255.255.255.0", f"{public}.1")}
    assert all(vm["publicmacaddress"].startswith("1e:00:") for vm in vms)


def test_system_vms_wait_for_everything_the_zone_needs(api):
    place = site(api)
    place.enable(api)
    place.image_store(api)
    time.sleep(0.1)
    assert system_vms(api, place.zone) == []  # no primary storage yet
    api.call("updateZone", id=place.zone["id"], allocationstate="Disabled")
    place.pool(api)
    assert system_vms(api, place.zone) == []  # the zone is disabled
    place.enable(api)
    assert len(system_vms(api, place.zone)) == 2


def test_a_zone_without_an_up_host_gets_none(api):
    place = site(api, host_up=False)
    place.image_store(api)
    api.call("updateZone", id=place.zone["id"], allocationstate="Enabled")
    assert system_vms(api, place.zone) == []


def test_stop_start_and_reboot(api):
    place = ready_site(api)
    ssvm = next(vm for vm in running_system_vms(api, place.zone) if vm["systemvmtype"] == "secondarystoragevm")
    reply = api.raw("stopSystemVm", id=ssvm["id"])
    assert reply.wrapper == "stopsystemvmresponse"
    assert system_vms(api, place.zone, id=ssvm["id"])[0]["state"] == "Stopping"
    job = api.wait(reply.inner["jobid"])
    assert (job["jobstatus"], job["jobinstancetype"], job["jobinstanceid"]) == (1, "SystemVm", ssvm["id"])
    stopped = job["jobresult"]["systemvm"]
    assert stopped["state"] == "Stopped" and "hostid" not in stopped and "privateip" not in stopped
    assert api.run_async("stopSystemVm", id=ssvm["id"])["systemvm"]["state"] == "Stopped"
    started = api.run_async("startSystemVm", id=ssvm["id"])["systemvm"]
    assert (started["state"], started["hostid"], started["agentstate"]) == ("Running", place.host["id"], "Up")
    assert api.run_async("rebootSystemVm", id=ssvm["id"])["systemvm"]["state"] == "Running"
    assert api.run_async("rebootSystemVm", id=ssvm["id"], forced="true")["systemvm"]["state"] == "Running"


def test_destroying_one_makes_the_zone_get_a_new_one(api):
    place = ready_site(api)
    cpvm = next(vm for vm in running_system_vms(api, place.zone) if vm["systemvmtype"] == "consoleproxy")
    reply = api.raw("destroySystemVm", id=cpvm["id"])
    assert reply.wrapper == "destroysystemvmresponse"
    assert api.wait(reply.inner["jobid"])["jobresult"]["systemvm"]["id"] == cpvm["id"]
    [new] = system_vms(api, place.zone, systemvmtype="consoleproxy")
    assert new["id"] != cpvm["id"] and new["name"] != cpvm["name"] and new["name"].startswith("v-")


def test_migrate_refusals(api):
    place = ready_site(api)
    ssvm = next(vm for vm in running_system_vms(api, place.zone) if vm["systemvmtype"] == "secondarystoragevm")
    job = api.wait(api.call("migrateSystemVm", virtualmachineid=ssvm["id"])["jobid"])
    assert (job["jobstatus"], job["jobresult"]["errorcode"]) == (2, 431)
    assert job["jobresult"]["errortext"].startswith("Please specify a host or storage as destination")
    job = api.wait(api.call("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=place.host["id"])["jobid"])
    assert job["jobresult"]["errortext"] == f"Cannot migrate VM as it is already present on host " \
        f"{place.host['name']} (ID: {place.host['id']}), please specify valid destination host to migrate the VM"
    job = api.wait(api.call("migrateSystemVm", virtualmachineid=ssvm["id"], autoselect="true")["jobid"])
    assert (job["jobresult"]["errorcode"], job["jobresult"]["errortext"]) == \
        (530, f"Unable to find suitable destination to migrate VM {ssvm['name']}")


def test_migrate_to_another_host_of_the_cluster(api):
    place = ready_site(api)
    other = api.call("addHost", zoneid=place.zone["id"], podid=place.pod["id"], clusterid=place.cluster["id"],
                     url=f"http://{place.subnet}.101", username="root", password="secret",
                     hypervisor="KVM")["host"][0]
    api.wait_until(lambda: api.listing("listHosts", id=other["id"])[0]["state"] == "Up")
    ssvm = next(vm for vm in running_system_vms(api, place.zone) if vm["systemvmtype"] == "secondarystoragevm")
    moved = api.run_async("migrateSystemVm", virtualmachineid=ssvm["id"], hostid=other["id"])["systemvm"]
    assert (moved["hostid"], moved["state"]) == (other["id"], "Running")
    assert [vm["id"] for vm in system_vms(api, place.zone, hostid=other["id"])] == [ssvm["id"]]


def test_list_filters(api):
    place = ready_site(api)
    vms = running_system_vms(api, place.zone)
    ssvm = next(vm for vm in vms if vm["systemvmtype"] == "secondarystoragevm")
    assert [vm["id"] for vm in system_vms(api, place.zone, systemvmtype="secondarystoragevm")] == [ssvm["id"]]
    assert [vm["id"] for vm in system_vms(api, place.zone, name=ssvm["name"])] == [ssvm["id"]]
    assert len(system_vms(api, place.zone, state="running", podid=place.pod["id"])) == 2
    assert [vm["id"] for vm in system_vms(api, place.zone, keyword=ssvm["name"])] == [ssvm["id"]]
    assert len(system_vms(api, place.zone, keyword="Runn")) == 2  # the keyword also matches the state
    pool = api.listing("listStoragePools", zoneid=place.zone["id"])[0]
    assert len(system_vms(api, place.zone, storageid=pool["id"])) == 2
    assert system_vms(api, place.zone, state="Stopped") == []


def test_primary_storage_maintenance_stops_them_and_holds_the_pool(api):
    place = ready_site(api)
    running_system_vms(api, place.zone)
    [pool] = api.listing("listStoragePools", zoneid=place.zone["id"])
    api.run_async("enableStorageMaintenance", id=pool["id"])
    assert {vm["state"] for vm in system_vms(api, place.zone)} == {"Stopped"}
    error = api.error("deleteStoragePool", id=pool["id"])
    assert (error["errorcode"], error["cserrorcode"]) == (530, 4250)
    assert error["errortext"].endswith("as there are non-destroyed volumes associated to this pool.")
    api.run_async("cancelStorageMaintenance", id=pool["id"])
    assert {vm["state"] for vm in system_vms(api, place.zone)} == {"Running"}


def test_maintenance_moves_them_to_another_pool(api):
    place = ready_site(api)
    running_system_vms(api, place.zone)
    [first] = api.listing("listStoragePools", zoneid=place.zone["id"])
    second = place.pool(api)
    api.run_async("enableStorageMaintenance", id=first["id"])
    assert {vm["state"] for vm in system_vms(api, place.zone)} == {"Running"}
    assert len(system_vms(api, place.zone, storageid=second["id"])) == 2
    assert api.call("deleteStoragePool", id=first["id"]) == {"success": True}
