#!/usr/bin/env python3
"""An inventory script that takes its time: a job on it stays `starting` (no event) for a while."""
import json
import sys
import time

if "--list" in sys.argv:
    time.sleep(4)
    print(json.dumps({"all": {"hosts": ["localhost"]},
                      "_meta": {"hostvars": {"localhost": {
                          "ansible_connection": "local",
                          "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
else:
    print(json.dumps({}))
