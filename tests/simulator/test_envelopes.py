"""Envelopes, paging and the integration port, as ApiResponseSerializer and BaseListCmd shape them."""

from __future__ import annotations

import requests
from cs import CloudStack

from tests.conftest import sign, unique


def test_empty_list_is_an_empty_object(fresh_api):
    result = fresh_api.raw("listZones")
    assert result.status == 200
    assert result.body == {"listzonesresponse": {}}
    assert result.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_object_fields_come_in_the_response_class_order(api):
    zone = api.create_zone()
    assert next(iter(zone)) == "id"
    assert zone["allocationstate"] == "Disabled"


def test_count_is_the_total_and_pages_slice_it(fresh_api):
    names = sorted(unique("z") for _ in range(7))
    for name in names:
        fresh_api.create_zone(name)
    first = fresh_api.call("listZones", page=1, pagesize=3)
    assert first["count"] == 7 and len(first["zone"]) == 3
    third = fresh_api.call("listZones", page=3, pagesize=3)
    assert third["count"] == 7 and len(third["zone"]) == 1
    seen = [z["name"] for page in (1, 2, 3) for z in fresh_api.call("listZones", page=page, pagesize=3)["zone"]]
    assert sorted(seen) == names


def test_a_page_past_the_end_keeps_only_the_count(fresh_api):
    fresh_api.create_zone()
    assert fresh_api.call("listZones", page=5, pagesize=10) == {"count": 1}


def test_pagesize_minus_one_lists_everything(fresh_api):
    for _ in range(3):
        fresh_api.create_zone()
    assert len(fresh_api.call("listZones", pagesize=-1)["zone"]) == 3


def test_paging_rules(api):
    too_big = api.error("listZones", page=1, pagesize=501)
    assert (too_big["errorcode"], too_big["cserrorcode"]) == (431, 4350)
    assert too_big["errortext"] == "Page size can't exceed max allowed page size value: 500"
    assert api.error("listZones", page=1)["errortext"] == '"pagesize" parameter is required when "page" is specified'
    assert api.error("listZones", pagesize=10)["errortext"] == (
        '"page" parameter is required when "pagesize" is specified')
    assert api.error("listZones", page=1, pagesize=-1)["errortext"] == (
        "Can't specify page parameter when pagesize is -1 (Unlimited)")


def test_keyword_filters_by_name(api):
    tag = unique("kw")
    api.create_zone(f"{tag}-one")
    api.create_zone(f"{tag}-two")
    api.create_zone(unique("other"))
    assert sorted(z["name"] for z in api.listing("listZones", keyword=tag)) == [f"{tag}-one", f"{tag}-two"]


def test_the_cs_client_pages_across_pages_of_500(fresh_simulator):
    # 501 zones through the integration port: cs asks for 500 a page, so this needs two pages.
    for index in range(501):
        reply = requests.get(fresh_simulator.integration_url, params={
            "command": "createZone", "name": f"bulk-{index:03d}", "dns1": "198.18.0.53",
            "internaldns1": "198.18.0.53", "networktype": "Advanced", "response": "json"}, timeout=10)
        reply.raise_for_status()
    client = CloudStack(endpoint=fresh_simulator.url, key=fresh_simulator.apikey, secret=fresh_simulator.secretkey)
    zones = client.listZones(fetch_list=True)
    assert len(zones) == 501
    assert len({zone["id"] for zone in zones}) == 501


def test_error_envelope_shape_status_and_description_header(api):
    result = api.raw("createZone", name=unique("z"), dns1="not-an-ip", internaldns1="198.18.0.53",
                     networktype="Advanced")
    assert result.status == 431
    assert list(result.inner) == ["uuidList", "errorcode", "cserrorcode", "errortext"]
    assert result.wrapper == "createzoneresponse"
    assert result.headers["X-Description"] == "Please enter a valid IP address for DNS1"


def test_missing_parameter_text(api):
    error = api.error("createZone", name=unique("z"), dns1="198.18.0.53", networktype="Advanced")
    assert (error["errorcode"], error["cserrorcode"]) == (431, 9999)
    assert error["errortext"] == "Unable to execute API command createzone due to missing parameter internaldns1"


def test_xml_is_the_default_response_format(simulator):
    params = sign({"command": "listZones"}, simulator.apikey, simulator.secretkey)
    response = requests.get(simulator.url, params=params, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><listzonesresponse cloud-stack-version=')


def test_integration_port_needs_no_signature_and_answers_432_for_unknown_commands(simulator):
    ok = requests.get(simulator.integration_url, params={"command": "listZones", "response": "json"}, timeout=10)
    assert ok.status_code == 200 and "listzonesresponse" in ok.json()
    unknown = requests.get(simulator.integration_url, params={"command": "nope", "response": "json"}, timeout=10)
    assert unknown.status_code == 432
    assert unknown.json() == {"errorresponse": {"uuidList": [], "errorcode": 432, "cserrorcode": 9999,
                                                "errortext": "Unknown API command: nope"}}
    none = requests.get(simulator.integration_url, params={"response": "json"}, timeout=10)
    assert none.status_code == 432
    assert none.json()["errorresponse"]["errortext"] == "Invalid request, no command sent"


def test_integration_port_answers_on_any_path(simulator):
    base = simulator.integration_url.rsplit("/client/api", 1)[0]
    assert requests.get(f"{base}/anything", params={"command": "listZones", "response": "json"},
                        timeout=10).status_code == 200
