"""LDAP configurations, LDAP users and domain links."""

from __future__ import annotations
