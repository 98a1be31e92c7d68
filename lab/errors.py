"""The lab's exceptions: the library raises them, only `main` turns them into exit codes."""

from __future__ import annotations


class LabError(Exception):
    """Anything that stops a lab operation."""


class ConfigurationError(LabError):
    """The inventory or this machine's setup cannot make a lab (bad address, no Debian mirror, ...)."""


class CommandError(LabError):
    """A command the lab ran failed."""

    def __init__(self, argv: list[str], returncode: int, output: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.output = output
        tail = "\n".join(output.strip().splitlines()[-15:])
        super().__init__(f"{' '.join(argv)} exited {returncode}" + (f":\n{tail}" if tail else ""))


class LabTimeout(LabError):
    """Something the lab waits for did not happen in time."""
