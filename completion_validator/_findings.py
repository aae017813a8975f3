"""The findings each schema keyword stands for, built from plain values.

Both engines build their records here: the reference engine from jsonschema's errors, the
compiled explainer from jsonschema-rs's. Same inputs, same function, same record, so the two
cannot drift apart in wording. Imports neither engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from completion_validator.errors import Finding, InstancePath, display_list, display_value


def type_finding(declared: str | Iterable[str], instance: object, path: InstancePath, location: str) -> Finding:
    """`instance` is not of the `type` declared (a name or a list of names)."""
    names = [declared] if isinstance(declared, str) else list(declared)
    message = f"{display_value(instance)} is not of type " + " or ".join(f"'{name}'" for name in names)
    return Finding(path, "type", message, " or ".join(names), instance, location)


def enum_finding(allowed: Iterable[object], instance: object, path: InstancePath, location: str) -> Finding:
    """`instance` is none of the `enum` values allowed."""
    listed = display_list(allowed)
    return Finding(
        path, "enum", f"{display_value(instance)} is not one of {listed}", "one of " + listed, instance, location
    )


def required_finding(name: str, parent: InstancePath, location: str) -> Finding:
    """A `required` member missing, reported at its own path (jsonschema puts it at the parent)."""
    return Finding(
        (*parent, name), "required", f"required property {display_value(name)} is missing", "present", None, location
    )


def additional_findings(
    known: Mapping[str, Any], instance: Mapping[str, Any], path: InstancePath, location: str
) -> Iterator[Finding]:
    """One finding per member of `instance` that `additionalProperties: false` forbids, each at its own path."""
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
