"""Service and disk offerings."""

from __future__ import annotations
