"""Parsing server-sent events the way the HTML standard's event-stream parser does, keeping positions.

Lines end at LF, CRLF or CR; a line starting with `:` is a comment (servers send them as
keep-alives); `field: value` loses one space after the colon; `data` lines accumulate, joined
with a newline; a blank line dispatches the event. `event`, `id` and `retry` are accepted.

One decision the standard leaves to us: a stream that ends inside an event (no blank line after
it). The standard, and openai-python, drop such an event silently. We hand it on marked
`terminated=False`, so its content is still checked and the truncation is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class DataLine:
    """Where one `data` line's value starts in the capture (1-based line and column)."""

    line: int
    column: int


@dataclass(frozen=True)
class Event:
    """One dispatched event: its number in the stream, its data, and where each data line came from."""

    number: int
    data: str
    data_lines: tuple[DataLine, ...]
    line: int
    event_type: str | None = None
    last_event_id: str | None = None
    terminated: bool = True


def parse_events(text: str) -> list[Event]:
    """Every event of an event stream, in order; a last unterminated one is marked as such."""
    events: list[Event] = []
    data: list[str] = []
    data_lines: list[DataLine] = []
    event_type: str | None = None
    last_event_id: str | None = None
    first_line: int | None = None
    text = text.removeprefix("\ufeff")
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # the text ended with a line end: no partial last line

    def dispatch(terminated: bool) -> None:
        nonlocal event_type, first_line
        if data:
            events.append(
                Event(
                    len(events) + 1,
                    "\n".join(data),
                    tuple(data_lines),
                    first_line or 1,
                    event_type,
                    last_event_id,
                    terminated,
                )
            )
        data.clear()
        data_lines.clear()
        event_type, first_line = None, None

    for number, line in enumerate(lines, start=1):
        if line == "":
            dispatch(terminated=True)
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        column = len(name) + 2 if colon else len(line) + 1
        if value.startswith(" "):
            value, column = value[1:], column + 1
        first_line = first_line or number
        if name == "data":
            data.append(value)
            data_lines.append(DataLine(number, column))
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_event_id = value
        # `retry` only tunes reconnection, and unknown fields are ignored, as the standard says.
    dispatch(terminated=False)
    return events
