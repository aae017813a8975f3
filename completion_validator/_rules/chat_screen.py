"""The screen for chat: a fast, conservative twin of the chat rules (`chat.py`) and the shared ones.

As for completions (`response_screen.py`, whose shared parts it uses): jsonschema-rs checks the
schema and the rules' bounds (a log-probability <= 0), then `passes_screen` says True only when
certainly no rule would report anything. Anything unusual gets False and the rules run.

`SCANNER_ROLES` marks the paths where the compiled scanner checks the same things: what a finished
message says (`chat-message-empty`, `chat-finish-tool-calls`), a tool call's `arguments`
(`chat-tool-arguments-json`), a token's `bytes` (`chat-logprob-bytes`). A stream chunk carries a
delta, not a message, and the message rules are about the whole response: `CHUNK_SCANNER_ROLES`
leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from completion_validator._rules.response_screen import (
    CREATED_WINDOW,
    ITEMS,
    SHARED_ROLES,
    envelope_passes,
    indexes_pass,
)
from completion_validator._rules.response_screen import PARTS as SHARED_PARTS

__all__ = ["CHUNK_SCANNER_ROLES", "CREATED_WINDOW", "PARTS", "SCANNER_ROLES", "passes_screen"]

_TOKEN_LISTS = ("content", "refusal")
# Members of a message that say something when they are not null (tool_calls: a non-empty list).
_SAYING = ("content", "refusal", "audio")


def _logprob_roles() -> dict[tuple[str, ...], str]:
    roles: dict[tuple[str, ...], str] = {}
    for name in _TOKEN_LISTS:
        item = ("choices", ITEMS, "logprobs", name, ITEMS)
        alternative = (*item, "top_logprobs", ITEMS)
        for path, role in ((item, "R_LP_ITEM"), (alternative, "R_LP_TOP")):
            roles[path] = role
            roles[(*path, "token")] = "R_LP_TOKEN"
            roles[(*path, "bytes")] = "R_LP_BYTES"
            roles[(*path, "bytes", ITEMS)] = "R_LP_BYTE"
    return roles


_MESSAGE = ("choices", ITEMS, "message")
CHUNK_SCANNER_ROLES: Final[dict[tuple[str, ...], str]] = {**SHARED_ROLES, **_logprob_roles()}
SCANNER_ROLES: Final[dict[tuple[str, ...], str]] = {
    **CHUNK_SCANNER_ROLES,
    _MESSAGE: "R_MESSAGE",
    **{(*_MESSAGE, name): "R_SAYS" for name in _SAYING},
    (*_MESSAGE, "function_call"): "R_FUNCTION_CALL",
    (*_MESSAGE, "function_call", "arguments"): "R_ARGUMENTS",
    (*_MESSAGE, "tool_calls"): "R_TOOL_CALLS",
    (*_MESSAGE, "tool_calls", ITEMS, "function", "arguments"): "R_ARGUMENTS",
}


def passes_screen(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """True only if no rule would report anything for `payload`, given the bounds were checked already."""
    return envelope_passes(payload) and choices_pass(payload, chunk=chunk)


def choices_pass(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """No rule about the choices (indexes, logprobs, what a message says) would report anything."""
    choices = payload.get("choices")
    if type(choices) is not list or not indexes_pass(choices, chunk=chunk):
        return False
    for choice in choices:
        logprobs = choice.get("logprobs")
        if logprobs is not None and not _logprobs_pass(logprobs):
            return False
        if not chunk and not _message_passes(choice):
            return False
    return True


def _message_passes(choice: dict[str, Any]) -> bool:
    message = choice.get("message")
    if type(message) is not dict:
        return not isinstance(message, Mapping)  # the rules look at mappings only
    calls = message.get("tool_calls")
    has_calls = type(calls) is list and bool(calls)
    finish = choice.get("finish_reason")
    if finish == "stop" and not (has_calls or message.get("function_call") is not None or _says(message)):
        return False
    if finish == "tool_calls" and not has_calls:
        return False
    function_call = message.get("function_call")
    if finish == "function_call" and type(function_call) is not dict:
        return False
    functions = [call.get("function") for call in calls if type(call) is dict] if type(calls) is list else []
    functions.append(function_call)
    return all(type(function) is not dict or _is_json_text(function.get("arguments")) for function in functions)


def _says(message: dict[str, Any]) -> bool:
    return any(message.get(name) is not None for name in _SAYING)


def _is_json_text(arguments: object) -> bool:
    if type(arguments) is not str:
        return True  # the rule passes over arguments that are no string (the schema reports them)
    try:
        json.loads(arguments)
    except (ValueError, RecursionError):
        return False
    return True


def _logprobs_pass(logprobs: object) -> bool:
    if type(logprobs) is not dict:
        return False
    for name in _TOKEN_LISTS:
        items = logprobs.get(name)
        if items is None:
            continue
        if type(items) is not list:
            return False
        for item in items:
            if type(item) is not dict or not _bytes_agree(item):
                return False
            alternatives = item.get("top_logprobs")
            if alternatives is not None and (
                type(alternatives) is not list
                or not all(type(alternative) is dict and _bytes_agree(alternative) for alternative in alternatives)
            ):
                return False
    return True


def _bytes_agree(item: dict[str, Any]) -> bool:
    """`chat-logprob-bytes` is silent on this item (False: not sure)."""
    token, data = item.get("token"), item.get("bytes")
    if type(token) is not str or type(data) is not list or "\ufffd" in token:
        return True
    try:
        written = bytes(data)
        if written == token.encode():
            return True
        written.decode()
    except UnicodeDecodeError:  # part of a character: what `bytes` is for
        return True
    except (UnicodeEncodeError, ValueError, TypeError):  # a lone surrogate, or items that are no bytes
        return False
    return False


# The screen by part (see `response_screen.PARTS`): the shared ones, and chat's choices.
PARTS: Final[dict[str, Callable[..., bool]]] = {**SHARED_PARTS, "choices": choices_pass}
