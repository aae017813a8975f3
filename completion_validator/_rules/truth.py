r"""Rules about truth, not shape: a response whose JSON is well formed and typed, and still says what cannot be so.

The legacy logprobs arrays describe the text token by token: `tokens` joined are the text (a
server that lists a start token `<s>` the text lacks, or a leading space it dropped, breaks
this), each `text_offset` is where its token starts, and `top_logprobs[i]` holds the chosen
token's own log-probability when it lists the token. A usage of all zeros beside generated text
is a placeholder, not a count.

Never a false alarm on what OpenAI itself sends: a token OpenAI writes as `bytes:\xe2\x80` (part
of a character) is not compared, a choice that finished on `"stop"` may list the tokens of the
stop sequence or end-of-text token after its text (OpenAI, Fireworks and llama.cpp do), and
offsets may count from the prompt's start (OpenAI) or the completion's (as many servers do):
only their steps are compared, in code points, UTF-8 bytes or UTF-16 units.

The fast path's screen (`response_screen.py`) asks `choice_is_true` about every choice that has
tokens; the compiled scanner leaves such documents to it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from completion_validator._rules import finding, rule
from completion_validator._rules.response import BOTH, _choices, _int, _usage
from completion_validator.errors import Finding, display_value, shorten

# OpenAI's spelling of a token that is part of a character: its bytes, escaped.
BYTES_TOKEN = "bytes:"
# How far a top_logprobs value may stray from token_logprobs and still be the same number
# printed twice (float32 vs float64, rounding): absolute plus relative.
ABSOLUTE_TOLERANCE = 1e-3
RELATIVE_TOLERANCE = 1e-4


def _token_lists(choice: Mapping[str, Any]) -> tuple[list[str], Any] | None:
    """The choice's tokens (all strings, none a bytes token) and its logprobs object, or None to say nothing."""
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, Mapping):
        return None
    tokens = logprobs.get("tokens")
    if not isinstance(tokens, list) or not tokens or not all(type(token) is str for token in tokens):
        return None
    if any(token.startswith(BYTES_TOKEN) for token in tokens):
        return None
    return tokens, logprobs


def tokens_mismatch(tokens: Sequence[str], text: str, finish_reason: object) -> tuple[int | None, str] | None:
    """Where `tokens` joined stop being `text`: (the token's index, or None for the whole array; why), or None.

    Tokens beyond the text are accepted after a "stop" finish: the stop sequence's tokens.
    """
    joined = "".join(tokens)
    if joined == text:
        return None
    if finish_reason == "stop" and joined.startswith(text):
        return None
    start = 0
    for index, token in enumerate(tokens):
        if start >= len(text) and finish_reason == "stop":
            return None
        if text[start : start + len(token)] != token:
            if start < len(text) and text[start] == "\ufffd" and index and tokens[index - 1] == "":
                return index - 1, (
                    f"tokens[{index - 1}] is '' where the text has U+FFFD (part of a character) at character "
                    f"{start}: the token's bytes are lost (OpenAI writes such a token as bytes:\\x..)"
                )
            if start >= len(text):
                return index, (
                    f"tokens[{index}] {display_value(token)} comes after the end of the text "
                    f"({len(text)} characters), and finish_reason is {display_value(finish_reason)}"
                )
            found = text[start : start + max(len(token), 1)]
            return index, (
                f"tokens[{index}] {display_value(token)} is not the text at character {start}, "
                f"which reads {display_value(found)}: the tokens joined are not the text"
            )
        start += len(token)
    return None, f"the tokens joined cover {len(joined)} of the text's {len(text)} characters"


def _step_lengths(tokens: Sequence[str]) -> Iterator[list[int]]:
    """Each token's length as a server may count it: code points, UTF-8 bytes, UTF-16 units."""
    yield [len(token) for token in tokens]
    yield [len(token.encode("utf-8", "surrogatepass")) for token in tokens]
    yield [len(token.encode("utf-16-le", "surrogatepass")) // 2 for token in tokens]


def offsets_mismatch(tokens: Sequence[str], offsets: Sequence[int]) -> int | None:
    """The first offset that is not where its token starts, given the one before it; None if every step matches."""
    steps = [after - before for before, after in itertools.pairwise(offsets)]
    for lengths in _step_lengths(tokens):
        if steps == lengths[: len(steps)]:
            return None
    code_points = [len(token) for token in tokens]
    return next(item + 1 for item, step in enumerate(steps) if step != code_points[item])


def chosen_mismatches(
    tokens: Sequence[str], token_logprobs: Sequence[Any], top_logprobs: Sequence[Any]
) -> Iterator[tuple[int, Any, Any]]:
    """(position, token_logprobs value, top_logprobs value) wherever the chosen token's two values disagree."""
    for position, (token, value, alternatives) in enumerate(zip(tokens, token_logprobs, top_logprobs, strict=False)):
        if not isinstance(alternatives, Mapping) or token not in alternatives:
            continue
        listed = alternatives[token]
        if (
            _number(value)
            and _number(listed)
            and abs(listed - value) > ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(value)
        ):
            yield position, value, listed


def _number(value: object) -> bool:
    """A finite JSON number: infinity and NaN are not JSON, and that is their one finding (`not-json`)."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


def choice_is_true(choice: Mapping[str, Any], *, chunk: bool = False) -> bool:
    """The screen's question: True only if no truth rule would report anything on this choice.

    The common case runs in builtins over whole lists (a join, an accumulate, a map of dict.get),
    a few tens of nanoseconds a token; anything unusual takes the rules' own item-by-item path.
    """
    found = _token_lists(choice)
    if found is None:
        return True
    tokens, logprobs = found
    text = choice.get("text")
    if (
        not chunk
        and isinstance(text, str)
        and "".join(tokens) != text
        and tokens_mismatch(tokens, text, choice.get("finish_reason")) is not None
    ):
        return False
    offsets = logprobs.get("text_offset")
    if (
        isinstance(offsets, list)
        and offsets
        and offsets != list(itertools.accumulate(map(len, tokens[:-1]), initial=offsets[0]))
        and _offsets_comparable(tokens, offsets)
        and offsets_mismatch(tokens, offsets) is not None
    ):
        return False
    token_logprobs, top_logprobs = logprobs.get("token_logprobs"), logprobs.get("top_logprobs")
    if not isinstance(token_logprobs, list) or not isinstance(top_logprobs, list):
        return True
    if set(map(type, top_logprobs)) == {dict}:
        listed = list(map(dict.get, top_logprobs, tokens))
        if listed == token_logprobs[: len(listed)]:  # the same numbers printed twice: nothing to compare closely
            return True
    return next(chosen_mismatches(tokens, token_logprobs, top_logprobs), None) is None


def _offsets_comparable(tokens: Sequence[str], offsets: object) -> bool:
    return isinstance(offsets, list) and len(offsets) == len(tokens) and all(type(offset) is int for offset in offsets)


@rule("logprobs-tokens-text", "error", whole_response_only=True, screened="choices")
def logprobs_tokens_text(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """The tokens joined are the choice's text (with echo, prompt and completion): each token is the text at its place.

    A server that lists a start token such as `<s>` the text lacks, or a token with a leading
    space the text dropped, tells a client the wrong place of every token after it. After a
    "stop" finish the tokens may run past the text (the stop sequence's own tokens); tokens
    OpenAI writes as `bytes:...` are not compared. A stream is checked once it is assembled:
    a server may hold text back for a chunk or two.
    """
    for position, choice in _choices(payload):
        found = _token_lists(choice)
        text = choice.get("text")
        if found is None or not isinstance(text, str):
            continue
        mismatch = tokens_mismatch(found[0], text, choice.get("finish_reason"))
        if mismatch is not None:
            index, message = mismatch
            path: tuple[str | int, ...] = ("choices", position, "logprobs", "tokens")
            yield finding(
                path if index is None else (*path, index),
                message,
                "the text, token by token",
                None if index is None else found[0][index],
            )


@rule("text-offset-token", "error", screened="choices")
def text_offset_token(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """Each text_offset is where its token starts: the step from one offset to the next is the token's length.

    Offsets may count from the prompt's start (OpenAI, without echo) or the completion's, and a
    length may be counted in code points, UTF-8 bytes or UTF-16 units: a server is held to one
    of these for the whole array. An offset that breaks every one of them points at another
    token's place (vLLM's echo shifts them by the start token's length).
    """
    for position, choice in _choices(payload):
        found = _token_lists(choice)
        if found is None:
            continue
        tokens, logprobs = found
        offsets = logprobs.get("text_offset")
        if not _offsets_comparable(tokens, offsets):
            continue
        item = offsets_mismatch(tokens, offsets)
        if item is not None:
            expected = offsets[item - 1] + len(tokens[item - 1])
            yield finding(
                ("choices", position, "logprobs", "text_offset", item),
                f"text_offset[{item}] is {offsets[item]}, but tokens[{item - 1}] "
                f"{display_value(tokens[item - 1])} starts at {offsets[item - 1]} and is "
                f"{_characters(len(tokens[item - 1]))} long, so tokens[{item}] starts at {expected}",
                str(expected),
                offsets[item],
            )


@rule("top-logprob-chosen", "error", screened="choices")
def top_logprob_chosen(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """Where top_logprobs[i] lists the chosen token, its value is token_logprobs[i]: one token, one log-probability.

    Two values for one token mean that the key is not the token it says: distinct tokens that
    decode to the same string overwrote each other (vLLM), or the alternatives belong to another
    position. Compared within a tolerance of 1e-3 (plus 1e-4 of the value): printing a float32
    twice never strays that far.
    """
    for position, choice in _choices(payload):
        found = _token_lists(choice)
        if found is None:
            continue
        tokens, logprobs = found
        token_logprobs, top_logprobs = logprobs.get("token_logprobs"), logprobs.get("top_logprobs")
        if not isinstance(token_logprobs, list) or not isinstance(top_logprobs, list):
            continue
        for item, value, listed in chosen_mismatches(tokens, token_logprobs, top_logprobs):
            yield finding(
                ("choices", position, "logprobs", "top_logprobs", item, tokens[item]),
                f"top_logprobs[{item}] gives the chosen token {display_value(tokens[item])} "
                f"{display_value(listed)}, but token_logprobs[{item}] is {display_value(value)}",
                display_value(value),
                listed,
            )


def _characters(count: int) -> str:
    return f"{count} character{'s' if count != 1 else ''}"


def _says_something(choice: Mapping[str, Any]) -> bool:
    """Whether a choice (or a chunk's choice) carries generated text: `text`, a message's or a delta's content."""
    if isinstance(text := choice.get("text"), str) and text:
        return True
    for member in ("message", "delta"):
        part = choice.get(member)
        if isinstance(part, Mapping) and isinstance(content := part.get("content"), str) and content:
            return True
    return False


@rule("usage-zero", "error", screened="zero-usage", reads=("usage", "choices"), response_types=BOTH)
def usage_zero(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A usage of all zeros beside generated text is a placeholder, not a count: text takes at least one token.

    LiteLLM puts `{"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}` on every chunk
    of a stream; a client adding it up bills nothing. A usage on a chunk without text (the
    include_usage chunk, `choices: []`) is not judged here.
    """
    usage = _usage(payload)
    if usage is None:
        return
    counts = [_int(usage.get(name)) for name in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if counts != [0, 0, 0]:
        return
    speaking = [position for position, choice in _choices(payload) if _says_something(choice)]
    if speaking:
        yield finding(
            ("usage",),
            f"usage counts 0 tokens, but choices[{speaking[0]}] carries text: the counts are placeholders",
            "the tokens counted",
            shorten(str(dict(usage))),
        )
