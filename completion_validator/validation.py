"""The validation engine: `iter_errors` yields, `is_valid` answers, `validate` raises.

A payload is a parsed JSON value (what `json.loads` returns). Every problem comes back as a
`FieldError` at its own path, all of them, in document order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any, Unpack

from jsonschema import Draft202012Validator

from completion_validator._messages import translate
from completion_validator.errors import FieldError, InstancePath, InvalidCompletion
from completion_validator.profiles import Profile
from completion_validator.registry import schema_set
from completion_validator.rules import run_rules
from completion_validator.settings import Options, Settings, settings_from

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
    return _in_document_order(payload, _drop_explained(found))


def check(payload: object, settings: Settings, *, chunk: bool = False) -> list[FieldError]:
    """Schema errors and rule findings for one payload (or one stream chunk), in document order."""
    found = schema_errors(payload, settings.profile(stream=chunk))
    selected = settings.selected_rules()
    if selected:
        found.extend(run_rules(payload, selected, chunk=chunk))
        found = _in_document_order(payload, found)
    if settings.warnings_as_errors:
        found = [replace(error, severity="error") for error in found]
    return found


def iter_errors(
    payload: object,
    *,
    lenient: bool = False,
    forbid_unknown_fields: bool = False,
    rules: bool = True,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    warnings_as_errors: bool = False,
) -> Iterator[FieldError]:
    """Yield every problem in a completion response, each at the path of the field concerned.

    Schema errors come with the failed keyword (`type`, `enum`, `required`, ...); cross-field
    rule findings with the rule's id and severity (`error` or `warning`). `lenient` also
    accepts the nulls real servers send; `forbid_unknown_fields` reports every property the spec
    does not define; `select` / `ignore` choose rules by id or prefix, `rules=False` runs the
    schema alone. By default the spec is applied as written, with every rule.
    """
    settings = settings_from(
        lenient=lenient,
        forbid_unknown_fields=forbid_unknown_fields,
        rules=rules,
        select=select,
        ignore=ignore,
        warnings_as_errors=warnings_as_errors,
    )
    yield from check(payload, settings)


def is_valid(payload: object, **options: Unpack[Options]) -> bool:
    """Whether `payload` is a valid completion response: no errors (warnings do not count).

    Takes the same keyword options as `iter_errors`.
    """
    return not any(error.severity == "error" for error in iter_errors(payload, **options))


def validate(payload: object, **options: Unpack[Options]) -> None:
    """Raise `InvalidCompletion`, listing every problem, if `payload` has any error.

    Takes the same keyword options as `iter_errors`; warnings alone do not raise.
    """
    errors = list(iter_errors(payload, **options))
    if any(error.severity == "error" for error in errors):
        raise InvalidCompletion(errors)


def _not_json(value: object, path: InstancePath) -> Iterator[FieldError]:
    """Python values that JSON cannot hold: they would otherwise pass or fail for the wrong reason."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield FieldError(
                    path,
                    "not-json",
                    f"object key {key!r} is not a string ({type(key).__name__}); JSON keys are strings",
                    "string keys",
                    repr(key),
                )
                continue
            yield from _not_json(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _not_json(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        yield FieldError(path, "not-json", f"{value!r} is not a JSON number", "a finite number", repr(value))
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        kind = type(value).__name__
        yield FieldError(path, "not-json", f"a Python {kind} is not a JSON value", "a JSON value", repr(value))


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


def _in_document_order(payload: object, errors: list[FieldError]) -> list[FieldError]:
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
