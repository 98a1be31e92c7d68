"""Local test hosts for acsible: network namespaces on one bridge, each with an overlay root and sshd.

`python -m lab up|down|status|ssh|prereqs`; tests call `main(["status"])`.
"""

from .cli import main

__all__ = ["main"]
