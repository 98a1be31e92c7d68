"""System VMs: the SSVM and CPVM every usable zone gets, and their life cycle."""

from __future__ import annotations
