"""The lab's operations: up, down, status. Each looks at what is there before it changes anything."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from .apt_sources import AptSource, debian_mirror, read_sources
from .config import BRIDGE, CONTROLLER_ADDRESS, NETWORK, PREFIX, LabPaths, veth_name
from .errors import LabError
from .hosts import host_answers, host_dir, host_image, host_running, sshd_pid, start_host, stop_host, wait_for_ssh
from .image import SUITE, current_image, ensure_image, prune_images
from .inventory import LabHost, LabInventory
from .network import bridge_ready, delete_bridge, ensure_bridge, lab_links, lab_netns, release_netns_dir, unplug
from .prereqs import ensure_prereqs
from .services import AptProxy, RepoServer, ensure_services, stop_services
from .ssh import ensure_keypair, host_public_key, known_hosts_line, public_key, write_known_hosts, write_ssh_settings
from .system import locked, remove_tree

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    """A progress callback that says nothing."""


def up(inventory: LabInventory, names: list[str] | None = None, *, paths: LabPaths,
       progress: Progress = quiet) -> list[str]:
    """Bring the named hosts (default: all) up, clearing a crash's leftovers first; the hosts it started.

    :param progress: called with one line of text for each step, as it happens.
    """
    started_at = time.monotonic()
    wanted = inventory.select(names)
    ensure_prereqs(progress)
    sources = read_sources()
    with locked(paths.lock):
        clear_leftovers(inventory, paths, progress)
        if ensure_bridge():
            progress(f"bridge {BRIDGE} {CONTROLLER_ADDRESS}/{NETWORK.prefixlen} created")
        proxy = ensure_services(paths, sources, progress)
        image = ensure_image(paths, mirror=debian_mirror(sources, SUITE), proxy_url=proxy.url, progress=progress)
        prune_images(paths, keep={image.key, *(host_image(paths, name) for name in host_dirs(paths))})
        ensure_keypair(paths)
        started = start_hosts(inventory, wanted, paths=paths, sources=sources, proxy=proxy, progress=progress)
        wait_for_ssh(wanted)
        refresh_known_hosts(inventory, paths)
        write_ssh_settings(inventory.directory, paths)
    progress(f"up: {len(wanted)} hosts answer ssh ({len(started)} started) in {time.monotonic() - started_at:.1f}s")
    return started


def start_hosts(inventory: LabInventory, wanted: list[LabHost], *, paths: LabPaths, sources: list[AptSource],
                proxy: AptProxy, progress: Progress) -> list[str]:
    image = current_image(paths)
    key = public_key(paths)
    started = []
    for host in wanted:
        if host_running(paths, host):
            progress(f"{host.name} already up ({host.address}, pid {sshd_pid(paths, host)})")
            continue
        begun = time.monotonic()
        try:
            pid = start_host(paths, host, image=image, every_host=inventory.hosts, sources=sources,
                             proxy_url=proxy.url, authorized_key=key)
        except BaseException:
            stop_host(paths, host.name, veth_name(host.address))  # leave no half-made host behind
            raise
        progress(f"{host.name} started ({host.address}, pid {pid}) in {time.monotonic() - begun:.1f}s")
        started.append(host.name)
    return started


def refresh_known_hosts(inventory: LabInventory, paths: LabPaths) -> None:
    lines = [known_hosts_line(host, host_public_key(host_dir(paths, host.name).root))
             for host in inventory.hosts if host_running(paths, host)]
    write_known_hosts(paths, lines)


def clear_leftovers(inventory: LabInventory, paths: LabPaths, progress: Progress) -> list[str]:
    """Take down every lab host that is not wholly up (a crash's remains) or not in the inventory any more."""
    known = {host.name: host for host in inventory.hosts}
    cleared = []
    for name in sorted(lab_host_names(paths)):
        host = known.get(name)
        if host is not None and host_running(paths, host):
            continue
        stop_host(paths, name, veth_name(host.address) if host else None)
        cleared.append(name)
    if cleared:
        progress(f"cleared leftovers of {', '.join(cleared)}")
    remove_stray_links(known.values())
    prune_shares(inventory, paths, progress)
    return cleared


def prune_shares(inventory: LabInventory, paths: LabPaths, progress: Progress) -> list[str]:
    """Delete the shares no running host mounts any more: a share lives while a host that has it is up."""
    if not paths.shares.is_dir():
        return []
    in_use = {share for host in inventory.hosts if host_running(paths, host) for _, share in host.shares}
    removed = sorted(path.name for path in paths.shares.iterdir() if path.name not in in_use)
    for name in removed:
        remove_tree(paths.share(name))
    if removed:
        progress(f"shares {', '.join(removed)} removed (no host up has them)")
    return removed


def remove_stray_links(hosts: Iterable[LabHost]) -> None:
    """Veths named like the lab's that belong to none of `hosts` (their netns went without them)."""
    expected = {veth_name(host.address) for host in hosts}
    for link in lab_links():
        if link != BRIDGE and link not in expected:
            unplug("", link)


def lab_host_names(paths: LabPaths) -> set[str]:
    """Hosts that have anything on this machine: a namespace or a directory."""
    return {ns.removeprefix(PREFIX) for ns in lab_netns()} | set(host_dirs(paths))


def host_dirs(paths: LabPaths) -> list[str]:
    return sorted(path.name for path in paths.hosts.iterdir()) if paths.hosts.is_dir() else []


def down(inventory: LabInventory, names: list[str] | None = None, *, paths: LabPaths,
         progress: Progress = quiet) -> list[str]:
    """Take the named hosts down (default: the whole lab, with the bridge and the apt proxy); the hosts removed."""
    started_at = time.monotonic()
    chosen = {host.name for host in inventory.select(names)} if names else None
    with locked(paths.lock):
        present = lab_host_names(paths)
        targets = sorted(present & chosen if chosen is not None else present)
        for name in targets:
            address = inventory.get(name).address if name in inventory.names else None
            stop_host(paths, name, veth_name(address) if address else None)
            progress(f"{name} down")
        prune_shares(inventory, paths, progress)
        if chosen is None or not lab_host_names(paths):
            remove_shared(paths, progress)
        else:
            refresh_known_hosts(inventory, paths)
    progress(f"down: {len(targets)} hosts removed in {time.monotonic() - started_at:.1f}s")
    return targets


def remove_shared(paths: LabPaths, progress: Progress) -> None:
    """What all hosts share: stray veths, the bridge, the apt proxy and the CloudStack repository server,
    /run/netns if the lab made it a mount."""
    remove_stray_links(())
    if delete_bridge():
        progress(f"bridge {BRIDGE} removed")
    stop_services(paths, progress)
    release_netns_dir(paths)
    paths.known_hosts.unlink(missing_ok=True)


@dataclass(frozen=True)
class HostStatus:
    name: str
    address: str
    state: str  # up | down | broken (something is there, but not a whole running host)
    pid: int | None


def status(inventory: LabInventory, *, paths: LabPaths) -> dict:
    """What runs now: the bridge, the apt proxy, the CloudStack repository, the base image and each host."""
    present = lab_host_names(paths)
    image = current_image(paths)
    proxy = AptProxy(paths)
    repo = RepoServer(paths)
    return {
        "state_dir": str(paths.state),
        "bridge": {"name": BRIDGE, "address": f"{CONTROLLER_ADDRESS}/{NETWORK.prefixlen}", "up": bridge_ready()},
        "apt_proxy": {"url": proxy.url, "pid": proxy.pid()},
        "cloudstack_repo": {"url": repo.url, "pid": repo.pid(), "build": repo.repository.built_hash()},
        "image": {"key": image.key, "cached": image.complete, "path": str(image.rootfs)},
        "hosts": [asdict(host_status(host, paths, present)) for host in inventory.hosts],
        "strays": sorted(present - set(inventory.names)),
    }


def host_status(host: LabHost, paths: LabPaths, present: set[str]) -> HostStatus:
    if host_running(paths, host) and host_answers(host):
        return HostStatus(host.name, str(host.address), "up", sshd_pid(paths, host))
    state = "broken" if host.name in present else "down"
    return HostStatus(host.name, str(host.address), state, None)


def ssh_host(inventory: LabInventory, name: str, *, paths: LabPaths) -> LabHost:
    """The host to ssh to, which must be up."""
    host = inventory.get(name)
    if not host_running(paths, host):
        raise LabError(f"{name} is not up: run `python -m lab up {name}`")
    return host
