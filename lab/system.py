"""Small helpers over the machine: commands, mounts, processes, files, waiting."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import CommandError, LabError, LabTimeout

POLL_INTERVAL = 0.05
OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")  # mountinfo writes a space in a path as \040


def run(argv: list[str], *, env: dict[str, str] | None = None, log: Path | None = None,
        timeout: float | None = None, cwd: Path | None = None) -> str:
    """Run `argv`; its output (or, with `log`, nothing: output goes there). Raises CommandError."""
    full_env = {**os.environ, **(env or {})}
    if log is None:
        done = subprocess.run(argv, env=full_env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd)
        output = done.stdout + done.stderr
    else:
        with open(log, "w") as out:
            done = subprocess.run(argv, env=full_env, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout, cwd=cwd)
        output = log.read_text(errors="replace")
    if done.returncode != 0:
        raise CommandError(argv, done.returncode, output)
    return done.stdout if log is None else ""


def spawn_detached(argv: list[str], *, log: Path) -> None:
    """Start `argv` in a new session, reparented away from us at once (setsid -f), output to `log`."""
    with open(log, "ab") as out:
        done = subprocess.run(["setsid", "-f", *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if done.returncode != 0:
        raise CommandError(argv, done.returncode, log.read_text(errors="replace"))


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `predicate` until it returns something true; that value. Raises LabTimeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise LabTimeout(f"{what}: still not so after {timeout:.0f}s")
        time.sleep(POLL_INTERVAL)


def ssh_banner(address: str, port: int, timeout: float = 1.0) -> bool:
    """True when something at `address:port` greets like an SSH server."""
    return banner(address, port, timeout).startswith(b"SSH-")


def banner(address: str, port: int, timeout: float = 1.0) -> bytes:
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            return sock.recv(64)
    except OSError:
        return b""


def port_open(address: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


# -- processes ------------------------------------------------------------------------------------

def pid_alive(pid: int) -> bool:
    """True for a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def read_pids(path: Path) -> list[int]:
    try:
        return [int(word) for word in path.read_text().split()]
    except (OSError, ValueError):
        return []


# -- mounts ---------------------------------------------------------------------------------------

def mount_points() -> list[Path]:
    """Mount points of our mount namespace, in mount order."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        field = line.split()[4]
        points.append(Path(OCTAL_ESCAPE.sub(lambda m: chr(int(m[1], 8)), field)))
    return points


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below `root`, deepest first, so they can be unmounted in order."""
    root = root.resolve()
    found = {p for p in mount_points() if p == root or root in p.parents}
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def is_mount_point(path: Path) -> bool:
    return path.resolve() in mount_points()


def unmount_under(root: Path) -> int:
    """Lazily unmount everything at or below `root`; how many mount points there were."""
    points = mounts_under(root)
    for point in points:
        run(["umount", "-l", str(point)])
    if mounts_under(root):
        raise LabError(f"mounts remain under {root} after umount -l: {mounts_under(root)}")
    return len(points)


def remove_tree(root: Path) -> None:
    """Delete `root`, never through a mount: unmount what is below it first, then check."""
    if not root.exists():
        return
    unmount_under(root)
    shutil.rmtree(root)


# -- files ----------------------------------------------------------------------------------------

def write_file(path: Path, text: str, *, mode: int = 0o644) -> bool:
    """Write `text` through a temp file and rename, only if it differs; True when it changed."""
    try:
        if path.read_text() == text and (path.stat().st_mode & 0o777) == mode:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`, so two `up`/`down` never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
