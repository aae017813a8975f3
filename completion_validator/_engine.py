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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from completion_validator._findings import additional_findings, enum_finding, required_finding, type_finding
from completion_validator._jsontext import INT_DIGITS_LIMIT, TooLongNumber, has_lone_surrogate, lone_surrogate_message
from completion_validator._profiles import Profile
from completion_validator._registry import SchemaSet, schema_set
from completion_validator.errors import Finding, InstancePath, safe_repr

# At one path, the first of these explains the others away: a value that is not JSON at all,
# or of the wrong type, also fails `enum`, but saying so adds nothing.
_PRIMARY_KEYWORDS = ("not-json", "limit", "encoding", "type")

Translation = Callable[[ValidationError, InstancePath, str], Iterator[Finding]]


@cache
def _validator(profile: Profile) -> Draft202012Validator:
    schemas = schema_set(profile)
    return Draft202012Validator(schemas.root, registry=schemas.registry)


def schema_errors(payload: object, profile: Profile) -> list[Finding]:
    """Every schema finding in `payload` under `profile`, at its own path, in document order."""
    return schema_errors_of(examine(payload), payload, profile)


def schema_errors_of(examined: Examined, payload: object, profile: Profile) -> list[Finding]:
    """Schema findings for a payload already examined (its problems, and jsonschema on its view)."""
    schemas = schema_set(profile)
    found = list(examined.problems)
    for error in _validator(profile).iter_errors(examined.view):
        found.extend(translate(error, schemas))
    return in_document_order(payload, _drop_explained(found))


# Below this depth a value is replaced in the view: jsonschema, the rules and the reporters
# recurse, the schemas never look this deep, and a message never shows it.
VIEW_DEPTH = 64
_HUGE_BITS = 14_000  # an int this wide may pass the int-string limit: checked exactly


class _Unseen:
    """Stands in the view for what jsonschema must not walk: a cycle, or a value nested too deep."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return self.why


@dataclass(frozen=True)
class Examined:
    """A payload's problems as JSON data, and the value to validate (the payload, or a safe copy of it)."""

    view: object
    problems: tuple[Finding, ...]


def examine(payload: object) -> Examined:
    """Find what JSON cannot hold — at any depth, in cycles too — and build a safe view if one is needed.

    One iterative walk (no recursion: values may nest deeper than Python's recursion limit). A
    view, a copy with cycles, over-long integers and values deeper than `VIEW_DEPTH` replaced,
    is built only when the payload holds one of them; otherwise the payload is its own view.
    """
    problems: list[Finding] = []
    needs_view = False
    on_path: set[int] = set()
    stack: list[tuple[object, InstancePath, bool]] = [(payload, (), False)]
    while stack:
        node, where, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if isinstance(node, Mapping | list):
            if id(node) in on_path:
                problems.append(Finding(where, "not-json", _RECURSIVE, "a finite JSON value", "…"))
                needs_view = True
                continue
            needs_view = needs_view or len(where) >= VIEW_DEPTH
            on_path.add(id(node))
            stack.append((node, where, True))
            if isinstance(node, Mapping):
                stack.extend(_members(node, where, problems))
            else:
                stack.extend((item, (*where, index), False) for index, item in reversed(list(enumerate(node))))
            continue
        problem = _scalar_problem(node, where)
        if problem is not None:
            problems.append(problem)
            needs_view = needs_view or problem.keyword == "limit"
    return Examined(_view(payload) if needs_view else payload, tuple(problems))


_RECURSIVE = "a recursive structure: this value contains itself, which no JSON text can"


def _members(
    node: Mapping[object, object], where: InstancePath, problems: list[Finding]
) -> list[tuple[object, InstancePath, bool]]:
    children: list[tuple[object, InstancePath, bool]] = []
    for key, item in reversed(list(node.items())):
        if not isinstance(key, str):
            problems.append(
                Finding(
                    where,
                    "not-json",
                    f"object key {safe_repr(key)} is not a string ({type(key).__name__}); JSON keys are strings",
                    "string keys",
                    safe_repr(key),
                )
            )
            continue
        if has_lone_surrogate(key):
            problems.append(
                Finding((*where, key), "encoding", "key: " + lone_surrogate_message(key), "UTF-8 text", None)
            )
        children.append((item, (*where, key), False))
    return children


def _scalar_problem(node: object, where: InstancePath) -> Finding | None:
    if node is None or isinstance(node, bool):
        return None
    if isinstance(node, str):
        if has_lone_surrogate(node):
            return Finding(
                where,
                "encoding",
                lone_surrogate_message(node),
                "UTF-8 text",
                node.encode("utf-8", "backslashreplace").decode(),
            )
        return None
    if isinstance(node, int):
        if node.bit_length() > _HUGE_BITS and abs(node) >= 10**INT_DIGITS_LIMIT:
            digits = int(node.bit_length() * math.log10(2)) + 1  # never converted to text: that is the problem
            return Finding(where, "limit", _too_long_message(digits), "at most 4,300 digits", f"<{digits:,} digits>")
        return None
    if isinstance(node, TooLongNumber):
        return Finding(
            where, "limit", _too_long_message(len(node.digits.lstrip("+-"))), "at most 4,300 digits", repr(node)
        )
    if isinstance(node, float):
        if math.isfinite(node):
            return None
        return Finding(where, "not-json", f"{node!r} is not a JSON number", "a finite number", repr(node))
    kind = type(node).__name__
    return Finding(where, "not-json", f"a Python {kind} is not a JSON value", "a JSON value", safe_repr(node))


def _too_long_message(digits: int) -> str:
    return f"an integer of {digits:,} digits is longer than Python reads (4,300 digits): no count or time needs it"


def _view(payload: object) -> object:
    """A copy safe to validate: cycles, over-long integers and values below `VIEW_DEPTH` replaced."""
    root: list[object] = [None]
    on_path: set[int] = set()
    # (value, container to put its copy in, key or index there, depth)
    stack: list[tuple[object, Any, Any, int, bool]] = [(payload, root, 0, 0, False)]
    while stack:
        node, target, slot, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if isinstance(node, Mapping | list):
            if id(node) in on_path:
                target[slot] = _Unseen("<recursive>")
                continue
            if depth >= VIEW_DEPTH:
                target[slot] = _Unseen("<nested too deeply to show>")
                continue
            on_path.add(id(node))
            stack.append((node, None, None, depth, True))
            copy: Any = {} if isinstance(node, Mapping) else [None] * len(node)
            target[slot] = copy
            items = node.items() if isinstance(node, Mapping) else enumerate(node)
            stack.extend((item, copy, key, depth + 1, False) for key, item in reversed(list(items)))
            continue
        if isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > _HUGE_BITS:
            target[slot] = _Unseen("<integer too long>") if abs(node) >= 10**INT_DIGITS_LIMIT else node
        elif isinstance(node, TooLongNumber):
            target[slot] = _Unseen(repr(node))
        else:
            target[slot] = node
    return root[0]


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
    yield type_finding(declared, error.instance, path, location)


def _enum(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    allowed: Any = error.validator_value
    yield enum_finding(allowed, error.instance, path, location)


def _required(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    # jsonschema yields one error per missing name with the parent as instance; the name is only
    # in the message, so recover it from the message's own quoting of the name.
    required: Any = error.validator_value
    instance: Any = error.instance
    missing = [name for name in required if name not in instance]
    named = [name for name in missing if error.message == f"{name!r} is a required property"]
    for name in named or missing[:1]:
        yield required_finding(name, path, location)


def _additional(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    yield from additional_findings(known, instance, path, location)


def _generic(error: ValidationError, path: InstancePath, location: str) -> Iterator[Finding]:
    yield Finding(path, str(error.validator), error.message, None, error.instance, location)


_HANDLERS: dict[str, Translation] = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "additionalProperties": _additional,
}
