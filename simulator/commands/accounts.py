"""Domains, accounts, users and their API keys."""

from __future__ import annotations
