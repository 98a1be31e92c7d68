"""The lab inventory: which hosts exist, their addresses and groups (read with PyYAML, no Ansible API)."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import lab_address
from .errors import ConfigurationError

HOST_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")  # a hostname, and short enough for a netns name
SHARE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
# What a share may not be mounted over: the host's own system directories.
SYSTEM_DIRS = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys",
               "/usr", "/var")


@dataclass(frozen=True)
class LabHost:
    name: str
    address: ipaddress.IPv4Address
    groups: tuple[str, ...]
    # (path in the host, share name): the lab's stand-in for NFS, see `shares` in lab/README.md.
    shares: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class LabInventory:
    directory: Path
    hosts: tuple[LabHost, ...]

    @property
    def names(self) -> list[str]:
        return [host.name for host in self.hosts]

    def get(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise ConfigurationError(f"no host {name!r} in {self.directory} (hosts: {', '.join(self.names)})")

    def select(self, names: list[str] | None) -> list[LabHost]:
        """The named hosts, or every host when `names` is empty."""
        return [self.get(name) for name in names] if names else list(self.hosts)


def load_inventory(path: Path) -> LabInventory:
    """Read `path` (an inventory directory holding hosts.yml, or the file itself) and check every address."""
    hosts_file = path / "hosts.yml" if path.is_dir() else path
    try:
        data = yaml.safe_load(hosts_file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the lab inventory {hosts_file}: {exc}") from exc
    if not isinstance(data, dict) or "all" not in data:
        raise ConfigurationError(f"{hosts_file} has no `all:` group")
    found: dict[str, dict] = {}
    memberships: dict[str, list[str]] = {}
    walk_group("all", data["all"] or {}, found, memberships)
    hosts = tuple(make_host(name, found[name], memberships[name], hosts_file) for name in found)
    check_unique_addresses(hosts, hosts_file)
    return LabInventory(hosts_file.parent, hosts)


def walk_group(group: str, body: dict, found: dict[str, dict], memberships: dict[str, list[str]]) -> None:
    """Collect hosts and the groups they are in, depth first through `children`."""
    if not isinstance(body, dict):
        raise ConfigurationError(f"group {group!r} is not a mapping")
    for name, host_vars in (body.get("hosts") or {}).items():
        merged = found.setdefault(name, {})
        merged.update(host_vars or {})
        groups = memberships.setdefault(name, [])
        if group != "all" and group not in groups:
            groups.append(group)
    for child, child_body in (body.get("children") or {}).items():
        walk_group(child, child_body or {}, found, memberships)
        for groups in memberships.values():
            if child in groups and group != "all" and group not in groups:
                groups.append(group)


def make_host(name: str, host_vars: dict, groups: list[str], source: Path) -> LabHost:
    if not HOST_NAME.match(str(name)):
        raise ConfigurationError(f"{source}: host name {name!r} must match {HOST_NAME.pattern}")
    if "ansible_host" not in host_vars:
        raise ConfigurationError(f"{source}: host {name} has no ansible_host (its 198.18.0.x address)")
    return LabHost(name, lab_address(str(host_vars["ansible_host"])), tuple(groups),
                   read_shares(name, host_vars.get("lab_shares"), source))


def read_shares(name: str, value: object, source: Path) -> tuple[tuple[str, str], ...]:
    """`lab_shares: {PATH: SHARE}`: absolute paths outside the system directories, share names like hosts'."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigurationError(f"{source}: host {name}: lab_shares must map a path to a share name")
    shares = []
    for path, share in value.items():
        path = str(path)
        if not path.startswith("/") or posixpath.normpath(path) != path or path in SYSTEM_DIRS:
            raise ConfigurationError(f"{source}: host {name}: lab_shares path {path!r} must be an absolute, "
                                     f"normalised path other than {', '.join(SYSTEM_DIRS)}")
        if not SHARE_NAME.match(str(share)):
            raise ConfigurationError(f"{source}: host {name}: lab_shares name {share!r} for {path} must match "
                                     f"{SHARE_NAME.pattern}")
        shares.append((path, str(share)))
    return tuple(sorted(shares))


def check_unique_addresses(hosts: tuple[LabHost, ...], source: Path) -> None:
    seen: dict[ipaddress.IPv4Address, str] = {}
    for host in hosts:
        if host.address in seen:
            raise ConfigurationError(f"{source}: {host.name} and {seen[host.address]} share {host.address}")
        seen[host.address] = host.name
