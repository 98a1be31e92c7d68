"""Fault injection: configureSimulatorFault / listSimulatorFaults / clearSimulatorFaults (root admin only)."""

from __future__ import annotations

import time

from tests.conftest import unique


def test_the_next_n_calls_fail_with_the_given_error_then_calls_succeed(fresh_api):
    fresh_api.call("configureSimulatorFault", name="listZones", count=2, errorcode=530, cserrorcode=4250,
                   errortext="injected outage")
    for _ in range(2):
        error = fresh_api.error("listZones")
        assert error == {"uuidList": [], "errorcode": 530, "cserrorcode": 4250, "errortext": "injected outage"}
    assert fresh_api.raw("listZones").status == 200
    assert fresh_api.call("listSimulatorFaults") == {}


def test_latency_delays_the_answer(fresh_api):
    fresh_api.call("configureSimulatorFault", name="listZones", latency=0.6)
    started = time.monotonic()
    assert fresh_api.raw("listZones").status == 200
    assert time.monotonic() - started >= 0.6


def test_an_async_job_can_be_made_to_fail(fresh_api):
    zone = fresh_api.create_zone()
    fresh_api.call("configureSimulatorFault", name="createPhysicalNetwork", jobresult="fail", errorcode=530,
                   errortext="Failed to create physical network")
    jobid = fresh_api.call("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))["jobid"]
    job = fresh_api.wait(jobid)
    assert job["jobstatus"] == 2
    assert job["jobresult"] == {"errorcode": 530, "errortext": "Failed to create physical network"}


def test_an_async_job_can_be_made_to_never_finish_and_stays_listed_as_pending(fresh_api):
    zone = fresh_api.create_zone()
    fresh_api.call("configureSimulatorFault", name="createPhysicalNetwork", jobresult="hang")
    jobid = fresh_api.call("createPhysicalNetwork", zoneid=zone["id"], name=unique("phy"))["jobid"]
    time.sleep(0.6)
    assert fresh_api.call("queryAsyncJobResult", jobid=jobid)["jobstatus"] == 0
    pending = [job for job in fresh_api.call("listAsyncJobs")["asyncjobs"] if job["jobstatus"] == 0]
    assert [job["jobid"] for job in pending] == [jobid]


def test_faults_until_cleared(fresh_api):
    fresh_api.call("configureSimulatorFault", name="listPods", count=-1, errorcode=503, errortext="down")
    for _ in range(3):
        assert fresh_api.raw("listPods").status == 503
    assert fresh_api.call("listSimulatorFaults")["simulatorfault"][0]["name"] == "listPods"
    fresh_api.call("clearSimulatorFaults", name="listPods")
    assert fresh_api.raw("listPods").status == 200


def test_bad_fault_arguments_name_the_field(fresh_api):
    assert fresh_api.error("configureSimulatorFault", name="listZones", count=0, errorcode=530)["errortext"] == (
        "count: 0 must be a positive number of calls, or -1 for until cleared")
    assert fresh_api.error("configureSimulatorFault", name="listZones", jobresult="maybe")["errortext"] == (
        "jobresult: 'maybe' must be one of fail, hang")
    assert fresh_api.error("configureSimulatorFault", name="listZones", errorcode=200)["errortext"] == (
        "errorcode: 200 must be an HTTP error status (400-599)")
    missing = fresh_api.error("configureSimulatorFault", errorcode=530)
    assert missing["errortext"] == (
        "Unable to execute API command configuresimulatorfault due to missing parameter name")


def test_only_a_root_admin_may_inject_faults(fresh_api):
    name = unique("user")
    fresh_api.call("createAccount", username=name, password="Passw0rd!", email=f"{name}@example.invalid",
                   firstname="Test", lastname="User", accounttype=0)
    user = fresh_api.listing("listUsers", username=name)[0]
    keys = fresh_api.call("registerUserKeys", id=user["id"])["userkeys"]
    from tests.conftest import ApiActions, RunningSimulator

    as_user = ApiActions(RunningSimulator(**{**fresh_api.sim.__dict__, "apikey": keys["apikey"],
                                             "secretkey": keys["secretkey"]}))
    assert as_user.raw("configureSimulatorFault", name="listZones", errorcode=530).status == 401
    assert as_user.raw("listZones").status == 200
