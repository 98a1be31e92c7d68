#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: user_keys
short_description: Get (and if needed register) a CloudStack user's API keys, logging in with a password
description:
  - How a fresh cloud gets its first API keys. The module logs in as the user with O(username),
    O(password) and O(domain) (the C(login) command opens a session, no keys needed), reads the user's keys
    with C(getUserKeys), and registers a pair with C(registerUserKeys) only when the user has none, or
    when O(regenerate=true). It logs out at the end.
  - O(api_key) and O(api_secret) are not used; O(api_url) (or its environment variable or ini file)
    gives the management servers. The login goes to the first one that answers, and the session then
    stays on that server.
  - The result carries the secret key, so the task's output is hidden as with C(no_log) (an action
    plugin marks the result); the registered variable keeps the keys for later tasks.
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
extends_documentation_fragment:
  - acsible.cloudstack.cloudstack
attributes:
  check_mode:
    support: full
    details: Check mode logs in and reads the keys (a session is opened and closed) but registers none.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: With O(regenerate=true) a new pair is registered, and the old one stops working, on every run.
options:
  username:
    description: The user to log in as.
    type: str
    required: true
  password:
    description: The user's password.
    type: str
    required: true
  domain:
    description: Path of the user's domain (V(ROOT/child), V(/child) or V(ROOT)).
    type: str
    default: ROOT
  regenerate:
    description:
      - Register a new pair even when the user has one. The old keys stop working at once.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Get the admin's API keys on a fresh cloud
  acsible.cloudstack.user_keys:
    api_url: http://ms1.example.com:8080/client/api
    username: admin
    password: "{{ vault_cloudstack_admin_password }}"
  register: admin_keys

- name: Use them for the next tasks
  acsible.cloudstack.zone:
    api_url: http://ms1.example.com:8080/client/api
    api_key: "{{ admin_keys.apikey }}"
    api_secret: "{{ admin_keys.secretkey }}"
    name: zone1
    network_type: Advanced
    dns1: 198.18.0.53
    internal_dns1: 198.18.0.53
"""

RETURN = r"""
apikey:
  description: The user's API key (in check mode, the current one, or null when a pair would be registered).
  returned: always
  type: str
secretkey:
  description:
    - The user's secret key. The task's output is hidden as with C(no_log); use it from the registered variable.
    - Null in check mode when a pair would be registered.
  returned: always
  type: str
userid:
  description: UUID of the user.
  returned: always
  type: str
username:
  description: The username.
  returned: always
  type: str
account:
  description: Name of the user's account.
  returned: always
  type: str
domainid:
  description: UUID of the user's domain.
  returned: always
  type: str
api_calls:
  description: The API calls this task made, by command (login, getUserKeys, registerUserKeys, logout).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.api import ApiError, CloudStackError
from ..module_utils.resource import api_argument_spec, connect_session

NEW_KEY = "(a new key)"


def user_keys(module, api):
    """The result: the keys the user has, registering a pair when needed."""
    session = api.login_reply
    userid = session["userid"]
    result = {"changed": False, "userid": userid, "username": session.get("username"),
              "account": session.get("account"), "domainid": session.get("domainid")}
    keys = api.call("getUserKeys", {"id": userid}).get("userkeys") or {}
    has_keys = bool(keys.get("apikey")) and bool(keys.get("secretkey"))
    if has_keys and not module.params["regenerate"]:
        result.update(apikey=keys["apikey"], secretkey=keys["secretkey"],
                      diff={"before": {"apikey": keys["apikey"]}, "after": {"apikey": keys["apikey"]}})
        return result
    result["changed"] = True
    before = {"apikey": keys.get("apikey")}
    if module.check_mode:
        result.update(apikey=None, secretkey=None, diff={"before": before, "after": {"apikey": NEW_KEY}})
        return result
    new = api.call("registerUserKeys", {"id": userid}).get("userkeys") or {}
    result.update(apikey=new.get("apikey"), secretkey=new.get("secretkey"),
                  diff={"before": before, "after": {"apikey": new.get("apikey")}})
    return result


def main():
    module = AnsibleModule(
        argument_spec=api_argument_spec(
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
            domain=dict(type="str", default="ROOT"),
            regenerate=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    api = connect_session(module, params["username"], params["password"], params["domain"])
    try:
        result = user_keys(module, api)
    except ApiError as exc:
        module.fail_json(msg=str(exc), api_calls=dict(api.calls), **exc.details())
    except CloudStackError as exc:
        module.fail_json(msg=str(exc), api_calls=dict(api.calls))
    finally:
        api.logout()
    result["api_calls"] = dict(api.calls)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
