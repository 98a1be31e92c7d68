"""Hypervisors, their capabilities, OS types and VMware datacenters (read-only lists).

The hypervisor names are `hypervisor.list` (ManagementServerImpl.getHypervisors), which a
fresh database leaves unset, so the code default seeded as the `hypervisors` meta applies.
"""

from __future__ import annotations

from ..registry import Context, command

# HypervisorType.getType answers None for any name it does not know (never null).
UNKNOWN_HYPERVISOR = "None"


def hypervisor_list(ctx: Context) -> list[str]:
    """The `hypervisor.list` setting, or its code default."""
    value = ctx.setting("hypervisor.list") or ctx.store.get_meta("hypervisors") or ""
    return [name.strip() for name in value.split(",") if name.strip()]


def hypervisor_type(ctx: Context, name: str | None) -> str:
    """HypervisorType.getType: the canonical name, matched case-insensitively, else "None"."""
    if name:
        for known in hypervisor_list(ctx):
            if known.lower() == name.lower():
                return known
    return UNKNOWN_HYPERVISOR


@command("listHypervisors")
def list_hypervisors(ctx: Context, p: dict) -> list[dict]:
    if not p.get("zoneid"):
        return [{"name": name} for name in hypervisor_list(ctx)]
    # One entry per cluster of the zone, duplicates included, as getHypervisors builds it.
    clusters = ctx.store.find("cluster", zoneid=p["zoneid"])
    return [{"name": cluster["hypervisortype"]} for cluster in clusters]


@command("listHypervisorCapabilities")
def list_hypervisor_capabilities(ctx: Context, p: dict) -> list[dict]:
    rows = ctx.store.find("hypervisorcapabilities")
    if p.get("id"):
        rows = [row for row in rows if row["id"] == p["id"]]
    if "hypervisor" in p:
        wanted = hypervisor_type(ctx, p["hypervisor"])
        rows = [row for row in rows if row.get("hypervisor") == wanted]
    return rows


@command("listOsTypes")
def list_os_types(ctx: Context, p: dict) -> list[dict]:
    rows = ctx.store.find("guestos")
    if p.get("id"):
        rows = [row for row in rows if row["id"] == p["id"]]
    if p.get("oscategoryid"):
        rows = [row for row in rows if row.get("oscategoryid") == p["oscategoryid"]]
    if p.get("description"):
        needle = p["description"].lower()
        rows = [row for row in rows if needle in str(row.get("description", "")).lower()]
    # fordisplay defaults to true (ListGuestOsCmd.getDisplay).
    for_display = p.get("fordisplay", True)
    rows = [row for row in rows if bool(row.get("fordisplay", True)) == for_display]
    # GuestOSDaoImpl.listGuestOSByCriteria orders by display name.
    return sorted(rows, key=lambda row: str(row.get("description", "")).lower())


@command("listVmwareDcs")
def list_vmware_dcs(ctx: Context, p: dict) -> list[dict]:
    # The simulator never talks to a vCenter, so no VMware datacenter is ever associated.
    return []
