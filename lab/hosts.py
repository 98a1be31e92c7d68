"""One lab host: an overlay root on the cached image, its own files, and sshd as PID 1 of its namespaces."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .apt_sources import AptSource
from .config import CONTROLLER_ADDRESS, SSH_PORT, LabPaths, netns_name
from .errors import LabError
from .image import BaseImage
from .inventory import LabHost
from .network import host_plugged, in_netns, netns_pids, plug_host, unplug
from .ssh import make_host_key
from .system import (
    POLL_INTERVAL,
    is_mount_point,
    kill,
    pid_alive,
    read_pids,
    remove_tree,
    run,
    spawn_detached,
    ssh_banner,
    wait_until,
    write_file,
)

SSHD = "/usr/sbin/sshd"  # inside the host's root
STOP_TIMEOUT = 15.0
SSH_TIMEOUT = 30.0
BOOT_GRACE = 1.0  # after this, a boot with no process left in its netns has failed
# Runs inside the host's new mount, pid and uts namespaces (sh is PID 1 there), then becomes sshd.
# $1 is the host's root (the overlay), $2 its name. pivot_root leaves the host a mount table of its own
# (its facts list only its own mounts, and it holds no reference to other hosts' mounts or namespaces).
# Not a security boundary, but no accident in a host reaches the controller: /dev holds only the harmless
# nodes, /sys and /proc/sys are read-only (but /proc/sys/net, which is the host's own), and no process in
# the host can load modules, reboot, or set the clock.
# sshd is started through a link named `sysvinit`: Ansible takes PID 1's name as the service manager, so
# ansible_service_mgr is `sysvinit`, which is how services run here, even once a package has installed
# systemd-sysv (/sbin/init -> systemd, which Ansible would otherwise believe). Its argv[0] stays
# /usr/sbin/sshd, so the sessions it re-executes are plain sshd processes.
BOOT_SCRIPT = """\
set -e
cd "$1"
mount -t proc proc proc
mount --bind proc/sys/net proc/sys/net
mount --rbind proc/sys proc/sys
mount -o remount,bind,ro proc/sys
mount -t sysfs -o ro sysfs sys
mount -t tmpfs -o mode=0755,nosuid tmpfs dev
for node in null zero full random urandom tty; do touch "dev/$node"; mount --bind "/dev/$node" "dev/$node"; done
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs dev/shm
ln -s pts/ptmx dev/ptmx
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs run
mkdir -p run/sshd run/lock run/oldroot run/acsible-lab
ln -s /usr/sbin/sshd run/acsible-lab/sysvinit
hostname "$2"
pivot_root . run/oldroot
cd /
umount -l /run/oldroot
rmdir /run/oldroot
exec setpriv --bounding-set -sys_module,-sys_boot,-sys_time,-sys_rawio \\
    bash -c 'exec -a /usr/sbin/sshd /run/acsible-lab/sysvinit -D -e'
"""


@dataclass(frozen=True)
class HostDir:
    """A host's directory in the state dir: upper and work layers, the merged root, pids and sshd's log."""

    path: Path

    @property
    def root(self) -> Path:
        return self.path / "root"

    @property
    def pid_file(self) -> Path:
        return self.path / "pids"

    @property
    def image_file(self) -> Path:
        return self.path / "image"

    @property
    def log(self) -> Path:
        return self.path / "sshd.log"


def host_dir(paths: LabPaths, name: str) -> HostDir:
    return HostDir(paths.host(name))


def sshd_pid(paths: LabPaths, host: LabHost) -> int | None:
    """The recorded PID 1 of the host, if it still runs inside the host's namespace."""
    pids = read_pids(host_dir(paths, host.name).pid_file)
    if pids and pid_alive(pids[0]) and in_netns(pids[0], netns_name(host.name)):
        return pids[0]
    return None


def host_running(paths: LabPaths, host: LabHost) -> bool:
    """Plugged in, root mounted and sshd alive: what `up` leaves alone (a port check is `host_answers`)."""
    return host_plugged(host) and is_mount_point(host_dir(paths, host.name).root) and sshd_pid(paths, host) is not None


def host_answers(host: LabHost) -> bool:
    return ssh_banner(str(host.address), SSH_PORT)


def host_image(paths: LabPaths, name: str) -> str:
    try:
        return host_dir(paths, name).image_file.read_text().strip()
    except OSError:
        return ""


def start_host(paths: LabPaths, host: LabHost, *, image: BaseImage, every_host: tuple[LabHost, ...],
               sources: list[AptSource], proxy_url: str, authorized_key: str) -> int:
    """Make the host from nothing (the caller cleared leftovers) and start its sshd; its pid."""
    directory = host_dir(paths, host.name)
    mount_root(directory, image)
    mount_shares(paths, directory, host)
    write_host_files(directory.root, host, every_host=every_host, sources=sources, proxy_url=proxy_url,
                     authorized_key=authorized_key)
    make_host_key(directory.root, host)
    plug_host(host, paths)
    return start_sshd(paths, host)


def mount_root(directory: HostDir, image: BaseImage) -> None:
    for name in ("upper", "work", "root"):
        (directory.path / name).mkdir(parents=True, exist_ok=True)
    write_file(directory.image_file, image.key + "\n")
    options = f"lowerdir={image.rootfs},upperdir={directory.path / 'upper'},workdir={directory.path / 'work'}"
    run(["mount", "-t", "overlay", "overlay", "-o", options, str(directory.root)])


def mount_shares(paths: LabPaths, directory: HostDir, host: LabHost) -> None:
    """Bind each of the host's shares (a directory of the state dir, made on first use) at its path in the
    host's root, before the host boots: its mount namespace starts as a copy that holds them."""
    for path, name in host.shares:
        share = paths.share(name)
        share.mkdir(mode=0o755, parents=True, exist_ok=True)
        target = share_mount_point(directory.root, path, host.name)
        target.mkdir(mode=0o755, parents=True, exist_ok=True)
        run(["mount", "--bind", str(share), str(target)])


def share_mount_point(root: Path, path: str, host_name: str) -> Path:
    """`path` inside `root`, refusing a path that passes through a link (it could lead out of the host)."""
    target = root
    for part in Path(path).relative_to("/").parts:
        target = target / part
        if target.is_symlink():
            raise LabError(f"{host_name}: lab_shares path {path} passes through the link /"
                           f"{target.relative_to(root)} in the image")
    return target


def write_host_files(root: Path, host: LabHost, *, every_host: tuple[LabHost, ...], sources: list[AptSource],
                     proxy_url: str, authorized_key: str) -> None:
    """What makes the image this host: names, apt through the proxy, the lab key for root."""
    write_file(root / "etc/hostname", f"{host.name}\n")
    write_file(root / "etc/hosts", hosts_file(every_host))
    write_file(root / "etc/resolv.conf", "# lab hosts have no DNS server: names come from /etc/hosts\n")
    write_file(root / "etc/machine-id", uuid.uuid4().hex + "\n", mode=0o444)
    write_file(root / "etc/apt/sources.list", "# see sources.list.d/debian.sources\n")
    write_file(root / "etc/apt/sources.list.d/debian.sources", "\n".join(s.deb822() for s in sources))
    write_file(root / "etc/apt/apt.conf.d/01acsible-lab-proxy", apt_proxy_conf(proxy_url))
    # A lab host is thrown away, not recovered after a crash: dpkg need not fsync every file (halves installs).
    write_file(root / "etc/dpkg/dpkg.cfg.d/acsible-lab-unsafe-io", "force-unsafe-io\n")
    (root / "root/.ssh").mkdir(mode=0o700, exist_ok=True)
    write_file(root / "root/.ssh/authorized_keys", authorized_key, mode=0o600)


def apt_proxy_conf(proxy_url: str) -> str:
    """apt through the proxy, but straight to the controller's own CloudStack repository (no stale cache)."""
    return f'Acquire::http::Proxy "{proxy_url}";\nAcquire::http::Proxy::{CONTROLLER_ADDRESS} "DIRECT";\n'


def hosts_file(every_host: tuple[LabHost, ...]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             f"{CONTROLLER_ADDRESS}\tlab-controller"]
    lines += [f"{host.address}\t{host.name}" for host in every_host]
    return "\n".join(lines) + "\n"


def start_sshd(paths: LabPaths, host: LabHost) -> int:
    """sshd as PID 1 of new mount/pid/uts namespaces inside the host's netns; records and returns its pid."""
    directory, ns = host_dir(paths, host.name), netns_name(host.name)
    argv = ["ip", "netns", "exec", ns, "unshare", "--mount", "--pid", "--uts", "--fork", "--propagation", "private",
            "sh", "-c", BOOT_SCRIPT, "boot", str(directory.root), host.name]
    spawn_detached(argv, log=directory.log)
    pids = wait_for_boot(host.name, ns, directory.log)
    write_file(directory.pid_file, " ".join(map(str, pids)) + "\n")
    return pids[0]


def wait_for_boot(name: str, ns: str, log: Path) -> list[int]:
    """The boot's pids once sshd is PID 1; fails early, with the boot's log, if nothing runs in `ns` any more."""
    deadline = time.monotonic() + SSH_TIMEOUT
    grace = time.monotonic() + BOOT_GRACE
    while time.monotonic() < deadline:
        pids = boot_pids(ns)
        if pids:
            return pids
        if time.monotonic() > grace and not [pid for pid in netns_pids(ns) if pid_alive(pid)]:
            break
        time.sleep(POLL_INTERVAL)
    raise LabError(f"{name}: sshd did not start; {log}:\n{log.read_text(errors='replace')[-2000:]}")


def boot_pids(ns: str) -> list[int] | None:
    """[sshd, unshare] once sshd runs as PID 1 of its pid namespace in `ns`."""
    for pid in netns_pids(ns):
        status = read_status(pid)
        if status.get("NSpid", "").split()[1:] == ["1"] and exe_path(pid) == SSHD:
            return [pid, int(status["PPid"])]
    return None


def read_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


def wait_for_ssh(hosts: list[LabHost]) -> None:
    for host in hosts:
        wait_until(lambda host=host: host_answers(host), timeout=SSH_TIMEOUT, what=f"{host.name}: ssh answering")


def stop_host(paths: LabPaths, name: str, veth: str | None) -> None:
    """Kill the host's processes (by pid, each checked to be in its netns), unmount, unplug, delete its dir."""
    kill_processes(paths, name)
    remove_tree(host_dir(paths, name).path)
    unplug(netns_name(name), veth)


def kill_processes(paths: LabPaths, name: str) -> None:
    ns = netns_name(name)
    recorded = read_pids(host_dir(paths, name).pid_file)
    # Killing PID 1 of the host's pid namespace ends every process in it; what else joined the netns
    # (an `ip netns exec` from outside) is killed by pid too.
    for pid in [*recorded, *netns_pids(ns)]:
        if in_netns(pid, ns):
            kill(pid)
    wait_until(lambda: not [pid for pid in netns_pids(ns) if pid_alive(pid)], timeout=STOP_TIMEOUT,
               what=f"{name}: processes gone")


def exe_path(pid: int) -> str:
    """What process `pid` runs, as its own root sees it (a lab host's sshd shows /usr/sbin/sshd)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""
