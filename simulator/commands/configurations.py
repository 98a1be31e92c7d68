"""Global and scoped settings (listConfigurations, updateConfiguration)."""

from __future__ import annotations
