"""Reading a zone spec: Marvin's keys in one form, and every problem refused with its place."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible_collections.acsible.cloudstack.plugins.module_utils.zone_spec import SpecError, parse_document, read_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "inventory" / "examples"
MARVIN = ROOT / "tests" / "integration" / "data" / "marvin-advanced.cfg"


def advanced():
    return yaml.safe_load((EXAMPLES / "zone-advanced.yml").read_text())


def errors_of(document):
    with pytest.raises(SpecError) as refused:
        read_spec(document)
    return refused.value.errors


@pytest.mark.parametrize("name", ["zone-advanced.yml", "zone-basic-sg.yml", "zone-wide-storage.yml"])
def test_the_example_specs_are_valid(name):
    spec = read_spec(parse_document((EXAMPLES / name).read_text()))
    assert spec["zones"] and spec["zones"][0]["pods"]


def test_a_marvin_config_is_read_as_it_is_with_its_server_blocks_ignored():
    spec = read_spec(parse_document(MARVIN.read_text()))
    zone = spec["zones"][0]
    assert zone["networktype"] == "Advanced" and zone["enabled"] is True
    assert [c["hypervisor"] for c in zone["pods"][0]["clusters"]] == ["Simulator", "Simulator"]
    assert zone["secondary_storages"][0]["name"] == "nfs://198.18.0.41:/export/home/sandbox/secondary"
    assert {"dbSvr", "logger", "mgtSvr"} <= set(spec["ignored"])
    assert zone["ipranges"][0]["vlan"] == "50"


def test_values_take_one_form():
    document = advanced()
    zone = document["zones"][0]
    zone["securitygroupenabled"] = "False"
    zone["physical_networks"][0]["vlan"] = "150-199, 100-149"
    zone["pods"][0]["clusters"][0]["hosts"][0]["hosttags"] = "b, a"
    zone["pods"][0]["clusters"][0]["hypervisor"] = "kvm"
    spec = read_spec(document)["zones"][0]
    assert spec["securitygroupenabled"] is False
    assert spec["physical_networks"][0]["vlan"] == "100-149,150-199"
    assert spec["pods"][0]["clusters"][0]["hosts"][0]["hosttags"] == ["a", "b"]
    assert spec["pods"][0]["clusters"][0]["hypervisor"] == "KVM"


def test_a_bad_address_is_named_by_its_place():
    document = advanced()
    document["zones"][0]["pods"][1]["startip"] = "10.1.1.300"
    assert "zones[0].pods[1].startip: 10.1.1.300 is not an IPv4 address" in errors_of(document)


def test_every_problem_is_reported_at_once():
    document = advanced()
    zone = document["zones"][0]
    zone["dns1"] = "dns.example"
    zone["pods"][0]["netmask"] = "255.0.255.0"
    zone["pods"][0]["clusters"][0]["hypervisor"] = "Hyper-Z"
    zone["pods"][1]["clusters"][0]["hosts"][0]["url"] = "kvm3"
    errors = errors_of(document)
    assert "zones[0].dns1: dns.example is not an IPv4 address" in errors
    assert "zones[0].pods[0].netmask: 255.0.255.0 is not a netmask" in errors
    assert any(e.startswith("zones[0].pods[0].clusters[0].hypervisor: 'Hyper-Z' is not one of") for e in errors)
    assert any(e.startswith("zones[0].pods[1].clusters[0].hosts[0].url: kvm3 is not a URL") for e in errors)


def test_a_range_must_sit_inside_its_subnet_with_the_gateway_outside_it():
    document = advanced()
    pod = document["zones"][0]["pods"][0]
    pod["endip"] = "198.18.22.20"
    document["zones"][0]["ipranges"][0]["gateway"] = "198.18.20.50"
    errors = errors_of(document)
    assert "zones[0].pods[0].endip: 198.18.22.20 is outside the subnet 198.18.21.0/24 of the gateway and " \
           "netmask" in errors
    assert "zones[0].ipranges[0].gateway: 198.18.20.50 is inside the range 198.18.20.10-198.18.20.99" in errors


def test_overlapping_pod_and_public_ranges_are_refused():
    document = advanced()
    zone = document["zones"][0]
    zone["pods"][1].update(gateway="198.18.21.1", startip="198.18.21.50", endip="198.18.21.120")
    zone["ipranges"][0].update(gateway="198.18.21.1", startip="198.18.21.150", endip="198.18.21.160")
    zone["ipranges"].append(dict(zone["ipranges"][0], startip="198.18.21.155", endip="198.18.21.170"))
    errors = errors_of(document)
    assert any(e.startswith("zones[0].pods[1]: its address range 198.18.21.50-198.18.21.120 overlaps "
                            "zones[0].pods[0]") for e in errors)
    assert any(e.startswith("zones[0].ipranges[1]: its address range") and "zones[0].ipranges[0]" in e
               for e in errors)


def test_vlan_ranges_must_be_valid_and_apart():
    document = advanced()
    pnets = document["zones"][0]["physical_networks"]
    pnets.append(copy.deepcopy(pnets[0]))
    pnets[1].update(name="adv1-pnet2", vlan="150-250", traffictypes=[{"typ": "Guest"}])
    document["zones"][0]["ipranges"][0]["vlan"] = "5000"
    errors = errors_of(document)
    assert any(e.startswith("zones[0].physical_networks[1].vlan: VLANs 150-250 overlap 100-199") for e in errors)
    assert "zones[0].ipranges[0].vlan: 5000 is not a VLAN id (1-4094 or untagged)" in errors
    pnets[1]["vlan"] = "300-200"
    assert any("300-200 is not a range of VLAN ids" in e for e in errors_of(document))


def test_names_cloudstack_keeps_unique_must_be_unique():
    document = advanced()
    zone = document["zones"][0]
    zone["pods"][1]["name"] = "ADV1-POD1"
    zone["pods"][1]["clusters"][0]["clustername"] = "adv1-c1"
    zone["pods"][1]["clusters"][0]["hosts"][0]["url"] = "http://198.18.21.101"
    errors = errors_of(document)
    assert "zones[0].pods[1].name: pod 'ADV1-POD1' is also at zones[0].pods[0]" in errors
    assert "zones[0].pods[1].clusters[0].clustername: cluster 'adv1-c1' is also at zones[0].pods[0].clusters[0]" \
        in errors
    assert any(e.startswith("zones[0].pods[1].clusters[0].hosts[0].url: host '198.18.21.101' is also at")
               for e in errors)


def test_unknown_keys_and_missing_ones_are_named():
    document = advanced()
    document["zones"][0]["podz"] = []
    del document["zones"][0]["pods"][0]["gateway"]
    errors = errors_of(document)
    assert any(e.startswith("zones[0].podz: unknown key") for e in errors)
    assert "zones[0].pods[0].gateway: is required" in errors


def test_a_cluster_pool_needs_a_host_to_be_added_on():
    document = advanced()
    document["zones"][0]["pods"][0]["clusters"][0]["hosts"] = []
    assert "zones[0].pods[0].clusters[0].primaryStorages: a cluster-wide pool needs a host in its cluster to be " \
           "added on" in errors_of(document)


def test_broken_files_are_refused_with_the_parser_message():
    with pytest.raises(SpecError, match="spec_file: not valid JSON"):
        parse_document('# comment\n{"zones": [}')
    with pytest.raises(SpecError, match="spec_file: not valid YAML"):
        parse_document("zones: [a, b")
