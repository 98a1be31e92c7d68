"""The command registry and what a handler is given.

A handler is a plain function `(ctx, params) -> result`, registered by API name:

    @command("createPod")
    def create_pod(ctx: Context, p: dict) -> dict: ...

`params` holds the typed values of the parameters the caller sent (names as in
commands.json). What the handler returns depends on the command's response kind:
`object` -> the object dict; `list` -> a list of objects, or a `Query` the dispatcher pages
in SQL; `success` -> None; `flat` -> the fields. Failures are raised as `ApiError`. For
async commands the same handler runs when the job finishes; `create=` names the first
phase of a BaseAsyncCreateCmd, which runs at once and returns the new object's id.
"""

from __future__ import annotations

import functools
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import spec
from .errors import invalid_parameter
from .store import Store

HandlerFunc = Callable[["Context", dict], Any]


@dataclass(frozen=True)
class Handler:
    command: spec.Command
    func: HandlerFunc
    instance_type: str | None = None
    create: HandlerFunc | None = None
    admin_only: bool = False


@dataclass(frozen=True)
class Query:
    """A list result the dispatcher can count and page in SQL (used for large lists)."""

    kind: str
    filters: dict = field(default_factory=dict)


@dataclass
class SimConfig:
    """Behaviour switches of one simulator process."""

    version: str = "4.22.0.0"
    job_delay: float = 1.0            # seconds an async job stays pending
    host_up_delay: float = 2.0        # Connecting -> Up after addHost
    systemvm_delay: float = 3.0       # Starting -> Running for SSVM / CPVM
    integration: bool = False         # the unauthenticated integration port
    msid: str = "simulator"           # this management server's name in mshost
    request_log: str | None = None    # append each command and its parameter names (JSON lines)


_HANDLERS: dict[str, Handler] = {}
_EXTRA_COMMANDS: dict[str, spec.Command] = {}
_RECONCILERS: list[Callable[[Context], None]] = []


def extra_command(cmd: spec.Command) -> spec.Command:
    """Declare a simulator-only command (fault injection), absent from commands.json."""
    _EXTRA_COMMANDS[cmd.name] = cmd
    return cmd


def catalog() -> dict[str, spec.Command]:
    return {**spec.commands(), **_EXTRA_COMMANDS}


def command(name: str, *, instance_type: str | None = None, create: HandlerFunc | None = None,
            admin_only: bool = False) -> Callable[[HandlerFunc], HandlerFunc]:
    cmd = catalog().get(name)
    if cmd is None:
        raise KeyError(f"{name} is not a command of commands.json")

    def register(func: HandlerFunc) -> HandlerFunc:
        if name in _HANDLERS:
            raise KeyError(f"{name} registered twice")
        _HANDLERS[name] = Handler(cmd, func, instance_type, create, admin_only)
        return func

    return register


def reconciler(func: Callable[[Context], None]) -> Callable[[Context], None]:
    """Run after every state change (a command, a finished job, a timer): derived state lives here."""
    _RECONCILERS.append(func)
    return func


def handlers() -> dict[str, Handler]:
    from . import commands  # noqa: F401  (registers every handler module)

    return _HANDLERS


def reconcilers() -> list[Callable[[Context], None]]:
    handlers()
    return _RECONCILERS


def management_server_id(msid: str) -> str:
    """A stable uuid per management server name, so every process on one database agrees on it."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"acsible-simulator-ms:{msid}"))


def cs_date(epoch: float) -> str:
    """Gson's date format: 2025-10-30T12:00:05+0000."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Context:
    """One command's view of the cloud: the store, the caller and the clock."""

    store: Store
    config: SimConfig
    now: float
    user: dict
    account: dict
    command: spec.Command | None = None
    _names: dict = field(default_factory=dict)

    def timestamp(self, epoch: float | None = None) -> str:
        return cs_date(self.now if epoch is None else epoch)

    def schedule(self, kind: str, uuid: str, delay: float, changes: dict, expect: dict | None = None) -> None:
        """Apply `changes` to the object after `delay` seconds, if it still matches `expect`."""
        self.store.add_timer(self.now + delay, kind, uuid, changes, expect)

    def setting(self, name: str) -> str | None:
        """A global setting's current value (the `configuration` objects seeded from configurations.json)."""
        row = self.store.find_one("configuration", name=name)
        return row.get("value") if row else None

    def get(self, kind: str, uuid: str | None) -> dict | None:
        return self.store.get(kind, uuid)

    def require(self, kind: str, uuid: str, label: str | None = None) -> dict:
        """The object, or the InvalidParameterValueException the service layer throws."""
        obj = self.store.get(kind, uuid)
        if obj is None:
            raise invalid_parameter(f"Unable to find {label or kind} by id {uuid}")
        return obj

    def name_of(self, kind: str, uuid: str | None) -> str | None:
        """Cached parent-name look-up used when rendering zonename, podname and the like."""
        if not uuid:
            return None
        key = (kind, uuid)
        if key not in self._names:
            obj = self.store.get(kind, uuid)
            self._names[key] = obj.get("name") if obj else None
        return self._names[key]


# Parent ids whose names CloudStack's join views add next to them.
_NAME_JOINS = {"zoneid": ("zone", "zonename"), "podid": ("pod", "podname"), "clusterid": ("cluster", "clustername"),
               "physicalnetworkid": ("physicalnetwork", None), "domainid": ("domain", "domain")}


def without_nulls(value: Any) -> Any:
    """Gson leaves null fields out at every depth, not only at the top."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def render(ctx: Context, obj: dict, fields: tuple[str, ...] = ()) -> dict:
    """The object as the API shows it: private `_keys` and nulls left out, parent names joined in."""
    out = {key: without_nulls(value) for key, value in obj.items() if not key.startswith("_") and value is not None}
    for id_key, (kind, name_key) in _NAME_JOINS.items():
        if name_key and id_key in out and name_key not in out and (not fields or name_key in fields):
            name = ctx.name_of(kind, out[id_key])
            if name is not None:
                out[name_key] = name
    if fields:
        # Gson writes fields in the response class's order: id first, then the rest.
        position = field_positions(fields)
        out = dict(sorted(out.items(), key=lambda item: position.get(item[0], len(position))))
    return out


@functools.cache
def field_positions(fields: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, name in enumerate(fields)}
