"""This machine's Debian sources: the only mirror that resolves here is the one they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    """One `deb` entry: a URI with its suites and components."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str = ""

    def deb822(self) -> str:
        lines = ["Types: deb", f"URIs: {self.uri}", f"Suites: {' '.join(self.suites)}",
                 f"Components: {' '.join(self.components)}"]
        if self.signed_by:
            lines.append(f"Signed-By: {self.signed_by}")
        return "\n".join(lines) + "\n"


def read_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    """Every `deb` source of sources.list, sources.list.d/*.list and *.sources, in apt's order."""
    sources = []
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            sources += parse_one_line(path.read_text())
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        sources += parse_deb822(path.read_text())
    return sources


def parse_one_line(text: str) -> list[AptSource]:
    sources = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        options, words = split_options(words[1:])
        if len(words) >= 2:
            sources.append(AptSource(words[0].rstrip("/"), (words[1],), tuple(words[2:]),
                                     options.get("signed-by", "")))
    return sources


def split_options(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """The `[key=value ...]` block of a one-line entry, and the words after it."""
    if not words or not words[0].startswith("["):
        return {}, words
    joined = " ".join(words)
    inside, _, rest = joined[1:].partition("]")
    options = dict(item.split("=", 1) for item in inside.split() if "=" in item)
    return options, rest.split()


def parse_deb822(text: str) -> list[AptSource]:
    sources = []
    for stanza in deb822_stanzas(text):
        if "deb" not in stanza.get("types", "").split() or stanza.get("enabled", "yes") == "no":
            continue
        for uri in stanza.get("uris", "").split():
            sources.append(AptSource(uri.rstrip("/"), tuple(stanza.get("suites", "").split()),
                                     tuple(stanza.get("components", "").split()), stanza.get("signed-by", "")))
    return sources


def deb822_stanzas(text: str) -> list[dict[str, str]]:
    stanzas, current, key = [], {}, None
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
        elif line[0].isspace() and key:
            current[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def debian_mirror(sources: list[AptSource], suite: str) -> str:
    """The URI of the first source that carries `suite`: what debootstrap should read."""
    for source in sources:
        if suite in source.suites and "main" in source.components:
            return source.uri
    raise ConfigurationError(f"no Debian source for {suite} main in {APT_DIR}/sources.list(.d): "
                             "the lab reads its mirror from this machine's apt sources")
