"""Modules under injected faults, and every API call they made checked against commands.json.

Named to run after test_targets.py, so the request-log check sees the whole suite's calls.
"""

from __future__ import annotations

import json
import re

import pytest

from simulator import spec
from simulator.registry import handlers
from tests.conftest import ApiActions, free_port, unique
from tests.integration.conftest import run_tasks

TRANSPORT = {"command", "response", "apikey", "signature", "signatureversion", "expires", "sessionkey", "_",
             "starteventid", "customjobid"}


@pytest.fixture
def sim_api(module_simulator):
    api = ApiActions(module_simulator)
    yield api
    api.call("clearSimulatorFaults")


def test_a_transient_error_is_retried(module_simulator, sim_api, tmp_path):
    sim_api.call("configureSimulatorFault", name="listZones", count=2, errorcode=503, errortext="busy")
    result = run_tasks(module_simulator, tmp_path, f"""
- name: Read zones through two 503 answers
  acsible.cloudstack.info:
    command: listZones
    params: {{name: {unique("none")}}}
  register: read
- name: The read was retried
  ansible.builtin.assert:
    that: read.api_calls.listZones == 3
""")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_failed_job_reports_cloudstack_text(module_simulator, sim_api, tmp_path):
    zone = sim_api.create_zone(unique("fault-zone"))
    sim_api.call("configureSimulatorFault", name="createPhysicalNetwork", jobresult="fail", errorcode=530,
                 errortext="Failed to create physical network: injected")
    result = run_tasks(module_simulator, tmp_path, f"""
- name: Create a physical network whose job fails
  acsible.cloudstack.physical_network:
    name: {unique("phy")}
    zone: {zone["name"]}
  register: created
  ignore_errors: true
- name: The job's error text and jobid are reported
  ansible.builtin.assert:
    that:
      - created is failed
      - "'Failed to create physical network: injected' in created.msg"
      - created.errorcode == 530
      - created.jobid | length == 36
""")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_job_past_job_timeout_fails_naming_it_and_the_rerun_attaches(module_simulator, sim_api, tmp_path):
    zone = sim_api.create_zone(unique("slow-zone"))
    name = unique("phy")
    sim_api.run_async("createPhysicalNetwork", zoneid=zone["id"], name=name)
    sim_api.call("configureSimulatorFault", name="updatePhysicalNetwork", jobdelay=4)
    result = run_tasks(module_simulator, tmp_path, f"""
- name: Enable the physical network with a short job_timeout
  acsible.cloudstack.physical_network:
    name: {name}
    zone: {zone["name"]}
    state: enabled
    job_timeout: 1
  register: first
  ignore_errors: true
- name: The timeout names the job
  ansible.builtin.assert:
    that:
      - first is failed
      - first.jobid | length == 36
      - first.jobid in first.msg
- name: Run it again
  acsible.cloudstack.physical_network:
    name: {name}
    zone: {zone["name"]}
    state: enabled
  register: second
- name: The re-run waited for that job instead of starting another
  ansible.builtin.assert:
    that:
      - second is changed
      - second.attached_job == first.jobid
      - second.physicalnetwork.state == 'Enabled'
      - second.api_calls.updatePhysicalNetwork is not defined
""")
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_second_endpoint_is_used_when_the_first_is_down(module_simulator, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/client/api"
    result = run_tasks(module_simulator, tmp_path, f"""
- name: Read zones with the first management server down
  acsible.cloudstack.info:
    command: listZones
    api_url: ["{dead}", "{module_simulator.url}"]
  register: read
- name: The second one answered
  ansible.builtin.assert:
    that: read is succeeded
""")
    assert result.returncode == 0, result.stdout[-3000:]


MAP_KEY = re.compile(r"^(?P<name>[^\[]+)\[\d+\]\..+$")


def test_every_call_the_modules_made_is_in_commands_json(module_simulator):
    """Each command and parameter name the suite sent exists in the catalog (simulator-only fault
    commands aside, which tests send themselves)."""
    commands = spec.commands()
    unknown = set()
    for line in module_simulator.request_log.read_text().splitlines():
        call = json.loads(line)
        name = call["command"]
        if name not in commands:
            if name not in handlers():  # the simulator-only fault commands
                unknown.add((name, None))
            continue
        for param in call["params"]:
            base = MAP_KEY.match(param)
            key = (base["name"] if base else param).lower()
            if key not in TRANSPORT and key not in {p.lower() for p in commands[name].params}:
                unknown.add((name, param))
    assert sorted(unknown) == []
