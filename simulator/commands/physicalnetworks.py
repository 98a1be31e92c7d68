"""Physical networks, traffic types, network service providers and their elements."""

from __future__ import annotations
