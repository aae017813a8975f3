"""The reference engine: jsonschema, with its errors turned into findings that read well.

This engine is the definition: the compiled explainer (`_fastpath/_explain.py`) must produce
exactly its records, and `--engine reference` runs it alone. It imports jsonschema, so it is
loaded only when a document needs it.

jsonschema reports a missing property at its parent and an unknown one inside a list of names,
quotes values as Python reprs (`None`, `True`), and yields errors in schema order. Users want
each problem at its own path, in JSON terms, in document order: each keyword we use gets a small
translation here (`_findings`), and the caller sorts them the way the fields appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from completion_validator._examine import Examined
from completion_validator._findings import additional_findings, enum_finding, required_finding, type_finding
from completion_validator._profiles import Profile
from completion_validator._registry import SchemaSet, schema_set
from completion_validator.errors import Finding, InstancePath

Translation = Callable[[ValidationError, InstancePath, str], Iterator[Finding]]


@cache
def _validator(profile: Profile) -> Draft202012Validator:
    schemas = schema_set(profile)
    return Draft202012Validator(schemas.root, registry=schemas.registry)


def schema_errors_of(examined: Examined, profile: Profile) -> list[Finding]:
    """Schema findings for an examined payload: its problems, then jsonschema's on its view, in jsonschema's order."""
    schemas = schema_set(profile)
    found = list(examined.problems)
    for error in _validator(profile).iter_errors(examined.view):
        found.extend(translate(error, schemas))
    return found


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
