"""Hypothesis strategies for chat completions: valid responses and the streams a server sends for them.

Install with the extra: `pip install completion-validator[hypothesis]`.

- `chat_completions()` draws valid chat completions (the chat schema and every rule hold);
- `chat_streams()` draws valid chat streams, byte for byte what a server sends, `[DONE]` last.

Text, ids and usage are drawn as `completion_validator.strategies` draws them; finish reasons
come from the schema files. Nothing slow is built on first use.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from completion_validator._registry import load_schema_files
from completion_validator.strategies import _CHOSEN_CREATED, _FINGERPRINT_TEXT, _ID_TEXT, _usage, tokens

__all__ = ["chat_completions", "chat_streams"]

# What a finished text message may end with; "tool_calls" and "function_call" need a call.
_TEXT_FINISHES = ("stop", "length", "content_filter")


@cache
def _finish_reasons() -> tuple[str, ...]:
    return tuple(load_schema_files()["chat-finish-reason.schema.json"]["enum"])


def _token_logprob(token: str, logprob: float, alternatives: list[tuple[str, float]]) -> dict[str, Any]:
    def entry(text: str, value: float) -> dict[str, Any]:
        return {"token": text, "logprob": value, "bytes": list(text.encode("utf-8"))}

    return {**entry(token, logprob), "top_logprobs": [entry(text, value) for text, value in alternatives]}


@st.composite
def _text_choice(draw: st.DrawFn, index: int, with_logprobs: bool) -> dict[str, Any]:
    words = draw(st.lists(tokens, min_size=1, max_size=8))
    negative = st.floats(max_value=0, allow_nan=False, allow_infinity=False)
    logprobs = None
    if with_logprobs:
        content = [
            _token_logprob(word, draw(negative), draw(st.lists(st.tuples(tokens, negative), max_size=3)))
            for word in words
        ]
        logprobs = {"content": content, "refusal": None}
    finish = draw(st.sampled_from([reason for reason in _finish_reasons() if reason in _TEXT_FINISHES]))
    message = {"role": "assistant", "content": "".join(words), "refusal": None}
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}


@st.composite
def _tool_choice(draw: st.DrawFn, index: int) -> dict[str, Any]:
    calls = []
    for number in range(draw(st.integers(1, 2))):
        arguments = draw(st.dictionaries(st.sampled_from(["city", "unit", "query", "q"]), tokens, max_size=3))
        function = {
            "name": draw(st.sampled_from(["get_weather", "search", "lookup"])),
            "arguments": json.dumps(arguments),
        }
        calls.append({"id": f"call_{index}_{number}", "type": "function", "function": function})
    message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}
    # OpenAI answers a tool_choice that names a function with "stop"; otherwise "tool_calls"
    return {
        "index": index,
        "message": message,
        "logprobs": None,
        "finish_reason": draw(st.sampled_from(["tool_calls", "stop"])),
    }


@st.composite
def chat_completions(
    draw: st.DrawFn, *, n: int | None = None, tools: bool | None = None, logprobs: bool | None = None
) -> dict[str, Any]:
    """Valid chat completions: the chat schema and every rule hold.

    `n` fixes the number of choices (else 1..3); `tools` True/False makes every choice a tool call
    or a text answer (else drawn per choice); `logprobs` True/False for text answers (else drawn).
    """
    count = n if n is not None else draw(st.integers(1, 3))
    choices = []
    for index in range(count):
        calls = tools if tools is not None else draw(st.booleans())
        with_logprobs = logprobs if logprobs is not None else draw(st.booleans())
        choices.append(draw(_tool_choice(index)) if calls else draw(_text_choice(index, with_logprobs)))
    payload: dict[str, Any] = {
        "id": "chatcmpl-" + draw(_ID_TEXT),
        "object": "chat.completion",
        "created": draw(_CHOSEN_CREATED),
        "model": draw(st.sampled_from(["gpt-4o-mini", "meta-llama/Llama-3.1-8B-Instruct", "qwen2.5-7b", "tiny"])),
        "choices": choices,
    }
    if draw(st.booleans()):
        payload["system_fingerprint"] = "fp_" + draw(_FINGERPRINT_TEXT)
    if draw(st.booleans()):
        payload["usage"] = draw(_usage(lenient=False))
    return payload


@st.composite
def chat_streams(draw: st.DrawFn, *, n: int = 1, include_usage: bool = False, tools: bool | None = None) -> str:
    """Valid chat completion streams, byte for byte as a server sends them: deltas per choice, `[DONE]` last.

    Each choice's message is sent as OpenAI sends it: the role first, then content or tool-call
    parts (id, type and name once, the arguments in pieces), then an empty delta with the finish.
    """
    response = draw(chat_completions(n=n, tools=tools, logprobs=False))
    head = {key: response[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    events: list[dict[str, Any]] = []

    def send(index: int, delta: dict[str, Any], finish: str | None = None) -> None:
        chunk = {**head, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        events.append({**chunk, "usage": None} if include_usage else chunk)

    for choice in response["choices"]:
        index, message = choice["index"], choice["message"]
        send(index, {"role": "assistant", "content": "" if message["content"] is not None else None})
        for number, call in enumerate(message.get("tool_calls") or []):
            first = {
                "index": number,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            send(index, {"tool_calls": [first]})
            arguments = call["function"]["arguments"]
            cut = draw(st.integers(0, len(arguments)))
            for piece in (arguments[:cut], arguments[cut:]):
                send(index, {"tool_calls": [{"index": number, "function": {"arguments": piece}}]})
        content = message["content"] or ""
        cut = draw(st.integers(0, len(content)))
        for piece in (content[:cut], content[cut:]):
            if piece:
                send(index, {"content": piece})
        send(index, {}, choice["finish_reason"])
    if include_usage:
        # a prompt is at least one token: all zeros would be a placeholder (usage-zero)
        prompt, completion = draw(st.integers(1, 10_000)), draw(st.integers(0, 10_000))
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        events.append({**head, "choices": [], "usage": usage})
    body = "".join(f"data: {json.dumps(event, ensure_ascii=False)}\n\n" for event in events)
    return body + "data: [DONE]\n\n"
