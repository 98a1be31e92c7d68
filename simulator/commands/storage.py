"""Primary storage pools, their tags and storage providers."""

from __future__ import annotations
