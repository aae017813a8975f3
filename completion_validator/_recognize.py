"""What a document is when it is not a completion response, said in one finding instead of many.

A user hands us an API error body, a chat completion or one stream chunk saved as `.json` more
often than a broken completion. Schema errors alone would list five missing properties (or an
enum and four missing fields) and never say what the document is; here the findings of such a
document are replaced by one that names it and says what to do. Nothing becomes valid: a
recognized document is still an error. Only the root of a parsed (safe) view is looked at, and
only when there are findings, so a clean document pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from completion_validator._response_types import RESPONSE_TYPES, response_type
from completion_validator.errors import Finding, display_list, display_value, shorten


def api_error_summary(error: object) -> str:
    """What an `{"error": {...}}` body says, in one line: its message, then its type and code."""
    if not isinstance(error, Mapping):
        return display_value(error)
    said = error.get("message")
    text = shorten(said) if isinstance(said, str) else display_value(said)
    details = [f"{name} {display_value(error[name])}" for name in ("type", "code") if error.get(name) is not None]
    return f'"{text}"' + (f" ({', '.join(details)})" if details else "")


def is_api_error(value: object) -> bool:
    """An `{"error": ...}` body in place of a response: what a server sends with a 4xx or 5xx status."""
    return isinstance(value, Mapping) and "error" in value and "choices" not in value


def may_be_recognized(found: tuple[Finding, ...]) -> bool:
    """Whether findings made without the value (the scanner's) could be of a document `recognized` names.

    Such a document fails at its `object` (another type, a chunk), lacks `choices` (an API error
    body has none), or has a null `finish_reason`. A document whose `object` passed is of the
    checked type, so a log whose every line lacks some other member (`created`, `usage`) keeps
    its fast account.
    """
    for finding in found:
        path = finding.instance_path
        if not path:
            continue
        if len(path) == 1 and (path[0] == "object" or (path[0] == "choices" and finding.keyword == "required")):
            return True
        if path[-1] == "finish_reason" and finding.keyword == "type" and finding.actual is None:
            return True
    return False


def recognized(value: object, found: list[Finding], type_name: str) -> list[Finding]:
    """`found`, or one finding that says what the document is when it is not a `type_name` response."""
    if not found or not isinstance(value, Mapping):
        return found
    if is_api_error(value):
        message = f"an API error body, not a completion response: the server said {api_error_summary(value['error'])}"
        return [Finding(("error",), "api-error", message, "a completion response", value["error"])]
    kind = value.get("object")
    checked = response_type(type_name)
    other = next((entry for entry in RESPONSE_TYPES.values() if kind in entry.objects), None)
    if other is not None and other is not checked:
        message = (
            f"a {other.label} (object {kind!r}), not a {checked.label}: it was checked as one "
            f"(--schema {checked.name}); --schema {other.name} or auto checks it as what it is"
        )
        return [Finding(("object",), "response-type", message, display_list(checked.objects), kind)]
    if checked.chunk_schema is not None and kind == checked.objects[-1]:
        message = (
            f"one chunk of a {checked.label} stream (object {kind!r}), saved alone: a stream is checked "
            "whole, saved as .sse with its data: lines"
        )
        return [Finding(("object",), "response-type", message, repr(checked.objects[0]), kind)]
    return [_with_chunk_hint(value, finding) for finding in found]


def _with_chunk_hint(value: Mapping[object, object], finding: Finding) -> Finding:
    """A null `finish_reason` says "one stream chunk, saved alone": the finding says how to check a stream."""
    path = finding.instance_path
    if (
        finding.keyword != "type"
        or path is None
        or len(path) != 3
        or path[0] != "choices"
        or path[2] != "finish_reason"
        or finding.actual is not None
        or value.get("object") not in response_type("completion").objects
    ):
        return finding
    hint = "; a stream chunk sends null until the last one: save the whole stream (its data: lines) as .sse"
    placed = object.__new__(Finding)
    placed.__dict__.update(finding.__dict__, message=finding.message + hint)
    return placed
