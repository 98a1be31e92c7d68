"""The simulator serves exactly the catalog extracted from CloudStack's source."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from simulator import spec
from simulator.registry import handlers

SHARED = Path(__file__).resolve().parents[3] / "shared" / "cloudstack-api"


def test_every_command_of_commands_json_has_a_handler():
    missing = sorted(set(spec.commands()) - set(handlers()) - {"login", "logout"})
    assert missing == []


def test_handlers_answer_with_the_async_flag_of_the_catalog():
    for name, handler in handlers().items():
        assert handler.command.is_async == spec.commands().get(name, handler.command).is_async, name


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ is not beside this checkout")
@pytest.mark.parametrize("name", ["commands.json", "configurations.json", "fresh-install.json"])
def test_data_files_are_the_shared_ones(name):
    assert filecmp.cmp(SHARED / name, spec.DATA_DIR / name, shallow=False)


def test_command_details_come_from_the_data():
    pod = spec.commands()["createPod"]
    assert pod.wrapper == "createpodresponse" and pod.object_name == "pod" and not pod.is_async
    assert pod.params["zoneid"].entity_kinds == ("zone",) and pod.params["name"].required
    maintenance = spec.commands()["enableStorageMaintenance"]
    assert maintenance.is_async and maintenance.wrapper == "prepareprimarystorageformaintenanceresponse"
    assert maintenance.short_name == "prepareprimarystorageformaintenance"
    assert spec.commands()["createPhysicalNetwork"].is_async_create
    assert pod.java_class == "org.apache.cloudstack.api.command.admin.pod.CreatePodCmd"
