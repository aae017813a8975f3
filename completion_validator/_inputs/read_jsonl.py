"""`.jsonl` / `.ndjson`: one response per line, read lazily; blank lines skipped; `index` is the line number."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from completion_validator._inputs._items import (
    UTF8_BOM,
    Clean,
    Document,
    Explained,
    FastRead,
    Item,
    Judged,
    Verdict,
    decode,
    exact_locator,
    problem,
)
from completion_validator._jsontext import JsonLocator, JsonSyntaxError, LineIndex, Position, parse_json


def read(data: bytes, fast_read: FastRead | None = None) -> Iterator[Item]:
    """Every line of a JSON Lines text held whole (lines end at LF: a lone CR is inside a line)."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return read_lines(lines if lines[-1] else lines[:-1], fast_read)


def read_lines(lines: Iterable[bytes], fast_read: FastRead | None = None) -> Iterator[Item]:
    """Every line of a JSON Lines stream, read as it comes."""
    for number, raw in enumerate(lines, start=1):
        item = read_line(number, raw, fast_read)
        if item is not None:
            yield item


def read_line(number: int, raw: bytes, fast_read: FastRead | None = None) -> Item | None:
    """Line `number` of a JSON Lines input (None for a blank line)."""
    if number == 1 and raw.startswith(UTF8_BOM):
        return problem(
            "the file starts with a UTF-8 byte order mark; JSON Lines must not: save it without BOM",
            "bom",
            Position(1, 1),
            number,
        )
    read = Verdict.UNREAD if fast_read is None else fast_read(raw)
    if read is Verdict.CLEAN:
        return Clean(number)
    if type(read) is Judged:
        return Explained(read.located_in_line(raw, number), number)
    if read is not Verdict.UNREAD:
        line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")  # orjson read it: UTF-8
        return Document(read, number, exact_locator(line, read, number, single_line=True), exact=True)
    if not raw.strip():
        return None
    text = decode(raw, number, number)
    if not isinstance(text, str):
        return text
    text = text.removesuffix("\n").removesuffix("\r")
    try:
        value = parse_json(text)
    except JsonSyntaxError as error:
        where = LineIndex(text, number, single_line=True).position(error.offset)
        return problem(error.message, error.keyword, where, number)
    return Document(value, number, JsonLocator(text, number, single_line=True, value=value))
