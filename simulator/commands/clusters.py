"""Clusters (addCluster, updateCluster, deleteCluster, listClusters)."""

from __future__ import annotations
