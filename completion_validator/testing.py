"""Asserting in tests that a payload is a valid completion response, with or without pytest.

`assert_valid_completion` takes what tests have at hand — a dict, JSON text or bytes, an
openai-python `Completion`, an httpx/requests response — and fails with a report that lists
every bad field, the way pydantic's ValidationError does, without our frames in the traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from completion_validator.errors import Finding, display_value, shorten


class CompletionAssertionError(AssertionError):
    """The payload is not a valid completion response; `errors` holds every field error."""

    def __init__(self, report: str, errors: Sequence[Finding] = ()) -> None:
        super().__init__(report)
        self.errors = tuple(errors)


class HttpFailure(Exception):
    """An HTTP response that cannot hold a completion: an error status, or a body that is not JSON."""


def to_payload(obj: object) -> Any:
    """The JSON data behind what a test holds: parsed text, a pydantic model's dump, a response's body.

    Text and an HTTP response's body are read by our strict reader (a duplicate key fails here as
    it fails given as a file); an HTTP error status or a body that is not JSON raises `HttpFailure`
    with the status and what the server said.
    """
    from completion_validator._jsontext import parse_json

    if isinstance(obj, bytes | bytearray):
        obj = bytes(obj).decode("utf-8")
    if isinstance(obj, str):
        return parse_json(obj)
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump):  # pydantic v2, e.g. openai-python's Completion: the fields the server sent
        return model_dump(mode="json", exclude_unset=True, by_alias=True)
    status = _http_status(obj)
    if status is not None:
        return _http_body(obj, status)
    body = getattr(obj, "json", None)
    if callable(body) and not isinstance(obj, dict | list):  # anything else with a body: what it parses
        data = body()
        return parse_json(data) if isinstance(data, str) else data
    return obj


def _http_status(obj: object) -> int | None:
    """The status of an httpx or requests response (anything with an int `status_code` and `content`)."""
    status = getattr(obj, "status_code", None)
    has_content = hasattr(obj, "content")
    return status if isinstance(status, int) and not isinstance(status, bool) and has_content else None


def _http_body(response: object, status: int) -> Any:
    """The parsed body of a 2xx response; `HttpFailure` naming the status and the server's words otherwise."""
    from completion_validator._jsontext import JsonSyntaxError, parse_json
    from completion_validator._recognize import api_error_summary, is_api_error

    reason = getattr(response, "reason_phrase", None) or getattr(response, "reason", None) or ""
    line = f"HTTP {status} {reason}".rstrip()
    content = getattr(response, "content", b"")
    body = bytes(content) if isinstance(content, bytes | bytearray) else str(content).encode()
    try:
        data = parse_json(body.decode("utf-8"))
    except (JsonSyntaxError, UnicodeDecodeError) as error:
        headers = getattr(response, "headers", None)
        kind = headers.get("content-type") if headers is not None and hasattr(headers, "get") else None
        sent = f" ({kind})" if kind else ""
        start = shorten(body.decode("utf-8", "replace").strip(), 200) or "an empty body"
        if 200 <= status < 300:
            raise HttpFailure(f"{line}: the body{sent} is not valid JSON: {error}\n  body: {start}") from None
        answered = "the server answered with an error, not a completion"
        raise HttpFailure(f"{line}: {answered}\n  body{sent}: {start}") from None
    if is_api_error(data):
        raise HttpFailure(f"{line}: the server answered with an API error: {api_error_summary(data['error'])}")
    if not 200 <= status < 300:
        raise HttpFailure(f"{line}: the server answered with an error status, not a completion")
    return data


def _stream_capture(obj: object) -> str | None:
    """The SSE text of a captured stream (text, bytes, or an event-stream HTTP response), else None."""
    from completion_validator._inputs import looks_like_sse

    headers = getattr(obj, "headers", None)
    if headers is not None and "text/event-stream" in str(getattr(headers, "get", lambda *_: "")("content-type", "")):
        obj = getattr(obj, "content", None) or getattr(obj, "text", "")
    if isinstance(obj, str) and looks_like_sse(obj.encode()):
        return obj
    if isinstance(obj, bytes | bytearray) and looks_like_sse(bytes(obj)):
        return bytes(obj).decode("utf-8")
    return None


def format_failure(errors: Sequence[Finding]) -> str:
    """A multi-line report of field errors: path and keyword, then message, expected and actual."""
    failing = [error for error in errors if error.severity == "error"]
    noun = "error" if len(failing) == 1 else "errors"
    lines = [f"{len(failing)} field {noun} in completion response"]
    for error in errors:
        label = "" if error.event is None else f" (event {error.event})"
        label += "" if error.severity == "error" else f" ({error.severity})"
        lines.append(f"{error.path}  [{error.keyword}]{label}")
        lines.append(f"  {error.message}")
        if error.keyword == "required":  # nothing to compare: the message says it all
            continue
        if error.expected is not None:
            lines.append(f"  expected: {error.expected}")
        lines.append(f"  actual:   {display_value(error.actual)}")
    return "\n".join(lines)


def assert_valid_completion(
    payload: object, *, lenient: bool = False, forbid_unknown_fields: bool = False, schema: str = "auto"
) -> None:
    """Fail with a report of every field error unless `payload` is a valid completion response.

    `schema`: `completion`, `chat`, or `auto` (the type the payload says it is).
    """
    __tracebackhide__ = True
    from completion_validator._api import iter_errors
    from completion_validator._jsontext import JsonSyntaxError

    capture = _stream_capture(payload)
    if capture is not None:
        from completion_validator._fastpath._judge import judge
        from completion_validator._settings import settings_from
        from completion_validator.streams import check_stream

        settings = settings_from(lenient=lenient, forbid_unknown_fields=forbid_unknown_fields, schema=schema)
        errors = check_stream(capture, settings, judge(settings))
    else:
        try:
            data = to_payload(payload)
        except (JsonSyntaxError, UnicodeDecodeError) as error:
            raise CompletionAssertionError(f"the payload is not valid JSON: {error}") from None
        except HttpFailure as failure:
            raise CompletionAssertionError(str(failure)) from None
        errors = list(iter_errors(data, lenient=lenient, forbid_unknown_fields=forbid_unknown_fields, schema=schema))
    if any(error.severity == "error" for error in errors):
        raise CompletionAssertionError(format_failure(errors), errors)
