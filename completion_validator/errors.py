"""The values validation produces: one `FieldError` per problem, and the exception that carries them.

Errors are plain frozen data. Turning them into text, JSON or GitHub annotations is the
reporters' job; the only rendering here is the one-line form `str(InvalidCompletion)` shows,
because that is what pytest and unittest print for a failed `validate()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
InstancePath = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DISPLAY_LIMIT = 80


def to_pointer(parts: InstancePath) -> str:
    """The RFC 6901 JSON Pointer of a path (`""` is the whole document)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def to_json_path(parts: InstancePath) -> str:
    """The JSONPath spelling of a path, e.g. `$.choices[0].finish_reason`."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += "[" + display_value(part, limit=None) + "]"
    return text


def display_value(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """A JSON value the way messages quote it: strings in single quotes, everything else as JSON.

    Long values are shortened with an ellipsis; this is for display only, the `actual` field of
    a `FieldError` always holds the whole value.
    """
    if isinstance(value, str):
        text = "'" + json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"') + "'"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
        except (TypeError, ValueError):
            text = repr(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def display_list(values: Iterable[object]) -> str:
    """Several values for a message: `'stop', 'length', 'content_filter'`."""
    return ", ".join(display_value(value) for value in values)


@dataclass(frozen=True)
class FieldError:
    """One problem found in a payload, located at the field it concerns.

    `instance_path` is the path to the offending value; for a missing required property it is
    the path of the missing property itself. `keyword` is the JSON Schema keyword that failed
    (`type`, `enum`, `required`, `additionalProperties`, ...) or the id of a rule
    (`usage-total`, `stream-terminator`, ...). `expected` says in words what would have been
    valid; `actual` is the value found (None for a missing property). `schema` names the schema
    file and the JSON Pointer inside it that the value failed, for schema errors.
    """

    instance_path: InstancePath
    keyword: str
    message: str
    expected: str | None = None
    actual: object = None
    schema: str | None = None
    severity: Severity = "error"
    event: int | None = None

    @property
    def pointer(self) -> str:
        """The RFC 6901 JSON Pointer of the offending value, e.g. `/choices/0/finish_reason`."""
        return to_pointer(self.instance_path)

    @property
    def path(self) -> str:
        """The JSONPath of the offending value, e.g. `$.choices[0].finish_reason`."""
        return to_json_path(self.instance_path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.keyword}]"

    def as_dict(self) -> dict[str, object]:
        """The error as JSON-ready data (the fields of `--format json`, minus source positions)."""
        return {
            "pointer": self.pointer,
            "path": self.path,
            "keyword": self.keyword,
            "severity": self.severity,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "schema": self.schema,
            "event": self.event,
        }


class InvalidCompletion(ValueError):
    """Raised by `validate()`: the payload is not a valid completion response.

    `errors` holds every `FieldError` found (warnings included); `str()` lists them one a line.
    """

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = sum(error.severity == "error" for error in self.errors)
        noun = "error" if count == 1 else "errors"
        lines = [f"invalid completion response: {count} field {noun}"]
        lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)
