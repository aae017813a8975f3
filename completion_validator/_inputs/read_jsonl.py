"""`.jsonl` / `.ndjson`: one response per line, read lazily; blank lines skipped; `index` is the line number."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from completion_validator._inputs._items import UTF8_BOM, Item, JsonText, problem
from completion_validator._jsontext import Position
from completion_validator.errors import Finding

# What a blank line can start with (an empty line starts with nothing, which is in every bytes).
_BLANK_START = b" \t\r\n"


def read(data: bytes) -> Iterator[Item]:
    """Every line of a JSON Lines text held whole (lines end at LF: a lone CR is inside a line)."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return read_lines(lines if lines[-1] else lines[:-1])


def read_lines(lines: Iterable[bytes]) -> Iterator[Item]:
    """Every line of a JSON Lines stream, read as it comes."""
    for number, raw in enumerate(lines, start=1):
        if number == 1 and (pretty := pretty_printed(raw)) is not None:
            yield pretty
            return
        item = read_line(number, raw)
        if item is not None:
            yield item


def is_blank(raw: bytes) -> bool:
    """Whether a line holds nothing but white space (most lines start with `{`: no copy is made for them)."""
    return raw[:1] in _BLANK_START and not raw.strip()


def read_line(number: int, raw: bytes) -> Item | None:
    """Line `number` of a JSON Lines input (None for a blank line)."""
    if number == 1 and raw.startswith(UTF8_BOM):
        return problem(
            "the file starts with a UTF-8 byte order mark; JSON Lines must not: save it without BOM",
            "bom",
            Position(1, 1),
            number,
        )
    if is_blank(raw):
        return None
    return JsonText(raw, number, number, single_line=True)


def pretty_printed(first_line: bytes) -> Finding | None:
    """The one finding for a JSON Lines input whose first line only opens an object or array.

    No line of JSON Lines is `{` alone: such a file is pretty-printed JSON, and reading on would
    report a parse error on nearly every line. So it is reported once, with what to do, and the
    rest of the input is not read.
    """
    opener = first_line.strip()
    if opener not in (b"{", b"["):
        return None
    message = (
        f"line 1 holds only {opener.decode()!r}: this is pretty-printed JSON, but JSON Lines holds one "
        "whole response a line; write one a line (e.g. jq -c .), or read it as one JSON document "
        "with --input-format json"
    )
    return problem(message, "parse", Position(1, 1), 1)
