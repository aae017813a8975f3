"""The matrix of chat requests the probe sends (`--schema chat`): what chat clients ask of a server.

Each case asks for one behaviour the chat probe rules (`probe-*`, and `probe-tool-calls`,
`probe-json-object`, `probe-chat-logprobs`) then expect of the answer; the model is added when a
case is sent. As for completions, every case asks for temperature 0, or a seed where it asks for
several choices, so a run's findings repeat.
"""

from __future__ import annotations

from typing import Any

from completion_validator._probe.cases import PROMPT, Case

MESSAGES = [{"role": "user", "content": PROMPT}]
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
JSON_MESSAGES = [{"role": "user", "content": 'Answer in JSON: {"answer": "yes"} or {"answer": "no"}. Is this a test?'}]

CASES: tuple[Case, ...] = (
    Case("basic", {"messages": MESSAGES, "max_completion_tokens": 8, "temperature": 0}, "a plain chat completion"),
    Case(
        "length",
        {"messages": MESSAGES, "max_tokens": 1, "temperature": 0},
        "max_tokens 1: finish_reason length",
        exhausts_max_tokens=True,
    ),
    Case("stream", {"messages": MESSAGES, "max_completion_tokens": 8, "temperature": 0, "stream": True}, "a stream"),
    Case(
        "stream-usage",
        {
            "messages": MESSAGES,
            "max_completion_tokens": 8,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        "a stream with the include_usage chunk",
    ),
    Case("n", {"messages": MESSAGES, "max_completion_tokens": 4, "n": 2, "seed": 1}, "n=2: two choices"),
    Case(
        "n-stream",
        {"messages": MESSAGES, "max_completion_tokens": 4, "n": 2, "seed": 1, "stream": True},
        "n=2 streamed",
    ),
    Case(
        "logprobs",
        {"messages": MESSAGES, "max_completion_tokens": 4, "logprobs": True, "top_logprobs": 2, "temperature": 0},
        "logprobs with top_logprobs=2",
    ),
    Case(
        "stop",
        {"messages": MESSAGES, "max_completion_tokens": 16, "stop": [" test", "."], "temperature": 0},
        "stop sequences",
    ),
    Case(
        "tools",
        {
            "messages": MESSAGES,
            "max_completion_tokens": 64,
            "tools": TOOLS,
            "tool_choice": "required",
            "temperature": 0,
        },
        "a tool the model must call",
    ),
    Case(
        "tools-stream",
        {
            "messages": MESSAGES,
            "max_completion_tokens": 64,
            "tools": TOOLS,
            "tool_choice": "required",
            "temperature": 0,
            "stream": True,
        },
        "a tool the model must call, streamed",
    ),
    Case(
        "json-object",
        {
            "messages": JSON_MESSAGES,
            "max_completion_tokens": 32,
            "response_format": {"type": "json_object"},
            "temperature": 0,
        },
        "JSON mode: the content is a JSON object",
    ),
    Case(
        "bad-params-top-logprobs",
        {"messages": MESSAGES, "max_completion_tokens": 1, "logprobs": True, "top_logprobs": 21, "temperature": 0},
        "top_logprobs over OpenAI's 20",
        rejected_for="top-logprobs",
    ),
    Case(
        "bad-params-stream-options",
        {"messages": MESSAGES, "max_completion_tokens": 1, "stream_options": {"include_usage": True}, "temperature": 0},
        "stream_options without stream",
        rejected_for="stream-options",
    ),
)
