"""The library modules' documentation against their argument specs, and their pure helpers (no server needed)."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache

import pytest
import yaml

from tests.conftest import ROOT

MODULES = ("cloudstack_db_setup", "cloudstack_systemvm_template")
SECRET_WORDS = ("password", "_key")


@cache
def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "library" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def docs(name: str) -> dict[str, object]:
    """DOCUMENTATION, EXAMPLES and RETURN, parsed as ansible-doc parses them (YAML)."""
    tree = ast.parse((ROOT / "library" / f"{name}.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in (
            "DOCUMENTATION",
            "EXAMPLES",
            "RETURN",
        ):
            found[node.targets[0].id] = yaml.safe_load(node.value.value)
    assert set(found) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    return found


# -- documentation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_are_the_argument_spec(name):
    spec = load(name).argument_spec()
    options = docs(name)["DOCUMENTATION"]["options"]
    assert sorted(options) == sorted(spec)
    for option, documented in options.items():
        real = spec[option]
        assert documented["type"] == real["type"], option
        assert documented.get("default") == real.get("default"), option
        assert bool(documented.get("required")) == bool(real.get("required")), option
        assert set(documented.get("choices") or ()) == set(real.get("choices") or ()), option
        assert documented["description"], option
        if any(word in option for word in SECRET_WORDS) and option != "key_file":
            assert real.get("no_log") is True, f"{option} must be no_log"


@pytest.mark.parametrize("name", MODULES)
def test_examples_use_only_real_options(name):
    spec = load(name).argument_spec()
    tasks = docs(name)["EXAMPLES"]
    assert tasks
    for task in tasks:
        assert set(task[name]) <= set(spec), task["name"]
        assert task["name"][0].isupper()


@pytest.mark.parametrize("name", MODULES)
def test_documentation_declares_check_mode_diff_and_idempotence(name):
    documentation = docs(name)["DOCUMENTATION"]
    assert documentation["module"] == name
    assert {key: value["support"] for key, value in documentation["attributes"].items()} == {
        "check_mode": "full",
        "diff_mode": "full",
        "idempotent": "full",
    }
    assert "msg" in docs(name)["RETURN"] and "commands" in docs(name)["RETURN"]


# -- cloudstack_db_setup --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "line", "force_option"),
    [
        ("4.19.0.0", "4.19", False),
        ("4.19.3.0", "4.19", False),
        ("4.20", "4.19", False),
        ("4.20.1.0~bookworm", "4.19", False),
        ("4.21.0.0", "4.21", True),
        ("4.22", "4.21", True),
    ],
)
def test_setup_databases_behaviour_by_version(version, line, force_option):
    module = load("cloudstack_db_setup")
    features = module.script_features(module.parse_version(version))
    assert (features["name"], features["force_recreate_option"], features["refuses_existing"]) == (
        line,
        force_option,
        force_option,
    )


def test_versions_before_4_19_are_not_supported():
    module = load("cloudstack_db_setup")
    assert module.script_features(module.parse_version("4.18.2.0")) is None
    assert module.parse_version("latest") is None


def test_properties_are_edited_in_place_and_masked():
    module = load("cloudstack_db_setup")
    text = "# c\ndb.cloud.password=x\nregion.id=1\n\ndb.cloud.encrypt.secret=ENC(abc)\n"
    edited = module.put_properties(text, {"region.id": "2", "acsible.cloud.id": "c1"})
    assert edited == "# c\ndb.cloud.password=x\nregion.id=2\n\ndb.cloud.encrypt.secret=ENC(abc)\nacsible.cloud.id=c1\n"
    assert module.masked_properties(edited).splitlines()[1:5] == [
        "db.cloud.password=********",
        "region.id=2",
        "",
        "db.cloud.encrypt.secret=********",
    ]


def test_fingerprints_check_the_secret_and_the_salt():
    module = load("cloudstack_db_setup")
    stored = module.fingerprint("key", "cloud-1:management")
    assert stored.startswith("pbkdf2_sha256$100000$") and "key" not in stored.split("$")[2]
    assert module.fingerprint_matches("key", "cloud-1:management", stored)
    assert not module.fingerprint_matches("other", "cloud-1:management", stored)
    assert not module.fingerprint_matches("key", "cloud-2:management", stored)
    assert not module.fingerprint_matches("key", "cloud-1:management", "garbage")


# -- cloudstack_systemvm_template -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{SHA-512}" + "A" * 128, ("SHA-512", "a" * 128)),
        ("{MD5}" + "0" * 32, ("MD5", "0" * 32)),
        ("sha512:" + "b" * 128, ("SHA-512", "b" * 128)),
        ("sha-256:" + "c" * 64, ("SHA-256", "c" * 64)),
        ("d" * 32, ("MD5", "d" * 32)),
        ("e" * 128, ("SHA-512", "e" * 128)),
        (" " + "f" * 40 + "\n", ("SHA-1", "f" * 40)),
    ],
)
def test_checksums_in_cloudstack_ansible_and_bare_forms(text, expected):
    assert load("cloudstack_systemvm_template").parse_checksum(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{MD5}" + "0" * 31, "checksum: MD5 digests have 32 hex digits, not 31"),
        ("{CRC32}00000000", "checksum: unknown algorithm 'CRC32'"),
        ("0" * 33, "checksum: '" + "0" * 33 + "' is not {ALGORITHM}hex"),
        ("", "checksum: '' is not"),
    ],
)
def test_bad_checksums_name_the_option(text, message):
    module = load("cloudstack_systemvm_template")
    with pytest.raises(module.Refusal) as refused:
        module.parse_checksum(text)
    assert str(refused.value).startswith(message)


def test_urls_are_shown_without_credentials():
    module = load("cloudstack_systemvm_template")
    assert module.without_userinfo("https://user:pw@198.18.0.1/t.qcow2.bz2") == "https://198.18.0.1/t.qcow2.bz2"
    assert module.without_userinfo("http://198.18.0.1/t") == "http://198.18.0.1/t"
