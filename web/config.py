"""Configuration: defaults that work at once, then a file, then ACSIBLE_WEB_* variables, then overrides.

With nothing configured the service uses the repository's catalog, an environment `local` (this
machine, local connection), a SQLite store and run directory in the working directory, and a secret
key kept in the file `web-secret-key` there (`serve` creates it, 0600). The configuration file is YAML
(or a Flask-style `.py`) with the upper-case keys of DEFAULTS; relative paths in it are relative to it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Config

from .catalog import Catalog, Environment, load_catalog, load_environments
from .db import absolute_store_url
from .exceptions import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
ENV_PREFIX = "ACSIBLE_WEB"
SECRET_KEY_FILE = "web-secret-key"
MIN_SECRET_KEY = 32
WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "top-secret!", "test", "testing"}

DEFAULT_ENVIRONMENTS = {
    "local": {
        "kind": "local",
        "description": "This machine, through Ansible's local connection",
        "inventory": str(PACKAGE_DIR / "inventories" / "local.yml"),
    },
}

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,                 # HMAC key of stored API tokens: changing it revokes every token
    "SECRET_KEY_FILE": SECRET_KEY_FILE,  # read when SECRET_KEY is not given
    "STORE": "sqlite:///web-jobs.db",
    "CATALOG": str(PACKAGE_DIR / "catalog.yml"),
    "ENVIRONMENTS": DEFAULT_ENVIRONMENTS,
    "RUN_DIR": "web-runs",              # one private ansible-runner directory per job, removed after it
    "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
    "WORKERS": 4,                       # in-process worker threads of `serve` (0: API only)
    "MAX_CONTENT_LENGTH": 64 * 1024,    # request body limit (413 above it)
    "CANCEL_GRACE": 10.0,               # seconds between SIGINT and killing the process group
    "POLL_INTERVAL": 0.5,               # seconds between two looks at the queue by an idle worker
    "HEARTBEAT_INTERVAL": 5.0,
    "WORKER_TIMEOUT": 60.0,             # a worker silent this long is dead: its jobs become `error`
    "PEXPECT_TIMEOUT": 0.25,            # how often ansible-runner asks whether to cancel
    "IDEMPOTENCY_TTL": 24 * 3600.0,
    "MAX_STREAMS": 32,                  # concurrent /stream connections (each holds a server thread)
    "STREAM_HEARTBEAT": 15.0,
    "STDOUT_LIMIT": 1024 * 1024,
    "SERVER_THREADS": 48,
    # The pages' session cookie (it keeps the hash of the token signed in with, signed with SECRET_KEY).
    "SESSION_COOKIE_NAME": "acsible_session",
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,     # true behind HTTPS
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,  # seconds a page sign-in lasts
}
PATH_KEYS = ("CATALOG", "RUN_DIR", "ANSIBLE_CONFIG", "SECRET_KEY_FILE")


def load_config(config_file: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the file, then ACSIBLE_WEB_* environment variables, then `overrides`."""
    cwd = Path.cwd()
    config = Config(str(cwd))
    config.from_mapping(DEFAULTS)
    _absolute_paths(config, cwd)
    if config_file is not None:
        _load_file(config, Path(config_file).resolve())
    config.from_prefixed_env(ENV_PREFIX)
    config.update(overrides or {})
    _absolute_paths(config, cwd)
    if not config.get("SECRET_KEY") and Path(config["SECRET_KEY_FILE"]).is_file():
        config["SECRET_KEY"] = Path(config["SECRET_KEY_FILE"]).read_text().strip()
    return config


def _load_file(config: Config, path: Path) -> None:
    if path.suffix == ".py":
        loaded = Config(str(path.parent))
        loaded.from_pyfile(str(path))
        data: Any = dict(loaded)
    else:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: the configuration is a mapping of upper-case keys")
    unknown = set(data) - set(DEFAULTS)
    if unknown:
        raise ConfigurationError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    _absolute_paths(data, path.parent)
    if "ENVIRONMENTS" in data:
        data["ENVIRONMENTS"] = {name: _environment_paths(spec, path.parent)
                                for name, spec in (data["ENVIRONMENTS"] or {}).items()}
    config.update(data)


def _absolute_paths(data: dict, base: Path) -> None:
    for key in PATH_KEYS:
        if data.get(key):
            data[key] = str((base / str(data[key])).resolve())
    if data.get("STORE"):
        data["STORE"] = absolute_store_url(str(data["STORE"]), base)


def _environment_paths(spec: Any, base: Path) -> Any:
    if not isinstance(spec, dict):
        return spec
    fixed = dict(spec)
    for key in ("inventory", "ssh_key_file"):
        if fixed.get(key):
            fixed[key] = str((base / str(fixed[key])).resolve())
    return fixed


def ensure_secret_key_file(config: Config) -> None:
    """Create the secret key file (0600) when no key is configured: `serve` works with no setup."""
    if config.get("SECRET_KEY"):
        return
    path = Path(config["SECRET_KEY_FILE"])
    if not path.exists():
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    config["SECRET_KEY"] = path.read_text().strip()


def check_secret_key(value: Any) -> None:
    """Refuse a missing, short or well-known key (flaskr's "dev" must never reach production)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError("SECRET_KEY is not set: give it in the configuration or in "
                                 f"{ENV_PREFIX}_SECRET_KEY, or let `serve` create {SECRET_KEY_FILE}")
    if len(value) < MIN_SECRET_KEY or value.lower() in WEAK_SECRET_KEYS:
        raise ConfigurationError(f"SECRET_KEY must be a random string of at least {MIN_SECRET_KEY} characters")


@dataclass(frozen=True)
class ServiceConfig:
    """What workers and the API need, checked once."""

    store_url: str
    catalog: Catalog
    environments: dict[str, Environment]
    run_dir: Path
    ansible_config: Path
    workers: int
    cancel_grace: float
    poll_interval: float
    heartbeat_interval: float
    worker_timeout: float
    pexpect_timeout: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ServiceConfig:
        catalog = load_catalog(Path(config["CATALOG"]))
        environments = load_environments(config["ENVIRONMENTS"], Path.cwd())
        workers = config["WORKERS"]
        if not isinstance(workers, int) or workers < 0:
            raise ConfigurationError("WORKERS is a number of worker threads (0 or more)")
        return cls(store_url=config["STORE"], catalog=catalog, environments=environments,
                   run_dir=Path(config["RUN_DIR"]), ansible_config=Path(config["ANSIBLE_CONFIG"]),
                   workers=workers, cancel_grace=float(config["CANCEL_GRACE"]),
                   poll_interval=float(config["POLL_INTERVAL"]),
                   heartbeat_interval=float(config["HEARTBEAT_INTERVAL"]),
                   worker_timeout=float(config["WORKER_TIMEOUT"]), pexpect_timeout=float(config["PEXPECT_TIMEOUT"]))

    def secret_values(self) -> list[str]:
        return [value for env in self.environments.values() for value in env.secret_values()]
