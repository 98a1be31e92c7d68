"""Virtual routers (listRouters, start/stop/reboot/destroy)."""

from __future__ import annotations
