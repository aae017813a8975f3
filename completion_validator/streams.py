"""Streamed responses: each chunk checked, the stream's own rules, and the response it adds up to.

With `stream: true`, POST /v1/completions sends data-only server-sent events, each a completion
object of the usual shape, ending with `data: [DONE]`. A chunk is checked with exactly the two
relaxations the spec's prose and example document for streams (`finish_reason` and `usage` may
be null); the stream rules below check what no single chunk shows; and the chunks are
reassembled into the final response, which must pass the ordinary rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Unpack

from completion_validator.errors import FieldError, InstancePath
from completion_validator.positions import JsonSyntaxError, LineIndex, Position
from completion_validator.readers import JsonLocator, Locator, parse_json
from completion_validator.rules import STREAM_RULES
from completion_validator.settings import Options, Settings, settings_from
from completion_validator.sse import Event, parse_events
from completion_validator.validation import check

DONE = "[DONE]"


@dataclass(frozen=True)
class StreamFinding:
    """A problem in a stream with where it is in the capture (None when it concerns no one place)."""

    error: FieldError
    position: Position | None


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


def _stream_finding(
    rule_id: str,
    message: str,
    position: Position | None,
    event: int | None,
    path: InstancePath = (),
    actual: object = None,
) -> StreamFinding:
    severity, _ = STREAM_RULES[rule_id]
    return StreamFinding(FieldError(path, rule_id, message, None, actual, None, severity, event), position)


def _chunk_finding(
    rule_id: str, chunk: _Chunk, path: InstancePath, message: str, actual: object = None
) -> StreamFinding:
    """A stream finding about the value at `path` in one chunk, located there."""
    return _stream_finding(rule_id, message, chunk.locator.locate(path, ""), chunk.event.number, path, actual)


@dataclass
class _Chunk:
    event: Event
    payload: dict[str, Any]
    locator: EventLocator


def check_stream(text: str, settings: Settings) -> list[StreamFinding]:
    """Every problem in an SSE capture of a completion stream, in stream order."""
    selected = settings.selected_rules()
    findings: list[StreamFinding] = []
    chunks: list[_Chunk] = []
    events = parse_events(text)
    done: Event | None = None
    for event in events:
        start = Position(event.data_lines[0].line, event.data_lines[0].column)
        if done is not None:
            findings.append(
                _stream_finding(
                    "stream-after-done",
                    f"event {event.number} comes after data: [DONE] (event {done.number})",
                    start,
                    event.number,
                )
            )
            break
        if not event.terminated:
            findings.append(
                _stream_finding(
                    "stream-unterminated-event",
                    f"the capture ends inside event {event.number} (no blank line after it); SSE clients drop it",
                    Position(event.line, 1),
                    event.number,
                )
            )
        if event.data.strip() == DONE:
            done = event
            continue
        chunk = _read_chunk(event, start, findings)
        if chunk is None:
            continue
        chunks.append(chunk)
        for error in check(chunk.payload, settings, chunk=True):
            position = chunk.locator.locate(error.instance_path, error.keyword)
            findings.append(StreamFinding(replace(error, event=event.number), position))
    if done is None:
        last = events[-1] if events else None
        where = Position(last.line, 1) if last else Position(1, 1)
        message = (
            "the stream does not end with data: [DONE]: the capture is truncated"
            if events
            else "the capture holds no events"
        )
        findings.append(_stream_finding("stream-terminator", message, where, None))
    findings.extend(_across_chunks(chunks))
    findings.extend(_assembled_findings(chunks, findings, settings))
    wanted = [finding for finding in findings if _wanted(finding.error.keyword, selected)]
    if settings.warnings_as_errors:
        wanted = [StreamFinding(replace(finding.error, severity="error"), finding.position) for finding in wanted]
    return sorted(
        wanted, key=lambda finding: (finding.position.line, finding.position.column) if finding.position else (0, 0)
    )


# What could not be read as a chunk at all is reported even when rules are deselected.
_ALWAYS = frozenset({"stream-chunk-json", "stream-error-event"})


def _wanted(keyword: str, selected: frozenset[str]) -> bool:
    return keyword not in STREAM_RULES or keyword in selected or keyword in _ALWAYS


def _read_chunk(event: Event, start: Position, findings: list[StreamFinding]) -> _Chunk | None:
    locator = EventLocator(event)
    try:
        payload = parse_json(event.data)
    except JsonSyntaxError as error:
        where = locator.map(LineIndex(event.data).position(error.offset))
        message = f"event {event.number}: data is not JSON: {error.message}"
        if _separate_payloads(event):
            message += (
                f" (its {len(event.data_lines)} data lines are one event, joined by the SSE standard:"
                " is a blank line missing between two events?)"
            )
        findings.append(_stream_finding("stream-chunk-json", message, where, event.number))
        return None
    if not isinstance(payload, dict):
        findings.append(
            _stream_finding(
                "stream-chunk-json",
                f"event {event.number}: data is a JSON {_json_type(payload)}, not an object",
                start,
                event.number,
            )
        )
        return None
    if "error" in payload and "choices" not in payload:
        problem = payload["error"]
        said = problem.get("message") if isinstance(problem, Mapping) else problem
        findings.append(
            _stream_finding(
                "stream-error-event",
                f"the server sent an error in event {event.number}: {said}",
                start,
                event.number,
                ("error",),
                problem,
            )
        )
        return None
    return _Chunk(event, payload, locator)


def _separate_payloads(event: Event) -> bool:
    """Whether each data line of a multi-line event is a payload of its own (a missing blank line)."""
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


def _choice_entries(chunk: _Chunk) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
    """(position in choices, index, choice) for each well-formed choice of a chunk."""
    choices = chunk.payload.get("choices")
    if not isinstance(choices, list):
        return
    for position, choice in enumerate(choices):
        if isinstance(choice, Mapping) and isinstance(choice.get("index"), int):
            yield position, choice["index"], choice


def _across_chunks(chunks: list[_Chunk]) -> Iterator[StreamFinding]:
    yield from _consistency(chunks)
    yield from _usage_chunk(chunks)
    yield from _finish_reasons(chunks)


def _consistency(chunks: list[_Chunk]) -> Iterator[StreamFinding]:
    """Report each change of id, model or created once, where it happens (not on every later chunk)."""
    previous: dict[str, tuple[Any, int]] = {}
    for chunk in chunks:
        for name in ("id", "model", "created"):
            if name not in chunk.payload:
                continue
            value = chunk.payload[name]
            expected, origin = previous.get(name, (value, chunk.event.number))
            previous[name] = (value, chunk.event.number)
            if value != expected:
                rule_id = "stream-created-changed" if name == "created" else "stream-consistent"
                yield _chunk_finding(
                    rule_id,
                    chunk,
                    (name,),
                    f"{name} is {value!r} in event {chunk.event.number} but {expected!r} in event {origin}",
                    value,
                )


def _usage_chunk(chunks: list[_Chunk]) -> Iterator[StreamFinding]:
    for number, chunk in enumerate(chunks):
        usage, choices = chunk.payload.get("usage"), chunk.payload.get("choices")
        if not isinstance(usage, Mapping):
            continue
        if choices == [] and number < len(chunks) - 1:
            following = len(chunks) - 1 - number
            yield _chunk_finding(
                "stream-usage-last",
                chunk,
                ("usage",),
                f"the usage chunk (event {chunk.event.number}) is followed by "
                f"{following} more chunk{'s' * (following > 1)}",
            )
        elif choices:
            yield _chunk_finding(
                "stream-usage-placement",
                chunk,
                ("usage",),
                f"event {chunk.event.number} carries usage alongside choices; "
                "only the include_usage chunk (choices: []) should",
            )


def _finish_reasons(chunks: list[_Chunk]) -> Iterator[StreamFinding]:
    finished: dict[int, tuple[int, object]] = {}  # choice index -> (event that finished it, its reason)
    last_seen: dict[int, tuple[_Chunk, int]] = {}
    for chunk in chunks:
        for position, index, choice in _choice_entries(chunk):
            last_seen[index] = (chunk, position)
            if index in finished and isinstance(choice.get("text"), str) and choice["text"]:
                yield _chunk_finding(
                    "stream-text-after-finish",
                    chunk,
                    ("choices", position, "text"),
                    f"choice {index} gets text in event {chunk.event.number} "
                    f"after it finished in event {finished[index][0]}",
                    choice["text"],
                )
            if choice.get("finish_reason") in (None, ""):  # TGI's "" means not yet (the schema reports it)
                continue
            if index in finished:
                first_event, first_reason = finished[index]
                if choice["finish_reason"] == first_reason:
                    continue  # OpenAI's own streams repeat it in a last, empty chunk
                yield _chunk_finding(
                    "stream-finish-reason",
                    chunk,
                    ("choices", position, "finish_reason"),
                    f"choice {index} gets finish_reason {choice['finish_reason']!r} in event {chunk.event.number} "
                    f"after {first_reason!r} in event {first_event}",
                    choice["finish_reason"],
                )
            else:
                finished[index] = (chunk.event.number, choice["finish_reason"])
    for index, (chunk, position) in sorted(last_seen.items()):
        if index not in finished:
            yield _chunk_finding(
                "stream-finish-reason",
                chunk,
                ("choices", position, "finish_reason"),
                f"choice {index} never gets a finish_reason (last seen in event {chunk.event.number})",
            )


def assemble(chunks: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The response a stream adds up to: text and logprobs concatenated per choice, the final finish_reason, the usage.

    Returns None when there is no chunk to build from.
    """
    chunks = list(chunks)
    if not chunks:
        return None
    response: dict[str, Any] = {}
    for name in ("id", "object", "created", "model"):
        present = [chunk[name] for chunk in chunks if name in chunk]
        if present:
            response[name] = present[0]
    fingerprints = [chunk["system_fingerprint"] for chunk in chunks if chunk.get("system_fingerprint") is not None]
    if fingerprints:
        response["system_fingerprint"] = fingerprints[0]
    parts: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, Mapping) and isinstance(choice.get("index"), int):
                _merge_choice(
                    parts.setdefault(choice["index"], {"text": "", "index": choice["index"], "logprobs": None}), choice
                )
    response["choices"] = [parts[index] for index in sorted(parts)]
    for choice in response["choices"]:
        choice.setdefault("finish_reason", None)
    usages = [chunk["usage"] for chunk in chunks if isinstance(chunk.get("usage"), Mapping)]
    if usages:
        response["usage"] = usages[-1]
    return response


def _merge_choice(assembled: dict[str, Any], choice: Mapping[str, Any]) -> None:
    if isinstance(choice.get("text"), str):
        assembled["text"] += choice["text"]
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, Mapping):
        merged = assembled["logprobs"] if isinstance(assembled["logprobs"], dict) else {}
        for name, value in logprobs.items():
            if isinstance(value, list):
                merged[name] = [*merged.get(name, []), *value]
            else:
                merged.setdefault(name, value)
        assembled["logprobs"] = merged
    if choice.get("finish_reason") is not None:
        assembled["finish_reason"] = choice["finish_reason"]


def _assembled_findings(
    chunks: list[_Chunk], found: list[StreamFinding], settings: Settings
) -> Iterator[StreamFinding]:
    """The assembled response checked as a whole, minus what the chunks and stream rules already said."""
    response = assemble(chunk.payload for chunk in chunks)
    if response is None:
        return
    already = {_gist(finding.error) for finding in found}
    unfinished = {finding.error.instance_path for finding in found if finding.error.keyword == "stream-finish-reason"}
    where = Position(chunks[-1].event.line, 1)
    for error in check(response, settings):
        if _gist(error) in already or (unfinished and _is_finish_reason(error.instance_path)):
            continue
        yield StreamFinding(replace(error, message=f"in the assembled response: {error.message}"), where)


def _gist(error: FieldError) -> tuple[str, str | int | None, str]:
    """What makes an assembled-response error a repeat of a chunk's: same keyword, field name and value.

    Choice positions differ between a chunk and the assembled response, and the stream profile's
    messages mention null, so neither the pointer nor the message can be compared.
    """
    return error.keyword, error.instance_path[-1] if error.instance_path else None, repr(error.actual)


def _is_finish_reason(path: InstancePath) -> bool:
    """A choice's finish_reason: null in the assembled response when the stream never finished it."""
    return len(path) == 3 and path[0] == "choices" and path[2] == "finish_reason"


def iter_stream_errors(stream: str | bytes | Iterable[str | bytes], **options: Unpack[Options]) -> Iterator[FieldError]:
    """Yield every problem in a captured completion stream (SSE text, bytes, or its lines).

    Each error's `event` is the number of the event it concerns. Takes the same keyword options
    as `iter_errors`.
    """
    yield from (finding.error for finding in check_stream(stream_text(stream), settings_from(**options)))


def stream_text(stream: str | bytes | Iterable[str | bytes]) -> str:
    """The text of a capture given as text, bytes, or an iterable of lines (as `iter_lines()` gives)."""
    if isinstance(stream, bytes):
        return stream.decode("utf-8")
    if isinstance(stream, str):
        return stream
    lines = [line.decode("utf-8") if isinstance(line, bytes) else line for line in stream]
    if any(line.endswith(("\n", "\r")) for line in lines):
        return "".join(lines)
    return "\n".join(lines) + "\n"
