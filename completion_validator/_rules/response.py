"""Rules about one response (or one stream chunk): what the spec says in prose, or plain arithmetic.

Each rule is a small function named after what it checks, registered with `@rule` and a stable
id; the first line of its docstring is its rationale. A rule yields findings at the offending
pointer. Rules run after the schema and must tolerate payloads the schema rejected: they skip
values of the wrong type. They are written to cost little on valid payloads (builtins over whole
lists, no per-item Python work unless something is wrong), and the fast path's screen
(`response_screen.py`) is their conservative twin: a rule names the part of it that stands for
it (`screened="usage"`; a test holds each pair to that); a new rule without one makes the fast
path stand aside while it is selected. A rule that is a plain bound declares it (`bounds=`), and
compiled code checks it. A rule that reads only some members of the payload names them
(`reads=("usage",)`; a test holds it to that): the fast path can then run it on those members
alone, read from their text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from completion_validator._rules import Sum, rule
from completion_validator._rules import finding as _finding
from completion_validator.errors import Finding, display_value

# 2015-01-01T00:00:00Z: nothing served an OpenAI-style completion before then.
EARLIEST_CREATED = 1_420_070_400
MILLISECONDS_THRESHOLD = 100_000_000_000  # a Unix time in seconds stays below this until the year 5138
ONE_DAY = 86_400
LOGPROB_ARRAYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")
# The rules about what both response types share: usage, choice indexes, created, id.
BOTH = ("completion", "chat")


def _int(value: object) -> int | None:
    """The integer a JSON number stands for (1.0 is 1), or None for anything else (NaN and infinity too)."""
    if type(value) is int:  # nearly always: no isinstance checks for it
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


def _usage(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    usage = payload.get("usage")
    return usage if type(usage) is dict or isinstance(usage, Mapping) else None


def _choices(payload: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    choices = payload.get("choices")
    if not isinstance(choices, list):
        return []
    return [
        (position, choice)
        for position, choice in enumerate(choices)
        if type(choice) is dict or isinstance(choice, Mapping)
    ]


def _logprobs(payload: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for position, choice in _choices(payload):
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, Mapping):
            yield position, logprobs


USAGE_TOTAL = Sum(
    "usage",
    "total_tokens",
    ("prompt_tokens", "completion_tokens"),
    "total_tokens is {total_tokens}, but prompt_tokens + completion_tokens is {prompt_tokens} + {completion_tokens} "
    "= {sum}",
)


@rule("usage-total", "error", screened="usage", reads=("usage",), response_types=BOTH, sums=USAGE_TOTAL)
def usage_total(payload: Mapping[str, Any], *, lenient: bool = False) -> Iterator[Finding]:
    """usage.total_tokens must equal prompt_tokens + completion_tokens, as the spec defines it.

    Under the lenient profile a missing completion_tokens counts as 0 (OpenAI leaves it out when
    it is 0); under the spec as written its absence is a `required` error, and nothing more.
    """
    usage = _usage(payload)
    if usage is None:
        return
    absent = 0 if lenient else None
    prompt, completion, total = (
        _int(usage.get(name, absent if name == "completion_tokens" else None))
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    if prompt is None or completion is None or total is None or total == prompt + completion:
        return
    yield USAGE_TOTAL.finding(total, (prompt, completion), usage.get("total_tokens"))


@rule(
    "usage-negative",
    "error",
    screened="usage",
    reads=("usage",),
    response_types=BOTH,
    bounds=(
        *((("usage", name), {"minimum": 0}) for name in ("prompt_tokens", "completion_tokens", "total_tokens")),
        *(
            (("usage", details, "*"), {"minimum": 0})
            for details in ("completion_tokens_details", "prompt_tokens_details")
        ),
    ),
)
def usage_negative(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """Token counts cannot be negative."""
    usage = _usage(payload)
    if usage is None:
        return
    for name, value in usage.items():
        if not isinstance(name, str):  # not JSON: the key itself is the finding (not-json), nothing here
            continue
        count = _int(value)
        if count is not None and count < 0:
            yield _finding(("usage", name), f"{name} is {count}; token counts cannot be negative", ">= 0", value)
        if name.endswith("_tokens_details") and isinstance(value, Mapping):
            for detail, detail_value in value.items():
                count = _int(detail_value)
                if isinstance(detail, str) and count is not None and count < 0:
                    yield _finding(
                        ("usage", name, detail),
                        f"{detail} is {count}; token counts cannot be negative",
                        ">= 0",
                        detail_value,
                    )


@rule("usage-details", "error", screened="usage", reads=("usage",), response_types=BOTH)
def usage_details(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A breakdown cannot exceed its total: *_tokens_details values <= completion_tokens / prompt_tokens.

    Each completion_tokens_details member is part of completion_tokens, each
    prompt_tokens_details member part of prompt_tokens.
    """
    usage = _usage(payload)
    if usage is None:
        return
    for details_name, total_name in (
        ("completion_tokens_details", "completion_tokens"),
        ("prompt_tokens_details", "prompt_tokens"),
    ):
        details, total = usage.get(details_name), _int(usage.get(total_name))
        if not isinstance(details, Mapping) or total is None:
            continue
        for name, value in details.items():
            count = _int(value)
            if isinstance(name, str) and count is not None and count > total:
                yield _finding(
                    ("usage", details_name, name),
                    f"{name} is {count}, more than {total_name} ({total})",
                    f"<= {total}",
                    value,
                )


@rule("choice-index-unique", "error", screened="choices", response_types=BOTH)
def choice_index_unique(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """Each choice's index identifies it: no two choices in one response may share one."""
    seen: dict[int, int] = {}
    for position, choice in _choices(payload):
        index = _int(choice.get("index"))
        if index is None:
            continue
        if index in seen:
            yield _finding(
                ("choices", position, "index"),
                f"index {index} is already used by choices[{seen[index]}]",
                "an index no other choice has",
                choice.get("index"),
            )
        else:
            seen[index] = position


@rule("choice-index-sequence", "warning", whole_response_only=True, screened="choices", response_types=BOTH)
def choice_index_sequence(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """With n choices, the indexes are expected to be 0..n-1 (in any order); a gap suggests a lost choice."""
    choices = payload.get("choices")
    if not isinstance(choices, list) or not all(isinstance(choice, Mapping) for choice in choices):
        return
    indexes = {_int(choice.get("index")) for choice in choices}
    if None in indexes or len(indexes) != len(choices) or indexes == set(range(len(choices))):
        return
    missing = sorted(set(range(len(choices))) - indexes)
    yield _finding(
        ("choices",),
        f"choice indexes are {sorted(i for i in indexes if i is not None)}; "
        f"expected 0..{len(choices) - 1} (missing {missing})",
        f"indexes 0..{len(choices) - 1}",
    )


@rule("logprobs-lengths", "error", screened="choices")
def logprobs_lengths(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """tokens, token_logprobs, top_logprobs and text_offset describe the same positions: equal lengths when present."""
    for position, logprobs in _logprobs(payload):
        lengths = {name: len(logprobs[name]) for name in LOGPROB_ARRAYS if isinstance(logprobs.get(name), list)}
        if len(set(lengths.values())) <= 1:
            continue
        reference = "tokens" if "tokens" in lengths else next(iter(lengths))
        for name, length in lengths.items():
            if length != lengths[reference]:
                yield _finding(
                    ("choices", position, "logprobs", name),
                    f"{name} has {length} items but {reference} has {lengths[reference]}",
                    f"{lengths[reference]} items",
                    length,
                )


@rule("logprobs-shape", "warning", screened="choices")
def logprobs_shape(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A logprobs object carries the legacy arrays (tokens, token_logprobs, top_logprobs, text_offset), not the chat shape.

    All four are optional and extra members are allowed, so a chat-shaped `{"content": [...]}`
    object (llama.cpp's server sends one today) passes the schema while telling a client of this
    endpoint nothing it can read.
    """  # noqa: E501
    for position, logprobs in _logprobs(payload):
        if not any(name in logprobs for name in LOGPROB_ARRAYS):
            members = ", ".join(sorted(map(str, logprobs))) or "none"
            yield _finding(
                ("choices", position, "logprobs"),
                f"logprobs has none of tokens, token_logprobs, top_logprobs, text_offset (members: {members}); "
                "a client of /v1/completions finds nothing to read",
                "the legacy logprobs arrays",
                None,
            )


@rule(
    "logprob-positive",
    "error",
    screened="choices",
    bounds=(
        (("choices", "[]", "logprobs", "token_logprobs", "[]"), {"maximum": 0}),
        (("choices", "[]", "logprobs", "top_logprobs", "[]", "*"), {"maximum": 0}),
    ),
)
def logprob_positive(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """A log-probability is at most 0 (a probability is at most 1)."""
    for position, logprobs in _logprobs(payload):
        token_logprobs = logprobs.get("token_logprobs")
        if isinstance(token_logprobs, list) and _exceeds_zero(token_logprobs):
            for item, value in enumerate(token_logprobs):
                if _is_positive(value):
                    yield _finding(
                        ("choices", position, "logprobs", "token_logprobs", item),
                        f"log-probability {display_value(value)} is above 0",
                        "<= 0",
                        value,
                    )
        top_logprobs = logprobs.get("top_logprobs")
        if not isinstance(top_logprobs, list):
            continue
        for item, alternatives in enumerate(top_logprobs):
            if isinstance(alternatives, Mapping) and _exceeds_zero(alternatives.values()):
                for token, value in alternatives.items():
                    if isinstance(token, str) and _is_positive(value):
                        yield _finding(
                            ("choices", position, "logprobs", "top_logprobs", item, token),
                            f"log-probability {display_value(value)} of {display_value(token)} is above 0",
                            "<= 0",
                            value,
                        )


def _exceeds_zero(values: Iterable[object]) -> bool:
    try:
        return max(values, default=0) > 0  # type: ignore[type-var, operator]
    except TypeError:  # nulls (lenient) or wrong types (already schema errors): look item by item
        return any(_is_positive(value) for value in values)


def _is_positive(value: object) -> bool:
    """A finite number above 0: infinity and NaN are not JSON numbers, and that is their one finding (`not-json`)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0 and math.isfinite(value)


@rule("text-offset-order", "warning", screened="choices")
def text_offset_order(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """text_offset gives each token's place in the text: it should never decrease."""
    for position, logprobs in _logprobs(payload):
        offsets = logprobs.get("text_offset")
        if not isinstance(offsets, list) or not all(type(offset) is int for offset in offsets):  # not bool
            continue
        if offsets == sorted(offsets):
            continue
        for item in range(1, len(offsets)):
            if offsets[item] < offsets[item - 1]:
                yield _finding(
                    ("choices", position, "logprobs", "text_offset", item),
                    f"text_offset decreases from {offsets[item - 1]} to {offsets[item]}",
                    f">= {offsets[item - 1]}",
                    offsets[item],
                )
                break


@rule("created-plausible", "warning", screened="created", reads=("created",), response_types=BOTH)
def created_plausible(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """Created is a Unix time in seconds: milliseconds, a time before 2015 or more than a day ahead is suspect."""
    created = _int(payload.get("created"))
    if created is None:
        return
    now = int(time.time())
    if created >= MILLISECONDS_THRESHOLD:
        problem = "looks like milliseconds; the spec says seconds"
    elif created < EARLIEST_CREATED:
        problem = "is before 2015"
    elif created > now + ONE_DAY:
        problem = "is more than a day in the future"
    else:
        return
    yield _finding(("created",), f"created {created} {problem}", "a Unix time in seconds", payload.get("created"))


@rule("id-empty", "warning", screened="id", reads=("id",), response_types=BOTH)
def id_empty(payload: Mapping[str, Any]) -> Iterator[Finding]:
    """An empty id identifies nothing (TGI sends one); the spec calls it a unique identifier."""
    if payload.get("id") == "":
        yield _finding(("id",), "id is empty; it should identify the completion", "a non-empty string", "")
