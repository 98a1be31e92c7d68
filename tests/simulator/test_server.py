"""listCapabilities, listApis, management servers and their shutdown, regions."""

from __future__ import annotations

from cs import CloudStack

from tests.conftest import ApiActions, start_simulator, unique


def test_capabilities_follow_the_settings(fresh_api):
    capability = fresh_api.call("listCapabilities")["capability"]
    assert capability["cloudstackversion"] == "4.22.0.0"
    assert capability["securitygroupsenabled"] is False and capability["dynamicrolesenabled"] is True
    assert capability["userpublictemplateenabled"] is True and capability["supportELB"] == "false"
    assert capability["customdiskofferingmaxsize"] == 1024 and capability["defaultuipagesize"] == 20
    assert capability["kvmsnapshotenabled"] is True and capability["regionsecondaryenabled"] is False
    assert capability["extensionspath"] == "/usr/share/cloudstack-management/extensions"
    assert "apilimitinterval" not in capability
    fresh_api.call("updateConfiguration", name="api.throttling.enabled", value="true")
    fresh_api.call("updateConfiguration", name="expose.cloudstack.version.api.list.capabilities", value="false")
    capability = fresh_api.call("listCapabilities")["capability"]
    assert capability["apilimitinterval"] == 1 and capability["apilimitmax"] == 25
    assert "cloudstackversion" not in capability


def test_list_apis_describes_commands_like_the_discovery_plugin(api):
    [api_entry] = api.listing("listApis", name="createZone")
    assert api_entry["name"] == "createZone" and api_entry["isasync"] is False
    params = {param["name"]: param for param in api_entry["params"]}
    assert params["name"]["required"] is True and params["name"]["type"] == "string"
    assert params["name"]["length"] == 255
    assert "listZones" in params["domainid"]["related"].split(",") or "domainid" in params
    assert "listZones" in api_entry["related"].split(",")
    fields = {field["name"]: field for field in api_entry["response"]}
    assert fields["id"]["type"] == "string" and fields["tags"]["type"] == "set"


def test_list_apis_lists_every_command_and_simulator_ones(api):
    names = {entry["name"] for entry in api.listing("listApis")}
    assert {"listZones", "createAccount", "deleteDomain", "configureSimulatorFault"} <= names
    [job_api] = api.listing("listApis", name="deleteDomain")
    assert job_api["isasync"] is True
    error = api.error("listApis", name="noSuchApi")
    assert (error["errorcode"], error["errortext"]) == (
        530, "Api Discovery plugin was unable to find an api by that name or process any apis")


def test_cs_client_reads_capabilities(cs_client: CloudStack):
    assert cs_client.listCapabilities()["capability"]["cloudstackversion"]


def test_this_management_server_is_listed_up(api):
    [ms] = api.listing("listManagementServers")
    assert ms["state"] == "Up" and ms["version"] == "4.22.0.0" and ms["name"]
    assert ms["pendingjobscount"] >= 0 and "agents" in ms
    assert [m["id"] for m in api.listing("listManagementServers", id=ms["id"])] == [ms["id"]]
    assert api.listing("listManagementServers", name=unique("other")) == []


def test_prepare_and_cancel_shutdown(fresh_api):
    [ms] = fresh_api.listing("listManagementServers")
    prepared = fresh_api.call("prepareForShutdown", managementserverid=ms["id"])["prepareforshutdown"]
    assert prepared["managementserverid"] == ms["id"] and prepared["state"] == "PreparingForShutDown"
    assert prepared["shutdowntriggered"] is True and prepared["maintenanceinitiated"] is False
    error = fresh_api.error("prepareForShutdown", managementserverid=ms["id"])
    assert (error["errorcode"], error["errortext"]) == (
        530, "Management server is not in the right state to prepare for shutdown")
    ready = fresh_api.wait_until(lambda: fresh_api.call("readyForShutdown", managementserverid=ms["id"])
                                 ["readyforshutdown"]["state"] == "ReadyToShutDown")
    assert ready
    status = fresh_api.call("readyForShutdown", managementserverid=ms["id"])["readyforshutdown"]
    assert status["readyforshutdown"] is True and status["pendingjobscount"] == 0
    cancelled = fresh_api.call("cancelShutdown", managementserverid=ms["id"])["cancelshutdown"]
    assert cancelled["state"] == "Up" and cancelled["shutdowntriggered"] is False
    error = fresh_api.error("cancelShutdown", managementserverid=ms["id"])
    assert error["errortext"] == "Management server is not in the right state to cancel shutdown"


def test_local_region_exists_and_regions_can_be_added(api):
    regions = api.listing("listRegions")
    assert {"id": 1, "name": "Local", "endpoint": "http://localhost:8080/client/", "gslbserviceenabled": True,
            "portableipserviceenabled": False} in regions
    number = 100 + len(regions)
    name = unique("region")
    added = api.call("addRegion", id=str(number), name=name, endpoint="http://198.18.0.10:8080/client/")["region"]
    assert added == {"id": number, "name": name, "endpoint": "http://198.18.0.10:8080/client/",
                     "gslbserviceenabled": True, "portableipserviceenabled": False}
    error = api.error("addRegion", id=str(number), name=unique("region"), endpoint="http://x/")
    assert (error["errorcode"], error["errortext"]) == (431, f"Region with id: {number} already exists")
    error = api.error("addRegion", id=str(number + 1), name="Local", endpoint="http://x/")
    assert error["errortext"] == "Region with name: Local already exists"
    updated = api.call("updateRegion", id=str(number), endpoint="http://198.18.0.11:8080/client/")["region"]
    assert updated["endpoint"] == "http://198.18.0.11:8080/client/" and updated["name"] == name
    assert api.listing("listRegions", id=str(number)) == [updated]
    assert api.listing("listRegions", name=name) == [updated]
    error = api.error("updateRegion", id="99999", name="x")
    assert error["errortext"] == "Region with id: 99999 does not exist"


def test_an_older_version_shows_only_its_fields(tmp_path):
    sim = start_simulator(tmp_path, extra=["--version", "4.19.0.0"])
    try:
        old = ApiActions(sim)
        capability = old.call("listCapabilities")["capability"]
        assert capability["cloudstackversion"] == "4.19.0.0"
        assert "allowuserforcestopvm" not in capability and "instanceleaseenabled" not in capability
        assert "customhypervisordisplayname" in capability
        [root] = old.listing("listDomains")
        assert "vmlimit" in root and "gpulimit" not in root and "backuplimit" not in root
        [ms] = old.listing("listManagementServers")
        assert ms["version"] == "4.19.0.0" and "pendingjobscount" not in ms
        [api_entry] = old.listing("listApis", name="listUsers")
        assert "apikeyaccess" not in [param["name"] for param in api_entry["params"]]  # since 4.20.1
    finally:
        sim.stop()
