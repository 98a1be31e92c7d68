"""schemathesis against /openapi.json of a real service (API only: nothing it submits runs): no 500s,
every response matches the document (status, content type, body, headers), and every operation
refuses a request without a token; for data that fits the document and data that does not.

Each operation is driven through hypothesis directly (schemathesis' pytest plugin does not work with
pytest 9): 12 operations x 2 modes x 14 examples, about 300 requests, each with a 5 s deadline.
What the service refuses on purpose (the attack list) is tested in test_attacks.py; schemathesis'
own accept/refuse guesses are left out: it counts query parameters that its transport drops
(an empty name, an empty list) as sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import new_service
from tests.web.conftest import settings as web_settings

EXAMPLES = 14
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, ignored_auth]
OPERATIONS = [
    "getHealthz", "getOpenapi", "getCatalog", "getEnvironments", "postClearEnvironment", "postSubmitJob",
    "getListJobs", "getJob", "getJobEvents", "getJobStdout", "getJobStream", "postCancelJob",
]
OPERATION_IDS = {"getHealthz": "healthz", "getOpenapi": "openapi", "getCatalog": "catalog",
                 "getEnvironments": "environments", "postClearEnvironment": "clearEnvironment",
                 "postSubmitJob": "submitJob", "getListJobs": "listJobs", "getJob": "getJob",
                 "getJobEvents": "jobEvents", "getJobStdout": "jobStdout", "getJobStream": "jobStream",
                 "postCancelJob": "cancelJob"}


@pytest.fixture(scope="module")
def api_node(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("schemathesis")
    service = new_service(workdir, web_settings(workdir), workers=0).start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def api_schema(api_node):
    return schemathesis.openapi.from_url(f"{api_node.url}/api/v1/openapi.json",
                                         headers={"Authorization": f"Bearer {api_node.tokens['admin']}"})


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_conforms_to_the_document(api_schema, api_node, name, mode):
    operation = api_schema.find_operation_by_id(OPERATION_IDS[name])
    headers = {"Authorization": f"Bearer {api_node.tokens['admin']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=timedelta(seconds=5), database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip("the operation takes no input that could be made invalid")


def test_the_document_describes_every_route(api_node):
    api = api_node.api()
    document = api.call("GET", "/openapi.json").body
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/healthz", "/openapi.json", "/catalog", "/environments", "/environments/{name}/clear", "/jobs",
        "/jobs/{job_id}", "/jobs/{job_id}/events", "/jobs/{job_id}/stdout", "/jobs/{job_id}/stream",
        "/jobs/{job_id}/cancel"}
    operations = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert sorted(operations) == sorted(OPERATION_IDS.values())
    entries = {choice["properties"]["entry"]["const"]: choice
               for choice in document["components"]["schemas"]["JobRequest"]["oneOf"]}
    assert entries["ok"]["properties"]["environment"] == {"enum": ["local", "slow"]}
    assert "canary" not in entries  # no environment of its kind here
