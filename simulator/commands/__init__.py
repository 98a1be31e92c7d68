"""Command handlers, one module per family; importing this package registers them all."""

from . import asyncjobs, faults, zones  # noqa: F401
