"""Services the controller runs for the lab hosts, on 198.18.0.1 only.

A caching apt proxy (apt-cacher-ng), because hosts have no route out; and the lab's signed apt repository
of stand-in cloudstack-* packages (built by repository.py), served by a small static file server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .apt_sources import AptSource
from .config import CONTROLLER_ADDRESS, LabPaths
from .errors import ConfigurationError, LabError
from .repository import Repository, ensure_repository
from .system import cmdline, kill, pid_alive, port_open, read_pids, spawn_detached, wait_until, write_file

APT_PROXY_PORT = 3142
APT_PROXY_BINARY = "/usr/sbin/apt-cacher-ng"
REPO_PORT = 8090
REPO_SERVER = Path(__file__).with_name("repo_server.py")
START_TIMEOUT = 15.0


class AptProxy:
    """apt-cacher-ng bound to the bridge address, with its config, cache and logs under the state dir."""

    def __init__(self, paths: LabPaths) -> None:
        self.home = paths.services / "apt-proxy"

    @property
    def url(self) -> str:
        return f"http://{CONTROLLER_ADDRESS}:{APT_PROXY_PORT}"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "apt-cacher-ng.pid"

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    def config(self, sources: list[AptSource]) -> str:
        # Our own config, not the package's: its default Debian backend does not resolve here. Requests go to
        # the mirrors this machine's apt sources name, which are the ones the hosts' sources name too.
        remaps = "".join(f"Remap-lab{index}: {strip_scheme(source.uri)} ; {source.uri}/\n"
                         for index, source in enumerate(unique_uris(sources)))
        return (f"CacheDir: {self.home / 'cache'}\n"
                f"LogDir: {self.log_dir}\n"
                "SupportDir: /usr/lib/apt-cacher-ng\n"
                f"PidFile: {self.pid_file}\n"
                f"BindAddress: {CONTROLLER_ADDRESS}\n"
                f"Port: {APT_PROXY_PORT}\n"
                "ExThreshold: 4\n"
                f"{remaps}")

    def pid(self) -> int | None:
        """The pid of the proxy the lab started, if it still runs (checked: it must be our apt-cacher-ng)."""
        for pid in read_pids(self.pid_file):
            if pid_alive(pid) and str(self.conf_dir) in cmdline(pid):
                return pid
        return None

    def ensure(self, sources: list[AptSource], progress: Callable[[str], None]) -> None:
        """Start the proxy unless ours runs with this config already (a changed config restarts it)."""
        changed = write_file(self.conf_dir / "acng.conf", self.config(sources))
        running = self.pid()
        if running and not changed and port_open(str(CONTROLLER_ADDRESS), APT_PROXY_PORT):
            progress(f"apt proxy running at {self.url} (pid {running})")
            return
        self.stop(progress)
        if port_open(str(CONTROLLER_ADDRESS), APT_PROXY_PORT):
            raise ConfigurationError(f"something else listens on {CONTROLLER_ADDRESS}:{APT_PROXY_PORT}")
        for name in ("cache", "log"):
            (self.home / name).mkdir(parents=True, exist_ok=True)
        spawn_detached([APT_PROXY_BINARY, "-c", str(self.conf_dir), "ForeGround=1"], log=self.home / "output.log")
        wait_until(lambda: port_open(str(CONTROLLER_ADDRESS), APT_PROXY_PORT, timeout=0.2) and self.pid(),
                   timeout=START_TIMEOUT, what=f"apt-cacher-ng answering at {self.url}")
        progress(f"apt proxy started at {self.url} (pid {self.pid()})")

    def stop(self, progress: Callable[[str], None]) -> bool:
        return stop_recorded(self.pid(), self.pid_file, "apt proxy", progress)


class RepoServer:
    """The static file server of the lab's CloudStack repository, bound to the bridge address."""

    def __init__(self, paths: LabPaths) -> None:
        self.repository = Repository.of(paths)

    @property
    def url(self) -> str:
        return f"http://{CONTROLLER_ADDRESS}:{REPO_PORT}"

    @property
    def pid_file(self) -> Path:
        return self.repository.home / "server.pid"

    @property
    def log(self) -> Path:
        return self.repository.home / "server.log"

    def pid(self) -> int | None:
        """The pid of the server the lab started, if it still runs (checked: it must serve our tree)."""
        for pid in read_pids(self.pid_file):
            if pid_alive(pid) and str(self.repository.www) in cmdline(pid):
                return pid
        return None

    def ensure(self, progress: Callable[[str], None]) -> None:
        running = self.pid()
        if running and port_open(str(CONTROLLER_ADDRESS), REPO_PORT):
            progress(f"cloudstack repository served at {self.url} (pid {running})")
            return
        self.stop(progress)
        if port_open(str(CONTROLLER_ADDRESS), REPO_PORT):
            raise ConfigurationError(f"something else listens on {CONTROLLER_ADDRESS}:{REPO_PORT}")
        spawn_detached([sys.executable, str(REPO_SERVER), "--bind", str(CONTROLLER_ADDRESS), "--port", str(REPO_PORT),
                        "--root", str(self.repository.www), "--pid-file", str(self.pid_file)], log=self.log)
        wait_until(lambda: port_open(str(CONTROLLER_ADDRESS), REPO_PORT, timeout=0.2) and self.pid(),
                   timeout=START_TIMEOUT, what=f"the cloudstack repository answering at {self.url}")
        progress(f"cloudstack repository served at {self.url} (pid {self.pid()})")

    def stop(self, progress: Callable[[str], None]) -> bool:
        return stop_recorded(self.pid(), self.pid_file, "cloudstack repository server", progress)


def stop_recorded(pid: int | None, pid_file: Path, label: str, progress: Callable[[str], None]) -> bool:
    """Stop a service the lab started (its verified pid, or None) and forget its pid file."""
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    kill(pid)
    wait_until(lambda: not pid_alive(pid), timeout=START_TIMEOUT, what=f"{label} (pid {pid}) gone")
    pid_file.unlink(missing_ok=True)
    progress(f"{label} stopped (pid {pid})")
    return True


def strip_scheme(uri: str) -> str:
    return uri.partition("://")[2] or uri


def unique_uris(sources: list[AptSource]) -> list[AptSource]:
    seen: dict[str, AptSource] = {}
    for source in sources:
        seen.setdefault(source.uri, source)
    return list(seen.values())


def ensure_services(paths: LabPaths, sources: list[AptSource], progress: Callable[[str], None]) -> AptProxy:
    """Start what the hosts need from the controller: the apt proxy (whose URL hosts and debootstrap use) and
    the CloudStack repository, built first if its sources changed."""
    if not Path(APT_PROXY_BINARY).exists():
        raise LabError(f"{APT_PROXY_BINARY} is missing: run `python -m lab prereqs`")
    proxy = AptProxy(paths)
    proxy.ensure(sources, progress)
    ensure_repository(paths, progress)
    RepoServer(paths).ensure(progress)
    return proxy


def stop_services(paths: LabPaths, progress: Callable[[str], None]) -> None:
    RepoServer(paths).stop(progress)
    AptProxy(paths).stop(progress)
