#!/usr/bin/env bash
# Prepare this machine (Debian 12, as root) for acsible: the Debian packages the tests and the
# lab use, then .venv with acsible and its development tools. Safe to run again: it installs
# only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  mariadb-server      # real MySQL servers for the simulator's state and the database roles
  mariadb-client
  debootstrap         # the lab's base image
  apt-cacher-ng       # the lab's package proxy
  gnupg               # signs the lab's CloudStack repository
  dpkg-dev            # indexes it (dpkg-scanpackages)
  openssh-client
  iproute2
  rsync
  curl
  uuid-runtime        # uuidgen, bzip2 and file: what cloud-install-sys-tmplt needs (tests/library)
  bzip2
  file
  chromium            # headless browser of the job pages' tests (driven by Playwright, never downloaded)
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # policy-rc.d keeps the packages' daemons from starting: the tests and the lab start their own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "setup: ready ($(.venv/bin/python --version), ansible-core $(.venv/bin/python -c 'from ansible.release import __version__; print(__version__)'))"
