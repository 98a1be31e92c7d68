#!/usr/bin/env bash
# The whole lab cloud on this machine, from nothing (or on top of itself: a second run changes nothing):
# the lab hosts (python -m lab up), then playbooks/site.yml on them, then how to reach the cloud.
# Needs root (the lab makes network namespaces). `python -m lab down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

python -m lab up
ansible-playbook playbooks/site.yml

keys="${ACSIBLE_LAB_STATE:-/var/lib/acsible-lab}/secrets/cloudstack_api.yml"
url=$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["cloudstack_api_url"])' "$keys")
cat <<TEXT

The lab cloud is up: zone lab-zone1 with kvm1 and kvm2, behind lb1.
  API (signed, through lb1):  $url
  admin's API keys (0600):    $keys    (ansible-playbook -e @$keys ... uses them)
  log in:                     admin / password (a fresh install's; change it)
  hosts:                      python -m lab status; python -m lab ssh mgmt1
  remove it:                  python -m lab down
TEXT
