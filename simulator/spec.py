"""The API catalog, loaded from the data CloudStack's own source was read into.

`data/commands.json`, `data/configurations.json` and `data/fresh-install.json` are copies of
`shared/cloudstack-api/` (a test checks they stay identical). Nothing here is typed by hand:
command names, parameters, types, async flags, wrappers and object names all come from there.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

# BaseCmd / BaseAsyncCmd parameters that every command accepts but listApis does not show.
HIDDEN_PARAMS = {"response", "starteventid", "customjobid"}
# Accepted by the servlet, never passed to the command.
TRANSPORT_PARAMS = {"command", "apikey", "signature", "signatureversion", "expires", "sessionkey", "_"}
DEFAULT_STRING_LENGTH = 255  # @Parameter.length() default


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str = ""
    collection_type: str | None = None
    entity_kinds: tuple[str, ...] = ()
    length: int = DEFAULT_STRING_LENGTH
    since: str | None = None


@dataclass(frozen=True)
class Command:
    name: str
    is_async: bool
    is_async_create: bool
    description: str
    java_class: str
    params: dict[str, Param]
    response_kind: str
    wrapper: str
    object_name: str | None
    response_fields: tuple[str, ...]
    since: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def short_name(self) -> str:
        """The name ParamProcessWorker puts in its messages: the wrapper less 'response'."""
        if self.wrapper.lower().endswith("response"):
            return self.wrapper[: -len("response")]
        return self.wrapper


def entity_kind(response_class: str) -> str:
    """'ZoneResponse' -> 'zone': the kind under which the store keeps such objects."""
    name = response_class[: -len("Response")] if response_class.endswith("Response") else response_class
    return name.lower()


def java_class_name(class_path: str) -> str:
    """'api/src/main/java/org/apache/.../CreatePodCmd.java' -> 'org.apache....CreatePodCmd'."""
    tail = class_path.split("/java/", 1)[-1]
    return tail.removesuffix(".java").replace("/", ".")


def _param(name: str, raw: dict) -> Param:
    return Param(
        name=name,
        type=raw["type"],
        required=bool(raw.get("required")),
        description=raw.get("description", ""),
        collection_type=raw.get("collectionType"),
        entity_kinds=tuple(entity_kind(e) for e in raw.get("entityType", [])),
        length=int(raw.get("length", DEFAULT_STRING_LENGTH)),
        since=raw.get("since"),
    )


def _command(name: str, raw: dict) -> Command:
    response = raw["response"]
    return Command(
        name=name,
        is_async=bool(raw.get("async")),
        is_async_create=bool(raw.get("async_create")),
        description=raw.get("description", ""),
        java_class=java_class_name(raw["class"]),
        params={pname: _param(pname, praw) for pname, praw in raw["params"].items()},
        response_kind=response["kind"],
        wrapper=response["wrapper"],
        object_name=response.get("name"),
        response_fields=tuple(response.get("fields", [])),
        since=raw.get("since"),
        raw=raw,
    )


@functools.cache
def commands() -> dict[str, Command]:
    """Every command of the catalog by its exact (case-sensitive) API name."""
    raw = json.loads((DATA_DIR / "commands.json").read_text())
    return {name: _command(name, body) for name, body in raw["commands"].items()}


@functools.cache
def commands_by_lower_name() -> dict[str, Command]:
    """The servlet looks commands up case-sensitively; this serves only error wrappers."""
    return {name.lower(): cmd for name, cmd in commands().items()}


@functools.cache
def configurations() -> dict:
    return json.loads((DATA_DIR / "configurations.json").read_text())


@functools.cache
def fresh_install() -> dict:
    return json.loads((DATA_DIR / "fresh-install.json").read_text())
