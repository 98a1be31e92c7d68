"""The launch form of a catalog entry, made from its inputs' JSON Schema, and the form's answers read back.

Each property becomes a labelled field: text, number, a select for an `enum` or an optional boolean,
a checkbox for a required boolean, a fieldset for an object with `properties`, a textarea of lines
for an array of strings or numbers, and a JSON textarea for anything else. Reading a post gives the
`vars` and the problems found while converting them, named as the API names fields
(`vars.options.note`); the entry's schema is then applied by the same code as the API's.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NOT_SET = ""
SCALARS = ("string", "integer", "number")
MAX_LINES = 500
INDEX = re.compile(r"\[\d+\]$")


@dataclass
class Field:
    """One form control (or a fieldset of them, `kind == "group"`)."""

    path: str  # as the API names it: vars.options.note
    key: str  # the property's name in its object
    id: str
    label: str
    kind: str  # text, integer, number, select, checkbox, lines, json, group
    required: bool
    description: str = ""
    schema: dict[str, Any] = field(default_factory=dict)
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of a select
    multiple: bool = False  # a select of several values (an array of enum items)
    item_type: str = "string"  # of `lines`
    attributes: dict[str, Any] = field(default_factory=dict)  # maxlength, min, max, step
    children: list[Field] = field(default_factory=list)
    value: Any = None  # what the form shows (text, or a list of selected values)
    error: str | None = None

    @property
    def name(self) -> str:
        return self.path

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    def walk(self) -> list[Field]:
        return [self, *(f for child in self.children for f in child.walk())]


def _type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        real = [k for k in kind if k != "null"]
        return real[0] if len(real) == 1 else None
    return kind if isinstance(kind, str) else None


def _label(name: str, schema: Mapping[str, Any]) -> str:
    title = schema.get("title")
    return str(title) if isinstance(title, str) and title else name


class FormBuilder:
    def __init__(self) -> None:
        self.count = 0

    def fields(self, schema: Mapping[str, Any], path: str = "vars") -> list[Field]:
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        return [self.field(f"{path}.{name}", name, sub if isinstance(sub, dict) else {}, name in required)
                for name, sub in properties.items()]

    def field(self, path: str, name: str, schema: dict[str, Any], required: bool) -> Field:
        self.count += 1
        made = Field(path=path, key=name, id=f"input-{self.count}", label=_label(name, schema), kind="json",
                     required=required, description=str(schema.get("description") or ""), schema=schema)
        kind, items = _type(schema), schema.get("items") if isinstance(schema.get("items"), dict) else {}
        choices = schema.get("enum") if isinstance(schema.get("enum"), list) else None
        if choices is None and "const" in schema:
            choices = [schema["const"]]
        if choices is not None:
            made.kind = "select"
            made.options = [(json.dumps(value), _shown(value)) for value in choices]
        elif kind == "boolean":
            made.kind = "checkbox" if required else "select"
            if not required:
                made.options = [("true", "yes"), ("false", "no")]
        elif kind in ("integer", "number"):
            made.kind = kind
            made.attributes = _number_attributes(schema, kind)
        elif kind == "string":
            made.kind = "text"
            if isinstance(schema.get("maxLength"), int):
                made.attributes["maxlength"] = schema["maxLength"]
        elif kind == "object" and isinstance(schema.get("properties"), dict):
            made.kind = "group"
            made.children = self.fields(schema, path)
        elif kind == "array" and isinstance(items.get("enum"), list):
            made.kind, made.multiple = "select", True
            made.options = [(json.dumps(value), _shown(value)) for value in items["enum"]]
        elif kind == "array" and _type(items) in SCALARS and "enum" not in items:
            made.kind, made.item_type = "lines", _type(items) or "string"
        made.value = _initial(made, schema.get("default"))
        return made


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _number_attributes(schema: Mapping[str, Any], kind: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {"step": "1" if kind == "integer" else "any"}
    for key, attribute in (("minimum", "min"), ("maximum", "max")):
        if isinstance(schema.get(key), int | float) and not isinstance(schema.get(key), bool):
            attributes[attribute] = schema[key]
    return attributes


def _initial(made: Field, default: Any) -> Any:
    """What the field shows before anything was posted: the schema's default, if any."""
    if default is None:
        return [] if made.multiple else NOT_SET
    if made.kind == "select":
        return [json.dumps(v) for v in default] if made.multiple and isinstance(default, list) else json.dumps(default)
    if made.kind == "checkbox":
        return bool(default)
    if made.kind == "lines" and isinstance(default, list):
        return "\n".join(_shown(item) for item in default)
    if made.kind == "json":
        return json.dumps(default, indent=2)
    return _shown(default)


def build_fields(schema: Mapping[str, Any]) -> list[Field]:
    """The form's fields for an entry's inputs schema, in the schema's order."""
    return FormBuilder().fields(schema)


# -- reading a post ---------------------------------------------------------------------------
def read_form(fields: list[Field], form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The vars a post gives (empty optional fields left out) and conversion problems by field path.

    `form` is a werkzeug MultiDict (getlist for multiple selects). Each field's `value` is set to what
    was posted, so the form can be shown again as it was sent.
    """
    errors: dict[str, str] = {}
    return _read_group(fields, form, errors), errors


def _read_group(fields: list[Field], form: Any, errors: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for made in fields:
        if made.kind == "group":
            inner = _read_group(made.children, form, errors)
            if inner or made.required:
                values[made.key] = inner
            continue
        value = _read(made, form, errors)
        if value is not _OMIT:
            values[made.key] = value
    return values


class _Omit:
    pass


_OMIT = _Omit()


def _read(made: Field, form: Any, errors: dict[str, str]) -> Any:
    if made.kind == "checkbox":
        made.value = form.get(made.name) == "true"
        return made.value
    if made.kind == "select" and made.multiple:
        made.value = [raw for raw in form.getlist(made.name) if raw in {value for value, _ in made.options}]
        return [json.loads(raw) for raw in made.value] if made.value else _OMIT
    raw = form.get(made.name, NOT_SET)
    made.value = raw
    if made.kind == "select":
        if raw == NOT_SET:
            return _OMIT
        if raw not in {value for value, _ in made.options}:
            errors[made.path] = "choose one of the listed values"
            return _OMIT
        return json.loads(raw)
    if made.kind == "text":
        return raw if raw != NOT_SET else _OMIT
    if raw.strip() == NOT_SET:
        return _OMIT
    if made.kind in ("integer", "number"):
        number = _number(raw.strip(), made.kind)
        if number is None:
            errors[made.path] = "must be a whole number" if made.kind == "integer" else "must be a number"
            return _OMIT
        return number
    if made.kind == "lines":
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        if len(lines) > MAX_LINES:
            errors[made.path] = f"at most {MAX_LINES} lines"
            return _OMIT
        if made.item_type == "string":
            return lines
        items = []
        for index, line in enumerate(lines):
            number = _number(line, made.item_type)
            if number is None:
                errors[f"{made.path}[{index}]"] = f"{line[:40]!r} is not a number"
                return _OMIT
            items.append(number)
        return items
    try:  # json
        return json.loads(raw, parse_constant=_refuse_constant)
    except ValueError as exc:
        errors[made.path] = f"is not valid JSON: {str(exc)[:120]}"
        return _OMIT


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(text: str, kind: str) -> int | float | None:
    if kind == "integer":
        return int(text) if re.fullmatch(r"[+-]?\d{1,18}", text) else None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def place_errors(fields: list[Field], errors: Mapping[str, str]) -> dict[str, str]:
    """Put each error on the field it belongs to (`vars.tags[2]` on `vars.tags`); returns the rest."""
    by_path = {made.path: made for top in fields for made in top.walk()}
    rest: dict[str, str] = {}
    for path, problem in errors.items():
        target, prefix = None, path
        while prefix and target is None:
            target = by_path.get(prefix)
            if target is None:
                prefix = INDEX.sub("", prefix) if INDEX.search(prefix) else prefix.rpartition(".")[0]
        if target is None or (target.kind == "group" and target.path != path):
            rest[path] = problem
        elif target.error is None:
            target.error = problem if target.path == path else f"{_where(target, path)}: {problem}"
    return rest


def _where(target: Field, path: str) -> str:
    """Where inside a field a problem is: `line 3` of a lines field, else the rest of its path."""
    inner = path.removeprefix(target.path)
    line = re.match(r"^\[(\d+)\]", inner)
    if target.kind == "lines" and line:
        return f"line {int(line.group(1)) + 1}{inner[line.end():]}"
    return inner.lstrip(".")
