"""Checks and look-ups shared by the handler modules (texts from CloudStack's service layer)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..errors import invalid_parameter
from ..registry import Context

ALLOCATION_STATES = ("Enabled", "Disabled")


def is_ipv4(value: str | None) -> bool:
    """NetUtils.isValidIp4: four dotted decimal octets, nothing else."""
    try:
        return bool(value) and isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def is_ipv6(value: str | None) -> bool:
    try:
        return bool(value) and isinstance(ipaddress.ip_address(value), ipaddress.IPv6Address)
    except ValueError:
        return False


def check_allocation_state(value: str | None) -> None:
    """Grouping.AllocationState.valueOf: exact, case-sensitive."""
    if value and value not in ALLOCATION_STATES:
        raise invalid_parameter(f"Unable to resolve Allocation State '{value}' to a supported state")


def by_id_or_name(objects: Iterable[dict], p: dict) -> list[dict]:
    """The common `id` / `ids` / `name` filters of list commands (names match case-insensitively, as in MySQL)."""
    out = list(objects)
    if p.get("id"):
        out = [obj for obj in out if obj.get("id") == p["id"]]
    if p.get("ids"):
        out = [obj for obj in out if obj.get("id") in p["ids"]]
    if p.get("name"):
        out = [obj for obj in out if str(obj.get("name", "")).lower() == p["name"].lower()]
    return out


def changed(obj: dict, p: dict, keys: Iterable[str]) -> dict:
    """Copy the given parameters that were sent onto the object (for update* commands)."""
    for key in keys:
        if key in p:
            obj[key] = p[key]
    return obj


def zone_of(ctx: Context, zoneid: str) -> dict:
    return ctx.require("zone", zoneid, "zone")
