"""The fake server's /v1/chat/completions: conformant answers to the chat cases, or one planted defect."""

from __future__ import annotations

import itertools
import json
from typing import Any

WORDS = ["Hello", ",", " world", "!", " This", " is", " a", " test", ".", " Done"]
CALL = {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
DEFECTS = {
    # defect -> the rule ids the chat probe must report for it, and nothing else
    "chat-no-refusal": {"required"},
    "chat-tool-choice-ignored": {"probe-tool-calls"},
    "chat-json-ignored": {"probe-json-object"},
    "chat-top-logprobs-exceeded": {"probe-chat-logprobs"},
    "n-ignored": {"probe-choices"},
    "one-token-too-many": {"probe-max-tokens"},
}
HEAD = {"created": 1_700_000_000}
_IDS = itertools.count(1)  # a new id for every answer, as the spec's "unique identifier" says


def _logprobs(tokens: list[str], top: int) -> dict[str, Any]:
    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    content = [
        {
            **entry(token, -0.5),
            "top_logprobs": [entry(token, -0.5)] + [entry(f"alt{i}", -1.0 - i) for i in range(top - 1)],
        }
        for token in tokens
    ]
    return {"content": content, "refusal": None}


def _message(body: dict[str, Any], copy: int, defect: str | None) -> tuple[dict[str, Any], str, int, list[str]]:
    """One choice's message, finish reason, token count and tokens, as the request asks."""
    if body.get("tool_choice") == "required" and defect != "chat-tool-choice-ignored":
        return {"role": "assistant", "content": None, "refusal": None, "tool_calls": [CALL]}, "tool_calls", 6, []
    if (body.get("response_format") or {}).get("type") == "json_object":
        content = "Yes, this is a test." if defect == "chat-json-ignored" else '{"answer": "yes"}'
        return {"role": "assistant", "content": content, "refusal": None}, "stop", 5, []
    limit = body.get("max_tokens", body.get("max_completion_tokens", 16)) + (defect == "one-token-too-many")
    tokens = [WORDS[(i + copy) % len(WORDS)] for i in range(limit)]
    finish = "length"
    for cut in range(len(tokens)):
        if any(stop in "".join(tokens[: cut + 1]) for stop in body.get("stop") or []):
            tokens, finish = tokens[:cut], "stop"
            break
    message: dict[str, Any] = {"role": "assistant", "content": "".join(tokens), "refusal": None}
    if defect == "chat-no-refusal":
        del message["refusal"]
    return message, finish, len(tokens), tokens


def answer(body: dict[str, Any], defect: str | None) -> tuple[int, bytes, str]:
    """Status, body and content type of the answer to one chat request."""
    top = body.get("top_logprobs", 0)
    if ("stream_options" in body and not body.get("stream")) or (isinstance(top, int) and top > 20):
        error = {
            "error": {"message": "invalid parameter", "type": "invalid_request_error", "param": None, "code": None}
        }
        return 400, json.dumps(error).encode(), "application/json"
    n = 1 if defect == "n-ignored" else body.get("n", 1)
    choices, generated = [], 0
    for copy in range(n):
        message, finish, count, tokens = _message(body, copy, defect)
        generated += count
        logprobs = None
        if body.get("logprobs") is True:
            logprobs = _logprobs(tokens, top + (defect == "chat-top-logprobs-exceeded"))
        choices.append({"index": copy, "message": message, "logprobs": logprobs, "finish_reason": finish})
    usage = {"prompt_tokens": 6, "completion_tokens": generated, "total_tokens": 6 + generated}
    head = {**HEAD, "id": f"chatcmpl-fake{next(_IDS)}", "model": body["model"]}
    if not body.get("stream"):
        response = {**head, "object": "chat.completion", "choices": choices, "usage": usage}
        return 200, json.dumps(response).encode(), "application/json"
    return 200, _stream(head, choices, usage, body).encode(), "text/event-stream"


def _stream(head: dict[str, Any], choices: list[dict[str, Any]], usage: dict[str, Any], body: dict[str, Any]) -> str:
    include_usage = (body.get("stream_options") or {}).get("include_usage")
    chunk_head = {**head, "object": "chat.completion.chunk"}
    events = []

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> None:
        event: dict[str, Any] = {
            **chunk_head,
            "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            event["usage"] = None
        events.append(event)

    for choice in choices:
        message, index = choice["message"], choice["index"]
        chunk(index, {"role": "assistant", "content": ""})
        for call in message.get("tool_calls") or []:
            function = call["function"]
            chunk(
                index,
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": function["name"], "arguments": ""},
                        }
                    ]
                },
            )
            half = len(function["arguments"]) // 2
            for part in (function["arguments"][:half], function["arguments"][half:]):
                chunk(index, {"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
        if message.get("content"):
            chunk(index, {"content": message["content"]})
        chunk(index, {}, choice["finish_reason"])
    if include_usage:
        events.append({**chunk_head, "choices": [], "usage": usage})
    return "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
