"""Pods (createPod, updatePod, deletePod, listPods)."""

from __future__ import annotations
