# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the user_keys module and hides its result as no_log would: it carries a secret key.

A module cannot mark its own result no_log (ansible-core drops `_ansible_no_log` from module
results), and adding the secret to the module's no_log_values would replace it with ******** in
the registered variable too, which would make the keys useless. An action plugin may set
`_ansible_no_log`: callbacks then show a censored result, while the registered variable keeps
the keys for the tasks that follow.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(module_name="acsible.cloudstack.user_keys",
                                           module_args=self._task.args, task_vars=task_vars))
        if result.get("secretkey"):
            result["_ansible_no_log"] = True
        return result
