"""The lab's CloudStack apt repository: stand-in cloudstack-* packages built from simulator/, signed per lab.

Laid out like download.cloudstack.org (`deb https://download.cloudstack.org/ubuntu jammy 4.19`: one suite,
one component per CloudStack major.minor), under `debian/` instead of `ubuntu/`:

    release.asc                                              the lab's public key (download.cloudstack.org has one)
    debian/dists/bookworm/InRelease, Release, Release.gpg    signed with that key
    debian/dists/bookworm/4.19/binary-amd64/Packages(.gz)    one component per version in VERSIONS
    debian/pool/4.19/cloudstack-common_4.19.3.0~bookworm_all.deb ...
    systemvm/4.19/systemvmtemplate-4.19.1-kvm.qcow2.bz2      tiny stand-in templates for cloud-install-sys-tmplt -u

A host trusts it with `deb [signed-by=/etc/apt/keyrings/cloudstack.asc] http://198.18.0.1:8090/debian bookworm 4.21`.
Packages are made with dpkg-deb from simulator/packaging/<package>/{DEBIAN,root} (@VERSION@ and @DEBVERSION@
replaced; root-<major.minor>/ holds the files that differ in that version); cloudstack-management also carries
the simulator itself. The whole tree is rebuilt only when a file
under simulator/, this recipe or the key changes (a hash kept beside it).
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import REPO_ROOT, LabPaths
from .system import remove_tree, run, wait_until, write_file

VERSIONS = ("4.19.3.0", "4.21.0.0")
SUITE = "bookworm"
PACKAGES = ("cloudstack-common", "cloudstack-management", "cloudstack-usage", "cloudstack-agent")
RECIPE = 2  # bump when the build below changes, so cached repositories are rebuilt
SIMULATOR = REPO_ROOT / "simulator"
PACKAGING = SIMULATOR / "packaging"
SIMULATOR_IN_PACKAGE = Path("usr/share/cloudstack-management/lib/simulator")
# The system VM template each version ships (project.systemvm.template.version), by download path.
SYSTEMVM_TEMPLATES = {
    "4.19.3.0": "systemvm/4.19/systemvmtemplate-4.19.1-kvm.qcow2.bz2",
    "4.21.0.0": "systemvm/4.20/systemvmtemplate-4.20.2-x86_64-kvm.qcow2.bz2",
}
TEMPLATE_VIRTUAL_SIZE = 5 * 1024**3
KEY_PARAMETERS = """\
%no-protection
Key-Type: RSA
Key-Length: 4096
Key-Usage: sign
Name-Real: acsible lab CloudStack packages
Name-Email: cloudstack-packages@lab.acsible.invalid
Expire-Date: 0
%commit
"""
IGNORED = ("__pycache__", ".pyc", ".pyo", ".db", ".db-wal", ".db-shm")  # besides dot-files (caches, editors)


def ignored(relative: Path) -> bool:
    return any(part.startswith(".") or part in IGNORED or part.endswith(IGNORED) for part in relative.parts)


def component(version: str) -> str:
    """The apt component of a version: its major.minor (4.19.3.0 -> 4.19)."""
    return ".".join(version.split(".")[:2])


def debian_version(version: str) -> str:
    """The package version, as CloudStack's build-deb.sh makes it: VERSION~CODENAME."""
    return f"{version}~{SUITE}"


@dataclass(frozen=True)
class Repository:
    """The repository's files under the state dir: the key (kept across `down`), the served tree, its hash."""

    home: Path

    @classmethod
    def of(cls, paths: LabPaths) -> Repository:
        return cls(paths.services / "cloudstack-repo")

    @property
    def gnupg(self) -> Path:
        return self.home / "gnupg"

    @property
    def www(self) -> Path:
        return self.home / "www"

    @property
    def hash_file(self) -> Path:
        return self.home / "www.hash"

    @property
    def public_key(self) -> Path:
        return self.www / "release.asc"

    def built_hash(self) -> str:
        try:
            return self.hash_file.read_text().strip() if self.www.is_dir() else ""
        except OSError:
            return ""


# -- the key ----------------------------------------------------------------------------------------------


def gpg(repo: Repository, *args: str) -> str:
    return run(["gpg", "--homedir", str(repo.gnupg), "--batch", "--quiet", *args])


def ensure_key(repo: Repository) -> str:
    """The lab's signing key (made once, an RSA 4096 key like a real repository's); its fingerprint."""
    fingerprint = key_fingerprint(repo)
    if fingerprint:
        return fingerprint
    remove_tree(repo.gnupg)
    repo.gnupg.mkdir(parents=True, mode=0o700)
    params = repo.home / "key-parameters"
    write_file(params, KEY_PARAMETERS, mode=0o600)
    try:
        gpg(repo, "--gen-key", str(params))
    finally:
        stop_gpg_agent(repo)
        params.unlink(missing_ok=True)
    return key_fingerprint(repo)


def key_fingerprint(repo: Repository) -> str:
    if not (repo.gnupg / "pubring.kbx").exists():
        return ""
    listing = gpg(repo, "--with-colons", "--list-keys")  # public keys: no gpg-agent needed
    return next((line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")), "")


def stop_gpg_agent(repo: Repository) -> None:
    """gpg starts an agent for secret-key work; the lab leaves nothing running."""
    run(["gpgconf", "--homedir", str(repo.gnupg), "--kill", "all"])
    wait_until(lambda: not agent_running(repo), timeout=10, what="gpg-agent of the lab repository gone")


def agent_running(repo: Repository) -> bool:
    needle = str(repo.gnupg).encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


# -- what the packages are built from -----------------------------------------------------------------------


def source_files(root: Path = SIMULATOR) -> list[Path]:
    """Every file the packages are built from: simulator/ (packaging included), without caches and states."""
    return sorted(path for path in root.rglob("*") if path.is_file() and not ignored(path.relative_to(root)))


def source_hash(fingerprint: str) -> str:
    digest = hashlib.sha256(json.dumps({"recipe": RECIPE, "versions": VERSIONS, "suite": SUITE,
                                        "key": fingerprint}).encode())
    for path in source_files():
        digest.update(f"{path.relative_to(SIMULATOR)}\0{path.stat().st_mode & 0o111}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_repository(paths: LabPaths, progress: Callable[[str], None]) -> Repository:
    """The repository, built first when it is missing or its sources changed."""
    repo = Repository.of(paths)
    repo.home.mkdir(parents=True, exist_ok=True)
    fingerprint = ensure_key(repo)
    wanted = source_hash(fingerprint)
    if repo.built_hash() == wanted:
        progress(f"cloudstack repository {wanted} cached")
        return repo
    started = time.monotonic()
    build(repo, fingerprint)
    write_file(repo.hash_file, wanted + "\n")
    progress(f"cloudstack repository {wanted} built ({len(VERSIONS)} versions of {len(PACKAGES)} packages) "
             f"in {time.monotonic() - started:.1f}s")
    return repo


def build(repo: Repository, fingerprint: str) -> None:
    """Build the whole tree beside the served one, then swap it in."""
    partial, scratch = repo.home / "www.partial", repo.home / "scratch"
    for leftover in (partial, scratch):
        remove_tree(leftover)
    try:
        for version in VERSIONS:
            for package in PACKAGES:
                build_deb(package, version, scratch, partial / "debian" / "pool" / component(version))
            write_template(partial / SYSTEMVM_TEMPLATES[version])
        write_indexes(partial / "debian")
        sign_release(repo, fingerprint, partial / "debian" / "dists" / SUITE)
        write_file(partial / "release.asc", gpg(repo, "--armor", "--export", fingerprint))
    except BaseException:
        remove_tree(partial)
        raise
    finally:
        remove_tree(scratch)
    old = repo.home / "www.old"
    remove_tree(old)
    if repo.www.exists():
        repo.www.rename(old)
    partial.rename(repo.www)
    remove_tree(old)


# -- one package --------------------------------------------------------------------------------------------


def build_deb(package: str, version: str, scratch: Path, pool: Path) -> Path:
    stage = scratch / f"{package}-{version}"
    copy_tree(PACKAGING / package / "root", stage, version)
    # Files that differ in one version (root-4.19/...) replace the common ones in that version's package.
    copy_tree(PACKAGING / package / f"root-{component(version)}", stage, version)
    if package == "cloudstack-management":
        copy_tree(SIMULATOR, stage / SIMULATOR_IN_PACKAGE, None, skip=PACKAGING)
    copy_tree(PACKAGING / package / "DEBIAN", stage / "DEBIAN", version)
    write_metadata(stage)
    pool.mkdir(parents=True, exist_ok=True)
    deb = pool / f"{package}_{debian_version(version)}_all.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)])
    return deb


def copy_tree(source: Path, target: Path, version: str | None, *, skip: Path | None = None) -> None:
    """Copy files with normal modes (0755 if executable, else 0644); with a version, fill in its tokens."""
    if not source.is_dir():
        return
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if not path.is_file() or (skip and skip in path.parents) or ignored(relative):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if version is not None:
            data = data.replace(b"@DEBVERSION@", debian_version(version).encode())
            data = data.replace(b"@VERSION@", version.encode())
        destination.write_bytes(data)
        destination.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
    for directory in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        directory.chmod(0o755)


def write_metadata(stage: Path) -> None:
    """conffiles (everything under /etc, as debhelper marks them), md5sums and Installed-Size."""
    files = sorted(p for p in stage.rglob("*") if p.is_file() and "DEBIAN" not in p.relative_to(stage).parts)
    conffiles = [f"/{p.relative_to(stage)}" for p in files if p.relative_to(stage).parts[0] == "etc"]
    if conffiles:
        write_file(stage / "DEBIAN/conffiles", "\n".join(conffiles) + "\n")
    sums = "".join(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(stage)}\n" for p in files)
    write_file(stage / "DEBIAN/md5sums", sums)
    directories = [p for p in stage.rglob("*") if p.is_dir() and "DEBIAN" not in p.relative_to(stage).parts]
    size = sum(math.ceil(p.stat().st_size / 1024) for p in files) + len(directories)
    control = (stage / "DEBIAN/control").read_text().rstrip("\n")
    write_file(stage / "DEBIAN/control", f"{control}\nInstalled-Size: {size}\n")


def write_template(path: Path) -> None:
    """An empty qcow2 image (as `qemu-img create -f qcow2` makes), bzip2-compressed, with its md5sum.txt line."""
    data = bz2.compress(empty_qcow2(TEMPLATE_VIRTUAL_SIZE))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with open(path.parent / "md5sum.txt", "a") as sums:
        sums.write(f"{hashlib.md5(data).hexdigest()}  {path.name}\n")


def empty_qcow2(virtual_size: int) -> bytes:
    """Header, refcount table, refcount block and L1 table, one 64 KiB cluster each, nothing allocated."""
    cluster = 1 << 16
    l1_entries = math.ceil(virtual_size / (cluster * (cluster // 8)))
    header = struct.pack(">4sIQIIQIIQQIIQQQQII", b"QFI\xfb", 3, 0, 0, 16, virtual_size, 0, l1_entries, 3 * cluster,
                         cluster, 1, 0, 0, 0, 0, 0, 4, 104)
    refcount_table = struct.pack(">Q", 2 * cluster)
    refcount_block = struct.pack(">4H", 1, 1, 1, 1)
    return b"".join(part.ljust(cluster, b"\0") for part in (header, refcount_table, refcount_block, b""))


# -- the index and its signature ----------------------------------------------------------------------------


def write_indexes(debian: Path) -> None:
    """Packages(.gz) per component, as dpkg-scanpackages writes them, paths relative to debian/."""
    arch = architecture()
    for version in VERSIONS:
        name = component(version)
        packages = run(["dpkg-scanpackages", "--multiversion", f"pool/{name}", "/dev/null"], cwd=debian)
        binary = debian / "dists" / SUITE / name / f"binary-{arch}"
        write_file(binary / "Packages", packages)
        (binary / "Packages.gz").write_bytes(gzip.compress(packages.encode(), mtime=0))
    write_file(debian / "dists" / SUITE / "Release", release_text(debian / "dists" / SUITE, arch))


def architecture() -> str:
    """The hosts' architecture: theirs is the controller's (the image is debootstrapped here)."""
    return run(["dpkg", "--print-architecture"]).strip()


def release_text(dist: Path, arch: str) -> str:
    indexes = sorted(p for p in dist.rglob("Packages*") if p.is_file())
    lines = ["Origin: acsible lab", "Label: Apache CloudStack (acsible lab stand-in)", f"Suite: {SUITE}",
             f"Codename: {SUITE}", f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime())}",
             f"Architectures: {arch}", f"Components: {' '.join(component(v) for v in VERSIONS)}",
             "Description: stand-in cloudstack-* packages built from the acsible simulator"]
    for title, algorithm in (("MD5Sum", hashlib.md5), ("SHA256", hashlib.sha256)):
        lines.append(f"{title}:")
        for path in indexes:
            data = path.read_bytes()
            lines.append(f" {algorithm(data).hexdigest()} {len(data):>8} {path.relative_to(dist)}")
    return "\n".join(lines) + "\n"


def sign_release(repo: Repository, fingerprint: str, dist: Path) -> None:
    release = str(dist / "Release")
    try:
        gpg(repo, "--yes", "--local-user", fingerprint, "--digest-algo", "SHA512", "--clearsign",
            "--output", str(dist / "InRelease"), release)
        gpg(repo, "--yes", "--local-user", fingerprint, "--digest-algo", "SHA512", "--armor", "--detach-sign",
            "--output", str(dist / "Release.gpg"), release)
    finally:
        stop_gpg_agent(repo)
