#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudstack_db_setup
short_description: Run cloudstack-setup-databases only when it is needed, and never over a cloud's data
description:
  - The idempotent way to run C(cloudstack-setup-databases) on a CloudStack management server. It reads the
    state first (with PyMySQL, the C(cloud) and C(cloud_usage) databases, their tables, the C(version),
    C(configuration), C(mshost) and SYSTEM C(vm_template) rows; db.properties and the key file of this
    server), then decides.
  - B(deploy) when there is no cloud database yet (missing, or present and empty), on the first management
    server. The script runs with C(--deploy-as) and the module records the cloud's identity (see below).
  - B(join) when the cloud database is complete but this server's db.properties or key file is not set up
    for it. The script runs without C(--deploy-as), which only writes db.properties (and the key file).
  - B(none) when db.properties and the key file are already right.
  - A clear B(failure), before any change, when the schema is half made (a core table, the C(version),
    C(configuration) or SYSTEM template rows or the C(cloud_usage) database missing), when a key differs
    from the one the cloud was deployed with, or when the database belongs to another cloud.
  - 'Identity: after a deploy the module keeps one row in C(cloud.acsible_identity): a random cloud id and
    salted PBKDF2 fingerprints of the management key (C(-m)) and of the database key (C(-k)). Each server
    it sets up gets C(acsible.cloud.id) and C(acsible.setup.digest) (a fingerprint of the settings, since the
    real script encrypts the password) in its db.properties; CloudStack ignores keys it does not know. A
    server whose db.properties names another cloud id than the database holds, or that has one while the
    database has none, "belongs to another cloud". The row lives in the cloud database, so it follows the
    database through replication, dumps and restores, and goes away with it. A complete cloud database
    without the row (deployed by hand) is adopted: the row is written with the keys given, unless this
    server''s key file holds another management key.'
  - Version differences come from one table (C(SETUP_DATABASES)); from 4.21 the script refuses existing
    databases unless C(--force-recreate), which the module passes only to deploy over an empty database or
    when O(force_recreate) allows dropping one; 4.19 and 4.20 drop existing databases silently, so the
    module runs the deploy there only when nothing would be lost or O(force_recreate) is set.
  - Deploys are serialised with the MySQL named lock C(acsible.cloudstack_db_setup), so two servers
    started together do not both deploy.
version_added: 0.1.0
author: acsible contributors (!UNKNOWN)
requirements:
  - PyMySQL on the managed host (Debian package python3-pymysql)
  - cloudstack-management (C(cloudstack-setup-databases)) and the mysql client, as the script needs them
attributes:
  check_mode:
    support: full
    details: Reads the databases and files and reports what it would do; runs nothing and writes nothing.
  diff_mode:
    support: full
    details: db.properties before and after, with passwords, secrets and digests shown as C(********).
  idempotent:
    support: full
options:
  db_host:
    description: Database server, as the management server reaches it (written to db.properties).
    type: str
    default: localhost
  db_port:
    description: Database port.
    type: int
    default: 3306
  db_socket:
    description:
      - Unix socket the module reads through when O(db_host=localhost) (the mysql client does the same).
      - Default, the first that exists of C(/run/mysqld/mysqld.sock), C(/var/run/mysqld/mysqld.sock) and
        C(/var/lib/mysql/mysql.sock); TCP when none does.
    type: path
  cloud_user:
    description: The database user of the management server (created by a deploy).
    type: str
    default: cloud
  cloud_password:
    description:
      - Its password. The script refuses quotes, spaces, backslashes and backticks; the module also refuses
        C(:), which the script's C(user:password) argument cannot carry.
    type: str
    required: true
  deploy_as_user:
    description: MySQL administrator the deploy runs as (C(--deploy-as)); also used to read the state.
    type: str
    default: root
  deploy_as_password:
    description:
      - Its password (may be empty). Needed to deploy; without it the state is read as O(cloud_user).
    type: str
  management_key:
    description:
      - Management server key (C(-m)), which encrypts db.properties' values. Default, the script's own
        (C(password)). Must be the same on every server of a cloud.
    type: str
  database_key:
    description:
      - Database key (C(-k)), which encrypts sensitive values in the database. Default, the script's own
        (C(password)). Must be the same on every server of a cloud.
    type: str
  encryption_type:
    description: How the management server gets its key (C(-e)); V(file) writes O(key_file).
    type: str
    choices: [file, web]
    default: file
  management_ip:
    description:
      - This server's address in the cluster (C(-i), C(cluster.node.IP)). Default, what the script detects
        (the address of the host name, else 127.0.0.1).
    type: str
  region_id:
    description: Region id of the management server cluster (C(-r)).
    type: int
    default: 1
  role:
    description:
      - V(auto) deploys when there is no cloud database and joins otherwise. V(deploy) refuses a complete cloud
        database this server is not part of (unless O(force_recreate)). V(join) never deploys.
    type: str
    choices: [auto, deploy, join]
    default: auto
  db_properties:
    description: db.properties of this server; its directory is passed as C(-c).
    type: path
    default: /etc/cloudstack/management/db.properties
  key_file:
    description: The key file (C(-n)).
    type: path
    default: /etc/cloudstack/management/key
  db_files_path:
    description: Directory of the SQL files (C(-f)). Default, the script's own.
    type: path
  setup_command:
    description: The cloudstack-setup-databases command.
    type: path
    default: /usr/bin/cloudstack-setup-databases
  cloudstack_version:
    description:
      - Version of the installed CloudStack (V(4.19), V(4.21.0.0), ...), which picks the script's behaviour.
        Default, read from the script's C(--help) (C(--force-recreate) appears in 4.21).
    type: str
  force_recreate:
    description:
      - Allow dropping an existing cloud database when it stands in the way of a deploy (half-made schema,
        another cloud's, made with other keys, or O(role=deploy) over a cloud this server is not part of).
        All of its data is lost. It has no effect with O(role=join), which never drops a database (so one
        value can be given to every server). A cloud this server is already set up for is left alone, so a
        second run with this option set changes nothing.
    type: bool
    default: false
  lock_timeout:
    description: Seconds to wait for another server's run of this module to finish.
    type: int
    default: 600
  connect_timeout:
    description: Seconds to wait for the database server to answer.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Set up the cloud database (deploy on the first server, join on the others)
  cloudstack_db_setup:
    db_host: db1
    cloud_password: "{{ vault_cloud_db_password }}"
    deploy_as_user: root
    deploy_as_password: "{{ vault_mysql_root_password }}"
    management_key: "{{ vault_cloudstack_management_key }}"
    database_key: "{{ vault_cloudstack_database_key }}"
    management_ip: "{{ ansible_default_ipv4.address }}"
    cloudstack_version: "4.21"
  register: db_setup

- name: Join a further management server (no administrator password on this host)
  cloudstack_db_setup:
    db_host: db1
    cloud_password: "{{ vault_cloud_db_password }}"
    management_key: "{{ vault_cloudstack_management_key }}"
    database_key: "{{ vault_cloudstack_database_key }}"
    role: join

- name: Start again from an empty cloud database (drops the existing one, once)
  cloudstack_db_setup:
    db_host: db1
    cloud_password: "{{ vault_cloud_db_password }}"
    deploy_as_password: "{{ vault_mysql_root_password }}"
    role: deploy
    force_recreate: true
"""

RETURN = r"""
decision:
  description:
    - What the module did (in check mode, would do).
    - Not called C(action), a key the json callback and ansible-runner events fill with the module's name.
  returned: always
  type: str
  choices: [deploy, join, none]
msg:
  description: Why, in one sentence.
  returned: always
  type: str
cloud_id:
  description: The identity of the cloud this server is set up for (after the run).
  returned: always
  type: str
facts:
  description: What the module found before acting.
  returned: always
  type: dict
  contains:
    database_exists:
      description: The C(cloud) database exists.
      type: bool
    usage_database_exists:
      description: The C(cloud_usage) database exists.
      type: bool
    table_count:
      description: Tables in C(cloud).
      type: int
    usage_table_count:
      description: Tables in C(cloud_usage).
      type: int
    version_rows:
      description: Rows of C(cloud.version).
      type: int
    versions:
      description: The versions in C(cloud.version), oldest first.
      type: list
      elements: str
    configuration_rows:
      description: Rows of C(cloud.configuration).
      type: int
    mshost_rows:
      description: Management servers in C(cloud.mshost) (not removed).
      type: int
    system_template_rows:
      description: SYSTEM templates in C(cloud.vm_template) (not removed).
      type: int
    schema:
      description: V(missing), V(empty), V(half-made) or V(complete).
      type: str
    schema_problems:
      description: What makes a schema half made.
      type: list
      elements: str
    identity_present:
      description: The database holds an acsible identity row.
      type: bool
    database_cloud_id:
      description: The cloud id in the database.
      type: str
    properties_present:
      description: db.properties exists.
      type: bool
    properties_cloud_id:
      description: The cloud id this server's db.properties names.
      type: str
    properties_match:
      description: db.properties holds the wanted settings for this cloud.
      type: bool
    properties_mismatches:
      description: The db.properties keys that differ (names only).
      type: list
      elements: str
    key_present:
      description: The key file exists.
      type: bool
    key_matches:
      description: The key file holds O(management_key).
      type: bool
    management_key_matches:
      description: O(management_key) is the key the cloud was deployed with (null when unknown).
      type: bool
    database_key_matches:
      description: O(database_key) is the key the cloud was deployed with (null when unknown).
      type: bool
    script_version:
      description: The version line whose behaviour applies (V(4.19) or V(4.21)).
      type: str
commands:
  description: The commands that changed state, secrets replaced by C(********).
  returned: always
  type: list
  elements: list
stdout:
  description: Output of the last command run, secrets replaced.
  returned: when a command ran
  type: str
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import socket
import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import pymysql
except ImportError:
    pymysql = None
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()
else:
    PYMYSQL_IMPORT_ERROR = None

MASK = "********"
SCRIPT_DEFAULT_KEY = "password"  # what cloudstack-setup-databases uses for -m and -k when they are not given
PBKDF2_ITERATIONS = 100000
LOCK_NAME = "acsible.cloudstack_db_setup"
IDENTITY_TABLE = "acsible_identity"
CORE_TABLES = ("version", "configuration", "mshost", "vm_template")
SOCKETS = ("/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock")
# The script's parseUserAndPassword refuses these; ":" would split its user:password argument.
CREDENTIAL_FORBIDDEN = ("'", " ", "\\", "`", ":")
# The real script hands -m and -k to a shell, inside double quotes.
KEY_FORBIDDEN = ("'", '"', "`", "$", "\\")
SECRET_PROPERTY = re.compile(r"password|secret|digest", re.IGNORECASE)
CLOUD_ID_PROPERTY = "acsible.cloud.id"
DIGEST_PROPERTY = "acsible.setup.digest"
ACCESS_DENIED = 1045

# cloudstack-setup-databases by version line: the first version of each line, newest first.
SETUP_DATABASES = (
    ((4, 21), {"name": "4.21", "force_recreate_option": True, "refuses_existing": True}),
    ((4, 19), {"name": "4.19", "force_recreate_option": False, "refuses_existing": False}),
)


class Refusal(Exception):
    """A state the module will not change: reported with fail_json, before anything ran."""


# -- pure helpers ---------------------------------------------------------------------------------------------


def parse_version(text):
    """'4.21.0.0~bookworm' -> (4, 21); None when it does not start with two numbers."""
    match = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def script_features(version):
    """What cloudstack-setup-databases does in VERSION ((major, minor)); None before 4.19."""
    for first, features in SETUP_DATABASES:
        if version >= first:
            return features
    return None


def fingerprint(secret, salt):
    """A salted PBKDF2-SHA256 fingerprint, as stored: pbkdf2_sha256$<iterations>$<hex>."""
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt.encode("utf-8"), PBKDF2_ITERATIONS)
    return "pbkdf2_sha256$%d$%s" % (PBKDF2_ITERATIONS, digest.hex())


def fingerprint_matches(secret, salt, stored):
    """Whether SECRET has the STORED fingerprint (with the iteration count stored with it)."""
    try:
        scheme, iterations, expected = (stored or "").split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt.encode("utf-8"), rounds)
    return hmac.compare_digest(digest.hex(), expected)


def parse_properties(text):
    """{key: value} of a db.properties text (the last value of a key wins, as the script reads it)."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        values[key.strip()] = value.strip()
    return values


def put_properties(text, updates):
    """TEXT with each key of UPDATES set where it is (comments and order kept) or added at the end."""
    lines = text.splitlines()
    for key, value in updates.items():
        for index, line in enumerate(lines):
            stripped = line.strip()
            if not stripped.startswith("#") and stripped.partition("=")[0].strip() == key:
                lines[index] = "%s=%s" % (key, value)
                break
        else:
            lines.append("%s=%s" % (key, value))
    return "\n".join(lines) + "\n"


def masked_properties(text):
    """db.properties with the values of secret keys (passwords, secrets, digests) replaced."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        key, equals, value = stripped.partition("=")
        if equals and not stripped.startswith("#") and SECRET_PROPERTY.search(key) and value.strip():
            out.append("%s=%s" % (key.strip(), MASK))
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def scrub(text, secrets):
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def detected_ip():
    """The script's default cluster.node.IP: the address of the host name, else 127.0.0.1."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


# -- the database state ---------------------------------------------------------------------------------------


class Database:
    """Connections to the database server, and what it holds."""

    def __init__(self, module):
        self.module = module
        params = module.params
        self.host, self.port = params["db_host"], params["db_port"]
        self.socket = params["db_socket"]
        if self.socket is None and self.host == "localhost":
            self.socket = next((path for path in SOCKETS if os.path.exists(path)), None)

    @property
    def where(self):
        return "%s:%s" % (self.host, self.port) if not self.socket else "%s (socket %s)" % (self.host, self.socket)

    def connect(self, user, password):
        kwargs = {
            "user": user,
            "password": password,
            "connect_timeout": self.module.params["connect_timeout"],
            "autocommit": True,
            "charset": "utf8mb4",
        }
        if self.socket:
            kwargs["unix_socket"] = self.socket
        else:
            kwargs.update(host=self.host, port=self.port)
        return pymysql.connect(**kwargs)


def error_code(exc):
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else None


def read_schema(cursor):
    """The facts about the cloud and cloud_usage databases that the decision needs."""
    facts = {
        "database_exists": False,
        "usage_database_exists": False,
        "table_count": 0,
        "usage_table_count": 0,
        "version_rows": 0,
        "versions": [],
        "configuration_rows": 0,
        "mshost_rows": 0,
        "system_template_rows": 0,
        "identity_present": False,
        "database_cloud_id": None,
    }
    cursor.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('cloud', 'cloud_usage')")
    schemas = {row[0] for row in cursor.fetchall()}
    facts["database_exists"], facts["usage_database_exists"] = "cloud" in schemas, "cloud_usage" in schemas
    cursor.execute(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('cloud', 'cloud_usage')"
    )
    tables = {"cloud": set(), "cloud_usage": set()}
    for schema, table in cursor.fetchall():
        tables[schema].add(table)
    facts["table_count"], facts["usage_table_count"] = len(tables["cloud"]), len(tables["cloud_usage"])
    cloud = tables["cloud"]
    if "version" in cloud:
        cursor.execute("SELECT version FROM cloud.version ORDER BY id")
        facts["versions"] = [row[0] for row in cursor.fetchall()]
        facts["version_rows"] = len(facts["versions"])
    if "configuration" in cloud:
        cursor.execute("SELECT COUNT(*) FROM cloud.configuration")
        facts["configuration_rows"] = cursor.fetchone()[0]
    if "mshost" in cloud:
        cursor.execute("SELECT COUNT(*) FROM cloud.mshost WHERE removed IS NULL")
        facts["mshost_rows"] = cursor.fetchone()[0]
    if "vm_template" in cloud:
        cursor.execute("SELECT COUNT(*) FROM cloud.vm_template WHERE type = 'SYSTEM' AND removed IS NULL")
        facts["system_template_rows"] = cursor.fetchone()[0]
    identity = None
    if IDENTITY_TABLE in cloud:
        cursor.execute("SELECT cloud_id, management_key, database_key FROM cloud.%s WHERE id = 1" % IDENTITY_TABLE)
        identity = cursor.fetchone()
    if identity:
        facts["identity_present"], facts["database_cloud_id"] = True, identity[0]
    facts["schema"], facts["schema_problems"] = classify(facts, cloud)
    return facts, identity


def classify(facts, cloud_tables):
    """missing, empty, half-made (with what is wrong) or complete."""
    if not facts["database_exists"] and not facts["usage_database_exists"]:
        return "missing", []
    if facts["table_count"] == 0 and facts["usage_table_count"] == 0:
        return "empty", []
    problems = []
    if not facts["database_exists"]:
        problems.append("the cloud database is missing")
    missing = [table for table in CORE_TABLES if table not in cloud_tables]
    if facts["database_exists"] and missing:
        problems.append("cloud lacks the tables %s" % ", ".join(missing))
    if "version" in cloud_tables and not facts["version_rows"]:
        problems.append("cloud.version is empty")
    if "configuration" in cloud_tables and not facts["configuration_rows"]:
        problems.append("cloud.configuration is empty")
    if "vm_template" in cloud_tables and not facts["system_template_rows"]:
        problems.append("cloud.vm_template has no SYSTEM templates")
    if not facts["usage_database_exists"]:
        problems.append("the cloud_usage database is missing")
    elif not facts["usage_table_count"]:
        problems.append("the cloud_usage database has no tables")
    return ("half-made", problems) if problems else ("complete", [])


# -- the module ---------------------------------------------------------------------------------------------


class DbSetup:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.db = Database(module)
        self.commands = []
        self.facts = {}
        self.digests = {}
        self.management_key = self.params["management_key"]
        if self.management_key is None:
            self.management_key = SCRIPT_DEFAULT_KEY
        self.database_key = self.params["database_key"]
        if self.database_key is None:
            self.database_key = SCRIPT_DEFAULT_KEY
        self.ip = self.params["management_ip"] or detected_ip()
        self.secrets = [
            self.params["cloud_password"],
            self.params["deploy_as_password"],
            self.params["management_key"],
            self.params["database_key"],
        ]

    # -- checks of the input, before anything --------------------------------------------------------------

    def validate(self):
        params = self.params
        for name in ("cloud_user", "cloud_password", "deploy_as_user", "deploy_as_password"):
            value = params[name]
            if value is None:
                continue
            for char in CREDENTIAL_FORBIDDEN:
                if char in value:
                    raise Refusal(
                        "%s: must not contain %r (cloudstack-setup-databases cannot pass it on)" % (name, char)
                    )
        if not params["cloud_user"]:
            raise Refusal("cloud_user: must not be empty")
        if params["deploy_as_user"] == params["cloud_user"]:
            raise Refusal(
                "deploy_as_user: must differ from cloud_user (%r), as cloudstack-setup-databases "
                "requires" % params["cloud_user"]
            )
        for name in ("management_key", "database_key"):
            value = params[name]
            if value is None:
                continue
            if not value:
                raise Refusal("%s: must not be empty" % name)
            if any(char in value for char in KEY_FORBIDDEN) or any(char.isspace() for char in value):
                raise Refusal(
                    "%s: must not contain quotes, backticks, '$', backslashes or white space "
                    "(the script passes it through a shell)" % name
                )
        if not 0 < params["db_port"] < 65536:
            raise Refusal("db_port: %s is not a TCP port" % params["db_port"])
        if os.path.basename(params["db_properties"]) != "db.properties":
            raise Refusal(
                "db_properties: must be a file named db.properties (the script writes "
                "<directory>/db.properties), not %s" % params["db_properties"]
            )
        if not os.path.isfile(params["db_properties"]):
            raise Refusal(
                "db_properties: %s does not exist; cloudstack-setup-databases edits the file "
                "cloudstack-management installs" % params["db_properties"]
            )
        if not os.path.isfile(params["setup_command"]) or not os.access(params["setup_command"], os.X_OK):
            raise Refusal(
                "setup_command: %s is not an executable file (is cloudstack-management installed?)"
                % params["setup_command"]
            )

        if params["cloudstack_version"] is not None and parse_version(params["cloudstack_version"]) is None:
            raise Refusal(
                "cloudstack_version: %r is not a version such as 4.21 or 4.19.3.0" % params["cloudstack_version"]
            )

    def resolve_script(self):
        """The behaviour of the installed script: from cloudstack_version, or from its --help."""
        given = self.params["cloudstack_version"]
        if given is not None:
            version = parse_version(given)
        else:
            rc, out, err = self.module.run_command([self.params["setup_command"], "--help"])
            if rc != 0:
                raise Refusal(
                    "setup_command: %s --help failed (rc %d): %s"
                    % (self.params["setup_command"], rc, (err or out).strip()[-500:])
                )
            version = (4, 21) if "--force-recreate" in out else (4, 19)
        features = script_features(version)
        if features is None:
            raise Refusal("cloudstack_version: %s is older than 4.19, the oldest version supported" % given)
        self.features = features
        self.facts["script_version"] = features["name"]

    # -- what is there ----------------------------------------------------------------------------------------

    def read_local(self):
        path, key_file = self.params["db_properties"], self.params["key_file"]
        self.properties_text = None
        if os.path.isfile(path):
            with open(path) as handle:
                self.properties_text = handle.read()
        self.properties = parse_properties(self.properties_text or "")
        self.facts["properties_present"] = self.properties_text is not None
        self.facts["properties_cloud_id"] = self.properties.get(CLOUD_ID_PROPERTY) or None
        self.key_text = None
        if os.path.isfile(key_file):
            with open(key_file) as handle:
                self.key_text = handle.read()
        self.facts["key_present"] = self.key_text is not None
        self.facts["key_matches"] = self.key_text is not None and self.key_text.strip() == self.management_key

    def connect_for_reading(self):
        """The administrator when a password for it is given, else the cloud user."""
        params = self.params
        if params["deploy_as_password"] is not None:
            user, password, field = params["deploy_as_user"], params["deploy_as_password"], "deploy_as_password"
        else:
            user, password, field = params["cloud_user"], params["cloud_password"], "cloud_password"
        try:
            return self.db.connect(user, password)
        except pymysql.MySQLError as exc:
            if error_code(exc) == ACCESS_DENIED and field == "cloud_password":
                raise Refusal(
                    "cloud_password: %s cannot log in to %s (%s); if there is no cloud database yet, "
                    "give deploy_as_password to deploy one" % (user, self.db.where, exc.args[-1])
                ) from exc
            if error_code(exc) == ACCESS_DENIED:
                raise Refusal("%s: %s cannot log in to %s (%s)" % (field, user, self.db.where, exc.args[-1])) from exc
            raise Refusal("db_host: cannot reach the database server at %s: %s" % (self.db.where, exc)) from exc

    def check_cloud_login(self):
        """On a complete cloud: the cloud user must log in with cloud_password, or db.properties would be wrong."""
        try:
            self.db.connect(self.params["cloud_user"], self.params["cloud_password"]).close()
        except pymysql.MySQLError as exc:
            raise Refusal(
                "cloud_password: %s cannot log in to %s with it (%s); the cloud was deployed with "
                "another password?" % (self.params["cloud_user"], self.db.where, exc.args[-1])
            ) from exc

    # -- the decision --------------------------------------------------------------------------------------

    def wanted_properties(self, cloud_id):
        params = self.params
        port = str(params["db_port"])
        wanted = {
            "cluster.node.IP": self.ip,
            "db.cloud.username": params["cloud_user"],
            "db.cloud.host": params["db_host"],
            "db.cloud.port": port,
            "db.usage.username": params["cloud_user"],
            "db.usage.host": params["db_host"],
            "db.usage.port": port,
            "region.id": str(params["region_id"]),
        }
        if cloud_id:
            wanted[CLOUD_ID_PROPERTY] = cloud_id
            wanted[DIGEST_PROPERTY] = self.setup_digest(cloud_id)
        return wanted

    def digest_settings(self):
        """What the digest in db.properties vouches for (the password and keys the real script encrypts)."""
        params = self.params
        return json.dumps(
            [
                params["cloud_user"],
                params["cloud_password"],
                params["db_host"],
                params["db_port"],
                self.management_key,
                self.database_key,
                params["encryption_type"],
                self.ip,
                params["region_id"],
            ]
        )

    def setup_digest(self, cloud_id):
        if cloud_id not in self.digests:
            self.digests[cloud_id] = fingerprint(self.digest_settings(), cloud_id + ":setup")
        return self.digests[cloud_id]

    def properties_mismatches(self, cloud_id):
        """The db.properties keys that are not as wanted (names only)."""
        if self.properties_text is None:
            return ["db.properties"]
        bad = []
        for key, value in self.wanted_properties(None).items():
            if self.properties.get(key) != value:
                bad.append(key)
        for key in ("db.cloud.password", "db.usage.password"):
            current = self.properties.get(key, "")
            # The real script writes ENC(...), which only the digest can vouch for; the stand-in writes it plain.
            if not (current.startswith("ENC(") and current.endswith(")")) and current != self.params["cloud_password"]:
                bad.append(key)
        if self.properties.get(CLOUD_ID_PROPERTY) != cloud_id:
            bad.append(CLOUD_ID_PROPERTY)
        digest = self.properties.get(DIGEST_PROPERTY)
        if not cloud_id or not digest or not fingerprint_matches(self.digest_settings(), cloud_id + ":setup", digest):
            bad.append(DIGEST_PROPERTY)
        return bad

    def decide(self, facts, identity):
        """(decision, recreate, message); raises Refusal when the state must not be changed."""
        params = self.params
        role, force = params["role"], params["force_recreate"]
        schema = facts["schema"]
        where = self.db.where
        if schema in ("missing", "empty"):
            if role == "join":
                raise Refusal(
                    "role=join: there is no cloud database at %s to join (schema %s); deploy it from the "
                    "first management server" % (where, schema)
                )
            return "deploy", schema == "empty", "no cloud database at %s (%s): deploying it" % (where, schema)
        if schema == "half-made":
            if force and role != "join":
                return (
                    "deploy",
                    True,
                    "half-made schema at %s (%s): dropped and deployed again (force_recreate)"
                    % (where, "; ".join(facts["schema_problems"])),
                )
            raise Refusal(
                "half-made schema at %s: %s. Nothing was changed; %s"
                % (
                    where,
                    "; ".join(facts["schema_problems"]),
                    "deploy it again from the first management server"
                    if role == "join"
                    else "drop the cloud and cloud_usage databases, or set force_recreate: true (their data is lost)",
                )
            )
        # A complete cloud database.
        local_id = facts["properties_cloud_id"]
        database_id = facts["database_cloud_id"]
        problem = None
        if local_id and local_id != database_id:
            problem = (
                "the database belongs to another cloud: this server's %s names cloud %s, but the cloud "
                "database at %s %s"
                % (
                    params["db_properties"],
                    local_id,
                    where,
                    "is cloud %s" % database_id if database_id else "has no acsible identity (made by something else)",
                )
            )
        elif identity is not None:
            facts["management_key_matches"] = fingerprint_matches(
                self.management_key, database_id + ":management", identity[1]
            )
            facts["database_key_matches"] = fingerprint_matches(
                self.database_key, database_id + ":database", identity[2]
            )
            wrong = [name for name in ("management_key", "database_key") if not facts[name + "_matches"]]
            if wrong:
                problem = (
                    "%s differs from the key cloud %s at %s was deployed with; every management server of "
                    "a cloud must use the same keys" % (" and ".join(wrong), database_id, where)
                )
        elif (
            params["encryption_type"] == "file"
            and self.key_text is not None
            and self.key_text.strip() != self.management_key
        ):
            problem = (
                "management_key differs from the key in %s, which this server was set up with, and the "
                "cloud database at %s has no record to tell which is right" % (params["key_file"], where)
            )
        if problem is None and role == "deploy" and (not local_id or local_id != database_id):
            problem = (
                "role=deploy: a complete cloud database already exists at %s (%d tables, %d management "
                "servers) and this server is not set up for it; use role=join or auto"
                % (where, facts["table_count"], facts["mshost_rows"])
            )
        if problem is not None:
            if force and role != "join":
                return "deploy", True, "%s: dropped and deployed again (force_recreate)" % problem
            raise Refusal(
                "%s. Nothing was changed%s"
                % (problem, "" if role == "join" else "; force_recreate: true drops the database (its data is lost)")
            )
        self.check_cloud_login()
        bad = self.properties_mismatches(database_id)
        facts["properties_mismatches"] = bad
        facts["properties_match"] = not bad
        key_ok = params["encryption_type"] != "file" or facts["key_matches"]
        if not bad and key_ok:
            return "none", False, "db.properties and the key file are already set up for cloud %s" % database_id
        what = ", ".join(bad + ([] if key_ok else [params["key_file"]]))
        if identity is None:
            return (
                "join",
                False,
                "adopting the cloud database at %s (no acsible identity yet) and writing %s" % (where, what),
            )
        return "join", False, "joining cloud %s at %s: writing %s" % (database_id, where, what)

    # -- acting ---------------------------------------------------------------------------------------------

    def command(self, deploy, recreate):
        params = self.params
        argv = [
            params["setup_command"],
            "%s:%s@%s:%s" % (params["cloud_user"], params["cloud_password"], params["db_host"], params["db_port"]),
        ]
        masked = [
            params["setup_command"],
            "%s:%s@%s:%s" % (params["cloud_user"], MASK, params["db_host"], params["db_port"]),
        ]
        if deploy:
            argv.append("--deploy-as=%s:%s" % (params["deploy_as_user"], params["deploy_as_password"]))
            masked.append("--deploy-as=%s:%s" % (params["deploy_as_user"], MASK))
        options = [
            ("-e", params["encryption_type"], False),
            ("-m", self.management_key, True),
            ("-k", self.database_key, True),
            ("-i", self.ip, False),
            ("-r", str(params["region_id"]), False),
            ("-c", os.path.dirname(params["db_properties"]), False),
            ("-n", params["key_file"], False),
        ]
        if params["db_files_path"]:
            options.append(("-f", params["db_files_path"], False))
        for flag, value, secret in options:
            argv += [flag, value]
            masked += [flag, MASK if secret else value]
        if deploy and recreate and self.features["force_recreate_option"]:
            argv.append("--force-recreate")
            masked.append("--force-recreate")
        return argv, masked

    def run(self, deploy, recreate):
        argv, masked = self.command(deploy, recreate)
        self.commands.append(masked)
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        self.stdout = scrub(out, self.secrets)
        if rc != 0:
            self.module.fail_json(
                msg="cloudstack-setup-databases failed (rc %d): %s"
                % (rc, scrub((err or out).strip(), self.secrets)[-2000:]),
                rc=rc,
                stdout=self.stdout,
                stderr=scrub(err, self.secrets),
                commands=self.commands,
                facts=self.facts,
            )

    def write_identity(self, cursor, cloud_id):
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS cloud.%s ("
            " id tinyint unsigned NOT NULL PRIMARY KEY,"
            " cloud_id char(36) NOT NULL,"
            " management_key varchar(255) NOT NULL COMMENT 'PBKDF2 fingerprint of the management server key',"
            " database_key varchar(255) NOT NULL COMMENT 'PBKDF2 fingerprint of the database key',"
            " created datetime NOT NULL,"
            " created_by varchar(255) NOT NULL"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='acsible: the identity of this cloud (cloudstack_db_setup)'"
            % IDENTITY_TABLE
        )
        cursor.execute(
            "INSERT INTO cloud.%s (id, cloud_id, management_key, database_key, created, created_by) "
            "VALUES (1, %%s, %%s, %%s, %%s, %%s)" % IDENTITY_TABLE,
            (
                cloud_id,
                fingerprint(self.management_key, cloud_id + ":management"),
                fingerprint(self.database_key, cloud_id + ":database"),
                datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0),
                socket.getfqdn()[:255],
            ),
        )
        self.commands.append(["INSERT INTO cloud.%s" % IDENTITY_TABLE, cloud_id])

    def write_properties(self, cloud_id):
        """Record the cloud id and the settings' digest in db.properties, atomically, keeping its mode."""
        path = self.params["db_properties"]
        with open(path) as handle:
            text = handle.read()
        new = put_properties(text, {CLOUD_ID_PROPERTY: cloud_id, DIGEST_PROPERTY: self.setup_digest(cloud_id)})
        if new == text:
            return
        tmp = os.path.join(os.path.dirname(path), ".db.properties.acsible.%d" % os.getpid())
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(new)
        self.module.atomic_move(tmp, path)

    def predicted_properties(self, cloud_id):
        """db.properties as the script and this module will leave it (keys the script encrypts aside)."""
        base = self.properties_text
        if base is None:
            return ""
        updates = self.wanted_properties(cloud_id)
        updates.update(
            {"db.cloud.password": self.params["cloud_password"], "db.usage.password": self.params["cloud_password"]}
        )
        if cloud_id is None:
            updates[CLOUD_ID_PROPERTY] = "(new cloud id)"
            updates[DIGEST_PROPERTY] = "(digest)"
        return put_properties(base, updates)

    def execute(self):
        module = self.module
        self.validate()
        self.resolve_script()
        self.read_local()
        conn = self.connect_for_reading()
        try:
            cursor = conn.cursor()
            if not module.check_mode:
                cursor.execute("SELECT GET_LOCK(%s, %s)", (LOCK_NAME, self.params["lock_timeout"]))
                if cursor.fetchone()[0] != 1:
                    raise Refusal(
                        "lock_timeout: another run of cloudstack_db_setup held the lock %s on %s for "
                        "%d s" % (LOCK_NAME, self.db.where, self.params["lock_timeout"])
                    )
            facts, identity = read_schema(cursor)
            self.facts.update(facts)
            self.facts.setdefault("management_key_matches", None)
            self.facts.setdefault("database_key_matches", None)
            self.facts.setdefault("properties_match", False)
            self.facts.setdefault("properties_mismatches", [])
            decision, recreate, message = self.decide(self.facts, identity)
            if decision == "deploy" and self.params["deploy_as_password"] is None:
                raise Refusal("deploy_as_password: needed to deploy the cloud database (%s)" % message)
            before = masked_properties(self.properties_text or "")
            cloud_id = self.facts["database_cloud_id"]
            result = {"decision": decision, "msg": message, "facts": self.facts, "commands": self.commands}
            if decision == "none":
                module.exit_json(changed=False, cloud_id=cloud_id, diff={"before": before, "after": before}, **result)
            if module.check_mode:
                after = masked_properties(self.predicted_properties(None if decision == "deploy" else cloud_id))
                module.exit_json(
                    changed=True,
                    cloud_id=None if decision == "deploy" else cloud_id,
                    diff={
                        "before_header": self.params["db_properties"],
                        "before": before,
                        "after_header": self.params["db_properties"],
                        "after": after,
                    },
                    **result,
                )
            self.run(deploy=decision == "deploy", recreate=recreate)
            if decision == "deploy" or identity is None:  # a new cloud, or adopting one made without this module
                cloud_id = str(uuid.uuid4())
                self.write_identity(cursor, cloud_id)
            self.write_properties(cloud_id)
            with open(self.params["db_properties"]) as handle:
                after = masked_properties(handle.read())
            module.exit_json(
                changed=True,
                cloud_id=cloud_id,
                stdout=self.stdout,
                diff={
                    "before_header": self.params["db_properties"],
                    "before": before,
                    "after_header": self.params["db_properties"],
                    "after": after,
                },
                **result,
            )
        finally:
            conn.close()


def argument_spec():
    """The options, as DOCUMENTATION describes them."""
    return dict(
        db_host=dict(type="str", default="localhost"),
        db_port=dict(type="int", default=3306),
        db_socket=dict(type="path"),
        cloud_user=dict(type="str", default="cloud"),
        cloud_password=dict(type="str", required=True, no_log=True),
        deploy_as_user=dict(type="str", default="root"),
        deploy_as_password=dict(type="str", no_log=True),
        management_key=dict(type="str", no_log=True),
        database_key=dict(type="str", no_log=True),
        encryption_type=dict(type="str", choices=["file", "web"], default="file"),
        management_ip=dict(type="str"),
        region_id=dict(type="int", default=1),
        role=dict(type="str", choices=["auto", "deploy", "join"], default="auto"),
        db_properties=dict(type="path", default="/etc/cloudstack/management/db.properties"),
        key_file=dict(type="path", default="/etc/cloudstack/management/key"),
        db_files_path=dict(type="path"),
        setup_command=dict(type="path", default="/usr/bin/cloudstack-setup-databases"),
        cloudstack_version=dict(type="str"),
        force_recreate=dict(type="bool", default=False),
        lock_timeout=dict(type="int", default=600),
        connect_timeout=dict(type="int", default=10),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
    )
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL (python3-pymysql)"), exception=PYMYSQL_IMPORT_ERROR)
    setup = DbSetup(module)
    try:
        setup.execute()
    except Refusal as exc:
        module.fail_json(msg=str(exc), facts=setup.facts, commands=setup.commands)
    except pymysql.MySQLError as exc:
        module.fail_json(
            msg="database error on %s: %s" % (setup.db.where, exc), facts=setup.facts, commands=setup.commands
        )
    except OSError as exc:
        module.fail_json(
            msg="%s: %s" % (getattr(exc, "filename", None) or "file", exc.strerror or exc),
            facts=setup.facts,
            commands=setup.commands,
        )


if __name__ == "__main__":
    main()
