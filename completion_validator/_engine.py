"""The reference engine: jsonschema, with its errors turned into findings that read well.

This engine is the definition: every schema finding the package reports comes from here (the
fast path only ever decides that there is nothing to report). It imports jsonschema, so it is
loaded only when a document needs explaining.

jsonschema reports a missing property at its parent and an unknown one inside a list of names,
quotes values as Python reprs (`None`, `True`), and yields errors in schema order. Users want
each problem at its own path, in JSON terms, in document order: each keyword we use gets a small
translation here, and the findings are sorted the way the fields appear.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from completion_validator._profiles import Profile
from completion_validator._registry import SchemaSet, schema_set
from completion_validator.errors import Finding, InstancePath, display_list, display_value, safe_repr

# At one path, the first of these explains the others away: a value that is not JSON at all,
# or of the wrong type, also fails `enum`, but saying so adds nothing.
_PRIMARY_KEYWORDS = ("not-json", "type")

Translation = Callable[[ValidationError, InstancePath, str], Iterator[Finding]]


@cache
def _validator(profile: Profile) -> Draft202012Validator:
    schemas = schema_set(profile)
    return Draft202012Validator(schemas.root, registry=schemas.registry)


def schema_errors(payload: object, profile: Profile) -> list[Finding]:
    """Every schema finding in `payload` under `profile`, at its own path, in document order."""
    schemas = schema_set(profile)
    found = list(not_json(payload, ()))
    for error in _validator(profile).iter_errors(payload):
        found.extend(translate(error, schemas))
    return in_document_order(payload, _drop_explained(found))


def not_json(value: object, path: InstancePath) -> Iterator[Finding]:
    """Python values that JSON cannot hold: they would otherwise pass or fail for the wrong reason.

    Walks with an explicit stack, not recursion: vendor members can nest deeper than Python's
    recursion limit allows.
    """
    stack: list[tuple[object, InstancePath]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, Mapping):
            for key, item in reversed(list(node.items())):
                if isinstance(key, str):
                    stack.append((item, (*where, key)))
                else:
                    yield Finding(
                        where,
                        "not-json",
                        f"object key {safe_repr(key)} is not a string ({type(key).__name__}); JSON keys are strings",
                        "string keys",
                        safe_repr(key),
                    )
        elif isinstance(node, list):
            stack.extend((item, (*where, index)) for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, float) and not math.isfinite(node):
            yield Finding(where, "not-json", f"{node!r} is not a JSON number", "a finite number", repr(node))
        elif node is not None and not isinstance(node, str | int | float | bool):
            kind = type(node).__name__
            yield Finding(where, "not-json", f"a Python {kind} is not a JSON value", "a JSON value", safe_repr(node))


def _drop_explained(errors: list[Finding]) -> list[Finding]:
    primary: dict[InstancePath | None, str] = {}
    for keyword in _PRIMARY_KEYWORDS:
        for error in errors:
            if error.keyword == keyword:
                primary.setdefault(error.instance_path, keyword)
    kept: list[Finding] = []
    seen: set[tuple[InstancePath | None, str, str]] = set()
    for error in errors:
        if primary.get(error.instance_path, error.keyword) != error.keyword:
            continue
        key = (error.instance_path, error.keyword, error.message)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


def in_document_order(payload: object, errors: list[Finding]) -> list[Finding]:
    """Sort findings the way the fields appear in the document; missing fields after their siblings."""

    def position(error: Finding) -> tuple[int, ...]:
        key: list[int] = []
        node: Any = payload
        for part in error.instance_path or ():
            if isinstance(node, Mapping):
                keys = list(node)
                key.append(keys.index(part) if part in node else len(keys))
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int):
                key.append(part)
                node = node[part] if 0 <= part < len(node) else None
            else:
                key.append(0)
                node = None
        return tuple(key)

    return sorted(errors, key=position)


def translate(error: ValidationError, schemas: SchemaSet) -> Iterator[Finding]:
    """The findings one jsonschema error stands for (a `required` error may name several)."""
    keyword = str(error.validator)
    location = schemas.locate(error.schema_path)
    handler = _HANDLERS.get(keyword, _generic)
    yield from handler(error, tuple(error.absolute_path), location)


def _type(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    declared: Any = error.validator_value
    names: Sequence[str] = [declared] if isinstance(declared, str) else declared
    message = f"{display_value(error.instance)} is not of type " + " or ".join(f"'{name}'" for name in names)
    yield Finding(path, "type", message, " or ".join(names), error.instance, location)


def _enum(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    allowed: Any = error.validator_value
    expected = "one of " + display_list(allowed)
    yield Finding(
        path,
        "enum",
        f"{display_value(error.instance)} is not one of {display_list(allowed)}",
        expected,
        error.instance,
        location,
    )


def _required(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    # jsonschema yields one error per missing name with the parent as instance; the name is only
    # in the message, so recover it from the message's own quoting of the name.
    required: Any = error.validator_value
    instance: Any = error.instance
    missing = [name for name in required if name not in instance]
    named = [name for name in missing if error.message == f"{name!r} is a required property"]
    for name in named or missing[:1]:
        yield Finding(
            (*path, name), "required", f"required property {display_value(name)} is missing", "present", None, location
        )


def _additional(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    for name in instance:
        if name not in known:
            yield Finding(
                (*path, name),
                "additionalProperties",
                f"unknown property {display_value(name)} (not defined by the schema)",
                "one of " + display_list(known) if known else "no properties",
                instance[name],
                location,
            )


def _generic(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    yield Finding(path, str(error.validator), error.message, None, error.instance, location)


_HANDLERS: dict[str, Translation] = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "additionalProperties": _additional,
}
