"""Request signature verification, written to ApiServer.verifyRequest's rules.

Kept apart from the collection's client on purpose: the two are checked against each other
and against outside clients, so neither may borrow the other's encoding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote


def java_url_encode(value: str) -> str:
    """URLEncoder.encode(value, "UTF-8").replaceAll("\\+", "%20").

    Java leaves only A-Z a-z 0-9 . - * _ as they are; Python's quote also keeps '~', which
    Java encodes as %7E (the `cs` client gets this wrong, the server does not).
    """
    return quote(value, safe="*").replace("~", "%7E")


def string_to_sign(params: dict[str, str]) -> str:
    """Every parameter but `signature`, sorted case-sensitively by raw name, then lower-cased."""
    names = sorted(name for name in params if name.lower() != "signature")
    return "&".join(f"{name}={java_url_encode(params[name])}" for name in names).lower()


def compute_signature(params: dict[str, str], secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), string_to_sign(params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(params: dict[str, str], secret_key: str, signature: str) -> bool:
    return hmac.compare_digest(compute_signature(params, secret_key).encode(), signature.encode())


_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<hour>\d{2}):(?P<minute>\d{2})"
# DateUtil.parseTZDateString tries these Java formats in turn; each needs an offset.
_EXPIRES_FORMATS = [
    # ISO_OFFSET_DATE_TIME / ISO_INSTANT: optional seconds and fraction, offset Z or +HH:MM[:SS]
    re.compile(_DATE + r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
               r"(?P<offset>Z|[+-]\d{2}:\d{2}(?::\d{2})?)"),
    # yyyy-MM-dd'T'HH:mm:ssZ and the .SSSSSSZ variant: offset +HHMM
    re.compile(_DATE + r":(?P<second>\d{2})(?:\.(?P<fraction>\d{6}))?(?P<offset>[+-]\d{4})"),
    # .SSSSSSX: offset Z, +HH, +HHMM or +HH:MM
    re.compile(_DATE + r":(?P<second>\d{2})\.(?P<fraction>\d{6})(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)"),
    # yyyy-MM-dd'T'HH:mm:ss'Z'Z (legacy): a literal Z, then +HHMM
    re.compile(_DATE + r":(?P<second>\d{2})Z(?P<offset>[+-]\d{4})"),
]


def parse_expires(value: str) -> datetime | None:
    """The instant an `expires` value names, or None where the server could not parse it."""
    for pattern in _EXPIRES_FORMATS:
        match = pattern.fullmatch(value)
        if match:
            return _to_datetime(match)
    return None


def _to_datetime(match: re.Match) -> datetime | None:
    parts = match.groupdict()
    offset = parts["offset"]
    if offset == "Z":
        delta = timedelta(0)
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes, seconds = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
        delta = timedelta(hours=hours, minutes=minutes, seconds=seconds)
        if offset[0] == "-":
            delta = -delta
    if delta > timedelta(hours=18) or delta < -timedelta(hours=18):
        return None
    fraction = (parts.get("fraction") or "0")[:6].ljust(6, "0")
    try:
        return datetime.strptime(
            f"{parts['date']}T{parts['hour']}:{parts['minute']}:{parts.get('second') or '00'}.{fraction}",
            "%Y-%m-%dT%H:%M:%S.%f",
        ).replace(tzinfo=timezone(delta))
    except ValueError:
        return None
