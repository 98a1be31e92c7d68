"""library/cloudstack_systemvm_template: seeding with the stand-in cloud-install-sys-tmplt into a temporary
secondary store, the template id from a real MariaDB deployed by the stand-in cloudstack-setup-databases, the
"URL" a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import bz2
import hashlib
import http.server
import os
import subprocess
import threading
from functools import partial
from pathlib import Path

import pytest

from lab.repository import empty_qcow2
from tests.library.helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    install_common,
    install_management,
    needs_tools,
    query,
    reset,
    run_module,
    run_tasks,
)

pytestmark = pytest.mark.mysql

MODULE = "cloudstack_systemvm_template"
CLOUD_PASSWORD = "cl0ud-db-pw"
VIRTUAL_SIZE = 64 * 1024**2


class Served:
    """A directory served over HTTP on 127.0.0.1, counting the requests."""

    def __init__(self, root: Path) -> None:
        self.paths: list[str] = []
        served = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                served.paths.append(self.path)
                super().do_GET()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def cloud(mariadb_server, tmp_path_factory):
    """A cloud database as cloudstack-setup-databases (4.21) deploys it, the scripts, templates on a web server."""
    needs_tools("uuidgen", "bzip2", "file", "mysql")
    root = tmp_path_factory.mktemp("systemvm")
    reset(mariadb_server)
    ms = install_management(root / "ms", "4.21.0.0")
    done = subprocess.run(
        [
            str(ms.setup_command),
            f"cloud:{CLOUD_PASSWORD}@127.0.0.1:{mariadb_server.port}",
            f"--deploy-as={ADMIN}:{ADMIN_PASSWORD}",
            "-c",
            str(ms.conf),
            "-f",
            str(ms.files),
            "-n",
            str(ms.key_file),
            "-i",
            "198.18.0.21",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    www = root / "www"
    www.mkdir()
    image = empty_qcow2(VIRTUAL_SIZE)
    (www / "systemvm-kvm.qcow2.bz2").write_bytes(bz2.compress(image))
    (www / "systemvm-other.qcow2.bz2").write_bytes(bz2.compress(image + b"\0" * 4096))
    served = Served(www)
    yield {
        "server": mariadb_server,
        "ms": ms,
        "script": install_common(root / "common", "4.21.0.0"),
        "www": www,
        "http": served,
    }
    served.stop()
    reset(mariadb_server)


def sha512(path: Path) -> str:
    return hashlib.sha512(path.read_bytes()).hexdigest()


def args_for(cloud, store: Path, **extra) -> dict:
    return {
        "secondary_storage_path": str(store),
        "install_command": str(cloud["script"]),
        "db_properties": str(cloud["ms"].db_properties),
        "use_proxy": False,
        **extra,
    }


def url_args(cloud, store: Path, name: str = "systemvm-kvm.qcow2.bz2", **extra) -> dict:
    return args_for(
        cloud, store, url=cloud["http"].url(name), checksum="{SHA-512}" + sha512(cloud["www"] / name), **extra
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def properties(directory: Path) -> dict[str, str]:
    text = (directory / "template.properties").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def template_row(cloud) -> tuple:
    return query(cloud["server"], "SELECT uuid, url FROM cloud.vm_template WHERE id = 3")[0]


def test_seed_from_a_url_then_a_rerun_changes_nothing(cloud, tmp_path):
    store = tmp_path / "secondary"
    store.mkdir()
    row, requests = template_row(cloud), len(cloud["http"].paths)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    check = run_module(tmp_path, MODULE, url_args(cloud, store), check=True, diff=True)
    assert check["changed"] and check["path"] == "seeded" and check["commands"] == [], check
    assert check["template_id"] == 3 and check["facts"]["problems"] == ["no template.properties"]
    assert "acsible.source.checksum={SHA-512}" in check["diff"]["after"]
    assert snapshot(store) == {} and template_row(cloud) == row and len(cloud["http"].paths) == requests

    seed, again = run_tasks(
        tmp_path,
        [
            {"name": "Seed", MODULE: url_args(cloud, store, download_dir=str(downloads))},
            {"name": "Seed again", MODULE: url_args(cloud, store, download_dir=str(downloads))},
        ],
        diff=True,
    ).results
    assert seed["changed"] and seed["path"] == "seeded", seed
    directory = store / "template/tmpl/1/3"
    assert seed["template_dir"] == str(directory)
    props = properties(directory)
    uuid = props["qcow2.filename"].removesuffix(".qcow2")
    assert sorted(snapshot(store)) == [f"template/tmpl/1/3/{uuid}.qcow2", "template/tmpl/1/3/template.properties"]
    assert props["qcow2.virtualsize"] == props["virtualsize"] == str(VIRTUAL_SIZE)
    assert props["acsible.file.sha512"] == sha512(directory / f"{uuid}.qcow2")
    assert props["acsible.source.checksum"] == "{SHA-512}" + sha512(cloud["www"] / "systemvm-kvm.qcow2.bz2")
    assert template_row(cloud) == (uuid, cloud["http"].url("systemvm-kvm.qcow2.bz2"))
    assert seed["diff"]["before"] == "" and "uniquename=routing-3" in seed["diff"]["after"]
    assert "-t" in seed["commands"][0] and "-F" not in seed["commands"][0]
    assert seed["commands"][0][seed["commands"][0].index("-d") + 1] == "********"
    assert not again["changed"] and again["path"] == "present", again
    assert again["facts"]["file_checksum_ok"] is True and again["commands"] == []
    assert len(cloud["http"].paths) == requests + 1  # the re-run fetched nothing
    assert list(downloads.iterdir()) == []  # the download was removed once seeded


def test_a_wrong_checksum_on_the_store_is_seeded_again(cloud, tmp_path):
    store = tmp_path / "secondary"
    store.mkdir()
    src = cloud["www"] / "systemvm-kvm.qcow2.bz2"
    first = run_module(tmp_path, MODULE, args_for(cloud, store, src=str(src)))
    assert first["path"] == "seeded", first
    directory = Path(first["template_dir"])
    image = directory / properties(directory)["qcow2.filename"]
    data = bytearray(image.read_bytes())
    data[-1] ^= 0xFF  # same size, other content: only the checksum tells
    image.write_bytes(bytes(data))

    again, settled = run_tasks(
        tmp_path,
        [
            {"name": "Seed", MODULE: args_for(cloud, store, src=str(src))},
            {"name": "Seed again", MODULE: args_for(cloud, store, src=str(src))},
        ],
    ).results
    assert again["changed"] and again["path"] == "seeded", again
    assert again["facts"]["file_checksum_ok"] is False
    assert again["msg"] == ("seeded template 3: the file on the store no longer has the checksum it was seeded with")
    assert "-F" in again["commands"][0]
    files = sorted(snapshot(store))
    assert len(files) == 2 and image.name not in " ".join(files)
    assert not settled["changed"] and settled["path"] == "present", settled


def test_a_bad_source_checksum_fails_and_leaves_the_store_alone(cloud, tmp_path):
    store = tmp_path / "secondary"
    store.mkdir()
    run_module(tmp_path, MODULE, url_args(cloud, store))
    before, row = snapshot(store), template_row(cloud)
    other = cloud["www"] / "systemvm-other.qcow2.bz2"
    wrong = "sha512:" + "0" * 128
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    bad_url, bad_src = run_tasks(
        tmp_path,
        [
            {
                "name": "A URL whose file has another checksum",
                MODULE: args_for(
                    cloud, store, url=cloud["http"].url(other.name), checksum=wrong, download_dir=str(downloads)
                ),
            },
            {"name": "A file with another checksum", MODULE: args_for(cloud, store, src=str(other), checksum=wrong)},
        ],
    ).results
    assert bad_url["failed"] and bad_src["failed"], (bad_url, bad_src)
    assert bad_url["msg"] == (
        f"checksum: the file from {cloud['http'].url(other.name)} has {{SHA-512}}{sha512(other)}, "
        f"not {{SHA-512}}{'0' * 128}; the store was not changed"
    )
    assert (
        bad_src["msg"] == f"checksum: {other} has {{SHA-512}}{sha512(other)}, not {{SHA-512}}{'0' * 128}; "
        "the store was not changed"
    )
    assert bad_url["commands"] == [] and bad_src["commands"] == []
    assert snapshot(store) == before and template_row(cloud) == row
    assert list(downloads.iterdir()) == []


def test_modes_and_the_management_servers_own_registration(cloud, tmp_path):
    store = tmp_path / "secondary"
    store.mkdir()
    src = str(cloud["www"] / "systemvm-kvm.qcow2.bz2")
    old, empty = run_tasks(
        tmp_path,
        [
            {
                "name": "Management on a cloud that does not say its version",
                MODULE: args_for(cloud, store, src=src, mode="management"),
            },
            {
                "name": "Management on 4.21",
                MODULE: args_for(cloud, store, src=src, mode="management", cloudstack_version="4.21.0.0"),
            },
        ],
    ).results
    assert old["failed"] and old["msg"].startswith("mode: management needs CloudStack 4.16 or later"), old
    assert old["msg"].endswith(
        "the cloud is 4.0.0 (set cloudstack_version if the management server has not started yet)"
    )
    assert not empty["changed"] and empty["path"] == "left_to_management", empty
    assert snapshot(store) == {}

    # What the management server's setup-sysvm-tmplt leaves on the first NFS store it registers.
    directory = store / "template/tmpl/1/3"
    directory.mkdir(parents=True)
    (directory / "4a1e.qcow2").write_bytes(b"\0" * 1000)
    (directory / "template.properties").write_text(
        "filename=4a1e.qcow2\ndescription=SystemVM Template ( kvm )\nhvm=false\nsize=1000\nqcow2=true\nid=3\n"
        "public=true\nqcow2.filename=4a1e.qcow2\nuniquename=routing-3\nqcow2.virtualsize=1000\nvirtualsize=1000\n"
        "qcow2.size=1000\n"
    )
    registered = snapshot(store)
    auto, management, seed = run_tasks(
        tmp_path,
        [
            {"name": "Auto", MODULE: args_for(cloud, store, src=src)},
            {
                "name": "Management",
                MODULE: args_for(cloud, store, src=src, mode="management", cloudstack_version="4.21"),
            },
            {"name": "Seed", MODULE: args_for(cloud, store, src=src, mode="seed")},
        ],
    ).results
    assert not auto["changed"] and auto["path"] == "present" and auto["facts"]["owner"] == "management", auto
    assert not management["changed"] and management["path"] == "present", management
    assert seed["changed"] and seed["path"] == "seeded", seed
    assert seed["msg"] == "seeded template 3: the template was not seeded by this module (management)"
    assert snapshot(store) != registered and properties(directory)["description"] == "SystemVM Template"


def test_bad_input_is_refused_before_any_change(cloud, tmp_path):
    store = tmp_path / "secondary"
    store.mkdir()
    src = str(cloud["www"] / "systemvm-kvm.qcow2.bz2")
    results = run_tasks(
        tmp_path,
        [
            {"name": "A URL without checksum", MODULE: args_for(cloud, store, url=cloud["http"].url("x"))},
            {"name": "A checksum of no known length", MODULE: args_for(cloud, store, src=src, checksum="abc123")},
            {"name": "A file URL", MODULE: args_for(cloud, store, url=f"file://{src}", checksum="0" * 32)},
            {"name": "No store", MODULE: args_for(cloud, tmp_path / "nowhere", src=src)},
            {"name": "A hypervisor without a template", MODULE: args_for(cloud, store, src=src, hypervisor="lxc")},
            {"name": "A missing file", MODULE: args_for(cloud, store, src=str(tmp_path / "missing.qcow2"))},
            {"name": "Both", MODULE: args_for(cloud, store, src=src, url=cloud["http"].url("x"), checksum="0" * 32)},
        ],
    ).results
    messages = [result["msg"] for result in results]
    assert all(result["failed"] for result in results), results
    assert messages[0] == "missing parameter(s) required by 'url': checksum"
    assert messages[1].startswith("checksum: 'abc123' is not {ALGORITHM}hex, algorithm:hex or the hex digest")
    assert messages[2] == f"url: 'file://{src}' is not an http or https URL (a file on the host is src)"
    assert (
        messages[3] == f"secondary_storage_path: {tmp_path / 'nowhere'} is not a directory (is the secondary "
        "storage mounted?)"
    )
    assert messages[4] == "template_id: the cloud database has no SYSTEM template for LXC (is it deployed?)"
    assert messages[5] == f"src: {tmp_path / 'missing.qcow2'} is not a file on this host"
    assert messages[6] == "parameters are mutually exclusive: url|src"
    assert snapshot(store) == {}
    assert os.listdir(store) == []
