"""The collection's API client: pure helpers, and its behaviour against a running simulator."""

from __future__ import annotations

import pytest
from ansible_collections.acsible.cloudstack.plugins.module_utils.api import (
    ApiError,
    CloudStackClient,
    JobTimeout,
    TransportError,
    flatten,
    sign,
    string_to_sign,
)

from tests.conftest import free_port, unique


def test_flatten_converts_without_touching_the_input():
    params = {"a": True, "b": ["x", "y"], "c": None, "d": 3, "tags": [{"key": "k", "value": "v"}],
              "details": {"cpu": "2"}, "e": []}
    assert flatten(params) == {"a": "true", "b": "x,y", "d": "3", "tags[0].key": "k", "tags[0].value": "v",
                               "details[0].key": "cpu", "details[0].value": "2"}
    assert params["b"] == ["x", "y"] and params["c"] is None


def test_signing_matches_the_ground_truth_vectors():
    params = {"command": "listZones", "response": "json", "apiKey": "EXAMPLEKEY", "name": "zone one",
              "signatureVersion": "3", "expires": "2030-01-01T00:00:00+0000"}
    assert sign(params, "EXAMPLESECRET") == "1eGd7GEhPcRjr3ii5sk27GDHA5A="
    assert string_to_sign({"name": "a~b"}) == "name=a%7eb"


def client_for(sim, **options):
    defaults = {"poll_interval": 0.05, "job_timeout": 5, "sleep": lambda _: None}
    return CloudStackClient([sim.url], sim.apikey, sim.secretkey, **{**defaults, **options})


def test_values_with_a_tilde_verify(simulator):
    client = client_for(simulator)
    assert client.call("listZones", {"name": "a~b"}) == {}


def test_list_all_reads_every_page(fresh_simulator, fresh_api):
    for index in range(3):
        fresh_api.create_zone(f"page-{index}")
    import ansible_collections.acsible.cloudstack.plugins.module_utils.api as api_module

    client = client_for(fresh_simulator)
    original = api_module.PAGE_SIZE
    api_module.PAGE_SIZE = 2  # three zones: two pages
    try:
        assert sorted(z["name"] for z in client.list_all("listZones")) == ["page-0", "page-1", "page-2"]
    finally:
        api_module.PAGE_SIZE = original
    assert client.calls["listZones"] == 2


def test_a_transient_error_on_a_read_is_retried(fresh_simulator, fresh_api):
    fresh_api.call("configureSimulatorFault", name="listZones", count=2, errorcode=503, errortext="busy")
    client = client_for(fresh_simulator)
    assert client.call("listZones") == {}
    assert client.calls["listZones"] == 3


def test_a_write_is_never_retried(fresh_simulator, fresh_api):
    fresh_api.call("configureSimulatorFault", name="createZone", count=1, errorcode=503, errortext="busy")
    client = client_for(fresh_simulator)
    with pytest.raises(ApiError) as failure:
        client.call("createZone", {"name": unique("z"), "dns1": "198.18.0.53", "internaldns1": "198.18.0.53",
                                   "networktype": "Advanced"})
    assert failure.value.errorcode == 503
    assert client.calls["createZone"] == 1


def test_an_api_error_carries_the_codes_and_text(simulator):
    with pytest.raises(ApiError) as failure:
        client_for(simulator).call("createZone", {"name": unique("z"), "dns1": "x", "internaldns1": "198.18.0.53",
                                                  "networktype": "Advanced"})
    assert failure.value.details() == {"command": "createZone", "errorcode": 431, "cserrorcode": 4350,
                                       "errortext": "Please enter a valid IP address for DNS1", "jobid": None}


def test_a_failed_job_is_reported_with_cloudstack_text_and_jobid(fresh_simulator, fresh_api):
    zone = fresh_api.create_zone()
    fresh_api.call("configureSimulatorFault", name="createPhysicalNetwork", jobresult="fail", errorcode=530,
                   errortext="Unable to create physical network")
    client = client_for(fresh_simulator)
    reply = client.call("createPhysicalNetwork", {"zoneid": zone["id"], "name": unique("phy")})
    with pytest.raises(ApiError) as failure:
        client.wait_for_job("createPhysicalNetwork", reply["jobid"])
    assert failure.value.errortext == "Unable to create physical network"
    assert failure.value.jobid == reply["jobid"]


def test_a_job_that_never_ends_times_out_naming_it_and_can_be_found_again(fresh_simulator, fresh_api):
    zone = fresh_api.create_zone()
    fresh_api.call("configureSimulatorFault", name="createPhysicalNetwork", jobresult="hang")
    client = client_for(fresh_simulator, job_timeout=0.3, sleep=__import__("time").sleep)
    reply = client.call("createPhysicalNetwork", {"zoneid": zone["id"], "name": unique("phy")})
    with pytest.raises(JobTimeout) as timeout:
        client.wait_for_job("createPhysicalNetwork", reply["jobid"])
    assert timeout.value.jobid == reply["jobid"]
    assert reply["jobid"] in str(timeout.value)
    pending = client.pending_job("CreatePhysicalNetworkCmd", reply["id"])
    assert pending["jobid"] == reply["jobid"]


def test_the_next_endpoint_is_used_when_the_first_is_down(simulator):
    dead = f"http://127.0.0.1:{free_port()}/client/api"
    client = CloudStackClient([dead, simulator.url], simulator.apikey, simulator.secretkey, retries=0)
    assert client.call("listZones", {"name": unique("none")}) == {}
    assert client.endpoints[client._preferred] == simulator.url


def test_no_endpoint_answering_is_a_transport_error():
    dead = [f"http://127.0.0.1:{free_port()}/client/api" for _ in range(2)]
    client = CloudStackClient(dead, "k", "s", retries=1, sleep=lambda _: None)
    with pytest.raises(TransportError, match="no management server answered"):
        client.call("listZones")
