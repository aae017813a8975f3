"""The public API: `iter_errors` yields, `is_valid` answers, `validate` raises, and their JSON and stream twins.

A payload is a parsed JSON value (what `json.loads` returns). Every problem comes back as a
`Finding` at its own path, all of them, in document order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Unpack

from completion_validator._check import check, check_exact, check_json
from completion_validator._fastpath import CLEAN, UNREAD, Exact, Judged, Verdict
from completion_validator._fastpath._judge import Judge, judge
from completion_validator._inputs._items import JsonText
from completion_validator._jsontext import JsonSyntaxError, parse_json
from completion_validator._recognize import may_be_recognized
from completion_validator._settings import Options, Settings, settings_from
from completion_validator.errors import Finding, InvalidCompletion
from completion_validator.streams import iter_stream_errors

__all__ = ["is_valid", "is_valid_json", "iter_errors", "iter_stream_errors", "validate"]

_DEFAULTS = Settings()


def iter_errors(
    payload: object,
    *,
    lenient: bool = False,
    forbid_unknown_fields: bool = False,
    rules: bool = True,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    warnings_as_errors: bool = False,
    schema: str = "auto",
) -> Iterator[Finding]:
    """Yield every problem in a completion response, each at the path of the field concerned.

    Schema findings come with the failed keyword (`type`, `enum`, `required`, ...); cross-field
    rule findings with the rule's id and severity (`error` or `warning`). `lenient` also
    accepts the nulls real servers send; `forbid_unknown_fields` reports every property the spec
    does not define; `select` / `ignore` choose rules by id or prefix, `rules=False` runs the
    schema alone. `schema` is the response type a payload is checked as: `completion`
    (POST /v1/completions), `chat` (POST /v1/chat/completions), or `auto`, each payload's own,
    told by its `object`. By default the spec is applied as written, with every rule.
    """
    if (
        lenient
        or forbid_unknown_fields
        or not rules
        or select is not None
        or ignore
        or warnings_as_errors
        or schema != "auto"
    ):
        settings = settings_from(
            lenient=lenient,
            forbid_unknown_fields=forbid_unknown_fields,
            rules=rules,
            select=select,
            ignore=ignore,
            warnings_as_errors=warnings_as_errors,
            schema=schema,
        )
    else:  # the defaults: no Settings to build and hash on every call
        settings = _DEFAULTS
    yield from check_value(payload, settings)


def check_value(payload: object, settings: Settings) -> list[Finding]:
    """`check` for a value from a user: a clean one is vouched for at compiled speed, the rest explained."""
    chosen = _default_judge() if settings is _DEFAULTS else judge(settings)
    verdict = None if chosen is None else chosen.value(payload)
    if verdict is CLEAN:
        return []
    if type(verdict) is Judged and (verdict.final or not may_be_recognized(verdict.findings)):
        return list(verdict.findings)  # the scanner's records of the payload's exact JSON text
    # Explained from the payload itself, not the copy: a record shows the value the user passed.
    if type(verdict) is Exact:
        # The judge's JSON copy came back equal to it through orjson, which refuses str, int,
        # dict and list subclasses, tuples, NaN, lone surrogates, cycles and deep nesting: the
        # payload holds JSON values (or Enums, equal to theirs), so no safe view needs building.
        return check(payload, settings, chosen, from_json_text=True, schema_valid=verdict.schema_valid)
    return check(payload, settings, chosen)


def is_valid(payload: object, **options: Unpack[Options]) -> bool:
    """Whether `payload` is a valid completion response: no errors (warnings do not count).

    Takes the same keyword options as `iter_errors`.
    """
    settings = settings_from(**options) if options else _DEFAULTS
    return not any(error.severity == "error" for error in check_value(payload, settings))


def validate(payload: object, **options: Unpack[Options]) -> None:
    """Raise `InvalidCompletion`, listing every problem, if `payload` has any error.

    Takes the same keyword options as `iter_errors`; warnings alone do not raise.
    """
    errors = list(iter_errors(payload, **options))
    if any(error.severity == "error" for error in errors):
        raise InvalidCompletion(errors)


@cache
def _default_judge() -> Judge | None:
    """The judge for the default settings, looked up without hashing them on every call."""
    return judge(_DEFAULTS)


def iter_errors_json(data: bytes | str, **options: Unpack[Options]) -> Iterator[Finding]:
    """Every problem of JSON text, each with its `line` and `column` in that text: the fast way to explain bodies.

    The text is read once: a clean document costs what `is_valid_json` does, and the findings of
    one that is not come from the value already read (or from the scanner itself), located in
    the bytes given; text that is not JSON gives one finding that says where it stops being JSON.
    Takes `iter_errors`'s options; anything but bytes or str raises `TypeError`.
    """
    if type(data) is bytes:  # nearly always: a body or a log line, taken as it is (no copy)
        raw = data
    elif isinstance(data, bytes | bytearray | memoryview | str):
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    else:
        raise TypeError(f"iter_errors_json() takes JSON text as bytes or str, not {type(data).__name__}")
    settings = settings_from(**options) if options else _DEFAULTS
    chosen = judge(settings) if options else _default_judge()
    verdict = None if chosen is None else chosen.text(raw)
    if type(verdict) is Judged and (verdict.final or not may_be_recognized(verdict.findings)):
        yield from verdict.located_in_text(raw)  # the scanner's whole account, placed as check_json places it
        return
    found = check_json(JsonText(raw), settings, chosen, verdict)
    if isinstance(found, Finding):
        yield found
    else:
        yield from found


@cache
def _default_text() -> Callable[[bytes], Verdict] | None:
    """The default judge's text reader, looked up once."""
    chosen = _default_judge()
    return None if chosen is None else chosen.text


def is_valid_json(data: bytes | str, **options: Unpack[Options]) -> bool:
    """Whether JSON text is a valid completion response: strict JSON (no duplicate key) and no errors.

    The fast way to check raw bodies or log lines: the text is parsed once, a compiled validator
    decides, and a document that is not clean is explained from the value already read. Takes
    `iter_errors`'s options; anything but bytes or str raises `TypeError`.
    """
    verdict: Verdict | None = None
    if type(data) is bytes and not options:  # the common call, in as few steps as there can be
        read = _default_text()
        if read is not None:
            verdict = read(data)
            if verdict is CLEAN:
                return True
    if not isinstance(data, bytes | bytearray | memoryview | str):
        raise TypeError(f"is_valid_json() takes JSON text as bytes or str, not {type(data).__name__}")
    # A lone surrogate in a str cannot be UTF-8: written as its bytes, it fails both readers below.
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    settings = settings_from(**options) if options else _DEFAULTS
    chosen = judge(settings) if options else _default_judge()
    if verdict is None:
        verdict = UNREAD if chosen is None else chosen.text(raw)
    if verdict is CLEAN:
        return True
    if type(verdict) is Judged and may_be_recognized(verdict.findings):
        verdict = UNREAD  # another type's document, perhaps: read it, and check it as what it is
    if type(verdict) is Judged:
        found = list(verdict.findings)
    elif type(verdict) is Exact:  # read exactly once: explained from that value
        found = check_exact(verdict, settings, chosen)
    else:
        try:
            payload = parse_json(raw.decode("utf-8"))
        except (JsonSyntaxError, UnicodeDecodeError):
            return False
        found = check(payload, settings, chosen)
    return not any(error.severity == "error" for error in found)
