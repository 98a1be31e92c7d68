#!/usr/bin/env bash
# The main job on its embedded default: start the CloudStack API simulator on 127.0.0.1:8080,
# then create a zone through its signed API and list it, as an operator's client would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

workdir=$(mktemp -d)
state="sqlite:///$workdir/state.db"
keys=$(python -m simulator admin-keys --state "$state")
python -m simulator serve --listen 127.0.0.1:8080 --state "$state" > "$workdir/simulator.log" 2>&1 &
simulator_pid=$!
trap 'kill $simulator_pid 2>/dev/null; rm -rf "$workdir"' EXIT
for _ in $(seq 50); do
  curl -s -o /dev/null http://127.0.0.1:8080/client/api && break
  sleep 0.2
done
cat "$workdir/simulator.log"

export CLOUDSTACK_ENDPOINT=http://127.0.0.1:8080/client/api
CLOUDSTACK_KEY=$(python -c 'import json,sys; print(json.load(sys.stdin)["apikey"])' <<<"$keys")
CLOUDSTACK_SECRET=$(python -c 'import json,sys; print(json.load(sys.stdin)["secretkey"])' <<<"$keys")
export CLOUDSTACK_KEY CLOUDSTACK_SECRET CLOUDSTACK_METHOD=get CLOUDSTACK_TIMEOUT=10

echo "== createZone (signed, signatureVersion=3)"
cs createZone name=demo-zone networktype=Advanced dns1=198.18.0.53 internaldns1=198.18.0.53
echo "== listZones"
cs listZones
