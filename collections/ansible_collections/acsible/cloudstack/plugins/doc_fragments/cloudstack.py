# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The connection options and attribute descriptions every acsible.cloudstack module shares."""

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - The API endpoints, for example V(http://ms1:8080/client/api); several management servers may be
        given, and the next one is used when one cannot be reached.
      - If not given, E(CLOUDSTACK_ENDPOINT) (comma separated), then C(endpoint) of the ini file.
    type: list
    elements: str
  api_key:
    description:
      - API key of the calling user.
      - If not given, E(CLOUDSTACK_KEY), then C(key) of the ini file.
    type: str
  api_secret:
    description:
      - Secret key of the calling user.
      - If not given, E(CLOUDSTACK_SECRET), then C(secret) of the ini file.
    type: str
  api_timeout:
    description:
      - Seconds one HTTP request may take.
      - If not given, E(CLOUDSTACK_TIMEOUT), then C(timeout) of the ini file, then 10.
    type: int
  api_config:
    description:
      - A C(cloudstack.ini) in the format of the C(cs) tools.
      - If not given, E(CLOUDSTACK_CONFIG), then C(./cloudstack.ini), then C(~/.cloudstack.ini).
    type: path
  api_region:
    description:
      - The section of the ini file to read.
      - If not given, E(CLOUDSTACK_REGION).
    type: str
    default: cloudstack
  validate_certs:
    description:
      - Verify the management server's TLS certificate.
    type: bool
    default: true
  poll_interval:
    description:
      - Seconds between two looks at a running async job.
    type: float
    default: 2.0
  job_timeout:
    description:
      - Seconds an async job may run before the module fails, naming the job id.
      - The job is not cancelled; running the task again waits for it instead of starting another.
    type: float
    default: 600.0
attributes:
  check_mode:
    description: Can run in check mode and report what would change without changing the cloud.
  diff_mode:
    description: Returns what changed (or would change in check mode) when run with C(--diff).
  idempotent:
    description: Running the task again with the same options changes nothing and reports no change.
notes:
  - Only reads (list, get, query) are retried after transient failures; changes are never sent twice.
  - Credentials are never returned in the module result.
"""
