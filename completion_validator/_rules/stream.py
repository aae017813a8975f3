"""Rules about a stream as a whole: what no single chunk shows.

With `stream: true`, POST /v1/completions sends data-only server-sent events, each a completion
chunk, ending with `data: [DONE]`. Each rule here is a class registered with `@stream_rule`; the
stream checker feeds it every event in order (`event`), then the end (`end`). A rule keeps only
what it needs to remember — a value per choice index, never the events themselves — so checking
a capture of any length takes memory bounded by its number of choices. The first line of the
class docstring is the rule's rationale.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from completion_validator._jsontext import JsonSyntaxError, Position, parse_json
from completion_validator._rules import StreamCheck, stream_rule
from completion_validator.errors import Finding, display_value, shorten

if TYPE_CHECKING:  # the stream checker imports _sse; the registry (and start-up) need not
    from completion_validator._sse import Event, StreamEnd, StreamEvent


@stream_rule("stream-terminator", "error")
class Terminator(StreamCheck):
    """A stream ends with `data: [DONE]`; without it the capture is truncated."""

    def end(self, end: StreamEnd) -> Iterator[Finding]:
        """Report a stream that never said [DONE]."""
        if end.done is not None:
            return
        if end.last is None:
            yield self.finding("the capture holds no events", Position(1, 1), None)
        elif end.last.data.rpartition("\n")[2].strip() == "[DONE]":  # the DONE line ends a longer event
            message = (
                f"data: [DONE] is there, but in event {end.last.number} with the data lines before it: "
                "the blank lines that end each event were lost (a capture keeps them)"
            )
            yield self.finding(message, Position(end.last.data_lines[-1].line, 1), None)
        else:
            message = "the stream does not end with data: [DONE]: the capture is truncated"
            yield self.finding(message, Position(end.last.line, 1), None)


@stream_rule("stream-after-done", "error")
class AfterDone(StreamCheck):
    """Nothing may follow `data: [DONE]`."""

    def __init__(self) -> None:
        self._done: int | None = None

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report the first event after [DONE]."""
        if event.done:
            self._done = event.number
        elif event.after_done:
            message = f"event {event.number} comes after data: [DONE] (event {self._done})"
            yield self.finding(message, event.start, event.number)


@stream_rule("stream-chunk-json", "error", always=True)
class ChunkJson(StreamCheck):
    """Every data payload other than [DONE] is a JSON object."""

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report data that is not JSON, or JSON that is not an object."""
        if event.problem is not None:
            message = f"event {event.number}: data is not JSON: {event.problem.message}"
            if _separate_payloads(event.event):
                message += (
                    f" (its {len(event.event.data_lines)} data lines are one event, joined by the SSE standard:"
                    " is a blank line missing between two events?)"
                )
            yield self.finding(message, event.problem_position(), event.number)
        elif not (event.done or event.after_done or isinstance(event.value, dict)):
            message = f"event {event.number}: data is a JSON {_json_type(event.value)}, not an object"
            yield self.finding(message, event.start, event.number)


def _separate_payloads(event: Event) -> bool:
    """Whether each data line of a multi-line event is a payload of its own (a missing blank line)."""
    from completion_validator._sse import DONE

    if len(event.data_lines) < 2:
        return False
    for line in event.data.split("\n"):
        if line.strip() == DONE:
            continue
        try:
            parse_json(line)
        except JsonSyntaxError:
            return False
    return True


def _json_type(value: object) -> str:
    names = {str: "string", list: "array", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


@stream_rule("stream-error-event", "error", always=True)
class ErrorEvent(StreamCheck):
    """An `{"error": ...}` event is the server reporting a failure mid-stream."""

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report an error body in place of a chunk."""
        if event.is_error_body:
            problem = event.value["error"]
            said = problem.get("message") if isinstance(problem, Mapping) else problem
            message = f"the server sent an error in event {event.number}: {shorten(str(said))}"
            yield self.finding(message, event.start, event.number, ("error",), problem)


@stream_rule("stream-unterminated-event", "warning")
class UnterminatedEvent(StreamCheck):
    """The last event has no blank line after it; SSE clients (openai-python too) drop such an event."""

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report an event the capture ends inside."""
        if not event.event.terminated and not event.after_done:
            message = f"the capture ends inside event {event.number} (no blank line after it); SSE clients drop it"
            yield self.finding(message, Position(event.event.line, 1), event.number)


@stream_rule("stream-usage-last", "error")
class UsageLast(StreamCheck):
    """The include_usage chunk (usage set, choices: []) comes last, just before [DONE]."""

    def __init__(self) -> None:
        self._chunks = 0
        # Each usage chunk seen so far: where it is, its event, how many chunks came before it.
        self._usage_chunks: list[tuple[Position, int, int]] = []

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Note each usage chunk, and count the chunks."""
        chunk = event.chunk
        if chunk is None:
            return
        if isinstance(chunk.get("usage"), Mapping) and chunk.get("choices") == []:
            self._usage_chunks.append((event.locate(("usage",)), event.number, self._chunks))
        self._chunks += 1
        yield from ()

    def end(self, end: StreamEnd) -> Iterator[Finding]:
        """Report each usage chunk that other chunks follow."""
        for where, number, before in self._usage_chunks:
            following = self._chunks - before - 1
            if following:
                message = (
                    f"the usage chunk (event {number}) is followed by {following} more chunk{'s' * (following > 1)}"
                )
                yield self.finding(message, where, number, ("usage",))


@stream_rule("stream-usage-placement", "warning")
class UsagePlacement(StreamCheck):
    """With an include_usage chunk in the stream, only that chunk carries usage; the others have it null or absent.

    Without an include_usage chunk, usage on the last content chunk is how llama.cpp and TGI
    report it, and no spec text forbids that: only a stream that has both is reported.
    """

    def __init__(self) -> None:
        self._alongside: list[Finding] = []  # usage on a chunk with choices, held until the end
        self._usage_chunk = False

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Note usage on chunks with choices, and whether an include_usage chunk comes."""
        chunk = event.chunk
        if chunk is None or not isinstance(chunk.get("usage"), Mapping):
            return
        if chunk.get("choices") == []:
            self._usage_chunk = True
        elif chunk.get("choices"):
            message = (
                f"event {event.number} carries usage alongside choices; "
                "only the include_usage chunk (choices: []) should"
            )
            self._alongside.append(self.finding_at(event, ("usage",), message))
        yield from ()

    def end(self, end: StreamEnd) -> Iterator[Finding]:
        """Report them if the stream also has an include_usage chunk."""
        if self._usage_chunk:
            yield from self._alongside


@stream_rule("stream-finish-reason", "error")
class FinishReason(StreamCheck):
    """Each choice index gets a non-null finish_reason, and no different one later (OpenAI repeats the same one in a last, empty chunk).

    A rationale is one line: `--list-rules` and docs/rules.md print it as it is.
    """  # noqa: E501

    def __init__(self) -> None:
        self._finished: dict[int, tuple[int, object]] = {}  # choice index -> (event that finished it, its reason)
        self._last_seen: dict[int, tuple[StreamEvent, int]] = {}  # choice index -> (last event with it, position)

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Record each choice's first finish_reason; report a different one later."""
        for position, index, choice in event.choices():
            self._last_seen[index] = (event, position)
            reason = choice.get("finish_reason")
            if reason in (None, ""):  # TGI's "" means not yet (the schema reports it)
                continue
            if index not in self._finished:
                self._finished[index] = (event.number, reason)
                continue
            first_event, first_reason = self._finished[index]
            if reason != first_reason:  # the same one again is OpenAI's own last, empty chunk
                message = (
                    f"choice {index} gets finish_reason {reason!r} in event {event.number} "
                    f"after {first_reason!r} in event {first_event}"
                )
                yield self.finding_at(event, ("choices", position, "finish_reason"), message, reason)

    def end(self, end: StreamEnd) -> Iterator[Finding]:
        """Report each choice that never finished, where it was last seen."""
        for index, (event, position) in sorted(self._last_seen.items()):
            if index not in self._finished:
                message = f"choice {index} never gets a finish_reason (last seen in event {event.number})"
                yield self.finding_at(event, ("choices", position, "finish_reason"), message)


@stream_rule("stream-text-after-finish", "error")
class TextAfterFinish(StreamCheck):
    """No text for a choice follows the chunk that finished it."""

    def __init__(self) -> None:
        self._finished: dict[int, int] = {}  # choice index -> the event that finished it

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report text for a choice that already finished."""
        for position, index, choice in event.choices():
            path: tuple[str | int, ...] = ("choices", position, "text")
            text = choice.get("text")
            delta = choice.get("delta")
            if text is None and isinstance(delta, Mapping):  # a chat chunk: its delta's content
                path, text = ("choices", position, "delta", "content"), delta.get("content")
            if index in self._finished and isinstance(text, str) and text:
                finished = self._finished[index]
                message = f"choice {index} gets text in event {event.number} after it finished in event {finished}"
                yield self.finding_at(event, path, message, text)
            if choice.get("finish_reason") not in (None, "") and index not in self._finished:
                self._finished[index] = event.number


class _Unchanging(StreamCheck):
    """Reports each change of a top-level member once, where it happens (not on every later chunk)."""

    names: tuple[str, ...] = ()

    def changed(self, value: Any, before: Any) -> bool:
        """Whether `value` after `before` is a change to report."""
        return bool(value != before)

    def __init__(self) -> None:
        self._previous: dict[str, tuple[Any, int]] = {}

    def event(self, event: StreamEvent) -> Iterator[Finding]:
        """Report a member whose value differs from the chunk before."""
        chunk = event.chunk
        if chunk is None:
            return
        for name in self.names:
            if name not in chunk:
                continue
            value = chunk[name]
            expected, origin = self._previous.get(name, (value, event.number))
            self._previous[name] = (value, event.number)
            if self.changed(value, expected):
                message = (
                    f"{name} is {display_value(value)} in event {event.number} "
                    f"but {display_value(expected)} in event {origin}"
                )
                yield self.finding_at(event, (name,), message, value)


@stream_rule("stream-consistent", "error")
class Consistent(_Unchanging):
    """id and model are the same on every chunk of one stream."""

    names = ("id", "model")


@stream_rule("stream-created-changed", "warning")
class CreatedChanged(_Unchanging):
    """created never moves backwards within a stream (llama.cpp stamps each chunk, so it may move forward).

    OpenAI keeps created the same on every chunk; llama.cpp's server sets it per chunk, so in a
    stream longer than a second it moves forward. A time that goes back is a real inconsistency.
    """

    names = ("created",)

    def changed(self, value: Any, before: Any) -> bool:
        """Only a step back in time: forward steps are the server's clock going on."""
        try:
            return bool(value < before)
        except TypeError:  # not comparable (a schema error already says so): any change
            return bool(value != before)
