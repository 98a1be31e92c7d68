"""Each module's target: check mode, create, idempotence, update, diff, absent, absent again."""

from __future__ import annotations

import pytest

from tests.integration.conftest import TARGETS, run_target

TARGET_NAMES = sorted(path.name for path in TARGETS.iterdir() if (path / "tasks" / "main.yml").is_file())


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_target(module_simulator, target, tmp_path):
    result = run_target(module_simulator, target, tmp_path, ["--diff"])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
