#!/usr/bin/python
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudstack_systemvm_template
short_description: Seed a CloudStack system VM template on secondary storage, only when it is missing or different
description:
  - The idempotent way to run C(cloud-install-sys-tmplt). It finds the template id as the script does
    (C(select max(id) from cloud.vm_template where type = "SYSTEM" and hypervisor_type = ... and removed is
    null)), reads C(template/tmpl/1/<id>/template.properties) on the secondary store, and seeds only when the
    template is missing, incomplete, from another source, or its file on the store no longer has the checksum
    it was seeded with. That check reads the whole file on the store (SHA-512) on every run.
  - The source is a URL with its checksum, or a local file on the managed host (an offline mirror). The
    module fetches the URL itself and checks the checksum B(before) the store is touched, then hands the
    file to the script (C(-f), with C(-t) and C(-e)); a bad checksum fails with the store unchanged. After a
    URL seed the template's C(url) in C(cloud.vm_template) is set to the URL, as the script's C(-u) does.
  - What it seeded is recorded in template.properties (C(acsible.source.checksum), the source's checksum,
    and C(acsible.file.sha512), the checksum of the file on the store); CloudStack ignores keys it does not
    know. A template seeded some other way is seeded again once, so that its origin is known, unless it was
    registered by the management server (see O(mode)).
  - 'CloudStack 4.16 and later register the system VM templates themselves when the first NFS secondary
    storage is added to a zone, for the hypervisors of the clusters the zone already has
    (C(registerSystemVmTemplateOnFirstNfsStore), with C(setup-sysvm-tmplt), whose template.properties says
    "SystemVM Template ( kvm )"). O(mode) chooses how the module treats that: see its description, and
    RV(path).'
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
requirements:
  - PyMySQL on the managed host (python3-pymysql), unless O(template_id) is given
  - cloudstack-common (C(cloud-install-sys-tmplt), C(createtmplt.sh)) and what it needs (mysql client, uuidgen,
    bzip2, file, qemu-img)
attributes:
  check_mode:
    support: full
    details: Reads the database and the store and reports what it would do; fetches and writes nothing.
  diff_mode:
    support: full
    details: template.properties before and after.
  idempotent:
    support: full
options:
  hypervisor:
    description: The hypervisor whose system VM template this is (the script's C(-h)).
    type: str
    choices: [kvm, xenserver, vmware, lxc, hyperv, ovm3]
    default: kvm
  secondary_storage_path:
    description:
      - Where the secondary store is mounted on the managed host (C(-m)). The module does not mount it and does
        not check that it is a mount point.
    type: path
    required: true
  url:
    description:
      - Where to fetch the template from (a C(.qcow2.bz2), C(.vhd.bz2), C(.ova), ...). Needs O(checksum).
    type: str
  checksum:
    description:
      - Checksum of the file at O(url) or O(src) (as downloaded, compressed), in CloudStack's form
        (C({SHA-512}hex), C({MD5}hex)), as C(algorithm:hex) (C(sha512:hex)), or as bare hex (the algorithm
        from its length, 32 MD5, 40 SHA-1, 64 SHA-256, 128 SHA-512). Required with O(url); with O(src), the
        file's SHA-512 is used when it is not given.
    type: str
  src:
    description: A template file on the managed host (an offline mirror), instead of O(url).
    type: path
  mode:
    description:
      - V(seed) (and V(auto)) make the store hold the given template, seeding it with C(cloud-install-sys-tmplt)
        when it is missing or different; RV(path) is V(seeded) or V(present).
      - V(auto) also accepts, as V(present), a template the management server registered itself (4.16+). It
        never waits for the management server, which registers a template only when the first NFS store is added
        to a zone whose clusters already exist, which this module cannot see. When the store has nothing,
        V(auto) seeds.
      - V(management) (CloudStack 4.16+ only) writes nothing; RV(path) is V(present) when the store already
        holds a complete template, else V(left_to_management). Use it when the zone is built with its clusters
        before its first secondary storage.
    type: str
    choices: [auto, seed, management]
    default: auto
  cloudstack_version:
    description:
      - The cloud's CloudStack version, for O(mode=management). Default, the newest row of C(cloud.version),
        which says 4.0.0 until the management server has started once.
    type: str
  template_id:
    description: The template id (C(-t)); default, looked up in the database as the script does.
    type: int
  db_host:
    description: Database server. Default, C(db.cloud.host) of O(db_properties), else localhost.
    type: str
  db_port:
    description: Database port. Default, C(db.cloud.port) of O(db_properties), else 3306.
    type: int
  db_user:
    description: Database user. Default, C(db.cloud.username) of O(db_properties), else root.
    type: str
  db_password:
    description:
      - Database password. Default, C(db.cloud.password) of O(db_properties) when it is not encrypted (an
        C(ENC(...)) value needs this option), else empty.
    type: str
  db_properties:
    description: db.properties to take the database settings from, when it exists.
    type: path
    default: /etc/cloudstack/management/db.properties
  install_command:
    description: The cloud-install-sys-tmplt script.
    type: path
    default: /usr/share/cloudstack-common/scripts/storage/secondary/cloud-install-sys-tmplt
  download_dir:
    description: Directory for the downloaded file while it is checked (default, the module's temporary directory).
    type: path
  timeout:
    description: Seconds to wait for the URL's server to answer.
    type: int
    default: 60
  validate_certs:
    description: Check the URL's TLS certificate.
    type: bool
    default: true
  use_proxy:
    description: Use the proxy of the environment (C(https_proxy), ...) for the URL.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Seed the KVM system VM template from the release's download site
  cloudstack_systemvm_template:
    secondary_storage_path: /mnt/secondary
    url: https://download.cloudstack.org/systemvm/4.20/systemvmtemplate-4.20.2-x86_64-kvm.qcow2.bz2
    checksum: "{MD5}{{ systemvm_template_md5 }}"
    db_password: "{{ vault_cloud_db_password }}"

- name: Seed it from an offline mirror on the host
  cloudstack_systemvm_template:
    secondary_storage_path: /mnt/secondary
    src: /srv/mirror/systemvmtemplate-4.20.2-x86_64-kvm.qcow2.bz2
    checksum: "sha512:{{ systemvm_template_sha512 }}"

- name: Leave it to the management server (clusters are added before the first secondary storage)
  cloudstack_systemvm_template:
    secondary_storage_path: /mnt/secondary
    src: /srv/mirror/systemvmtemplate-4.20.2-x86_64-kvm.qcow2.bz2
    mode: management
    cloudstack_version: "4.21"
"""

RETURN = r"""
path:
  description: Which way it went.
  returned: always
  type: str
  choices: [seeded, present, left_to_management]
msg:
  description: Why, in one sentence.
  returned: always
  type: str
template_id:
  description: The template's id (its directory under C(template/tmpl/1/)).
  returned: always
  type: int
template_dir:
  description: The template's directory on the store.
  returned: always
  type: str
checksum:
  description: The source's checksum, in CloudStack's form (C({SHA-512}hex)).
  returned: always
  type: str
facts:
  description: What the module found on the store before acting.
  returned: always
  type: dict
  contains:
    properties_present:
      description: template.properties exists.
      type: bool
    complete:
      description: template.properties has every key the script writes and names a file of that size.
      type: bool
    owner:
      description: V(acsible) (seeded by this module), V(management) (registered by the management server), V(other).
      type: str
    recorded_checksum:
      description: The source checksum this module recorded.
      type: str
    file_checksum_ok:
      description: The file on the store has the SHA-512 recorded at seeding (null when nothing was recorded).
      type: bool
    problems:
      description: Why the store does not hold the wanted template.
      type: list
      elements: str
commands:
  description: The commands that changed state (the database password replaced by C(********)).
  returned: always
  type: list
  elements: list
"""

import hashlib
import os
import re
import shutil
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import fetch_url

try:
    import pymysql
except ImportError:
    pymysql = None
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()
else:
    PYMYSQL_IMPORT_ERROR = None

MASK = "********"
CHUNK = 1 << 20
# -h name: (vm_template.hypervisor_type, file extension), as cloud-install-sys-tmplt maps them.
HYPERVISORS = {
    "kvm": ("KVM", "qcow2"),
    "xenserver": ("XenServer", "vhd"),
    "vmware": ("VMware", "ova"),
    "lxc": ("LXC", "qcow2"),
    "hyperv": ("Hyperv", "vhd"),
    "ovm3": ("Ovm3", "raw"),
}
# CloudStack's algorithm names (DigestHelper), hashlib's, and the length of their hex digests.
ALGORITHMS = {
    "MD5": ("md5", 32),
    "SHA-1": ("sha1", 40),
    "SHA-224": ("sha224", 56),
    "SHA-256": ("sha256", 64),
    "SHA-384": ("sha384", 96),
    "SHA-512": ("sha512", 128),
}
BY_LENGTH = {length: name for name, (_, length) in ALGORITHMS.items() if name != "SHA-224"}
SOURCE_CHECKSUM = "acsible.source.checksum"
FILE_SHA512 = "acsible.file.sha512"
MANAGEMENT_DESCRIPTION = re.compile(r"^SystemVM Template \( \S+ \)$")  # what setup-sysvm-tmplt writes
AUTO_REGISTRATION = (4, 16)


class Refusal(Exception):
    """Bad input or a state the module will not act on: reported with fail_json."""


# -- pure helpers ---------------------------------------------------------------------------------------------


def parse_checksum(text):
    """(CloudStack algorithm name, lower-case hex) of '{SHA-512}hex', 'sha512:hex' or bare hex."""
    text = (text or "").strip()
    match = re.match(r"^\{([A-Za-z0-9-]+)\}([0-9A-Fa-f]+)$", text) or re.match(
        r"^([A-Za-z0-9-]+):([0-9A-Fa-f]+)$", text
    )
    if match:
        wanted = match.group(1).upper().replace("-", "")
        name = next((known for known in ALGORITHMS if known.replace("-", "") == wanted), None)
        if name is None:
            raise Refusal("checksum: unknown algorithm %r (use one of %s)" % (match.group(1), ", ".join(ALGORITHMS)))
        digest = match.group(2).lower()
    elif re.match(r"^[0-9A-Fa-f]+$", text) and len(text) in BY_LENGTH:
        name, digest = BY_LENGTH[len(text)], text.lower()
    else:
        raise Refusal(
            "checksum: %r is not {ALGORITHM}hex, algorithm:hex or the hex digest of MD5, SHA-1, "
            "SHA-256 or SHA-512" % text
        )
    if len(digest) != ALGORITHMS[name][1]:
        raise Refusal("checksum: %s digests have %d hex digits, not %d" % (name, ALGORITHMS[name][1], len(digest)))
    return name, digest


def checksum_text(name, digest):
    return "{%s}%s" % (name, digest)


def file_digest(path, algorithm):
    digest = hashlib.new(ALGORITHMS[algorithm][0])
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_properties(text):
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


def version_tuple(text):
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def without_userinfo(url):
    """The URL without user:password@, for messages."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url or "", flags=re.IGNORECASE)


# -- the module -----------------------------------------------------------------------------------------------


class SystemVmTemplate:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.hypervisor_type, self.ext = HYPERVISORS[self.params["hypervisor"]]
        self.commands = []
        self.facts = {}
        self.db_settings = None
        self.tmp_files = []

    # -- input --------------------------------------------------------------------------------------------

    def validate(self):
        params = self.params
        store = params["secondary_storage_path"]
        if not os.path.isdir(store):
            raise Refusal("secondary_storage_path: %s is not a directory (is the secondary storage mounted?)" % store)
        if params["src"] is not None and not os.path.isfile(params["src"]):
            raise Refusal("src: %s is not a file on this host" % params["src"])
        if params["url"] is not None and not re.match(r"^https?://", params["url"], re.IGNORECASE):
            raise Refusal(
                "url: %r is not an http or https URL (a file on the host is src)" % without_userinfo(params["url"])
            )
        if params["download_dir"] is not None and not os.path.isdir(params["download_dir"]):
            raise Refusal("download_dir: %s is not a directory" % params["download_dir"])
        if params["checksum"] is not None:
            self.wanted = parse_checksum(params["checksum"])
        elif params["src"] is not None:
            self.wanted = ("SHA-512", file_digest(params["src"], "SHA-512"))
        if params["template_id"] is not None and params["template_id"] < 1:
            raise Refusal("template_id: must be a positive number, not %d" % params["template_id"])
        if params["mode"] != "management" and not (
            os.path.isfile(params["install_command"]) and os.access(params["install_command"], os.X_OK)
        ):
            raise Refusal(
                "install_command: %s is not an executable file (is cloudstack-common installed?)"
                % params["install_command"]
            )
        if params["cloudstack_version"] is not None and version_tuple(params["cloudstack_version"]) is None:
            raise Refusal("cloudstack_version: %r is not a version such as 4.21" % params["cloudstack_version"])

    # -- the database ---------------------------------------------------------------------------------------

    def database(self):
        """Host, port, user and password: the options, else db.properties (as the script reads it), else defaults."""
        if self.db_settings is None:
            params = self.params
            props = {}
            if os.path.isfile(params["db_properties"]):
                with open(params["db_properties"]) as handle:
                    props = parse_properties(handle.read())
            password = params["db_password"]
            if password is None:
                password = props.get("db.cloud.password", "")
                if password.startswith("ENC(") and password.endswith(")"):
                    raise Refusal(
                        "db_password: %s holds the database password encrypted; give db_password"
                        % params["db_properties"]
                    )
            port = params["db_port"] or int(props.get("db.cloud.port") or 3306)
            self.db_settings = (
                params["db_host"] or props.get("db.cloud.host") or "localhost",
                port,
                params["db_user"] or props.get("db.cloud.username") or "root",
                password,
            )
        return self.db_settings

    def connect(self):
        if pymysql is None:
            raise Refusal(missing_required_lib("PyMySQL (python3-pymysql)"))
        host, port, user, password = self.database()
        try:
            return pymysql.connect(
                host=host,
                port=port,
                user=user,
                password=password,
                database="cloud",
                connect_timeout=10,
                autocommit=True,
            )
        except pymysql.MySQLError as exc:
            raise Refusal(
                "db_host: cannot use the cloud database at %s:%s as %s: %s" % (host, port, user, exc)
            ) from exc

    def find_template_id(self):
        if self.params["template_id"] is not None:
            return self.params["template_id"]
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT MAX(id) FROM vm_template WHERE type = 'SYSTEM' AND hypervisor_type = %s AND removed IS NULL",
                (self.hypervisor_type,),
            )
            found = cursor.fetchone()[0]
        if found is None:
            raise Refusal(
                "template_id: the cloud database has no SYSTEM template for %s (is it deployed?)" % self.hypervisor_type
            )
        return int(found)

    def cloud_version(self):
        given = self.params["cloudstack_version"]
        if given is not None:
            return version_tuple(given), given
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT version FROM version ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
        text = row[0] if row else "unknown"
        return version_tuple(text) or (0, 0), text

    # -- the store ------------------------------------------------------------------------------------------

    def inspect(self, directory):
        """The facts of the template's directory on the store."""
        ext = self.ext
        path = os.path.join(directory, "template.properties")
        text = None
        if os.path.isfile(path):
            with open(path) as handle:
                text = handle.read()
        props = parse_properties(text or "")
        problems = []
        facts = {
            "properties_present": text is not None,
            "complete": False,
            "owner": None,
            "recorded_checksum": props.get(SOURCE_CHECKSUM),
            "file_checksum_ok": None,
            "problems": problems,
        }
        if text is None:
            problems.append("no template.properties")
            return text, facts
        needed = ("filename", "size", ext, "id", ext + ".filename", "uniquename", "virtualsize", ext + ".size")
        missing = [key for key in needed if not props.get(key)]
        name = props.get(ext + ".filename", "")
        image = os.path.join(directory, name)
        if missing:
            problems.append("template.properties lacks %s" % ", ".join(missing))
        elif os.path.basename(name) != name or not os.path.isfile(image):
            problems.append("the file %s named by template.properties is missing" % name)
        elif str(os.path.getsize(image)) != props[ext + ".size"]:
            problems.append(
                "%s has %d bytes, template.properties says %s" % (name, os.path.getsize(image), props[ext + ".size"])
            )
        facts["complete"] = not problems
        if SOURCE_CHECKSUM in props:
            facts["owner"] = "acsible"
        elif MANAGEMENT_DESCRIPTION.match(props.get("description", "")):
            facts["owner"] = "management"
        else:
            facts["owner"] = "other"
        if facts["complete"] and FILE_SHA512 in props:
            facts["file_checksum_ok"] = file_digest(image, "SHA-512") == props[FILE_SHA512]
        return text, facts

    def judge(self, facts):
        """Add to the problems why the store does not hold the wanted template as this module seeded it."""
        problems = facts["problems"]
        if not facts["complete"]:
            return
        if facts["owner"] != "acsible":
            problems.append("the template was not seeded by this module (%s)" % facts["owner"])
        elif facts["recorded_checksum"] != checksum_text(*self.wanted):
            problems.append("the template was seeded from another source (%s)" % facts["recorded_checksum"])
        elif facts["file_checksum_ok"] is not True:
            problems.append("the file on the store no longer has the checksum it was seeded with")

    # -- seeding --------------------------------------------------------------------------------------------

    def source_file(self):
        """A local file with the wanted checksum: SRC, or the URL downloaded and checked; fails otherwise."""
        params = self.params
        name, digest = self.wanted
        if params["src"] is not None:
            actual = file_digest(params["src"], name)
            if actual != digest:
                raise Refusal(
                    "checksum: %s has %s, not %s; the store was not changed"
                    % (params["src"], checksum_text(name, actual), checksum_text(name, digest))
                )
            return params["src"]
        url = params["url"]
        directory = params["download_dir"] or self.module.tmpdir
        handle, path = tempfile.mkstemp(prefix="systemvm-", suffix=".download", dir=directory)
        self.tmp_files.append(path)
        response, info = fetch_url(self.module, url, timeout=params["timeout"], use_proxy=params["use_proxy"])
        if response is None or info.get("status") != 200:
            os.close(handle)
            raise Refusal(
                "url: cannot fetch %s: %s %s; the store was not changed"
                % (without_userinfo(url), info.get("status"), info.get("msg"))
            )
        hasher = hashlib.new(ALGORITHMS[name][0])
        with os.fdopen(handle, "wb") as out:
            for block in iter(lambda: response.read(CHUNK), b""):
                hasher.update(block)
                out.write(block)
        if hasher.hexdigest() != digest:
            raise Refusal(
                "checksum: the file from %s has %s, not %s; the store was not changed"
                % (without_userinfo(url), checksum_text(name, hasher.hexdigest()), checksum_text(name, digest))
            )
        return path

    def seed(self, template_id, directory):
        params = self.params
        image = self.source_file()
        argv = [
            params["install_command"],
            "-m",
            params["secondary_storage_path"],
            "-f",
            image,
            "-h",
            params["hypervisor"],
            "-t",
            str(template_id),
            "-e",
            self.ext,
        ]
        if params["template_id"] is None or params["db_password"] is not None or params["db_host"] is not None:
            host, port, user, password = self.database()
            argv += ["-o", host, "-r", user, "-p", str(port), "-d", password]
        if os.path.isdir(directory) and os.listdir(directory):
            argv.append("-F")  # the script's clean-up of the template directory, which it refuses to overwrite
        masked = [MASK if index and argv[index - 1] == "-d" else arg for index, arg in enumerate(argv)]
        self.commands.append(masked)
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        password = self.db_settings[3] if self.db_settings else ""
        if rc != 0:
            text = (out + err).strip()
            if password:
                text = text.replace(password, MASK)
            raise Refusal("cloud-install-sys-tmplt failed (rc %d): %s" % (rc, text[-2000:]))
        self.record(directory)
        if params["url"] is not None:
            self.set_url(template_id)

    def record(self, directory):
        """Add the source's checksum and the stored file's SHA-512 to template.properties (atomically)."""
        path = os.path.join(directory, "template.properties")
        with open(path) as handle:
            text = handle.read()
        image = os.path.join(directory, parse_properties(text)[self.ext + ".filename"])
        lines = [
            line for line in text.splitlines() if line.partition("=")[0].strip() not in (SOURCE_CHECKSUM, FILE_SHA512)
        ]
        lines += [
            "%s=%s" % (SOURCE_CHECKSUM, checksum_text(*self.wanted)),
            "%s=%s" % (FILE_SHA512, file_digest(image, "SHA-512")),
        ]
        tmp = path + ".acsible"
        with open(tmp, "w") as out:
            out.write("\n".join(lines) + "\n")
        shutil.copymode(path, tmp)
        os.replace(tmp, path)

    def set_url(self, template_id):
        """cloud-install-sys-tmplt -u writes the URL into the template's row; with -f it writes an empty one."""
        try:
            with self.connect() as conn, conn.cursor() as cursor:
                cursor.execute("UPDATE vm_template SET url = %s WHERE id = %s", (self.params["url"], template_id))
        except (Refusal, pymysql.MySQLError) as exc:
            self.module.warn("the template was seeded, but its url in cloud.vm_template was not set: %s" % exc)
            return
        self.commands.append(["UPDATE cloud.vm_template SET url", without_userinfo(self.params["url"]), template_id])

    # -- the whole ------------------------------------------------------------------------------------------

    def predicted(self, before, template_id):
        """template.properties as a seed would leave it (the names and sizes the script picks, unknown here)."""
        ext = self.ext
        return (
            "\n".join(
                [
                    "filename=(new uuid).%s" % ext,
                    "description=SystemVM Template",
                    "hvm=false",
                    "size=(size)",
                    "%s=true" % ext,
                    "id=%d" % template_id,
                    "public=true",
                    "%s.filename=(new uuid).%s" % (ext, ext),
                    "uniquename=routing-%d" % template_id,
                    "%s.virtualsize=(virtual size)" % ext,
                    "virtualsize=(virtual size)",
                    "%s.size=(size)" % ext,
                    "%s=%s" % (SOURCE_CHECKSUM, checksum_text(*self.wanted)),
                    "%s=(sha512 of the file)" % FILE_SHA512,
                ]
            )
            + "\n"
        )

    def execute(self):
        module, params = self.module, self.params
        self.validate()
        template_id = self.find_template_id()
        directory = os.path.join(params["secondary_storage_path"], "template", "tmpl", "1", str(template_id))
        before, facts = self.inspect(directory)
        self.facts = facts
        result = {
            "template_id": template_id,
            "template_dir": directory,
            "checksum": checksum_text(*self.wanted),
            "facts": facts,
            "commands": self.commands,
        }
        diff = {
            "before_header": os.path.join(directory, "template.properties"),
            "before": before or "",
            "after_header": os.path.join(directory, "template.properties"),
        }
        if params["mode"] == "management":
            version, text = self.cloud_version()
            if version < AUTO_REGISTRATION:
                raise Refusal(
                    "mode: management needs CloudStack 4.16 or later, which registers system VM templates "
                    "itself; the cloud is %s (set cloudstack_version if the management server has not "
                    "started yet)" % text
                )
            if facts["complete"]:
                msg = "the store holds template %d (%s)" % (template_id, facts["owner"])
                module.exit_json(changed=False, path="present", msg=msg, diff={**diff, "after": before}, **result)
            msg = (
                "the store has no complete template %d (%s); the management server registers it when the first "
                "secondary storage is added to a zone with clusters" % (template_id, "; ".join(facts["problems"]))
            )
            module.exit_json(
                changed=False, path="left_to_management", msg=msg, diff={**diff, "after": before or ""}, **result
            )
        self.judge(facts)
        if not facts["problems"]:
            msg = "the store holds template %d from %s" % (template_id, checksum_text(*self.wanted))
            module.exit_json(changed=False, path="present", msg=msg, diff={**diff, "after": before}, **result)
        if params["mode"] == "auto" and facts["complete"] and facts["owner"] == "management":
            msg = "the store holds template %d, registered by the management server" % template_id
            module.exit_json(changed=False, path="present", msg=msg, diff={**diff, "after": before}, **result)
        msg = "seeded template %d: %s" % (template_id, "; ".join(facts["problems"]))
        if module.check_mode:
            module.exit_json(
                changed=True,
                path="seeded",
                msg=msg,
                diff={**diff, "after": self.predicted(before, template_id)},
                **result,
            )
        self.seed(template_id, directory)
        with open(os.path.join(directory, "template.properties")) as handle:
            after = handle.read()
        module.exit_json(changed=True, path="seeded", msg=msg, diff={**diff, "after": after}, **result)

    def cleanup(self):
        for path in self.tmp_files:
            if os.path.exists(path):
                os.remove(path)


def argument_spec():
    """The options, as DOCUMENTATION describes them."""
    return dict(
        hypervisor=dict(type="str", choices=sorted(HYPERVISORS), default="kvm"),
        secondary_storage_path=dict(type="path", required=True),
        url=dict(type="str"),
        checksum=dict(type="str"),
        src=dict(type="path"),
        mode=dict(type="str", choices=["auto", "seed", "management"], default="auto"),
        cloudstack_version=dict(type="str"),
        template_id=dict(type="int"),
        db_host=dict(type="str"),
        db_port=dict(type="int"),
        db_user=dict(type="str"),
        db_password=dict(type="str", no_log=True),
        db_properties=dict(type="path", default="/etc/cloudstack/management/db.properties"),
        install_command=dict(
            type="path", default="/usr/share/cloudstack-common/scripts/storage/secondary/cloud-install-sys-tmplt"
        ),
        download_dir=dict(type="path"),
        timeout=dict(type="int", default=60),
        validate_certs=dict(type="bool", default=True),
        use_proxy=dict(type="bool", default=True),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("url", "src")],
        required_one_of=[("url", "src")],
        required_by={"url": "checksum"},
        supports_check_mode=True,
    )
    template = SystemVmTemplate(module)
    try:
        template.execute()
    except Refusal as exc:
        module.fail_json(msg=str(exc), facts=template.facts, commands=template.commands)
    except OSError as exc:
        module.fail_json(
            msg="%s: %s" % (getattr(exc, "filename", None) or "file", exc.strerror or exc),
            facts=template.facts,
            commands=template.commands,
        )
    finally:
        template.cleanup()


if __name__ == "__main__":
    main()
