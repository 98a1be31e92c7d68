"""Parameter checking and conversion, as ParamProcessWorker does it.

Each command's parameters come from commands.json. Values arrive as strings and leave typed:
booleans as Java's Boolean.valueOf reads them, numbers in Java's ranges, lists split like a
StringTokenizer, maps gathered from `name[i].key=value`, uuids checked against the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import CS_INVALID_PARAMETER_VALUE, PARAM_ERROR, ApiError
from .signing import parse_expires
from .spec import Command, Param

# ApiServer.CONTROL_CHARACTERS: tab is refused, newline and carriage return are not.
CONTROL_CHARACTERS = re.compile("[\x00-\x09\x0b-\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[fFdD]?")
_MAP_KEY = re.compile(r"^(?P<name>[^\[]+)\[(?P<index>\d+)\]\.(?P<key>.+)$")
_RANGES = {"integer": (-(2**31), 2**31 - 1), "short": (-(2**15), 2**15 - 1), "long": (-(2**63), 2**63 - 1)}

MAX_PAGE_SIZE = 500  # default.page.size
UNLIMITED = -1

# Resolves a uuid to True when an object of one of the kinds exists.
EntityCheck = Callable[[tuple[str, ...], str], bool]


def check_control_characters(raw: dict[str, str]) -> None:
    for key, value in raw.items():
        if CONTROL_CHARACTERS.search(value):
            raise ApiError(PARAM_ERROR,
                           f"Received value containing illegal ASCII non-printable characters for parameter {key}")


def gather_maps(raw: dict[str, str]) -> dict[str, dict[int, dict[str, str]]]:
    """`tags[0].key=k&tags[0].value=v` -> {"tags": {0: {"key": "k", "value": "v"}}}."""
    maps: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in raw.items():
        match = _MAP_KEY.match(key)
        if match:
            entry = maps.setdefault(match["name"].lower(), {}).setdefault(int(match["index"]), {})
            entry[match["key"]] = value
    return maps


def convert(command: Command, raw: dict[str, str], entity_exists: EntityCheck) -> dict[str, Any]:
    """Typed values for the command's parameters; ApiError with the server's text otherwise.

    Parameter names are matched case-insensitively, as the servlet's map lookup is in
    practice (clients send `zoneId` and `zoneid` alike).
    """
    lowered = {key.lower(): value for key, value in raw.items()}
    maps = gather_maps(raw)
    values: dict[str, Any] = {}
    for param in command.params.values():
        if param.type == "map":
            value: Any = maps.get(param.name.lower())
            if value is None and param.name.lower() in lowered:
                value = {}
        else:
            value = lowered.get(param.name.lower())
        if value is None:
            if param.required:
                raise ApiError(
                    PARAM_ERROR,
                    f"Unable to execute API command {command.short_name} due to missing parameter {param.name}",
                )
            continue
        if param.required and value in ("", {}):
            raise ApiError(PARAM_ERROR, f"Invalid value provided for API arg: {param.name}", CS_INVALID_PARAMETER_VALUE)
        converted = _convert_one(command, param, value, entity_exists)
        if converted is not None:
            values[param.name] = converted
    return values


def _invalid_value(command: Command, param: Param, value: Any) -> ApiError:
    return ApiError(
        PARAM_ERROR,
        f"Unable to execute API command {command.short_name} due to invalid value {value} for parameter {param.name}",
    )


def _invalid_value_because(command: Command, reason: str) -> ApiError:
    return ApiError(PARAM_ERROR, f"Unable to execute API command {command.short_name} due to invalid value. {reason}")


def _convert_one(command: Command, param: Param, value: Any, entity_exists: EntityCheck) -> Any:
    kind = param.type
    if kind == "map":
        return [value[index] for index in sorted(value)]
    _validate(command, param, value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind in ("integer", "float", "double") and not value.strip():
        return None  # blank numbers are ignored; the command applies its own default
    if kind in _RANGES:
        return _to_int(command, param, value, kind)
    if kind in ("float", "double"):
        if not _FLOAT.fullmatch(value):
            raise _invalid_value(command, param, value)
        return float(value.rstrip("fFdD"))
    if kind == "uuid":
        return _to_uuid(command, param, value, entity_exists)
    if kind == "list":
        return _to_list(command, param, value, entity_exists)
    if kind == "date":
        if parse_expires(value) is None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?", value):
            raise ApiError(
                PARAM_ERROR,
                f"Unable to parse date {value} for command {command.short_name}, "
                "please pass dates in the format mentioned in the api documentation",
            )
        return value
    if len(value) > param.length:
        raise _invalid_value_because(
            command, f"Value greater than max allowed length {param.length} for param: {param.name}")
    return value


def _validate(command: Command, param: Param, value: str) -> None:
    """The @Parameter(validations=...) checks, inside the invalid-value wrapper."""
    checks = command.raw["params"][param.name].get("validations", [])
    for check in checks:
        bad = (
            (check == "NotNullOrEmpty" and param.type in ("uuid", "string") and not value)
            or (check == "PositiveNumber" and param.type in _RANGES
                and (not _INTEGER.fullmatch(value) or int(value) < 1))
            or (check == "UuidString" and param.type == "string"
                and not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))
        )
        if bad:
            raise _invalid_value_because(command, f"Invalid value provided for API arg: {param.name}")


def _to_int(command: Command, param: Param, value: str, kind: str) -> int:
    low, high = _RANGES[kind]
    if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
        raise _invalid_value(command, param, value)
    return int(value)


def _to_uuid(command: Command, param: Param, value: str, entity_exists: EntityCheck) -> str:
    # "-1" passes as it is: ParamProcessWorker keeps it for the commands that mean "all" by it.
    if value == "-1" or not param.entity_kinds or entity_exists(param.entity_kinds, value):
        return value
    raise _invalid_value_because(
        command,
        f"Invalid parameter {param.name} value={value} due to incorrect long value format, or entity does not exist "
        "or due to incorrect parameter annotation for the field in api cmd class.",
    )


def _to_list(command: Command, param: Param, value: str, entity_exists: EntityCheck) -> list:
    tokens = [token for token in value.split(",") if token]
    item_type = param.collection_type or "string"
    if item_type == "uuid":
        return [_to_uuid(command, param, token, entity_exists) for token in tokens]
    if item_type in _RANGES:
        return [_to_int(command, param, token, item_type) for token in tokens]
    return tokens


def page_window(command: Command, values: dict[str, Any]) -> tuple[int, int | None]:
    """(offset, limit) from `page`/`pagesize` as BaseListCmd reads them; limit None is unlimited."""
    page, pagesize = values.get("page"), values.get("pagesize")
    if page is not None and pagesize is None:
        raise ApiError(PARAM_ERROR, '"pagesize" parameter is required when "page" is specified')
    if pagesize is not None and pagesize != UNLIMITED and page is None:
        raise ApiError(PARAM_ERROR, '"page" parameter is required when "pagesize" is specified')
    if pagesize is not None and pagesize != UNLIMITED and pagesize > MAX_PAGE_SIZE:
        raise ApiError(PARAM_ERROR, f"Page size can't exceed max allowed page size value: {MAX_PAGE_SIZE}",
                       CS_INVALID_PARAMETER_VALUE)
    if pagesize is not None and pagesize < UNLIMITED:
        raise ApiError(PARAM_ERROR, f"Unable to execute API command {command.short_name} due to invalid value "
                       f"{pagesize} for parameter pagesize")
    if pagesize == UNLIMITED:
        if page is not None:
            raise ApiError(PARAM_ERROR, "Can't specify page parameter when pagesize is -1 (Unlimited)",
                           CS_INVALID_PARAMETER_VALUE)
        return 0, None
    limit = pagesize if pagesize is not None else MAX_PAGE_SIZE
    offset = limit * (page - 1) if page and page > 0 else 0
    return offset, limit
