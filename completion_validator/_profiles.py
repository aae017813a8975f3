"""Profiles: the spec as written, and the opt-in variants derived from the same schema files.

The schema files mark each field that real servers send as null with `x-nullable-when`, and
each required member they leave out with `x-optional-when`, naming the relaxations that accept
it (`lenient`, `stream`). A profile derives its own copy of the
schemas from the files, so every profile — and any engine that reads schemas — sees exactly the
same rules, and the files stay the single source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

NULLABLE_WHEN = "x-nullable-when"
OPTIONAL_WHEN = "x-optional-when"
MARKERS = (NULLABLE_WHEN, OPTIONAL_WHEN)
RELAXATIONS = frozenset({"lenient", "stream"})

# Members whose values are data, not subschemas: never rewritten.
_DATA_KEYWORDS = frozenset({"examples", "enum", "const", "default", "description", *MARKERS})


class Profile(NamedTuple):
    """Which variant of the schemas to validate against.

    - `lenient`: also accept the nulls real servers send and openai-python accepts
      (`system_fingerprint`, `usage`, the token details and their members, `finish_reason`,
      items of `token_logprobs` / `top_logprobs`), and `usage.completion_tokens` left out.
    - `stream`: a stream chunk; `finish_reason` and `usage` may be null, nothing else.
    - `forbid_unknown_fields`: every object the schemas describe is closed, so a property the
      spec does not define (a typo, a vendor extra) is reported at its own path.
    """

    lenient: bool = False
    stream: bool = False
    forbid_unknown_fields: bool = False
    # Which response type's schemas (`_response_types`): its root schema is where validation starts.
    response_type: str = "completion"

    @property
    def relaxations(self) -> frozenset[str]:
        """The `x-nullable-when` names this profile switches on."""
        names = set()
        if self.lenient:
            names.add("lenient")
        if self.stream:
            names.add("stream")
        return frozenset(names)


STRICT = Profile()


def derive_schema(contents: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    """A copy of one schema file's contents rewritten for `profile`."""
    return _derive(contents, profile.relaxations, profile.forbid_unknown_fields)


def _derive(schema: Mapping[str, Any], relaxations: frozenset[str], closed: bool) -> dict[str, Any]:
    derived: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DATA_KEYWORDS:
            derived[key] = value
        elif key == "properties":
            derived[key] = {name: _derive(sub, relaxations, closed) for name, sub in value.items()}
        elif isinstance(value, Mapping):
            derived[key] = _derive(value, relaxations, closed)
        else:
            derived[key] = value
    if relaxations.intersection(schema.get(NULLABLE_WHEN, ())):
        _allow_null(derived)
    if isinstance(derived.get("required"), list) and isinstance(schema.get("properties"), Mapping):
        optional = {
            name
            for name, member in schema["properties"].items()
            if isinstance(member, Mapping) and relaxations.intersection(member.get(OPTIONAL_WHEN, ()))
        }
        derived["required"] = [name for name in derived["required"] if name not in optional]
    if closed and "properties" in derived and "additionalProperties" not in derived:
        derived["additionalProperties"] = False
    return derived


def _allow_null(schema: dict[str, Any]) -> None:
    types = schema.get("type")
    if isinstance(types, str):
        schema["type"] = [types, "null"]
    elif isinstance(types, list) and "null" not in types:
        schema["type"] = [*types, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
