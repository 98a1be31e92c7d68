"""Checking what a client sends before anything runs: names, the variables' shape, then the entry's schema.

Extra vars have the highest precedence in Ansible, so a client key such as `ansible_ssh_common_args`
changes where and how code runs, and a `{{ lookup('pipe', ...) }}` value runs on the controller when
templated. Both are refused here, at any depth, before the entry's JSON Schema (the allowlist) is
applied. Every problem is reported under the field that has it: `vars.disks[0].size`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")  # catalog entries, environments, token names
VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # a top-level input: a plain Ansible identifier
JINJA = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")
SETS_ANSIBLE_VARIABLE = re.compile(r"(?i)\bansible_\w+\s*[=:]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_DEPTH = 8
MAX_ERRORS = 20
MAX_MESSAGE = 200

# Variables that say how and as whom Ansible connects and runs: refused at any depth.
CONNECTION_AND_PRIVILEGE = frozenset({
    "become", "become_user", "become_method", "become_exe", "become_flags", "become_pass", "become_password",
    "connection", "remote_user", "remote_port", "private_key_file", "ssh_common_args", "ssh_extra_args",
    "sftp_extra_args", "scp_extra_args", "ssh_executable", "python_interpreter", "shell_executable",
    "executable", "delegate_to", "delegate_facts", "environment",
})
# Magic and reserved variable names: refused as top-level inputs.
RESERVED = frozenset({
    "hostvars", "groups", "group_names", "inventory_hostname", "inventory_hostname_short", "inventory_dir",
    "inventory_file", "omit", "vars", "playbook_dir", "role_path", "role_name", "role_names", "play_hosts",
    "play_batch", "play_role_names", "ansible_play_hosts", "environment", "lookup", "query", "q", "self",
})
SERVICE_PREFIX = "acsible_"  # variables the service itself sets (job id, requester, credentials)


class InputError(Exception):
    """The request cannot be run as given; `errors` maps each field to its problem."""

    def __init__(self, errors: dict[str, str], message: str = "the request has invalid fields"):
        super().__init__(message)
        self.errors = errors
        self.message = message


@dataclass(frozen=True)
class Submission:
    entry: str
    environment: str
    vars: dict[str, Any]

    def request_hash(self) -> str:
        """Same entry, environment and vars give the same hash (for Idempotency-Key replays)."""
        canonical = json.dumps({"entry": self.entry, "environment": self.environment, "vars": self.vars},
                               sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_submission(body: Any) -> Submission:
    """The request body's shape: {"entry": NAME, "environment": NAME, "vars": {...}} and nothing else."""
    if not isinstance(body, dict):
        raise InputError({"body": "must be a JSON object"})
    errors = {}
    for key in body:
        if key not in ("entry", "environment", "vars"):
            errors[_clip(f"body.{key}")] = "is not a field of a job request (entry, environment, vars)"
    for key in ("entry", "environment"):
        value = body.get(key)
        if value is None:
            errors[key] = "is required"
        elif not isinstance(value, str) or not NAME.match(value):
            errors[key] = "must be a name of lower-case letters, digits, '-' and '_' (at most 64)"
    variables = body.get("vars", {})
    if not isinstance(variables, dict):
        errors["vars"] = "must be a JSON object"
    if errors:
        raise InputError(errors)
    return Submission(body["entry"], body["environment"], variables)


def check_variables(variables: dict[str, Any]) -> None:
    """Refuse names and values that would change how Ansible runs, wherever they are."""
    errors: dict[str, str] = {}
    for key in variables:
        problem = top_level_name_problem(key)
        if problem:
            errors[f"vars.{_clip(key)}"] = problem
    _walk(variables, "vars", 1, errors)
    if errors:
        raise InputError(dict(list(errors.items())[:MAX_ERRORS]))


def top_level_name_problem(name: str) -> str | None:
    """Why `name` cannot be a top-level input (None when it can); catalogs are checked with it too."""
    lowered = name.lower()
    if lowered.startswith("ansible_"):
        return "ansible_* variables are never accepted"
    if lowered.startswith(SERVICE_PREFIX):
        return "acsible_* variables are set by the service"
    if lowered in RESERVED or lowered in CONNECTION_AND_PRIVILEGE:
        return "is a reserved Ansible variable"
    if not VARIABLE.match(name):
        return "must start with a letter and hold only letters, digits and '_' (at most 64)"
    return None


def _walk(value: Any, path: str, depth: int, errors: dict[str, str]) -> None:
    if depth > MAX_DEPTH:
        errors[path] = f"is nested deeper than {MAX_DEPTH} levels"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{_clip(key)}"
            problem = _key_problem(key) or _string_problem(key)
            if problem:
                errors[child] = problem
            _walk(item, child, depth + 1, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", depth + 1, errors)
    elif isinstance(value, str):
        problem = _string_problem(value)
        if problem:
            errors[path] = problem


def _key_problem(key: str) -> str | None:
    lowered = key.lower()
    if lowered.startswith("ansible_"):
        return "ansible_* keys are never accepted"
    if lowered in CONNECTION_AND_PRIVILEGE:
        return "connection and privilege keys are never accepted"
    return None


def _string_problem(text: str) -> str | None:
    if JINJA.search(text):
        return "template markers ({{ }}, {% %}, {# #}) are not accepted"
    if SETS_ANSIBLE_VARIABLE.search(text):
        return "must not set an ansible_* variable"
    if CONTROL.search(text):
        return "control characters are not accepted"
    return None


def check_schema(variables: dict[str, Any], schema: dict[str, Any]) -> None:
    """Validate against the entry's JSON Schema, naming each field that fails."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(variables), key=lambda e: list(map(str, e.absolute_path))):
        for field, problem in _describe(error):
            errors.setdefault(field, problem)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise InputError(errors)


def _describe(error: SchemaError) -> list[tuple[str, str]]:
    path = "vars" + "".join(f"[{part}]" if isinstance(part, int) else f".{_clip(str(part))}"
                            for part in error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        return [(f"{path}.{name}", "is required") for name in error.validator_value if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        return [(f"{path}.{_clip(name)}", "is not an input of this entry") for name in instance
                if name not in allowed]
    return [(path, _clip(error.message, MAX_MESSAGE))]


def _clip(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
