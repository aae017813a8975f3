"""How a chat completion stream adds up to a chat completion: deltas merged per choice.

Each chunk's choice carries a `delta`: the message's `role` (once, first), the next part of its
`content` and `refusal`, and parts of its `tool_calls`, each naming the call it belongs to by
`index` (the call's `id`, `type` and function `name` in its first part, then pieces of
`arguments`). The assembled response is what openai-python's stream helpers build: one message
per choice, parts joined, tool calls merged by index, the last `finish_reason`, the logprobs of
every chunk in order, the include_usage chunk's `usage`. It is then checked as a response.
Parts are kept as lists and joined once at the end, so a long stream is not quadratic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_RESPONSE_OBJECT = {"chat.completion.chunk": "chat.completion"}


class ChatAssembler:
    """Builds the chat completion a stream adds up to, one chunk at a time, one entry per choice."""

    def __init__(self) -> None:
        self._head: dict[str, Any] = {}
        self._optional: dict[str, Any] = {}
        self._choices: dict[int, _Choice] = {}
        self._usage: Any = None
        self._chunks = 0

    def add(self, chunk: Mapping[str, Any]) -> None:
        """Take in the next chunk."""
        self._chunks += 1
        for name in ("id", "object", "created", "model"):
            if name in chunk and name not in self._head:
                self._head[name] = chunk[name]
        for name in ("system_fingerprint", "service_tier"):
            if name not in self._optional and chunk.get(name) is not None:
                self._optional[name] = chunk[name]
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, Mapping) and type(choice.get("index")) is int:
                self._choices.setdefault(choice["index"], _Choice(choice["index"])).add(choice)
        if isinstance(chunk.get("usage"), Mapping):
            self._usage = chunk["usage"]

    def result(self) -> dict[str, Any] | None:
        """The assembled chat completion (None when no chunk came)."""
        if not self._chunks:
            return None
        response: dict[str, Any] = {
            name: self._head[name] for name in ("id", "object", "created", "model") if name in self._head
        }
        if isinstance(response.get("object"), str):
            response["object"] = _RESPONSE_OBJECT.get(response["object"], response["object"])
        response.update(self._optional)
        response["choices"] = [self._choices[index].result() for index in sorted(self._choices)]
        if self._usage is not None:
            response["usage"] = self._usage
        return response


class _Choice:
    """One choice's message as its deltas build it."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: Any = None
        self.parts: dict[str, list[str]] = {}  # content, refusal: the parts sent
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.arguments: dict[int, list[str]] = {}
        self.function_call: dict[str, Any] | None = None
        self.logprobs: dict[str, list[Any]] | None = None
        self.finish_reason: Any = None

    def add(self, choice: Mapping[str, Any]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, Mapping):
            if self.role is None and isinstance(delta.get("role"), str):
                self.role = delta["role"]
            for name in ("content", "refusal"):
                if isinstance(delta.get(name), str):
                    self.parts.setdefault(name, []).append(delta[name])
            self._add_tool_calls(delta.get("tool_calls"))
            self._add_function_call(delta.get("function_call"))
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, Mapping):
            merged = self.logprobs if self.logprobs is not None else {}
            self.logprobs = merged
            for name in ("content", "refusal"):
                if isinstance(logprobs.get(name), list):
                    merged.setdefault(name, []).extend(logprobs[name])
        if choice.get("finish_reason") is not None:
            self.finish_reason = choice["finish_reason"]

    def _add_tool_calls(self, parts: object) -> None:
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, Mapping) or type(part.get("index")) is not int:
                continue
            call = self.tool_calls.setdefault(part["index"], {})
            for name in ("id", "type"):
                if name not in call and isinstance(part.get(name), str):
                    call[name] = part[name]
            function = part.get("function")
            if isinstance(function, Mapping):
                named = call.setdefault("function", {})
                if "name" not in named and isinstance(function.get("name"), str):
                    named["name"] = function["name"]
                if isinstance(function.get("arguments"), str):
                    self.arguments.setdefault(part["index"], []).append(function["arguments"])

    def _add_function_call(self, part: object) -> None:
        if not isinstance(part, Mapping):
            return
        call = self.function_call if self.function_call is not None else {"arguments": ""}
        self.function_call = call
        if "name" not in call and isinstance(part.get("name"), str):
            call["name"] = part["name"]
        if isinstance(part.get("arguments"), str):
            call["arguments"] += part["arguments"]

    def result(self) -> dict[str, Any]:
        message: dict[str, Any] = {} if self.role is None else {"role": self.role}
        for name in ("content", "refusal"):
            message[name] = "".join(self.parts[name]) if name in self.parts else None
        if self.tool_calls:
            message["tool_calls"] = [self._tool_call(index) for index in sorted(self.tool_calls)]
        if self.function_call is not None:
            message["function_call"] = self.function_call
        logprobs = None
        if self.logprobs is not None:
            logprobs = {name: self.logprobs.get(name) for name in ("content", "refusal")}
        return {"index": self.index, "message": message, "logprobs": logprobs, "finish_reason": self.finish_reason}

    def _tool_call(self, index: int) -> dict[str, Any]:
        call = dict(self.tool_calls[index])
        if "function" in call or index in self.arguments:
            call["function"] = {**call.get("function", {}), "arguments": "".join(self.arguments.get(index, ()))}
        return call
