"""Response envelopes, built by pure functions so each wrapper rule lives in one place.

Shapes follow ApiResponseSerializer (ground truth section 2): `<wrapper>: {<object>: {...}}`,
list `{count, <object>: [...]}` with the empty `{}` case, `{success: true}`, flat objects,
async `{jobid}` (plus `id` for BaseAsyncCreateCmd) and the error envelope with `uuidList`.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
XML_CONTENT_TYPE = "text/xml; charset=UTF-8"


def object_response(wrapper: str, object_name: str, obj: dict) -> dict:
    return {wrapper: {object_name: obj}}


def list_response(wrapper: str, object_name: str, total: int, page: list[dict]) -> dict:
    """`count` is the total; an empty result is `{}`; a page past the end keeps only `count`."""
    if total == 0:
        return {wrapper: {}}
    body: dict = {"count": total}
    if page:
        body[object_name] = page
    return {wrapper: body}


def success_response(wrapper: str, displaytext: str | None = None) -> dict:
    body: dict = {"success": True}
    if displaytext:
        body["displaytext"] = displaytext
    return {wrapper: body}


def flat_response(wrapper: str, fields: dict) -> dict:
    return {wrapper: fields}


def async_response(wrapper: str, jobid: str, object_id: str | None = None) -> dict:
    body = {"id": object_id, "jobid": jobid} if object_id else {"jobid": jobid}
    return {wrapper: body}


def error_response(wrapper: str, errorcode: int, errortext: str, cserrorcode: int | None = None) -> dict:
    body: dict = {"uuidList": [], "errorcode": errorcode}
    if cserrorcode is not None:
        body["cserrorcode"] = cserrorcode
    body["errortext"] = errortext
    return {wrapper: body}


def to_json(envelope: dict) -> str:
    return json.dumps(envelope, separators=(",", ":"))


def to_xml(envelope: dict, version: str) -> str:
    """The XML form (`response=xml`, the server's default): one element per field."""
    [(wrapper, body)] = envelope.items()
    inner = _xml_fields(body) if isinstance(body, dict) else escape(str(body))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{wrapper} cloud-stack-version="{escape(version)}">{inner}</{wrapper}>'
    )


def _xml_fields(body: dict) -> str:
    parts = []
    for key, value in body.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                parts.append(f"<{key}>{_xml_fields(item)}</{key}>")
            else:
                text = str(item).lower() if isinstance(item, bool) else str(item)
                parts.append(f"<{key}>{escape(text)}</{key}>")
    return "".join(parts)
