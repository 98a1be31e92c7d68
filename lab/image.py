"""The base image: one debootstrap of Debian, cached under a key made from what goes into it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import LabPaths
from .system import remove_tree, run, write_file

SUITE = "bookworm"
VARIANT = "minbase"
# What every lab host has before any role runs: sshd and what Ansible's modules use (python3-apt for apt).
IMAGE_PACKAGES = (
    "openssh-server", "python3", "python3-apt", "iproute2", "sudo", "ca-certificates", "procps", "netbase",
)
RECIPE = 2  # bump when finish_image changes, so cached images are rebuilt
SSHD_CONFIG = """\
# acsible lab: root logs in with the lab key only; the lab writes the ed25519 host key.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
# sshd is the host's PID 1: with no pid file, `service ssh restart` in a role cannot kill the whole host.
PidFile none
"""


@dataclass(frozen=True)
class BaseImage:
    key: str
    directory: Path

    @property
    def rootfs(self) -> Path:
        return self.directory / "rootfs"

    @property
    def complete(self) -> bool:
        return (self.directory / "complete").exists()


def image_key(packages: tuple[str, ...] = IMAGE_PACKAGES) -> str:
    recipe = {"suite": SUITE, "variant": VARIANT, "packages": sorted(packages), "recipe": RECIPE}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def current_image(paths: LabPaths) -> BaseImage:
    key = image_key()
    return BaseImage(key, paths.images / key)


def ensure_image(paths: LabPaths, *, mirror: str, proxy_url: str, progress: Callable[[str], None]) -> BaseImage:
    """The cached image for IMAGE_PACKAGES, built first (through the apt proxy) if there is none."""
    image = current_image(paths)
    if image.complete:
        progress(f"base image {image.key} cached")
        return image
    started = time.monotonic()
    progress(f"building base image {image.key} (debootstrap {VARIANT} {SUITE}, {len(IMAGE_PACKAGES)} packages)")
    partial = paths.images / f"{image.key}.partial"
    remove_tree(partial)  # a build cut short earlier
    (partial / "rootfs").mkdir(parents=True)
    try:
        debootstrap(partial / "rootfs", mirror=mirror, proxy_url=proxy_url, log=partial / "debootstrap.log")
        finish_image(partial / "rootfs")
    except BaseException:
        remove_tree(partial)  # debootstrap may leave /proc and /sys mounted in the target
        raise
    write_file(partial / "packages.txt", "\n".join(IMAGE_PACKAGES) + "\n")
    (partial / "complete").touch()
    partial.rename(image.directory)
    progress(f"base image {image.key} built in {time.monotonic() - started:.1f}s")
    return image


def debootstrap(rootfs: Path, *, mirror: str, proxy_url: str, log: Path) -> None:
    argv = ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(IMAGE_PACKAGES)}", "--components=main",
            SUITE, str(rootfs), mirror]
    run(argv, env={"http_proxy": proxy_url}, log=log)


def finish_image(rootfs: Path) -> None:
    """Leave nothing host-specific in the image: each host gets its own keys, names and apt settings."""
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    write_file(rootfs / "etc/ssh/sshd_config.d/acsible-lab.conf", SSHD_CONFIG)
    for path in ("etc/resolv.conf", "etc/hostname", "etc/machine-id"):
        (rootfs / path).unlink(missing_ok=True)
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()


def prune_images(paths: LabPaths, *, keep: set[str]) -> list[str]:
    """Remove cached images other than `keep` (the current one and those running hosts stand on)."""
    removed = []
    for directory in sorted(paths.images.glob("*")) if paths.images.is_dir() else []:
        if directory.is_dir() and directory.name not in keep:
            remove_tree(directory)
            removed.append(directory.name)
    return removed
