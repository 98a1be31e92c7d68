"""Image stores (secondary storage), staging stores and object-store migration."""

from __future__ import annotations
