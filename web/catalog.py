"""The catalog (what may run) and the environments (where): both server-side files, checked at start.

A client names a catalog entry and an environment; it never names a path. Each entry's playbook must
resolve inside the catalog's project directory, and its inputs are a JSON Schema that allows only the
properties it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .exceptions import ConfigurationError
from .inputs import NAME, top_level_name_problem

RUN_ROLES = ("requester", "operator")  # roles an entry can list; admin may run every entry
MAX_TIMEOUT = 24 * 3600
ENTRY_KEYS = {"description", "playbook", "inputs", "environment_kinds", "timeout", "roles"}
ENVIRONMENT_KEYS = {"kind", "description", "inventory", "vars", "secrets", "ssh_key_file", "ssh_password",
                    "become_password"}


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    playbook: str  # relative to the catalog's project directory
    inputs: dict[str, Any]
    environment_kinds: tuple[str, ...]
    timeout: int
    roles: tuple[str, ...]

    def allows(self, role: str) -> bool:
        return role == "admin" or role in self.roles

    @property
    def self_service(self) -> bool:
        return "requester" in self.roles


@dataclass(frozen=True)
class Catalog:
    path: Path
    project_dir: Path
    entries: dict[str, Entry]


@dataclass(frozen=True)
class Environment:
    """Where jobs run: an inventory, plain variables, and credentials that never leave the server."""

    name: str
    kind: str
    description: str
    inventory: Path
    vars: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    ssh_key_file: Path | None = None
    ssh_password: str | None = None
    become_password: str | None = None

    def secret_values(self) -> list[str]:
        """Every credential value, to scrub from whatever a job leaves behind."""
        values = [*self.secrets.values(), self.ssh_password, self.become_password]
        if self.ssh_key_file is not None:
            key = self.ssh_key_file.read_text()
            values += [key, *(line for line in key.splitlines() if len(line) >= 16)]
        return [value for value in values if value]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def load_catalog(path: Path) -> Catalog:
    """Read and check the catalog file: {project_dir: DIR, entries: {NAME: {...}}}."""
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise ConfigurationError(f"{path}: a catalog is a mapping with `entries`")
    unknown = set(data) - {"project_dir", "entries"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown keys {sorted(unknown)}")
    project_dir = (path.parent / data.get("project_dir", ".")).resolve()
    if not project_dir.is_dir():
        raise ConfigurationError(f"{path}: project_dir {project_dir} is not a directory")
    entries = {name: _entry(path, project_dir, name, spec) for name, spec in data["entries"].items()}
    return Catalog(path, project_dir, entries)


def _entry(path: Path, project_dir: Path, name: Any, spec: Any) -> Entry:
    where = f"{path}: entry {name!r}"
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigurationError(f"{where}: names are lower-case letters, digits, '-' and '_'")
    if not isinstance(spec, dict):
        raise ConfigurationError(f"{where}: must be a mapping")
    if set(spec) - ENTRY_KEYS or "playbook" not in spec:
        raise ConfigurationError(f"{where}: keys are {sorted(ENTRY_KEYS)} (playbook required)")
    playbook = _playbook(where, project_dir, spec["playbook"])
    inputs = spec.get("inputs", {"type": "object", "additionalProperties": False, "properties": {}})
    _check_inputs(where, inputs)
    kinds = spec.get("environment_kinds", [])
    if not kinds or not all(isinstance(kind, str) and NAME.match(kind) for kind in kinds):
        raise ConfigurationError(f"{where}: environment_kinds must list at least one kind")
    timeout = spec.get("timeout", 3600)
    if not isinstance(timeout, int) or not 0 < timeout <= MAX_TIMEOUT:
        raise ConfigurationError(f"{where}: timeout is whole seconds, 1 to {MAX_TIMEOUT}")
    roles = spec.get("roles", ["operator"])
    if not isinstance(roles, list) or set(roles) - set(RUN_ROLES):  # [] means admin only
        raise ConfigurationError(f"{where}: roles are chosen from {list(RUN_ROLES)} (admin may run every entry)")
    return Entry(name, str(spec.get("description", "")), playbook, inputs, tuple(kinds), timeout, tuple(roles))


def _playbook(where: str, project_dir: Path, playbook: Any) -> str:
    if not isinstance(playbook, str) or not playbook:
        raise ConfigurationError(f"{where}: playbook must be a path inside {project_dir}")
    real = (project_dir / playbook).resolve()  # follows symlinks: a link out of the project is refused
    if not real.is_relative_to(project_dir) or not real.is_file():
        raise ConfigurationError(f"{where}: playbook {playbook} is not a file inside {project_dir}")
    return str(real.relative_to(project_dir))


def _check_inputs(where: str, inputs: Any) -> None:
    if not isinstance(inputs, dict):
        raise ConfigurationError(f"{where}: inputs must be a JSON Schema")
    try:
        Draft202012Validator.check_schema(inputs)
    except SchemaError as exc:
        raise ConfigurationError(f"{where}: inputs is not a valid JSON Schema: {exc.message}") from exc
    if inputs.get("type") != "object" or inputs.get("additionalProperties") is not False:
        raise ConfigurationError(f"{where}: inputs must be `type: object` with `additionalProperties: false`")
    for prop in inputs.get("properties", {}):
        problem = top_level_name_problem(prop)
        if problem:
            raise ConfigurationError(f"{where}: input {prop!r} {problem}")


def load_environments(config: Any, base: Path) -> dict[str, Environment]:
    """ENVIRONMENTS: {NAME: {kind, description, inventory, vars, secrets, ssh_key_file, ...}}."""
    if not isinstance(config, dict) or not config:
        raise ConfigurationError("ENVIRONMENTS must name at least one environment")
    return {name: _environment(name, spec, base) for name, spec in config.items()}


def _environment(name: Any, spec: Any, base: Path) -> Environment:
    where = f"environment {name!r}"
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigurationError(f"{where}: names are lower-case letters, digits, '-' and '_'")
    if not isinstance(spec, dict) or set(spec) - ENVIRONMENT_KEYS:
        raise ConfigurationError(f"{where}: keys are {sorted(ENVIRONMENT_KEYS)}")
    kind = spec.get("kind")
    if not isinstance(kind, str) or not NAME.match(kind):
        raise ConfigurationError(f"{where}: kind is required (a name such as local, lab, cloudstack)")
    inventory = (base / str(spec.get("inventory", ""))).resolve()
    if not spec.get("inventory") or not inventory.exists():
        raise ConfigurationError(f"{where}: inventory {inventory} does not exist")
    plain, secrets = spec.get("vars", {}), spec.get("secrets", {})
    if not isinstance(plain, dict) or not isinstance(secrets, dict):
        raise ConfigurationError(f"{where}: vars and secrets are mappings")
    if not all(isinstance(value, str) for value in secrets.values()):
        raise ConfigurationError(f"{where}: secret values are strings")
    key_file = spec.get("ssh_key_file")
    ssh_key_file = (base / key_file).resolve() if key_file else None
    if ssh_key_file is not None and not ssh_key_file.is_file():
        raise ConfigurationError(f"{where}: ssh_key_file {ssh_key_file} is not a file")
    return Environment(name=name, kind=kind, description=str(spec.get("description", "")), inventory=inventory,
                       vars=plain, secrets=secrets, ssh_key_file=ssh_key_file,
                       ssh_password=spec.get("ssh_password"), become_password=spec.get("become_password"))
