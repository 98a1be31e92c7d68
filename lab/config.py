"""Names, addresses and the state directory layout: everything the lab makes is named here."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INVENTORY = REPO_ROOT / "inventory" / "lab"
STATE_ENV = "ACSIBLE_LAB_STATE"
DEFAULT_STATE_DIR = Path("/var/lib/acsible-lab")

NETWORK = ipaddress.IPv4Network("198.18.0.0/24")
CONTROLLER_ADDRESS = ipaddress.IPv4Address("198.18.0.1")
# Every link and namespace the lab makes starts with PREFIX; `down` touches nothing else.
PREFIX = "acslab-"
BRIDGE = f"{PREFIX}br"
HOST_INTERFACE = "eth0"
SSH_PORT = 22


def mac_address(address: ipaddress.IPv4Address) -> str:
    """A fixed, locally administered MAC per lab address: a host started again keeps its MAC, so the
    neighbour caches of the controller and of the other hosts stay right (02:00 then the address in hex)."""
    return "02:00:" + ":".join(f"{octet:02x}" for octet in address.packed)


def netns_name(host_name: str) -> str:
    return f"{PREFIX}{host_name}"


def veth_name(address: ipaddress.IPv4Address) -> str:
    """The controller end of a host's veth, named by its last octet (interface names stop at 15 characters)."""
    return f"{PREFIX}v{int(address) & 0xFF}"


def lab_address(value: str) -> ipaddress.IPv4Address:
    """`value` as an address, only if it is a host address of the lab network other than the controller."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ConfigurationError(f"{value!r} is not an IPv4 address") from exc
    if address not in NETWORK or address in (NETWORK.network_address, NETWORK.broadcast_address, CONTROLLER_ADDRESS):
        raise ConfigurationError(f"{address} is not a lab host address (the lab uses only {NETWORK}, "
                                 f"with {CONTROLLER_ADDRESS} for the controller)")
    return address


@dataclass(frozen=True)
class LabPaths:
    """Where the lab keeps what it generates: keys, images, host layers, pids, the apt proxy."""

    state: Path

    @classmethod
    def from_env(cls) -> LabPaths:
        return cls(Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR))

    @property
    def lock(self) -> Path:
        return self.state / "lab.lock"

    @property
    def ssh(self) -> Path:
        return self.state / "ssh"

    @property
    def private_key(self) -> Path:
        return self.ssh / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.ssh / "known_hosts"

    @property
    def images(self) -> Path:
        return self.state / "images"

    @property
    def hosts(self) -> Path:
        return self.state / "hosts"

    def host(self, name: str) -> Path:
        return self.hosts / name

    @property
    def shares(self) -> Path:
        return self.state / "shares"

    def share(self, name: str) -> Path:
        return self.shares / name

    @property
    def services(self) -> Path:
        return self.state / "services"

    @property
    def netns_mount_marker(self) -> Path:
        """Present when the lab's first `ip netns add` made /run/netns a mount point."""
        return self.state / "netns-mount-made"
