#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: set up, lint, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint"
ruff check .
ansible-lint

echo "== collection sanity (ansible-test)"
bash scripts/sanity.sh

echo "== tests"
pytest -q "$@"
