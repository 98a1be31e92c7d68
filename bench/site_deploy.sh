#!/usr/bin/env bash
# The whole lab cloud from playbooks/site.yml: a first run on fresh lab hosts, then a re-run of the
# same playbook on the cloud it built. Prints each run's wall time, task count and recap; asserts
# nothing (tests/lab/test_site.py does). Takes every lab host down and up first; leaves the lab cloud
# up at the end (python -m lab down removes it), or takes it down with --down.
#   bash bench/site_deploy.sh [--down]
# Needs root (the lab), like the lab tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_STDOUT_CALLBACK=ansible.posix.json ANSIBLE_LOAD_CALLBACK_PLUGINS=1
work=$(mktemp -d /tmp/acsible-site-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python -m lab down >/dev/null
python -m lab up >/dev/null

run() {
    local name=$1 start end rc=0
    start=$(date +%s.%N)
    ansible-playbook playbooks/site.yml >"$work/$name.json" 2>"$work/$name.err" || rc=$?
    end=$(date +%s.%N)
    python - "$name" "$work/$name.json" "$start" "$end" "$rc" <<'PY'
import json, sys
name, path, start, end, rc = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
text = open(path).read()
report = json.loads(text[text.index("{"):])
tasks = sum(len(play["tasks"]) for play in report["plays"])
results = sum(len(task["hosts"]) for play in report["plays"] for task in play["tasks"])
stats = report["stats"]
total = {key: sum(host.get(key, 0) for host in stats.values()) for key in ("ok", "changed", "failures", "unreachable")}
print(f"{name:<9} {end - start:7.1f} s  {tasks:4d} tasks  {results:4d} host-task results  "
      f"ok={total['ok']} changed={total['changed']} failed={total['failures']} unreachable={total['unreachable']}"
      f"  rc={rc}  ({len(stats)} hosts)")
for play in report["plays"] if rc else []:
    for task in play["tasks"]:
        for host, result in task["hosts"].items():
            if result.get("failed") or result.get("unreachable"):
                print(f"  failed: {host}: {task['task']['name']}: {str(result.get('msg', ''))[:300]}")
PY
    if [ "$rc" -ne 0 ]; then
        cp "$work/$name.json" "/tmp/acsible-site-bench-$name.json"
        echo "  the run's report: /tmp/acsible-site-bench-$name.json"
    fi
}

echo "site.yml on the lab ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
run first
run re-run
if [ "${1:-}" = --down ]; then
    python -m lab down >/dev/null
fi
