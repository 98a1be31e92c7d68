"""Templates (registerTemplate, listTemplates)."""

from __future__ import annotations
