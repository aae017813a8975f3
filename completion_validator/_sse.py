"""Server-sent events: parsed the way the HTML standard's event-stream parser does, keeping positions.

Lines end at LF, CRLF or CR; a line starting with `:` is a comment (servers send them as
keep-alives); `field: value` loses one space after the colon; `data` lines accumulate, joined
with a newline; a blank line dispatches the event. `event`, `id` and `retry` are accepted.

One decision the standard leaves to us: a stream that ends inside an event (no blank line after
it). The standard, and openai-python, drop such an event silently. We hand it on marked
`terminated=False`, so its content is still checked and the truncation is reported.

Events are produced one at a time and nothing is kept of past ones, so a capture of any length
is parsed in memory bounded by its longest event. The second half of the module reads an event
the way a completion stream uses it (`[DONE]`, a chunk, an error body, or data that is not JSON):
the stream checker and the stream rules share these values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from completion_validator._jsontext import JsonLocator, JsonSyntaxError, LineIndex, Locator, Position, parse_json
from completion_validator.errors import InstancePath

if TYPE_CHECKING:
    from completion_validator._fastpath import Verdict

_LINE_END = re.compile(r"\r\n|\r|\n")
DONE = "[DONE]"


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
    return list(iter_events(text))


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` without their ends (LF, CRLF or CR); no empty line after a final line end."""
    start = 0
    for match in _LINE_END.finditer(text):
        yield text[start : match.start()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _text_lines(text: str | Iterable[str]) -> Iterator[str]:
    """The lines of a capture given whole or in pieces that each end at a line end (the last may not)."""
    if isinstance(text, str):
        yield from _lines(text.removeprefix("\ufeff"))
        return
    first = True
    for piece in text:
        yield from _lines(piece.removeprefix("\ufeff") if first else piece)
        first = False


def iter_events(text: str | Iterable[str]) -> Iterator[Event]:
    """The events of an event stream one by one, keeping nothing of those already given.

    `text` is the whole capture, or its lines with their line ends (a file read line by line).
    """
    data: list[str] = []
    data_lines: list[DataLine] = []
    event_type: str | None = None
    last_event_id: str | None = None
    first_line: int | None = None
    count = 0
    number = 0
    for number, line in enumerate(_text_lines(text), start=1):
        if line == "":
            if data:
                count += 1
                yield Event(count, "\n".join(data), tuple(data_lines), first_line or 1, event_type, last_event_id)
            data.clear()
            data_lines.clear()
            event_type, first_line = None, None
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
    if data:
        yield Event(count + 1, "\n".join(data), tuple(data_lines), first_line or 1, event_type, last_event_id, False)


class EventLocator(Locator):
    """Positions inside one event's data, mapped back to the capture's lines and columns."""

    def __init__(self, event: Event) -> None:
        self._event = event
        self._json = JsonLocator(event.data)

    def map(self, position: Position) -> Position:
        """The capture position of a position in the event's joined data."""
        origin = self._event.data_lines[min(position.line, len(self._event.data_lines)) - 1]
        return Position(origin.line, origin.column + position.column - 1)

    def value_at(self, path: InstancePath) -> Position | None:
        """Where the value at `path` starts, in the capture."""
        found = self._json.value_at(path)
        return self.map(found) if found else None

    def key_at(self, path: InstancePath) -> Position | None:
        """Where the key of the member at `path` starts, in the capture."""
        found = self._json.key_at(path)
        return self.map(found) if found else None


_UNPARSED = object()


@dataclass(frozen=True)
class StreamEvent:
    """One event read as part of a completion stream: `[DONE]`, a chunk, an error body, or bad data.

    Events after `[DONE]` are not read at all (`after_done`): nothing there belongs to the stream.
    """

    event: Event
    done: bool = False
    after_done: bool = False
    value: Any = _UNPARSED
    problem: JsonSyntaxError | None = None
    # What the fast path said of the chunk it read (None: the strict parser read it).
    verdict: Verdict | None = None

    @classmethod
    def read(
        cls,
        event: Event,
        *,
        after_done: bool = False,
        read_chunk: Callable[[str], tuple[Any, Verdict] | None] | None = None,
    ) -> StreamEvent:
        """Read one event's data: `[DONE]`, or JSON (strict), or the syntax problem that stops it.

        `read_chunk`, the fast path's chunk reader, returns the chunk and its verdict when it
        read it exactly.
        """
        if after_done:
            return cls(event, after_done=True)
        if event.data.strip() == DONE:
            return cls(event, done=True)
        if read_chunk is not None:
            read = read_chunk(event.data)
            if read is not None:
                return cls(event, value=read[0], verdict=read[1])
        try:
            return cls(event, value=parse_json(event.data))
        except JsonSyntaxError as problem:
            return cls(event, problem=problem)

    @property
    def number(self) -> int:
        """The event's number in the stream (1-based)."""
        return self.event.number

    @property
    def start(self) -> Position:
        """Where the event's data starts in the capture."""
        first = self.event.data_lines[0]
        return Position(first.line, first.column)

    @cached_property
    def locator(self) -> EventLocator:
        """Positions of values in this event's data, in the capture."""
        return EventLocator(self.event)

    @property
    def is_error_body(self) -> bool:
        """An `{"error": ...}` object instead of a chunk: the server reporting a failure mid-stream."""
        return isinstance(self.value, dict) and "error" in self.value and "choices" not in self.value

    @property
    def chunk(self) -> dict[str, Any] | None:
        """The completion chunk this event carries, if it carries one."""
        if isinstance(self.value, dict) and not self.is_error_body:
            return self.value
        return None

    def problem_position(self) -> Position:
        """Where in the capture the data stopped being JSON."""
        assert self.problem is not None
        return self.locator.map(LineIndex(self.event.data).position(self.problem.offset))

    def locate(self, path: InstancePath, keyword: str = "") -> Position:
        """Where the value at `path` of this event's chunk is in the capture."""
        return self.locator.locate(path, keyword)

    def choices(self) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
        """(position in choices, index, choice) for each well-formed choice of the chunk."""
        choices = self.chunk.get("choices") if self.chunk is not None else None
        if not isinstance(choices, list):
            return
        for position, choice in enumerate(choices):
            if isinstance(choice, Mapping) and isinstance(choice.get("index"), int):
                yield position, choice["index"], choice


@dataclass(frozen=True)
class StreamEnd:
    """How a stream ended: its `[DONE]` event (None if none came) and its last event."""

    done: Event | None
    last: Event | None
