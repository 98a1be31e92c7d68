"""Malformed input never crashes the simulator: every reply is a CloudStack error, never a 500 or a trace."""

from __future__ import annotations

import http.client
import json
import random
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from simulator.registry import catalog
from tests.conftest import unique

BUG_TEXT = "Internal error executing command, please contact your system administrator"


def raw_get(url: str, query: str) -> tuple[int, str]:
    """Send a query string exactly as given, with no client-side encoding."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", f"{parts.path}?{query}", skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def integration(simulator, **params) -> requests.Response:
    return requests.get(simulator.integration_url, params={"response": "json", **params}, timeout=10)


@pytest.mark.parametrize("query", [
    "command=listZones&response=json&%zz=1",
    "command=listZones&response=json&name=%",
    "command=listZones&response=json&name=%FF%FE",
    "command=listZones&response=json&&&==&=x",
    "command=listZones&response=json&name[0].=x&tags[x].key=1&tags[0]key=2",
    "command=%00&response=json",
    "command=listZones&response=json&" + "a" * 7000 + "=1",
])
def test_broken_query_strings_get_an_api_answer(simulator, query):
    for url in (simulator.url, simulator.integration_url):
        status, body = raw_get(url, query)
        assert status in (200, 401, 431, 432), (url, query, status, body[:200])
        assert len(json.loads(body)) == 1


def test_a_value_over_the_parameter_length_is_refused(simulator):
    reply = integration(simulator, command="createZone", name="z" * 300, dns1="198.18.0.53",
                        internaldns1="198.18.0.53", networktype="Advanced")
    assert reply.status_code == 431
    assert reply.json()["createzoneresponse"]["errortext"] == (
        "Unable to execute API command createzone due to invalid value. "
        "Value greater than max allowed length 255 for param: name")


def test_a_huge_body_is_refused_as_too_large(simulator):
    reply = requests.post(simulator.url, data={"command": "listZones", "response": "json", "name": "x" * (3 << 20)},
                          timeout=30)
    assert reply.status_code == 413
    assert reply.json()["errorresponse"]["errorcode"] == 413


def test_control_characters_are_refused_but_newlines_are_not(simulator):
    tab = integration(simulator, command="listZones", name="a\tb")
    assert tab.status_code == 431
    assert tab.json()["listzonesresponse"]["errortext"] == (
        "Received value containing illegal ASCII non-printable characters for parameter name")
    assert integration(simulator, command="listZones", name="a\nb").status_code == 200


@pytest.mark.parametrize(("params", "text"), [
    ({"page": "abc", "pagesize": "10"},
     "Unable to execute API command listzones due to invalid value abc for parameter page"),
    ({"page": "1", "pagesize": "99999999999"},
     "Unable to execute API command listzones due to invalid value 99999999999 for parameter pagesize"),
    ({"id": "not-a-uuid"}, "Unable to execute API command listzones due to invalid value. Invalid parameter id "
     "value=not-a-uuid due to incorrect long value format, or entity does not exist or due to incorrect parameter "
     "annotation for the field in api cmd class."),
])
def test_wrong_types_get_the_parameter_texts(simulator, params, text):
    reply = integration(simulator, command="listZones", **params)
    assert reply.status_code == 431
    assert reply.json()["listzonesresponse"]["errortext"] == text


def test_an_unknown_id_of_the_right_shape_is_refused(simulator):
    reply = integration(simulator, command="deleteZone", id=str(uuid.uuid4()))
    assert reply.status_code == 431
    assert "Invalid parameter id value=" in reply.json()["deletezoneresponse"]["errortext"]


def test_booleans_are_read_as_java_does(simulator):
    name = unique("bool")
    reply = integration(simulator, command="createZone", name=name, dns1="198.18.0.53", internaldns1="198.18.0.53",
                        networktype="Advanced", localstorageenabled="maybe")
    assert reply.status_code == 200
    assert reply.json()["createzoneresponse"]["zone"]["localstorageenabled"] is False


GARBAGE = {
    "string": ["", "x" * 256, "ünï\u2013", "'; DROP TABLE sim_object; --", "1.2.3.4.5"],
    "uuid": ["", "nope", "00000000-0000-0000-0000-000000000000"],
    "boolean": ["", "yes", "TRUE"],
    "integer": ["", "-1", "2147483648", "1e3", "abc"],
    "long": ["", "-9223372036854775809", "12x"],
    "short": ["70000", "x"],
    "float": ["", "NaN", "1,5"],
    "double": ["Infinity", "x"],
    "date": ["", "yesterday", "2030-02-30"],
    "list": ["", ",,,", "a,,b", "x" * 300],
    "map": [""],
}


def garbage_params(command, rng: random.Random) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, param in command.params.items():
        if rng.random() < 0.3:
            continue
        value = rng.choice(GARBAGE.get(param.type, [""]))
        if param.type == "map":
            params[f"{name}[0].key"] = rng.choice(GARBAGE["string"])
            params[f"{name}[0].value"] = value
        else:
            params[name] = value
    return params


def test_every_command_survives_garbage_parameters(simulator):
    """Each command of the catalog, called bare and with garbage of each parameter's type."""
    rng = random.Random(20261123)
    session = requests.Session()
    for name, command in sorted(catalog().items()):
        if name in ("login", "logout", "configureSimulatorFault", "clearSimulatorFaults"):
            continue
        for attempt in range(4):
            params = {} if attempt == 0 else garbage_params(command, rng)
            reply = session.get(simulator.integration_url,
                                params=urlencode({"command": name, "response": "json", **params}), timeout=20)
            assert reply.status_code != 500, (name, params, reply.text[:300])
            body = reply.json()
            assert len(body) == 1, (name, body)
            [(_, inner)] = body.items()
            if reply.status_code != 200:
                assert inner["errorcode"] == reply.status_code, (name, params, body)
                assert inner["errortext"] != BUG_TEXT, (name, params, body)
    assert "unhandled error in the simulator" not in simulator.log_path.read_text()
