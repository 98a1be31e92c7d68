"""The lab's links and network namespaces: a bridge on the controller and one veth + netns per host.

Everything here is named with config.PREFIX; the controller forwards nothing (IP forwarding stays off),
so hosts reach only each other and 198.18.0.1.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .config import (
    BRIDGE,
    CONTROLLER_ADDRESS,
    HOST_INTERFACE,
    NETWORK,
    PREFIX,
    LabPaths,
    mac_address,
    netns_name,
    veth_name,
)
from .errors import CommandError
from .inventory import LabHost
from .system import is_mount_point, run

NETNS_DIR = Path("/run/netns")
SYS_NET = Path("/sys/class/net")


def link_exists(name: str) -> bool:
    return (SYS_NET / name).exists()


def link_master(name: str) -> str:
    """The bridge a link is enslaved to, or ''."""
    master = SYS_NET / name / "master"
    return os.path.basename(os.readlink(master)) if master.is_symlink() else ""


def lab_links() -> list[str]:
    """Links on the controller named as the lab names them."""
    return sorted(path.name for path in SYS_NET.iterdir() if path.name.startswith(PREFIX))


def disable_ipv6(name: str) -> None:
    """No link-local IPv6 on lab links: the lab uses only its IPv4 addresses."""
    path = Path(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6")
    if path.exists():
        path.write_text("1\n")


# -- the bridge -----------------------------------------------------------------------------------

def bridge_ready() -> bool:
    if not (SYS_NET / BRIDGE / "bridge").is_dir():
        return False
    addresses = run(["ip", "-o", "-4", "addr", "show", "dev", BRIDGE])
    return f"{CONTROLLER_ADDRESS}/{NETWORK.prefixlen}" in addresses and "UP" in link_flags(BRIDGE)


def link_flags(name: str) -> str:
    return run(["ip", "-o", "link", "show", "dev", name]).partition("<")[2].partition(">")[0]


def ensure_bridge() -> bool:
    """Make the bridge with the controller address, unless it is there already; True when something changed."""
    if bridge_ready():
        return False
    if link_exists(BRIDGE):
        run(["ip", "link", "del", BRIDGE])  # a half-made bridge of ours, from a crash
    run(["ip", "link", "add", BRIDGE, "address", mac_address(CONTROLLER_ADDRESS), "type", "bridge"])
    disable_ipv6(BRIDGE)
    run(["ip", "addr", "add", f"{CONTROLLER_ADDRESS}/{NETWORK.prefixlen}", "dev", BRIDGE])
    run(["ip", "link", "set", BRIDGE, "up"])
    return True


def delete_bridge() -> bool:
    if not link_exists(BRIDGE):
        return False
    run(["ip", "link", "del", BRIDGE])
    return True


# -- namespaces -----------------------------------------------------------------------------------

def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def lab_netns() -> list[str]:
    """Network namespaces named as the lab names them."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(path.name for path in NETNS_DIR.iterdir() if path.name.startswith(PREFIX))


def netns_pids(name: str) -> list[int]:
    if not netns_exists(name):
        return []
    return [int(pid) for pid in run(["ip", "netns", "pids", name]).split()]


def in_netns(pid: int, name: str) -> bool:
    """True when process `pid` lives in the lab namespace `name` (a pid from a file is checked before a kill)."""
    try:
        process_ns, lab_ns = os.stat(f"/proc/{pid}/ns/net"), os.stat(NETNS_DIR / name)
    except OSError:
        return False
    return (process_ns.st_dev, process_ns.st_ino) == (lab_ns.st_dev, lab_ns.st_ino)


def add_netns(name: str, paths: LabPaths) -> None:
    """`ip netns add`, remembering whether this first made /run/netns a mount point (so `down` can undo it)."""
    if not NETNS_DIR.is_dir() or not is_mount_point(NETNS_DIR):
        paths.netns_mount_marker.parent.mkdir(parents=True, exist_ok=True)
        paths.netns_mount_marker.touch()
    run(["ip", "netns", "add", name])


def release_netns_dir(paths: LabPaths) -> None:
    """Undo the /run/netns mount the lab's first namespace made, once no namespace at all is left there."""
    if not paths.netns_mount_marker.exists():
        return
    if NETNS_DIR.is_dir() and not any(NETNS_DIR.iterdir()) and is_mount_point(NETNS_DIR):
        run(["umount", str(NETNS_DIR)])
    if not NETNS_DIR.is_dir() or not is_mount_point(NETNS_DIR):
        paths.netns_mount_marker.unlink()


# -- one host's plumbing --------------------------------------------------------------------------

def host_plugged(host: LabHost) -> bool:
    veth = veth_name(host.address)
    return netns_exists(netns_name(host.name)) and link_exists(veth) and link_master(veth) == BRIDGE


def plug_host(host: LabHost, paths: LabPaths) -> None:
    """A namespace with eth0 at the host's address on the bridge, and a default route via the controller."""
    ns, veth = netns_name(host.name), veth_name(host.address)
    add_netns(ns, paths)
    run(["ip", "link", "add", veth, "type", "veth",
         "peer", "name", HOST_INTERFACE, "address", mac_address(host.address), "netns", ns])
    disable_ipv6(veth)
    run(["ip", "netns", "exec", ns, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/{HOST_INTERFACE}/disable_ipv6"])
    run(["ip", "link", "set", veth, "master", BRIDGE])
    run(["ip", "link", "set", veth, "up"])
    run(["ip", "-n", ns, "addr", "add", f"{host.address}/{NETWORK.prefixlen}", "dev", HOST_INTERFACE])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "-n", ns, "link", "set", HOST_INTERFACE, "up"])
    # Only so Ansible's facts have a default IPv4; the controller does not forward.
    run(["ip", "-n", ns, "route", "add", "default", "via", str(CONTROLLER_ADDRESS)])


def unplug(ns: str, veth: str | None) -> None:
    """Delete a lab namespace (its eth0 goes with it, and so the veth pair) and the veth if it is still there."""
    if netns_exists(ns):
        run(["ip", "netns", "del", ns])
    if veth and link_exists(veth):
        with contextlib.suppress(CommandError):  # it may vanish with its peer while we look
            run(["ip", "link", "del", veth])
