"""Helpers for tests that need real servers on this machine."""
