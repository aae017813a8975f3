"""Turning jsonschema's `ValidationError`s into `FieldError`s that read well.

jsonschema reports a missing property at its parent and an unknown one inside a list of names,
and quotes values as Python reprs (`None`, `True`). Users want each problem at its own path in
JSON terms, so each keyword we use gets its own small translation here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from jsonschema import ValidationError

from completion_validator.errors import FieldError, InstancePath, display_list, display_value
from completion_validator.registry import SchemaSet

Translation = Callable[[ValidationError, InstancePath, str], Iterator[FieldError]]


def translate(error: ValidationError, schemas: SchemaSet) -> Iterator[FieldError]:
    """The field errors one jsonschema error stands for (a `required` error may name several)."""
    keyword = str(error.validator)
    location = schemas.locate(error.schema_path)
    handler = _HANDLERS.get(keyword, _generic)
    yield from handler(error, tuple(error.absolute_path), location)


def _type(error: ValidationError, path: InstancePath, location: str) -> Iterator[FieldError]:
    declared: Any = error.validator_value
    names: Sequence[str] = [declared] if isinstance(declared, str) else declared
    message = f"{display_value(error.instance)} is not of type " + " or ".join(f"'{name}'" for name in names)
    yield FieldError(path, "type", message, " or ".join(names), error.instance, location)


def _enum(error: ValidationError, path: InstancePath, location: str) -> Iterator[FieldError]:
    allowed: Any = error.validator_value
    expected = "one of " + display_list(allowed)
    yield FieldError(
        path,
        "enum",
        f"{display_value(error.instance)} is not one of {display_list(allowed)}",
        expected,
        error.instance,
        location,
    )


def _required(error: ValidationError, path: InstancePath, location: str) -> Iterator[FieldError]:
    # jsonschema yields one error per missing name with the parent as instance; the name is only
    # in the message, so recover it from the message's own quoting of the name.
    required: Any = error.validator_value
    instance: Any = error.instance
    missing = [name for name in required if name not in instance]
    named = [name for name in missing if error.message == f"{name!r} is a required property"]
    for name in named or missing[:1]:
        yield FieldError(
            (*path, name), "required", f"required property {display_value(name)} is missing", "present", None, location
        )


def _additional(error: ValidationError, path: InstancePath, location: str) -> Iterator[FieldError]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    for name in instance:
        if name not in known:
            yield FieldError(
                (*path, name),
                "additionalProperties",
                f"unknown property {display_value(name)} (not defined by the schema)",
                "one of " + display_list(known) if known else "no properties",
                instance[name],
                location,
            )


def _generic(error: ValidationError, path: InstancePath, location: str) -> Iterator[FieldError]:
    yield FieldError(path, str(error.validator), error.message, None, error.instance, location)


_HANDLERS: dict[str, Translation] = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "additionalProperties": _additional,
}
