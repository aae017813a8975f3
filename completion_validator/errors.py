"""The one record of the package: a `Finding` is a problem found at a place.

A finding names the field it concerns (`instance_path`, or None when it concerns no field: input
that could not be read), what failed (`keyword`: a JSON Schema keyword, a rule id, or one of the
`NON_RULE_KEYWORDS` below), the evidence, and — when it came from a file — where in the file.
The API returns findings without a place; the command fills the place in. Rendering them as
text, JSON or annotations is the reporters' job; the one rendering here is `str()`, because that
is what pytest and unittest print for a failed `validate()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from functools import cached_property
from typing import Literal

Severity = Literal["error", "warning"]
InstancePath = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DISPLAY_LIMIT = 80

# Keywords a finding can carry that are neither a JSON Schema keyword of the schema files nor a
# rule id. `--list-rules` prints them in their own section; a test holds every finding to
# "rule, schema keyword, or one of these".
NON_RULE_KEYWORDS: dict[str, str] = {
    "parse": "The input is not well-formed JSON, YAML or event-stream text.",
    "encoding": "The input is not UTF-8 (or holds text UTF-8 cannot encode).",
    "bom": "The input starts with a byte order mark, which JSON text must not.",
    "duplicate-key": "An object gives the same key twice; parsers silently keep only one.",
    "not-json": "A value JSON cannot hold: NaN, Infinity, a number too large to read, a Python object.",
    "api-error": 'The document is an API error body ({"error": ...}), not a completion response.',
    "response-type": "The document is another kind of response (a chat completion), not a text completion.",
    "limit": "The input exceeds a documented limit (size, depth, alias expansion).",
    "io": "The file could not be opened or read.",
    "no-input": "A path that holds nothing to check, or was skipped (not a regular file).",
    "internal": "completion-validator itself failed on this document; the other documents are still checked.",
    "max-errors": "More findings in this document than --max-errors shows.",
    "usage": "The command line could not be understood.",
}


def to_pointer(parts: InstancePath) -> str:
    """The RFC 6901 JSON Pointer of a path (`""` is the whole document)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def to_json_path(parts: InstancePath) -> str:
    """The JSONPath spelling of a path, e.g. `$.choices[0].finish_reason`.

    A key longer than `DISPLAY_LIMIT` is shown shortened, as values are (a payload may hold a
    10 MB key); the JSON pointer of a finding stays exact.
    """
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif len(part) <= DISPLAY_LIMIT and _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += "[" + display_value(part) + "]"
    return text


SERVER_TEXT_LIMIT = 500


def shorten(text: str, limit: int = SERVER_TEXT_LIMIT) -> str:
    """Text a server or a payload sent, cut to `limit` characters with an ellipsis (an error body may be 60 MB)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_PLAIN_INT = 10**18


def display_value(value: object, limit: int | None = DISPLAY_LIMIT) -> str:
    """A JSON value the way messages quote it: strings in single quotes, everything else as JSON.

    Long values are shortened with an ellipsis; this is for display only, the `actual` field of
    a finding always holds the whole value.
    """
    if value is None or type(value) is bool or (type(value) is int and -_PLAIN_INT < value < _PLAIN_INT):
        # the common cases, without the encoder (a huge int is left to it: it may be too long to print)
        text = "null" if value is None else "true" if value is True else "false" if value is False else str(value)
    elif isinstance(value, str):
        text = "'" + json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"') + "'"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
        except RecursionError:  # nested deeper than the encoder goes: its first levels are enough to show
            text = display_value(_shallow(value), limit=None)
        except (TypeError, ValueError):
            text = safe_repr(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _shallow(value: object, depth: int = 20) -> object:
    """The first `depth` levels of a value, what lies deeper replaced by an ellipsis."""
    if isinstance(value, list | dict) and depth == 0:
        return "…"
    if isinstance(value, list):
        return [_shallow(item, depth - 1) for item in value]
    if isinstance(value, dict):
        return {key: _shallow(item, depth - 1) for key, item in value.items()}
    return value


def safe_repr(value: object) -> str:
    """`repr(value)`, or its type's name where Python cannot spell it (a huge int, a deep structure)."""
    try:
        return repr(value)
    except (ValueError, RecursionError):  # an int past the str-conversion limit, a deep structure
        return f"<{type(value).__name__}>"


def display_list(values: Iterable[object]) -> str:
    """Several values for a message: `'stop', 'length', 'content_filter'`."""
    return ", ".join(display_value(value) for value in values)


@dataclass(frozen=True)
class Finding:
    """One problem, at the field it concerns and, when it came from a file, at its place there.

    `instance_path` is the path to the offending value (for a missing required property, the
    path of the property itself), or None when the finding concerns no field (input that could
    not be read). `keyword` is the JSON Schema keyword that failed (`type`, `enum`, `required`,
    ...), a rule id (`usage-total`, `stream-terminator`, ...) or one of `NON_RULE_KEYWORDS`.
    `expected` says in words what would have been valid; `actual` is the value found (None for
    a missing property). `schema` is `file#pointer` of the schema keyword that failed. `event`
    is the stream event the finding concerns. `file`, `line`, `column` (1-based) and `document`
    (JSONL line, YAML document, stream event) locate it in the input, when there is one.
    """

    instance_path: InstancePath | None
    keyword: str
    message: str
    expected: str | None = None
    actual: object = None
    schema: str | None = None
    severity: Severity = "error"
    event: int | None = None
    _: KW_ONLY
    file: str | None = None
    line: int | None = None
    column: int | None = None
    document: int | None = None

    # Cached in the instance (a frozen dataclass keeps a `__dict__`, which `located` and its kin
    # copy): a log's findings share a few cached records, so each path is written once, not per line.
    @cached_property
    def pointer(self) -> str | None:
        """The RFC 6901 JSON Pointer of the offending value, e.g. `/choices/0/finish_reason`."""
        return None if self.instance_path is None else to_pointer(self.instance_path)

    @cached_property
    def path(self) -> str | None:
        """The JSONPath of the offending value, e.g. `$.choices[0].finish_reason`."""
        return None if self.instance_path is None else to_json_path(self.instance_path)

    def located(self, line: int | None, column: int | None, document: int | None) -> Finding:
        """The same finding at a place in its input: `dataclasses.replace`, without its cost per finding.

        A log can have a finding on every line: the copy is made by copying the instance's fields
        (a frozen dataclass keeps them in `__dict__`), not by running `__init__` again.
        """
        fields = self.__dict__.copy()  # a copy of a dict, then three stores: quicker than update(**kwargs)
        fields["line"], fields["column"], fields["document"] = line, column, document
        return _with_fields(fields)

    def at(self, file: str | None, line: int, column: int, document: int | None) -> Finding:
        """The same finding at `line`:`column` of `file` (`located` and `in_file` in one copy).

        A log line's finding is placed once: with the file it came from, not copied again for it.
        """
        fields = self.__dict__.copy()
        fields["file"], fields["line"], fields["column"], fields["document"] = file, line, column, document
        return _with_fields(fields)

    def in_event(self, event: int, line: int, column: int) -> Finding:
        """The same finding in event `event` of a stream capture, at `line`:`column` of the capture (as `located`)."""
        fields = self.__dict__.copy()
        fields["event"], fields["line"], fields["column"] = event, line, column
        return _with_fields(fields)

    def by_rule(self, keyword: str, severity: Severity) -> Finding:
        """The same finding stamped with its rule's id and severity (as `located`, without `replace`'s cost)."""
        fields = self.__dict__.copy()
        fields["keyword"], fields["severity"] = keyword, severity
        return _with_fields(fields)

    def in_file(self, file: str | None) -> Finding:
        """The same finding in the input named `file` (as `located`, without `dataclasses.replace`'s cost)."""
        fields = self.__dict__.copy()
        fields["file"] = file
        return _with_fields(fields)

    def __str__(self) -> str:
        where = "" if self.path is None else f"{self.path}: "
        return f"{where}{self.message} [{self.keyword}]"

    def as_dict(self) -> dict[str, object]:
        """The finding as `--format json` writes it (a contract: these names never change)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "document": self.document,
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


# The name the API has always returned its findings under.
FieldError = Finding


class InvalidCompletion(ValueError):
    """Raised by `validate()`: the payload is not a valid completion response.

    `errors` holds every finding (warnings included); `str()` lists them one a line.
    """

    def __init__(self, errors: Iterable[Finding]) -> None:
        self.errors: tuple[Finding, ...] = tuple(errors)
        super().__init__(self._describe())

    def _describe(self) -> str:
        count = sum(error.severity == "error" for error in self.errors)
        noun = "error" if count == 1 else "errors"
        lines = [f"invalid completion response: {count} field {noun}"]
        lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)


class UnknownRule(ValueError):
    """A rule id in `select` or `ignore` that matches no rule."""


_new, _set = object.__new__, object.__setattr__  # looked up once: a log can copy a finding per line


def _with_fields(fields: dict[str, object]) -> Finding:
    """A `Finding` whose instance dict is `fields` (a copy of another's, changed): no `__init__` run."""
    made = _new(Finding)
    _set(made, "__dict__", fields)  # frozen: its own __setattr__ refuses every name
    return made
