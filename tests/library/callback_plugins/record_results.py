"""Test callback: writes every task result, as the task registered it, to $ACSIBLE_TEST_RESULTS (JSON list)."""

from __future__ import annotations

import json
import os

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.results: list[dict] = []

    def record(self, result, *, failed: bool = False, skipped: bool = False) -> None:
        """The result as a register would hold it (callbacks get it without `failed` and `skipped`)."""
        data = dict(result.result if hasattr(result, "result") else result._result)
        self.results.append({**data, "failed": failed, "skipped": skipped})

    def v2_runner_on_ok(self, result) -> None:
        self.record(result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self.record(result, failed=True)

    def v2_runner_on_skipped(self, result) -> None:
        self.record(result, skipped=True)

    def v2_playbook_on_stats(self, stats) -> None:
        with open(os.environ["ACSIBLE_TEST_RESULTS"], "w") as out:
            json.dump(self.results, out, cls=AnsibleJSONEncoder)
