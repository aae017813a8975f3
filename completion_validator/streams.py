"""Streamed responses: each chunk checked, the stream rules, and the response the chunks add up to.

With `stream: true`, POST /v1/completions sends data-only server-sent events, each a completion
object of the usual shape, ending with `data: [DONE]`. A chunk is checked with exactly the two
relaxations the spec's prose and example document for streams (`finish_reason` and `usage` may
be null); the stream rules (`_rules/stream.py`) check what no single chunk shows; and the chunks
are reassembled into the final response, which must pass the ordinary rules.

The capture is read event by event and nothing is kept of past events but what the rules and
the assembled response need (per choice), so memory does not grow with the number of events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from completion_validator._check import check
from completion_validator._fastpath import CLEAN, Exact, Judged
from completion_validator._inputs._items import decode
from completion_validator._jsontext import Position
from completion_validator._response_types import response_type
from completion_validator._rules import StreamCheck, new_stream_checks, wanted
from completion_validator._settings import Options, Settings, settings_from
from completion_validator._sse import Event, StreamEnd, StreamEvent, iter_events
from completion_validator.errors import Finding, InstancePath

if TYPE_CHECKING:
    from completion_validator._fastpath._judge import Judge

__all__ = ["assemble", "check_stream", "iter_stream_errors", "iter_stream_findings", "stream_text"]


class Assembler(Protocol):
    """How a response type's stream chunks add up to its response (`ResponseType.assembler`)."""

    def add(self, chunk: Mapping[str, Any]) -> None:
        """Take in the next chunk."""

    def result(self) -> dict[str, Any] | None:
        """The assembled response (None when no chunk came)."""


def check_stream(text: str | Iterable[str], settings: Settings, judge: Judge | None) -> list[Finding]:
    """Every problem in an SSE capture of a completion stream, each located in the capture, in order.

    `judge`: the fast path for whole documents (None: the reference engine alone); chunks the
    fast path vouches for are not explained (same findings).
    """
    return sorted(
        iter_stream_findings(text, settings, judge), key=lambda finding: (finding.line or 0, finding.column or 0)
    )


# What is remembered of past findings, to leave out what the assembled response would repeat:
# their gists, up to this many (a capture with a different problem on every event stays bounded;
# past it an assembled-response finding may repeat one an event already had).
_GISTS = 100_000


def iter_stream_findings(text: str | Iterable[str], settings: Settings, judge: Judge | None) -> Iterator[Finding]:
    """`check_stream`'s findings as they are found: each event's in place, then what only the end shows.

    Memory does not grow with the events: each event's findings are handed on at once, and what
    the stream rules and the assembled response keep is per choice.
    """
    selected = settings.selected_rules()
    chunk_judge = None if judge is None else _chunk_judge(settings)
    read_chunk = None if chunk_judge is None else chunk_judge.read_chunk
    checks = new_stream_checks()
    assembler: Assembler | None = None  # the stream's type is its first chunk's (under `auto`)
    seen = _Seen()
    done: Event | None = None
    last: Event | None = None
    last_chunk: Event | None = None
    for event in iter_events(text):
        last = event
        read = StreamEvent.read(event, after_done=done is not None, read_chunk=read_chunk)
        found: list[Finding] = []
        chunk = read.chunk
        if chunk is not None:
            if assembler is None:
                typed = settings.for_document(chunk)
                if typed is not settings:
                    settings = typed
                    judge = None if judge is None else _whole_judge(settings)
                    chunk_judge = None if chunk_judge is None else _chunk_judge(settings)
                    read_chunk = None if chunk_judge is None else chunk_judge.read_chunk
                    again = StreamEvent.read(event, after_done=done is not None, read_chunk=read_chunk)
                    read = again if again.chunk is not None else read  # the same data, read for its own type
                assembler = response_type(settings.typed).load("assembler")()
            if read.verdict is not CLEAN:
                found.extend(_chunk_findings(read, settings, chunk_judge))
            assembler.add(chunk)
            last_chunk = event
        _feed(checks, read, found)
        if found:
            seen.note(found)
            yield from _reported(found, selected, settings)
        if read.after_done:
            break  # nothing after [DONE] belongs to the stream
        if read.done:
            done = event
    end = StreamEnd(done, last)
    found = []
    for stream_check in checks:
        found.extend(stream_check.end(end))
    seen.note(found)
    if last_chunk is not None and assembler is not None:
        found.extend(_assembled_findings(assembler, last_chunk, seen, settings, judge))
    yield from _reported(found, selected, settings)


def _in_capture(finding: Finding) -> tuple[int, int]:
    return finding.line or 0, finding.column or 0


class _Seen:
    """What the assembled response must not say again: the gists of past findings, and the unfinished choices."""

    def __init__(self) -> None:
        self.gists: set[tuple[str, str | int | None, str]] = set()
        self.unfinished: set[InstancePath | None] = set()

    def note(self, found: list[Finding]) -> None:
        for finding in found:
            if len(self.gists) < _GISTS:
                self.gists.add(_gist(finding))
            if finding.keyword == "stream-finish-reason":
                self.unfinished.add(finding.instance_path)


def _reported(found: list[Finding], selected: frozenset[str], settings: Settings) -> Iterator[Finding]:
    """One event's (or the end's) findings, in capture order, as the selection and severity say."""
    for finding in sorted(found, key=_in_capture):
        if wanted(finding, selected):
            yield replace(finding, severity="error") if settings.warnings_as_errors else finding


def _chunk_judge(settings: Settings) -> Judge | None:
    from completion_validator._fastpath._judge import judge

    return judge(settings, chunk=True)


def _whole_judge(settings: Settings) -> Judge | None:
    from completion_validator._fastpath._judge import judge

    return judge(settings)


def _feed(checks: list[StreamCheck], event: StreamEvent, findings: list[Finding]) -> None:
    for stream_check in checks:
        findings.extend(stream_check.event(event))


def _chunk_findings(event: StreamEvent, settings: Settings, judge: Judge | None) -> Iterator[Finding]:
    assert event.chunk is not None
    verdict = event.verdict
    if type(verdict) is Judged:  # the scanner's records, with where each value starts in the data
        for finding in verdict.located_in_text(event.event.data.encode()):
            assert finding.line is not None
            assert finding.column is not None
            position = event.locator.map(Position(finding.line, finding.column))
            yield finding.in_event(event.number, position.line, position.column)
        return
    for error in check(event.chunk, settings, judge, chunk=True, from_json_text=type(verdict) is Exact):
        assert error.instance_path is not None
        position = event.locate(error.instance_path, error.keyword)
        yield error.in_event(event.number, position.line, position.column)


def _assembled_findings(
    assembler: Assembler, last_chunk: Event, seen: _Seen, settings: Settings, judge: Judge | None
) -> Iterator[Finding]:
    """The assembled response checked as a whole, minus what the chunks and stream rules already said."""
    response = assembler.result()
    if response is None:
        return
    for error in check(response, settings, judge):
        if _gist(error) in seen.gists or (seen.unfinished and _is_finish_reason(error.instance_path)):
            continue
        message = f"in the assembled response: {error.message}"
        yield replace(error, message=message, line=last_chunk.line, column=1)


def _gist(error: Finding) -> tuple[str, str | int | None, str]:
    """What makes an assembled-response finding a repeat of a chunk's: same keyword, field name and value.

    Choice positions differ between a chunk and the assembled response, and the stream profile's
    messages mention null, so neither the pointer nor the message can be compared.
    """
    last = error.instance_path[-1] if error.instance_path else None
    return error.keyword, last, repr(error.actual)


def _is_finish_reason(path: InstancePath | None) -> bool:
    """A choice's finish_reason: null in the assembled response when the stream never finished it."""
    return path is not None and len(path) == 3 and path[0] == "choices" and path[2] == "finish_reason"


class CompletionAssembler:
    """Builds the completion a stream adds up to, one chunk at a time, keeping one entry per choice.

    Text is kept as a list of parts per choice and joined once at the end: `+=` on a string held
    in a dict copies it every time, which made a 500,000-event capture quadratic.
    """

    def __init__(self) -> None:
        self._head: dict[str, Any] = {}
        self._fingerprint: Any = None
        self._choices: dict[int, dict[str, Any]] = {}
        self._texts: dict[int, list[str]] = {}
        self._usage: Any = None
        self._chunks = 0

    def add(self, chunk: Mapping[str, Any]) -> None:
        """Take in the next chunk."""
        self._chunks += 1
        for name in ("id", "object", "created", "model"):
            if name in chunk and name not in self._head:
                self._head[name] = chunk[name]
        if self._fingerprint is None and chunk.get("system_fingerprint") is not None:
            self._fingerprint = chunk["system_fingerprint"]
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, Mapping) and isinstance(choice.get("index"), int):
                index = choice["index"]
                assembled = self._choices.setdefault(index, {"text": "", "index": index, "logprobs": None})
                if isinstance(choice.get("text"), str):
                    self._texts.setdefault(index, []).append(choice["text"])
                _merge_choice(assembled, choice)
        if isinstance(chunk.get("usage"), Mapping):
            self._usage = chunk["usage"]

    def result(self) -> dict[str, Any] | None:
        """The assembled response (None when no chunk came)."""
        if not self._chunks:
            return None
        response: dict[str, Any] = {
            name: self._head[name] for name in ("id", "object", "created", "model") if name in self._head
        }
        if self._fingerprint is not None:
            response["system_fingerprint"] = self._fingerprint
        response["choices"] = [self._choices[index] for index in sorted(self._choices)]
        for choice in response["choices"]:
            choice["text"] = "".join(self._texts.get(choice["index"], ()))
            choice.setdefault("finish_reason", None)
        if self._usage is not None:
            response["usage"] = self._usage
        return response


def _merge_choice(assembled: dict[str, Any], choice: Mapping[str, Any]) -> None:
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, Mapping):
        if not isinstance(assembled["logprobs"], dict):
            assembled["logprobs"] = {}
        merged = assembled["logprobs"]
        for name, value in logprobs.items():
            if isinstance(value, list):
                if isinstance(merged.get(name), list):
                    merged[name].extend(value)  # our own list: extended in place, never copied again
                else:
                    merged[name] = list(value)
            else:
                merged.setdefault(name, value)
    if choice.get("finish_reason") is not None:
        assembled["finish_reason"] = choice["finish_reason"]


def assemble(chunks: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The response a stream adds up to: text and logprobs concatenated per choice, the final finish_reason, the usage.

    Returns None when there is no chunk to build from.
    """
    assembler = CompletionAssembler()
    for chunk in chunks:
        assembler.add(chunk)
    return assembler.result()


def iter_stream_errors(stream: str | bytes | Iterable[str | bytes], **options: Unpack[Options]) -> Iterator[Finding]:
    """Yield every problem in a captured completion stream (SSE text, bytes, or its lines).

    Each finding's `event` is the number of the event it concerns, and `line` / `column` its
    place in the capture. Takes the same keyword options as `iter_errors`.
    """
    from completion_validator._fastpath._judge import judge

    settings = settings_from(**options)
    text = _capture_text(stream)
    if isinstance(text, Finding):  # not UTF-8: located where it stops being so, as the command says it
        yield text
        return
    yield from check_stream(text, settings, judge(settings))


def stream_text(stream: str | bytes | Iterable[str | bytes]) -> str:
    """The text of a capture given as text, bytes, or an iterable of lines (as `iter_lines()` gives).

    Raises `UnicodeDecodeError` for bytes that are not UTF-8 (`iter_stream_errors` reports them).
    """
    if isinstance(stream, bytes):
        return stream.decode("utf-8")
    if isinstance(stream, str):
        return stream
    lines = [line.decode("utf-8") if isinstance(line, bytes) else line for line in stream]
    if any(line.endswith(("\n", "\r")) for line in lines):
        return "".join(lines)
    return "\n".join(lines) + "\n"


def _capture_text(stream: str | bytes | Iterable[str | bytes]) -> str | Finding:
    """`stream_text`, with bytes that are not UTF-8 as the located `encoding` finding the command gives."""
    if isinstance(stream, str):
        return stream
    if isinstance(stream, bytes):
        return decode(stream)
    pieces = list(stream)
    if all(isinstance(piece, str) for piece in pieces):
        return stream_text(pieces)
    raw = [piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogatepass") for piece in pieces]
    if any(piece.endswith((b"\n", b"\r")) for piece in raw):
        return decode(b"".join(raw))
    return decode(b"\n".join(raw) + b"\n")
