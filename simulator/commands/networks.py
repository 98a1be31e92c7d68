"""Guest networks, network offerings and security groups."""

from __future__ import annotations
