"""The reference engine: jsonschema, with its errors turned into `FieldError`s that read well.

This is the engine whose records are the truth: every error the package reports comes from
here (or from the rules). It imports jsonschema, so it is loaded only when a document needs
explaining; the fast path (fastpath.py) only ever decides that there is nothing to explain.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from completion_validator._messages import translate
from completion_validator.errors import FieldError, InstancePath
from completion_validator.profiles import Profile
from completion_validator.registry import schema_set

# At one path, the first of these explains the others away: a value that is not JSON at all,
# or of the wrong type, also fails `enum`, but saying so adds nothing.
_PRIMARY_KEYWORDS = ("not-json", "type")


@cache
def _validator(profile: Profile) -> Draft202012Validator:
    schemas = schema_set(profile)
    return Draft202012Validator(schemas.root, registry=schemas.registry)


def schema_errors(payload: object, profile: Profile) -> list[FieldError]:
    """Every schema error in `payload` under `profile`, at its own path, in document order."""
    schemas = schema_set(profile)
    found = list(_not_json(payload, ()))
    for error in _validator(profile).iter_errors(payload):
        found.extend(translate(error, schemas))
    return in_document_order(payload, _drop_explained(found))


def _not_json(value: object, path: InstancePath) -> Iterator[FieldError]:
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
                    yield FieldError(
                        where,
                        "not-json",
                        f"object key {key!r} is not a string ({type(key).__name__}); JSON keys are strings",
                        "string keys",
                        repr(key),
                    )
        elif isinstance(node, list):
            stack.extend((item, (*where, index)) for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, float) and not math.isfinite(node):
            yield FieldError(where, "not-json", f"{node!r} is not a JSON number", "a finite number", repr(node))
        elif node is not None and not isinstance(node, str | int | float | bool):
            kind = type(node).__name__
            yield FieldError(where, "not-json", f"a Python {kind} is not a JSON value", "a JSON value", repr(node))


def _drop_explained(errors: list[FieldError]) -> list[FieldError]:
    primary: dict[InstancePath, str] = {}
    for keyword in _PRIMARY_KEYWORDS:
        for error in errors:
            if error.keyword == keyword:
                primary.setdefault(error.instance_path, keyword)
    kept: list[FieldError] = []
    seen: set[tuple[InstancePath, str, str]] = set()
    for error in errors:
        if primary.get(error.instance_path, error.keyword) != error.keyword:
            continue
        key = (error.instance_path, error.keyword, error.message)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


def in_document_order(payload: object, errors: list[FieldError]) -> list[FieldError]:
    """Sort errors the way the fields appear in the document; missing fields after their siblings."""

    def position(error: FieldError) -> tuple[int, ...]:
        key: list[int] = []
        node: Any = payload
        for part in error.instance_path:
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
