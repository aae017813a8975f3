"""Rules about one chat completion (or one chunk of its stream): what the spec says in prose.

Registered with `@rule(..., response_types=CHAT)` like the response rules; the rules both types
share (usage arithmetic, choice indexes, `created`, `id`) live in `response.py`. Each tolerates
payloads the schema rejected: values of the wrong type are skipped. Rules about a whole message
are `whole_response_only`: a stream's chunks carry deltas, and the message they add up to is
checked when the stream is assembled. Each is `screened`: `chat_screen.py` is their fast twin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from completion_validator._rules import finding as _finding
from completion_validator._rules import rule
from completion_validator.errors import Finding, InstancePath, shorten

CHAT = ("chat",)
_TOKEN_LISTS = ("content", "refusal")
# The log-probabilities `chat-logprob-positive` bounds, where the fast path checks them (`_screen.py`).
_LOGPROB_BOUNDS = tuple(
    (path, {"maximum": 0})
    for name in _TOKEN_LISTS
    for path in (
        ("choices", "[]", "logprobs", name, "[]", "logprob"),
        ("choices", "[]", "logprobs", name, "[]", "top_logprobs", "[]", "logprob"),
    )
)


def _messages(payload: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """Each choice with a message object: its position, the choice and the message."""
    choices = payload.get("choices")
    for position, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, Mapping) and isinstance(choice.get("message"), Mapping):
            yield position, choice, choice["message"]


def _tool_calls(message: Mapping[str, Any]) -> list[Any]:
    calls = message.get("tool_calls")
    return calls if isinstance(calls, list) else []


@rule("chat-finish-tool-calls", "error", whole_response_only=True, screened="choices", response_types=CHAT)
def finish_tool_calls(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """finish_reason "tool_calls" says the model called a tool: the message carries tool_calls.

    Likewise "function_call" (deprecated) needs the message's `function_call`. The other way is
    not checked: OpenAI answers a request whose `tool_choice` names a function with the call and
    `finish_reason: "stop"`.
    """
    for position, choice, message in _messages(payload):
        reason = choice.get("finish_reason")
        if reason == "tool_calls" and not _tool_calls(message):
            yield _finding(
                ("choices", position, "finish_reason"),
                'finish_reason is "tool_calls", but the message has no tool_calls',
                "a message with tool_calls",
                reason,
            )
        elif reason == "function_call" and not isinstance(message.get("function_call"), Mapping):
            yield _finding(
                ("choices", position, "finish_reason"),
                'finish_reason is "function_call", but the message has no function_call',
                "a message with function_call",
                reason,
            )


@rule("chat-message-empty", "error", whole_response_only=True, screened="choices", response_types=CHAT)
def message_empty(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A message that finished with "stop" says something: content, tool_calls, a refusal or audio.

    Every member may be null on its own; all of them null (or absent) on a finished message is
    an answer with nothing in it, which clients read as an empty string or crash on.
    """
    for position, choice, message in _messages(payload):
        if choice.get("finish_reason") != "stop":
            continue
        said = (
            message.get("content") is not None
            or bool(_tool_calls(message))
            or message.get("refusal") is not None
            or message.get("function_call") is not None
            or message.get("audio") is not None
        )
        if not said:
            yield _finding(
                ("choices", position, "message"),
                'the message finished with "stop" but has no content, tool_calls, refusal or audio',
                "content, tool_calls, a refusal or audio",
                None,
            )


@rule("chat-tool-arguments-json", "warning", whole_response_only=True, screened="choices", response_types=CHAT)
def tool_arguments_json(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A tool call's arguments are JSON text: the spec warns the model may emit invalid JSON.

    A warning, as the spec allows it; a client that calls the function with these arguments fails.
    """
    for position, _, message in _messages(payload):
        calls: list[tuple[InstancePath, Any]] = [
            (("choices", position, "message", "tool_calls", number, "function", "arguments"), call["function"])
            for number, call in enumerate(_tool_calls(message))
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping)
        ]
        if isinstance(message.get("function_call"), Mapping):
            calls.append((("choices", position, "message", "function_call", "arguments"), message["function_call"]))
        for path, function in calls:
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                continue
            try:
                json.loads(arguments)
            except RecursionError:  # "[[[[..." from a model, or from an attacker: not a crash
                reason = "nested too deeply to read"
            except ValueError as error:
                reason = str(error).split(":", 1)[0]
            else:
                continue
            message_text = f"the arguments are not JSON text ({reason}): {shorten(repr(arguments[:100]), 80)}"
            yield _finding(path, message_text, "JSON text", arguments)


def _token_logprobs(payload: Mapping[str, Any]) -> Iterator[tuple[InstancePath, Mapping[str, Any]]]:
    """Every token logprob object of every choice (and each of its alternatives), with its path."""
    choices = payload.get("choices")
    for position, choice in enumerate(choices if isinstance(choices, list) else []):
        logprobs = choice.get("logprobs") if isinstance(choice, Mapping) else None
        if not isinstance(logprobs, Mapping):
            continue
        for name in _TOKEN_LISTS:
            items = logprobs.get(name)
            for number, item in enumerate(items if isinstance(items, list) else []):
                if not isinstance(item, Mapping):
                    continue
                path: InstancePath = ("choices", position, "logprobs", name, number)
                yield path, item
                alternatives = item.get("top_logprobs")
                for rank, alternative in enumerate(alternatives if isinstance(alternatives, list) else []):
                    if isinstance(alternative, Mapping):
                        yield (*path, "top_logprobs", rank), alternative


@rule("chat-logprob-positive", "error", screened="choices", bounds=_LOGPROB_BOUNDS, response_types=CHAT)
def logprob_positive(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A log-probability is at most 0 (a probability is at most 1)."""
    for path, item in _token_logprobs(payload):
        value = item.get("logprob")
        if (type(value) is int or type(value) is float) and math.isfinite(value) and value > 0:
            yield _finding((*path, "logprob"), f"logprob {value} is above 0", "a number <= 0", value)


@rule("chat-logprob-bytes", "warning", screened="choices", response_types=CHAT)
def logprob_bytes(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A token's bytes are its UTF-8 encoding: clients join them to rebuild characters tokens split.

    Checked where the token is whole text (no U+FFFD, which stands for a split character),
    `bytes` a list of byte values, and those bytes whole UTF-8: bytes that are part of a
    character (llama.cpp: token '' with bytes [194]) are what `bytes` is for, as the spec says,
    and no string can spell them. Null `bytes` says the token has none, which is allowed.
    """
    for path, item in _token_logprobs(payload):
        token, data = item.get("token"), item.get("bytes")
        if not isinstance(token, str) or "\ufffd" in token or not isinstance(data, list):
            continue
        if not all(type(byte) is int and 0 <= byte <= 255 for byte in data):
            continue
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError:  # part of a character: the token's string cannot hold it
            continue
        expected = list(token.encode("utf-8", "surrogatepass"))
        if data != expected:
            yield _finding(
                (*path, "bytes"),
                f"bytes {shorten(str(data[:24]), 60)} do not spell the token {shorten(repr(token[:40]), 40)}",
                f"its UTF-8 bytes {shorten(str(expected[:24]), 60)}",
                data,
            )
