"""Capacity, infrastructure counts, metrics views and rolling maintenance."""

from __future__ import annotations
