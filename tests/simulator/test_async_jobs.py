"""The async job model: {jobid} at once, the effect when the job finishes, queryAsyncJobResult and listAsyncJobs."""

from __future__ import annotations

import time

from tests.conftest import unique

PHYSICAL_NETWORK_CMD = "org.apache.cloudstack.api.command.admin.network.CreatePhysicalNetworkCmd"


def test_async_create_answers_id_and_jobid_then_the_job_finishes_with_the_object(fresh_api):
    zone = fresh_api.create_zone()
    reply = fresh_api.call("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))
    assert set(reply) == {"id", "jobid"}

    pending = fresh_api.call("queryAsyncJobResult", jobid=reply["jobid"])
    assert pending["jobstatus"] == 0
    assert pending["jobresultcode"] == 0
    assert "jobresulttype" not in pending and "jobresult" not in pending
    assert pending["cmd"] == PHYSICAL_NETWORK_CMD
    assert pending["jobinstancetype"] == "PhysicalNetwork" and pending["jobinstanceid"] == reply["id"]
    assert pending["account"] == "admin" and pending["domainpath"] == "ROOT"

    done = fresh_api.wait(reply["jobid"])
    assert done["jobstatus"] == 1 and done["jobresultcode"] == 0 and done["jobresulttype"] == "object"
    assert done["jobresult"]["physicalnetwork"]["id"] == reply["id"]
    assert done["completed"] >= done["created"]


def test_queryasyncjobresult_is_flat_and_listasyncjobs_lists_under_asyncjobs(fresh_api):
    zone = fresh_api.create_zone()
    jobid = fresh_api.call("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))["jobid"]
    flat = fresh_api.raw("queryAsyncJobResult", jobid=jobid)
    assert flat.wrapper == "queryasyncjobresultresponse"
    assert flat.inner["jobid"] == jobid
    listed = fresh_api.call("listAsyncJobs")
    assert listed["count"] >= 1
    assert jobid in [job["jobid"] for job in listed["asyncjobs"]]


def test_the_effect_appears_when_the_job_finishes(tmp_path):
    from tests.conftest import ApiActions, start_simulator

    sim = start_simulator(tmp_path, job_delay=1.0)
    try:
        api = ApiActions(sim)
        zone = api.create_zone()
        network = api.run_async("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))["physicalnetwork"]
        assert network["state"] == "Disabled"
        jobid = api.call("updatePhysicalNetwork", id=network["id"], state="Enabled")["jobid"]
        assert api.listing("listPhysicalNetworks", id=network["id"])[0]["state"] == "Disabled"
        started = time.monotonic()
        api.wait(jobid)
        assert time.monotonic() - started > 0.5
        assert api.listing("listPhysicalNetworks", id=network["id"])[0]["state"] == "Enabled"
    finally:
        sim.stop()


def test_a_job_that_fails_in_the_service_layer_reports_the_error_with_http_200(fresh_api):
    zone = fresh_api.create_zone()
    network = fresh_api.run_async("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))["physicalnetwork"]
    jobid = fresh_api.call("updatePhysicalNetwork", id=network["id"], state="Sideways")["jobid"]
    job = fresh_api.wait(jobid)
    assert job["jobstatus"] == 2
    assert job["jobresultcode"] == job["jobresult"]["errorcode"]
    assert job["jobresult"]["errortext"]


def test_an_unknown_jobid_is_a_parameter_error(api):
    error = api.error("queryAsyncJobResult", jobid="00000000-0000-0000-0000-000000000000")
    assert error["errorcode"] == 431
    assert "Invalid parameter jobid value=00000000-0000-0000-0000-000000000000" in error["errortext"]
