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
    """How many prompts a request sends: a list of strings or of token lists is one each; one token list is one."""
    prompt = request.get("prompt")
    if isinstance(prompt, list) and prompt and all(isinstance(part, str | list) for part in prompt):
        return len(prompt)
    return 1


def _least_prompt_tokens(request: Mapping[str, Any]) -> int:
    """The fewest tokens the request's prompts can take: one a prompt, or the ids it lists."""
    prompt = request.get("prompt")
    if isinstance(prompt, list) and prompt and all(isinstance(part, int) for part in prompt):
        return len(prompt)
    if isinstance(prompt, list) and prompt and all(isinstance(part, list) for part in prompt):
        return sum(max(len(part), 1) for part in prompt)
    return _prompts(request)


def _token_limit(request: Mapping[str, Any]) -> Any:
    """The request's token limit: `max_tokens`, or chat's `max_completion_tokens`."""
    return request.get("max_tokens", request.get("max_completion_tokens"))


@probe_rule("probe-max-tokens", "error")
def max_tokens(outcome: Outcome) -> Iterator[Finding]:
    """No more tokens are generated than max_tokens allows for each choice returned; with max_tokens 0, no text.

    The allowance counts the choices the server returned, not the n it was asked for: a server
    that ignores n and returns one long choice is held to one choice's worth.
    """
    limit, count = _token_limit(outcome.request), _completion_tokens(outcome)
    if outcome.status != 200 or not isinstance(limit, int) or isinstance(limit, bool):
        return
    returned = len(outcome.choices())
    if count is not None:
        allowed = limit * (returned or outcome.request.get("n", 1) * _prompts(outcome.request))
        if count > allowed:
            yield finding(
                ("usage", "completion_tokens"),
                f"{count} tokens generated for {returned} choice(s); max_tokens {limit} allows {allowed}",
                f"<= {allowed}",
                count,
            )
    if limit == 0 and not outcome.request.get("echo"):
        for position, choice in enumerate(outcome.choices()):
            path, text = _text(position, choice)
            if isinstance(text, str) and text:
                yield finding(path, "max_tokens is 0, but the choice has text", "''", text[:60])


@probe_rule("probe-usage-plausible", "error")
def usage_plausible(outcome: Outcome) -> Iterator[Finding]:
    """Usage counts what the answer shows: every choice that finished "length" used max_tokens; every prompt is a token.

    A server that counts one choice's tokens for n choices (llama.cpp reports 4 completion
    tokens for four choices that each stopped at max_tokens 4), or no prompt tokens at all,
    bills wrongly. A single choice that finished "length" short of max_tokens is its
    finish_reason's finding (probe-finish-stop), unless usage counts no tokens at all.
    """
    usage = (outcome.response or {}).get("usage")
    if outcome.status != 200 or not isinstance(usage, Mapping):
        return
    limit, count, choices = _token_limit(outcome.request), _completion_tokens(outcome), outcome.choices()
    if (
        isinstance(limit, int)
        and not isinstance(limit, bool)
        and limit > 0
        and count is not None
        and (len(choices) > 1 or count == 0)  # one choice short of max_tokens: its finish_reason (probe-finish-stop)
        and all(choice.get("finish_reason") == "length" for choice in choices)
        and count < limit * len(choices)
    ):
        yield finding(
            ("usage", "completion_tokens"),
            f'completion_tokens is {count}, but all {len(choices)} choice(s) finished "length" at max_tokens '
            f"{limit}: at least {limit * len(choices)} tokens were generated",
            f">= {limit * len(choices)}",
            count,
        )
    prompt_tokens, least = usage.get("prompt_tokens"), _least_prompt_tokens(outcome.request)
    if isinstance(prompt_tokens, int) and not isinstance(prompt_tokens, bool) and prompt_tokens < least:
        yield finding(
            ("usage", "prompt_tokens"),
            f"prompt_tokens is {prompt_tokens}, but the request's prompt takes at least {least}",
            f">= {least}",
            prompt_tokens,
        )


@probe_rule("probe-finish-stop", "error")
def finish_stop(outcome: Outcome) -> Iterator[Finding]:
    """A choice that ended before max_tokens does not say "length": a stop sequence or the end of text ended it.

    Checked where usage tells one choice's tokens: one prompt, one choice, no echo.
    """
    limit, count, choices = _token_limit(outcome.request), _completion_tokens(outcome), outcome.choices()
    if (
        outcome.status != 200
        or outcome.request.get("echo")
        or len(choices) != 1
        or _prompts(outcome.request) != 1
        or not isinstance(limit, int)
        or count is None
        or count == 0  # no tokens at all beside a finished choice: the usage lies (probe-usage-plausible)
        or count >= limit
        or choices[0].get("finish_reason") != "length"
    ):
        return
    stops = outcome.request.get("stop")
    why = " (a stop sequence was requested)" if stops else ""
    yield finding(
        ("choices", 0, "finish_reason"),
        f'finish_reason is "length", but only {count} of max_tokens {limit} tokens were generated: '
        f'something else ended it{why}, so "stop"',
        "'stop'",
        "length",
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


@probe_rule("probe-stream-usage-unasked", "warning")
def stream_usage_unasked(outcome: Outcome) -> Iterator[Finding]:
    """Without stream_options.include_usage, chunks carry no usage: the spec sends it only when asked.

    A warning: a client that ignores it is unharmed, and an all-zero one is an error of its own
    (usage-zero). LiteLLM puts a usage on every chunk.
    """
    options = outcome.request.get("stream_options")
    asked = isinstance(options, Mapping) and options.get("include_usage")
    if outcome.status == 200 and outcome.streamed and not asked and outcome.unasked_usage_chunks:
        yield finding(
            ("usage",),
            f"{outcome.unasked_usage_chunks} chunk(s) with choices carry a usage, but include_usage was not asked for",
            "no usage",
        )


@probe_rule("probe-error-body", "error")
def error_body(outcome: Outcome) -> Iterator[Finding]:
    """An answer that is not 2xx carries the spec's ErrorResponse: {"error": {"message", "type", "param", "code"}}.

    Each member is checked against `schemas/error-response.schema.json` and reported at its
    own path, with what the server said: vLLM sends `code` as a number, LiteLLM `type: null`.
    """
    if outcome.status < 400 or not outcome.body_is_json:
        return
    from completion_validator._rules.error_body import error_body_problems

    yield from error_body_problems(outcome.status, outcome.body)


@probe_rule("probe-id-unique", "error")
def id_unique(outcome: Outcome) -> Iterator[Finding]:
    """Each answer has its own id: the spec calls it a unique identifier for the completion."""
    answer_id = (outcome.response or {}).get("id")
    if outcome.status == 200 and isinstance(answer_id, str) and answer_id in outcome.earlier_ids:
        yield finding(
            ("id",),
            f"id {answer_id!r} was already the id of the answer to {outcome.earlier_ids[answer_id]}",
            "a new id",
            answer_id,
        )


@probe_rule("probe-echo-unasked", "error", response_types=COMPLETION)
def echo_unasked(outcome: Outcome) -> Iterator[Finding]:
    """Without echo, the text is the completion alone: it does not start with the prompt."""
    prompt = outcome.request.get("prompt")
    if outcome.status != 200 or outcome.request.get("echo") or not isinstance(prompt, str) or len(prompt) < 8:
        return
    for position, choice in enumerate(outcome.choices()):
        text = choice.get("text")
        if isinstance(text, str) and text.startswith(prompt):
            yield finding(
                ("choices", position, "text"),
                f"echo was not requested, but the text starts with the prompt {prompt!r}",
                "the completion alone",
                text[:60],
            )


@probe_rule("probe-text-offset", "error", response_types=COMPLETION)
def text_offset(outcome: Outcome) -> Iterator[Finding]:
    """The first text_offset is where the text starts: 0 with echo; without, 0 or the prompt's length (OpenAI's).

    Offsets count from the start of the prompt (OpenAI) or of the completion; any other start
    points every token at the wrong place.
    """
    prompt = outcome.request.get("prompt")
    if outcome.status != 200 or not isinstance(prompt, str):
        return
    echo = bool(outcome.request.get("echo"))
    allowed = (0,) if echo else (0, len(prompt))
    for position, choice in enumerate(outcome.choices()):
        logprobs = choice.get("logprobs")
        offsets = logprobs.get("text_offset") if isinstance(logprobs, Mapping) else None
        if not isinstance(offsets, list) or not offsets or type(offsets[0]) is not int or offsets[0] in allowed:
            continue
        said = "0 (echo: the text starts with the prompt)" if echo else f"0 or {len(prompt)} (the prompt's length)"
        yield finding(
            ("choices", position, "logprobs", "text_offset", 0),
            f"text_offset[0] is {offsets[0]}; the first token starts at {said}",
            " or ".join(map(str, allowed)),
            offsets[0],
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
            if isinstance(alternatives, Mapping) and len(alternatives) < asked:
                yield finding(
                    ("choices", position, "logprobs", "top_logprobs", item),
                    f"{len(alternatives)} alternative(s) for logprobs={asked}: fewer than asked "
                    "(distinct tokens that read the same share one key?)",
                    f">= {asked}",
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
    """A request the API refuses (logprobs over 5, best_of with stream, an unknown model, a non-JSON body) gets 4xx.

    What the error body must hold is probe-error-body's.

    A warning: servers legitimately differ here (some clamp logprobs, some ignore stream_options).
    """
    if not outcome.expects_rejection:
        return
    if not 400 <= outcome.status < 500:
        yield finding(
            (),
            f"HTTP {outcome.status} for {outcome.case.rejected_for}; OpenAI answers {outcome.case.rejected_status}",
            "HTTP 4xx",
            outcome.status,
        )


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
