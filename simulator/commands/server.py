"""Capabilities, listApis, management servers and their shutdown, regions."""

from __future__ import annotations
