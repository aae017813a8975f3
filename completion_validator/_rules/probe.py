"""What a live server's answer must show, given the request that asked for it (`completion-validator probe`).

Capture-only checking cannot see the failures users report most: `n` accepted and ignored,
`echo` ignored, logprobs requested but missing or chat-shaped, `include_usage` ignored, bad
parameters accepted. Each expectation is a rule here, fed the `Outcome` of one case: the
request, the HTTP answer, and the response (for a stream, what its chunks add up to, and how
many include_usage chunks it held).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from completion_validator._rules import finding, probe_rule
from completion_validator.errors import Finding, shorten

if TYPE_CHECKING:  # only the probe builds outcomes: start-up does not pay for the class
    from completion_validator._probe.outcome import Outcome

LEGACY_ARRAYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")
COMPLETION = ("completion",)
CHAT = ("chat",)


@probe_rule("probe-http-status", "error")
def http_status(outcome: Outcome) -> Iterator[Finding]:
    """A valid request gets HTTP 200."""
    if not outcome.expects_rejection and outcome.status != 200:
        said = f": {shorten(str(outcome.error_body))}" if outcome.error_body is not None else ""
        yield finding((), f"HTTP {outcome.status} for a valid request{said}", "200", outcome.status)


@probe_rule("probe-http-framing", "error")
def http_framing(outcome: Outcome) -> Iterator[Finding]:
    """The answer arrives whole, as HTTP frames it: every byte its Content-Length promises, a chunked body's last chunk.

    A server (or a proxy) that closes the connection early leaves a client with a body that may
    still parse: a cut-off stream, or a JSON object that lost its end. Said once, at the answer.
    """
    if outcome.framing is not None:
        yield finding((), outcome.framing, "the whole body")


@probe_rule("probe-content-type", "error")
def content_type(outcome: Outcome) -> Iterator[Finding]:
    """A response is sent as application/json, a stream as text/event-stream."""
    if outcome.status != 200:
        return
    wanted = "text/event-stream" if outcome.streamed else "application/json"
    if not outcome.content_type.lower().startswith(wanted):
        yield finding((), f"content type {outcome.content_type or 'missing'!r}, expected {wanted}", wanted)


@probe_rule("probe-usage", "warning")
def usage_present(outcome: Outcome) -> Iterator[Finding]:
    """A response that is not streamed carries usage (OpenAI always sends it; the spec leaves it optional)."""
    if (
        outcome.status == 200
        and not outcome.streamed
        and outcome.response is not None
        and "usage" not in outcome.response
    ):
        yield finding(("usage",), "no usage in the response", "usage")


def _completion_tokens(outcome: Outcome) -> int | None:
    usage = (outcome.response or {}).get("usage")
    count = usage.get("completion_tokens") if isinstance(usage, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _prompts(request: Mapping[str, Any]) -> int:
    prompt = request.get("prompt")
    return len(prompt) if isinstance(prompt, list) and all(isinstance(part, str) for part in prompt) else 1


def _token_limit(request: Mapping[str, Any]) -> Any:
    """The request's token limit: `max_tokens`, or chat's `max_completion_tokens`."""
    return request.get("max_tokens", request.get("max_completion_tokens"))


@probe_rule("probe-max-tokens", "error")
def max_tokens(outcome: Outcome) -> Iterator[Finding]:
    """No more tokens are generated than max_tokens allows (for every choice of every prompt)."""
    limit, count = _token_limit(outcome.request), _completion_tokens(outcome)
    if outcome.status != 200 or not isinstance(limit, int) or count is None:
        return
    allowed = limit * outcome.request.get("n", 1) * _prompts(outcome.request)
    if count > allowed:
        yield finding(
            ("usage", "completion_tokens"),
            f"{count} tokens generated, max_tokens allows {allowed}",
            f"<= {allowed}",
            count,
        )


@probe_rule("probe-finish-length", "error")
def finish_length(outcome: Outcome) -> Iterator[Finding]:
    """A choice that used up max_tokens finishes with "length"."""
    if (
        not outcome.case.exhausts_max_tokens
        or outcome.status != 200
        or _completion_tokens(outcome) != _token_limit(outcome.request)
    ):
        return
    for position, choice in enumerate(outcome.choices()):
        if choice.get("finish_reason") != "length":
            yield finding(
                ("choices", position, "finish_reason"),
                f"max_tokens ({_token_limit(outcome.request)}) was used up, "
                f"but finish_reason is {choice.get('finish_reason')!r}",
                "'length'",
                choice.get("finish_reason"),
            )


@probe_rule("probe-choices", "error")
def choice_count(outcome: Outcome) -> Iterator[Finding]:
    """N choices per prompt, indexed 0..n*prompts-1 as OpenAI numbers them (prompt by prompt)."""
    if outcome.status != 200 or outcome.response is None:
        return
    wanted = outcome.request.get("n", 1) * _prompts(outcome.request)
    indexes = sorted(index for choice in outcome.choices() if isinstance(index := choice.get("index"), int))
    if len(outcome.choices()) != wanted or indexes != list(range(wanted)):
        yield finding(
            ("choices",),
            f"{len(outcome.choices())} choices with indexes {indexes} for n={outcome.request.get('n', 1)} "
            f"and {_prompts(outcome.request)} prompt(s); expected {wanted}, indexed 0..{wanted - 1}",
            f"{wanted} choices",
            len(outcome.choices()),
        )


@probe_rule("probe-stream-usage", "error")
def stream_usage(outcome: Outcome) -> Iterator[Finding]:
    """With stream_options.include_usage, the stream has one usage chunk (choices: [], usage set)."""
    options = outcome.request.get("stream_options")
    if (
        outcome.status != 200
        or not outcome.streamed
        or not (isinstance(options, Mapping) and options.get("include_usage"))
    ):
        return
    if outcome.usage_chunks != 1:
        yield finding(
            (), f"{outcome.usage_chunks} include_usage chunks (choices: [] with usage); expected exactly 1", "1"
        )


@probe_rule("probe-logprobs", "error", response_types=COMPLETION)
def logprobs(outcome: Outcome) -> Iterator[Finding]:
    """Logprobs requested: every choice has the four legacy arrays, at most logprobs+1 alternatives a position."""
    asked = outcome.request.get("logprobs")
    if outcome.status != 200 or outcome.expects_rejection or not isinstance(asked, int) or isinstance(asked, bool):
        return
    for position, choice in enumerate(outcome.choices()):
        value = choice.get("logprobs")
        if not isinstance(value, Mapping) or not all(isinstance(value.get(name), list) for name in LEGACY_ARRAYS):
            shape = (
                "missing"
                if "logprobs" not in choice
                else "null"
                if value is None
                else "without " + ", ".join(n for n in LEGACY_ARRAYS if not isinstance(value.get(n), list))
                if isinstance(value, Mapping)
                else type(value).__name__
            )
            yield finding(
                ("choices", position, "logprobs"),
                f"logprobs={asked} was requested, but the choice's logprobs is {shape}",
                "tokens, token_logprobs, top_logprobs, text_offset",
                None,
            )
            continue
        for item, alternatives in enumerate(value["top_logprobs"]):
            if isinstance(alternatives, Mapping) and len(alternatives) > asked + 1:
                yield finding(
                    ("choices", position, "logprobs", "top_logprobs", item),
                    f"{len(alternatives)} alternatives for logprobs={asked} (at most {asked + 1})",
                    f"<= {asked + 1}",
                    len(alternatives),
                )
                break


@probe_rule("probe-echo", "error", response_types=COMPLETION)
def echo(outcome: Outcome) -> Iterator[Finding]:
    """With echo, each choice's text starts with its prompt."""
    prompt = outcome.request.get("prompt")
    if outcome.status != 200 or not outcome.request.get("echo") or not isinstance(prompt, str):
        return
    for position, choice in enumerate(outcome.choices()):
        text = choice.get("text")
        if isinstance(text, str) and not text.startswith(prompt):
            yield finding(
                ("choices", position, "text"),
                f"echo was requested, but the text does not start with the prompt {prompt!r}",
                "the prompt first",
                text[:60],
            )


@probe_rule("probe-echo-logprobs", "warning", response_types=COMPLETION)
def echo_logprobs(outcome: Outcome) -> Iterator[Finding]:
    """With echo and logprobs, the first prompt token has no log probability: token_logprobs[0] is null."""
    if outcome.status != 200 or not outcome.request.get("echo") or not outcome.request.get("logprobs"):
        return
    for position, choice in enumerate(outcome.choices()):
        value = choice.get("logprobs")
        first = value.get("token_logprobs") if isinstance(value, Mapping) else None
        if isinstance(first, list) and first and first[0] is not None:
            yield finding(
                ("choices", position, "logprobs", "token_logprobs", 0),
                "the first echoed token has a log probability; OpenAI sends null",
                "null",
                first[0],
            )


@probe_rule("probe-stop", "error")
def stop(outcome: Outcome) -> Iterator[Finding]:
    """A stop sequence is not part of the text (generation stops before it)."""
    stops = outcome.request.get("stop")
    stops = [stops] if isinstance(stops, str) else stops if isinstance(stops, list) else []
    if outcome.status != 200:
        return
    for position, choice in enumerate(outcome.choices()):
        path, text = _text(position, choice)
        for sequence in stops:
            if isinstance(text, str) and isinstance(sequence, str) and sequence in text:
                yield finding(
                    path,
                    f"the text contains the stop sequence {sequence!r}",
                    "no stop sequence",
                    text[:60],
                )


def _text(position: int, choice: Mapping[str, Any]) -> tuple[tuple[str | int, ...], Any]:
    """A choice's generated text and its path: `text`, or a chat message's `content`."""
    message = choice.get("message")
    if isinstance(message, Mapping):
        return ("choices", position, "message", "content"), message.get("content")
    return ("choices", position, "text"), choice.get("text")


@probe_rule("probe-bad-params", "warning")
def bad_params(outcome: Outcome) -> Iterator[Finding]:
    """A request the API refuses (logprobs over 5, stream_options without stream) gets HTTP 4xx with an error object.

    A warning: servers legitimately differ here (some clamp logprobs, some ignore stream_options).
    """
    if not outcome.expects_rejection:
        return
    if not 400 <= outcome.status < 500:
        yield finding(
            (),
            f"HTTP {outcome.status} for {outcome.case.rejected_for}; OpenAI answers 400",
            "HTTP 4xx",
            outcome.status,
        )
    elif not isinstance(outcome.error_body, Mapping | str):
        yield finding(("error",), f"HTTP {outcome.status} without an error object", "an error object")


def _messages(outcome: Outcome) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for position, choice in enumerate(outcome.choices()):
        message = choice.get("message")
        yield position, message if isinstance(message, Mapping) else {}


@probe_rule("probe-tool-calls", "error", response_types=CHAT)
def tool_calls(outcome: Outcome) -> Iterator[Finding]:
    """With tool_choice "required", every choice's message calls a tool (in a stream: once assembled)."""
    if outcome.status != 200 or outcome.request.get("tool_choice") != "required":
        return
    for position, message in _messages(outcome):
        calls = message.get("tool_calls")
        if not (isinstance(calls, list) and calls):
            yield finding(
                ("choices", position, "message", "tool_calls"),
                'tool_choice "required" was sent, but the message calls no tool',
                "at least one tool call",
                calls,
            )


@probe_rule("probe-json-object", "error", response_types=CHAT)
def json_object(outcome: Outcome) -> Iterator[Finding]:
    """With response_format {"type": "json_object"}, each message's content is a JSON object."""
    response_format = outcome.request.get("response_format")
    if outcome.status != 200 or not (
        isinstance(response_format, Mapping) and response_format.get("type") == "json_object"
    ):
        return
    for position, message in _messages(outcome):
        content = message.get("content")
        try:
            value = json.loads(content) if isinstance(content, str) else None
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, dict) and outcome.choices()[position].get("finish_reason") != "length":
            yield finding(
                ("choices", position, "message", "content"),
                "a JSON object was asked for (response_format json_object), but the content is not one",
                "a JSON object",
                content[:60] if isinstance(content, str) else content,
            )


@probe_rule("probe-chat-logprobs", "error", response_types=CHAT)
def chat_logprobs(outcome: Outcome) -> Iterator[Finding]:
    """Logprobs requested: each choice has logprobs.content, at most top_logprobs alternatives a token."""
    if outcome.status != 200 or outcome.expects_rejection or outcome.request.get("logprobs") is not True:
        return
    asked = outcome.request.get("top_logprobs", 0)
    for position, choice in enumerate(outcome.choices()):
        logprobs = choice.get("logprobs")
        content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
        if not isinstance(content, list):
            shape = "missing" if content is None else type(content).__name__
            yield finding(
                ("choices", position, "logprobs"),
                f"logprobs were requested, but the choice's logprobs.content is {shape}",
                "a list of token logprobs",
                logprobs,
            )
            continue
        for number, item in enumerate(content):
            alternatives = item.get("top_logprobs") if isinstance(item, Mapping) else None
            if isinstance(asked, int) and isinstance(alternatives, list) and len(alternatives) > asked:
                yield finding(
                    ("choices", position, "logprobs", "content", number, "top_logprobs"),
                    f"{len(alternatives)} alternatives for top_logprobs={asked}",
                    f"at most {asked}",
                    len(alternatives),
                )
                break
