#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: image_store
short_description: Manage CloudStack secondary storage (image stores) of a zone
description:
  - Add an image store to a zone, make it read-only or writable again, and delete it.
  - A store is found by its name within its zone. Only the options you set are compared.
  - O(url) and O(provider) cannot change after the store was added (C(updateImageStore) takes
    neither); a difference fails the task. O(details) are only sent when the store is added
    (CloudStack does not show them, so they are not compared).
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
extends_documentation_fragment:
  - acsible.cloudstack.cloudstack
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description: Name of the image store (CloudStack keeps names unique across zones, compared case-insensitively).
    type: str
    required: true
  zone:
    description: Name or id of the zone of the store.
    type: str
    required: true
  url:
    description: Where the store is, for example V(nfs://198.18.0.10/export/secondary). Needed to add it.
    type: str
  provider:
    description: Image store provider; V(NFS) when the store is added without one.
    type: str
  details:
    description:
      - Provider details, for example C(user) and C(password) of a CIFS share. Only sent when the store is added.
    type: dict
  read_only:
    description: No new templates, ISOs or snapshots are written to a read-only store.
    type: bool
  state:
    description: Whether the store should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Add NFS secondary storage to a zone
  acsible.cloudstack.image_store:
    name: secondary1
    zone: zone1
    url: nfs://198.18.0.10/export/secondary

- name: Stop writing to it
  acsible.cloudstack.image_store:
    name: secondary1
    zone: zone1
    read_only: true

- name: Remove it
  acsible.cloudstack.image_store:
    name: secondary1
    zone: zone1
    state: absent
"""

RETURN = r"""
imagestore:
  description: The image store, with CloudStack's own field names (in check mode, the store that would exist).
  returned: unless state is absent and there was no store
  type: dict
  contains:
    id:
      description: UUID of the store.
      type: str
    name:
      description: Name of the store.
      type: str
    url:
      description: URL of the store.
      type: str
    protocol:
      description: Protocol of the store (nfs, cifs, ...).
      type: str
    providername:
      description: Provider of the store.
      type: str
    scope:
      description: ZONE or REGION.
      type: str
    readonly:
      description: Whether the store is read-only.
      type: bool
api_calls:
  description: The API calls this task made, by command.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.resource import Option, Parent, Resource, api_argument_spec, find_zone, run_resource

DEFAULT_PROVIDER = "NFS"


class ImageStore(Resource):
    kind = "imagestore"
    list_command = "listImageStores"
    create_command = "addImageStore"
    update_command = "updateImageStore"
    delete_command = "deleteImageStore"
    parents = (Parent("zone", find_zone, param="zoneid"),)
    required_to_create = ("url",)
    options = {
        "url": Option("url", updatable=False),
        "provider": Option("provider", field="providername", updatable=False),
        "read_only": Option("readonly", create=False, kind="bool"),
    }

    def create_params(self):
        params = super().create_params()
        params.setdefault("provider", DEFAULT_PROVIDER)
        if self.params.get("details"):
            params["details"] = self.params["details"]
        return params

    def would_create(self):
        obj = super().would_create()
        obj.setdefault("providername", DEFAULT_PROVIDER)
        obj.setdefault("readonly", False)
        obj["scope"] = "ZONE"
        return obj

    def after_create(self, obj):
        """addImageStore takes no read-only flag: set it with a second call."""
        read_only = self.params.get("read_only")
        if read_only is not None and read_only != obj.get("readonly"):
            obj = self.call(self.update_command, {"id": obj["id"], "readonly": read_only})
        return obj


def main():
    spec = api_argument_spec(
        name=dict(type="str", required=True),
        zone=dict(type="str", required=True),
        url=dict(type="str"),
        provider=dict(type="str"),
        details=dict(type="dict", no_log=True),
        read_only=dict(type="bool"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    run_resource(AnsibleModule(argument_spec=spec, supports_check_mode=True), ImageStore)


if __name__ == "__main__":
    main()
