"""Hosts: addHost, maintenance, updates, tags, deletion."""

from __future__ import annotations
