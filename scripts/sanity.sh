#!/usr/bin/env bash
# ansible-test sanity on the acsible.cloudstack collection; what CI runs. Extra arguments go to
# `ansible-test sanity` (e.g. `--test validate-modules -v`). Needs the project venv (.venv) and
# access to a Python package index (ansible-test builds one venv per sanity test, cached in
# ~/.ansible/test/venv). No containers are used; tests ansible-test cannot run here are skipped.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$script")/.."
repo="$PWD"
venv_bin="$repo/.venv/bin"
python="$venv_bin/python"
pip_version=24.2  # what ansible-core 2.19 (ansible 12, pinned in pyproject.toml) bootstraps

# 1. ansible-test writes its pip wrapper to /tmp and runs it from there, so /tmp is first on that
#    process's sys.path: a stray /tmp/xml.py (or any module named like a stdlib module) breaks pip
#    with "pip is unavailable: No module named ...". TMPDIR does not help (ansible-test does not
#    pass it on). Run in a private, empty /tmp when such files exist and we can; else stop.
shadows=$("$python" - <<'PY'
import os, sys
names = set(sys.stdlib_module_names) | {"pip"}
for entry in sorted(os.listdir("/tmp")):
    path = os.path.join("/tmp", entry)
    if entry.split(".")[0] not in names:
        continue
    if os.path.isfile(os.path.join(path, "__init__.py")) or entry.endswith((".py", ".pyc", ".so")):
        print(path)
PY
)
if [[ -n "$shadows" ]]; then
    if [[ -z "${ACSIBLE_SANITY_PRIVATE_TMP:-}" && $(id -u) == 0 ]] && command -v unshare >/dev/null; then
        echo "sanity.sh: ${shadows//$'\n'/ } would shadow Python's own modules; running with a private /tmp" >&2
        private_tmp=$(mktemp -d /var/tmp/acsible-sanity-tmp.XXXXXX)
        chmod 1777 "$private_tmp"
        rc=0
        # shellcheck disable=SC2016  # $1 and $@ belong to the inner bash
        ACSIBLE_SANITY_PRIVATE_TMP=1 unshare --mount --propagation private \
            bash -c 'mount --bind "$1" /tmp && shift && exec bash "$@"' bash "$private_tmp" "$script" "$@" || rc=$?
        rm -rf "$private_tmp"
        exit "$rc"
    fi
    echo "sanity.sh: these files in /tmp shadow Python's own modules and break ansible-test's pip runs;" \
         "move them away first: ${shadows//$'\n'/ }" >&2
    exit 1
fi

# 2. ansible-test fetches pip's bootstrap script (get-pip.py) from a host this machine cannot reach;
#    it looks in its cache first, so an offline stand-in that behaves like get-pip.py goes there.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
install -m 0644 scripts/get_pip_standin.py "$cache/get_pip_${pip_version//./_}.py"

# 3. Test a snapshot of the collection: every file git would show (tracked or new, not ignored), in a
#    throwaway git repo, so new modules are seen, the developer's index is left alone, and
#    tests/output lands in the snapshot, not in the working tree.
src="$repo/collections/ansible_collections/acsible/cloudstack"
work=$(mktemp -d "${TMPDIR:-/tmp}/acsible-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/acsible/cloudstack"
mkdir -p "$dest"
(
    cd "$src"
    git ls-files -z --cached --others --exclude-standard --deduplicate -- . ':!:tests/output/' |
        while IFS= read -r -d '' f; do
            if [[ -e "$f" || -L "$f" ]]; then printf '%s\0' "$f"; fi
        done | xargs -0 -r cp -P --parents -t "$dest"
)
git -C "$dest" init -q
git -C "$dest" add -A

cd "$dest"
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PATH="$venv_bin:$PATH" ansible-test sanity --python "$py_version" "$@"
