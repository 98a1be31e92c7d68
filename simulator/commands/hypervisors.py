"""Hypervisors, their capabilities, OS types and VMware datacenters."""

from __future__ import annotations
