"""Debian packages the controller needs for the lab, installed when missing (CI starts on a fresh machine)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from .system import run

# Why each: debootstrap builds the base image; apt-cacher-ng is the hosts' apt proxy; openssh-client gives
# ssh and ssh-keygen; iproute2 gives `ip` (bridge, veth, netns); util-linux gives unshare, setsid and mount;
# gnupg makes and uses the CloudStack repository's signing key; dpkg-dev gives dpkg-scanpackages (its index).
CONTROLLER_PACKAGES = ("debootstrap", "apt-cacher-ng", "openssh-client", "iproute2", "util-linux", "mount", "gnupg",
                       "dpkg-dev")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


def missing_packages(packages: tuple[str, ...] = CONTROLLER_PACKAGES) -> list[str]:
    """The packages dpkg does not have installed."""
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
                          capture_output=True, text=True)
    installed = {line.split()[0] for line in done.stdout.splitlines() if line.endswith(" installed")}
    return [name for name in packages if name not in installed]


def ensure_prereqs(progress: Callable[[str], None]) -> list[str]:
    """Install whatever is missing (apt-get update first: a fresh machine may have no lists); what was installed."""
    missing = missing_packages()
    if not missing:
        progress("controller packages present")
        return []
    progress(f"installing controller packages: {' '.join(missing)}")
    run(["apt-get", "update"], env=APT_ENV)
    run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=APT_ENV)
    return missing
