"""Public and guest VLAN IP ranges (createVlanIpRange, deleteVlanIpRange, listVlanIpRanges)."""

from __future__ import annotations
