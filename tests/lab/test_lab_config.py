"""The lab's pure parts, without root: inventory, addresses, apt sources, the image key, host files, packages."""

from __future__ import annotations

import ipaddress
import re
import struct
import subprocess
import textwrap

import pytest
import yaml

from lab import repository
from lab.apt_sources import debian_mirror, parse_deb822, parse_one_line
from lab.config import CONTROLLER_ADDRESS, DEFAULT_INVENTORY, NETWORK, lab_address, mac_address, netns_name, veth_name
from lab.errors import ConfigurationError
from lab.hosts import apt_proxy_conf, hosts_file
from lab.image import IMAGE_PACKAGES, image_key
from lab.inventory import load_inventory
from lab.services import REPO_PORT

GROUPS = {
    "db": ["db1", "db2"], "db_primary": ["db1"], "db_replica": ["db2"], "management": ["mgmt1", "mgmt2"],
    "lb": ["lb1"], "storage": ["nfs1"], "kvm": ["kvm1", "kvm2"],
}


def test_lab_inventory_has_the_groups_of_the_issue():
    inventory = load_inventory(DEFAULT_INVENTORY)
    for group, members in GROUPS.items():
        assert [host.name for host in inventory.hosts if group in host.groups] == members
    assert all(host.address in NETWORK for host in inventory.hosts)
    assert len({host.address for host in inventory.hosts}) == len(inventory.hosts)


@pytest.mark.parametrize("value", ["192.0.2.5", "198.18.0.1", "198.18.0.0", "198.18.0.255", "127.0.0.1", "db1"])
def test_only_lab_host_addresses_are_accepted(value):
    with pytest.raises(ConfigurationError):
        lab_address(value)


def test_an_inventory_with_an_outside_address_is_refused(tmp_path):
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    web1:\n      ansible_host: 192.0.2.10\n")
    with pytest.raises(ConfigurationError, match="not a lab host address"):
        load_inventory(tmp_path)


def test_an_inventory_with_a_shared_address_is_refused(tmp_path):
    hosts = "all:\n  hosts:\n    a1:\n      ansible_host: 198.18.0.9\n    a2:\n      ansible_host: 198.18.0.9\n"
    (tmp_path / "hosts.yml").write_text(hosts)
    with pytest.raises(ConfigurationError, match=r"share 198\.18\.0\.9"):
        load_inventory(tmp_path)


def test_selecting_an_unknown_host_names_it():
    with pytest.raises(ConfigurationError, match="'web9'"):
        load_inventory(DEFAULT_INVENTORY).select(["db1", "web9"])


def test_names_fit_linux_limits_and_carry_the_lab_prefix():
    address = ipaddress.IPv4Address("198.18.0.254")
    assert veth_name(address) == "acslab-v254" and len(veth_name(address)) <= 15
    assert netns_name("db1") == "acslab-db1"
    assert mac_address(address) == "02:00:c6:12:00:fe"


def test_deb822_sources_give_the_mirror_and_skip_comments():
    text = textwrap.dedent("""\
        Types: deb
        # a comment inside the stanza
        URIs: http://mirror.example/debian/
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb-src
        URIs: http://src.example/debian
        Suites: bookworm
        Components: main
        """)
    sources = parse_deb822(text)
    assert [source.uri for source in sources] == ["http://mirror.example/debian"]
    assert debian_mirror(sources, "bookworm") == "http://mirror.example/debian"
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources[0].deb822()


def test_one_line_sources_with_options():
    [source] = parse_one_line("deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib\n")
    assert (source.uri, source.suites, source.components, source.signed_by) == (
        "http://m.example/debian", ("bookworm",), ("main", "contrib"), "/k.gpg")


def test_no_source_for_the_suite_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="bookworm"):
        debian_mirror(parse_one_line("deb http://m.example/debian trixie main\n"), "bookworm")


def test_the_image_is_rebuilt_when_its_package_list_changes():
    assert image_key(IMAGE_PACKAGES) == image_key(tuple(reversed(IMAGE_PACKAGES)))
    assert image_key(IMAGE_PACKAGES) != image_key((*IMAGE_PACKAGES, "haproxy"))


def test_every_host_knows_every_lab_host_by_name():
    inventory = load_inventory(DEFAULT_INVENTORY)
    lines = hosts_file(inventory.hosts).splitlines()
    for host in inventory.hosts:
        assert f"{host.address}\t{host.name}" in lines
    assert "198.18.0.1\tlab-controller" in lines


def test_hosts_reach_the_cloudstack_repository_without_the_apt_proxy():
    conf = apt_proxy_conf("http://198.18.0.1:3142")
    assert 'Acquire::http::Proxy "http://198.18.0.1:3142";' in conf
    assert 'Acquire::http::Proxy::198.18.0.1 "DIRECT";' in conf


def test_lab_yml_names_the_repository_the_lab_serves():
    facts = yaml.safe_load((DEFAULT_INVENTORY / "group_vars/all/lab.yml").read_text())
    assert facts["lab_cloudstack_repo_url"] == f"http://{CONTROLLER_ADDRESS}:{REPO_PORT}/debian"
    assert facts["lab_cloudstack_repo_key_url"] == f"http://{CONTROLLER_ADDRESS}:{REPO_PORT}/release.asc"
    assert facts["lab_cloudstack_repo_suite"] == repository.SUITE
    assert facts["lab_cloudstack_versions"] == {repository.component(v): v for v in repository.VERSIONS}
    assert facts["lab_systemvm_template_urls"] == {
        repository.component(v): f"http://{CONTROLLER_ADDRESS}:{REPO_PORT}/{path}"
        for v, path in repository.SYSTEMVM_TEMPLATES.items()}


def test_the_stand_in_systemvm_template_is_an_empty_qcow2():
    image = repository.empty_qcow2(5 * 1024**3)
    magic, version = struct.unpack(">4sI", image[:8])
    (size,) = struct.unpack(">Q", image[24:32])
    assert (magic, version, size, len(image)) == (b"QFI\xfb", 3, 5 * 1024**3, 4 * 65536)


def test_a_package_carries_its_version_conffiles_and_the_simulator(tmp_path):
    deb = repository.build_deb("cloudstack-management", "4.19.3.0", tmp_path / "scratch", tmp_path / "pool")
    assert deb.name == "cloudstack-management_4.19.3.0~bookworm_all.deb"
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Version: 4.19.3.0~bookworm\n" in fields
    assert "Depends: cloudstack-common (= 4.19.3.0~bookworm), python3, python3-flask" in fields
    stage = tmp_path / "scratch/cloudstack-management-4.19.3.0"
    assert (stage / "DEBIAN/conffiles").read_text().splitlines() == [
        "/etc/cloudstack/management/db.properties", "/etc/cloudstack/management/log4j-cloud.xml",
        "/etc/default/cloudstack-management", "/etc/init.d/cloudstack-management"]
    # 4.19 has its own log4j-cloud.xml (root-4.19/: Log4j 1.2), 4.21 the common one (Log4j 2).
    assert "<log4j:configuration" in (stage / "etc/cloudstack/management/log4j-cloud.xml").read_text()
    later = repository.build_deb("cloudstack-management", "4.21.0.0", tmp_path / "scratch", tmp_path / "pool")
    assert later.name == "cloudstack-management_4.21.0.0~bookworm_all.deb"
    assert "<Configuration" in (tmp_path / "scratch/cloudstack-management-4.21.0.0/etc/cloudstack/management/"
                                "log4j-cloud.xml").read_text()
    assert 'VERSION = "4.19.3.0"' in (stage / "usr/bin/cloudstack-setup-databases").read_text()
    assert (stage / "usr/share/cloudstack-management/lib/simulator/__main__.py").is_file()
    assert not (stage / "usr/share/cloudstack-management/lib/simulator/packaging").exists()
    assert (stage / "usr/bin/cloudstack-setup-databases").stat().st_mode & 0o777 == 0o755


def test_lab_shares_stand_in_for_nfs_between_storage_and_management():
    hosts = {host.name: host for host in load_inventory(DEFAULT_INVENTORY).hosts}
    assert hosts["nfs1"].shares == (("/export/primary", "primary"), ("/export/secondary", "secondary"))
    assert hosts["mgmt1"].shares == hosts["mgmt2"].shares == (("/mnt/secondary", "secondary"),)
    assert hosts["db1"].shares == ()


@pytest.mark.parametrize(("shares", "message"), [
    ("{export/x: a}", "'export/x' must be an absolute"),
    ("{/srv/../etc/x: a}", "must be an absolute, normalised"),
    ("{/etc: a}", "'/etc' must be"),
    ("{/srv/x: Bad-Name}", "name 'Bad-Name' for /srv/x"),
    ("[/srv/x]", "lab_shares must map a path"),
])
def test_bad_lab_shares_are_refused_naming_the_host(tmp_path, shares, message):
    (tmp_path / "hosts.yml").write_text(f"all:\n  hosts:\n    s1:\n      ansible_host: 198.18.0.9\n"
                                        f"      lab_shares: {shares}\n")
    with pytest.raises(ConfigurationError, match=f"host s1: .*{re.escape(message)}"):
        load_inventory(tmp_path)
