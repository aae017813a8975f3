"""The screen: a fast, conservative twin of the completion response rules (`response.py`).

Running every rule costs ~10 µs on a small payload and ~1 ms on a 2,048-token one, more than
parsing it. The fast path first has jsonschema-rs check the schema plus the rules that are plain
bounds (log-probabilities <= 0, token counts >= 0, as the rules declare them), then asks
`passes_screen` about the relational ones, in straight-line code over builtins. It says True
only when certainly no rule would report anything; anything unusual (an unexpected type, a null,
a float count) gets False and the rules themselves run. A test holds the pair to that, and each
rule it stands for says so (`screened=` its part): with any other rule selected the fast path
stands aside.

`SCANNER_ROLES` is the same twin for the compiled scanner: the paths where it checks what
`passes_screen` checks, each named after the scanner's role constant there.

`PARTS` splits the screen by what the rules read (`created`, `id`, `usage`, `choices`; and
`zero-usage`, whose rule reads the choices' text beside the usage); each rule names its part
(`screened="usage"`). Where the screen fails, only the rules of the parts that
fail run: a TGI log whose every line has `id: ""` runs one rule a line, not fifteen.
"""

from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Callable
from typing import Any, Final

from completion_validator._rules.response import EARLIEST_CREATED, LOGPROB_ARRAYS, ONE_DAY
from completion_validator._rules.truth import choice_is_true

ITEMS = "[]"  # a path step: every item of an array

CREATED_WINDOW: Final = (EARLIEST_CREATED, ONE_DAY)
# The roles of what both response types share (usage.schema.json, created, id, choice indexes).
SHARED_ROLES: Final[dict[tuple[str, ...], str]] = {
    (): "R_ROOT",
    ("created",): "R_CREATED",
    ("id",): "R_ID",
    ("usage",): "R_USAGE",
    ("usage", "prompt_tokens"): "R_PROMPT",
    ("usage", "completion_tokens"): "R_COMPLETION",
    ("usage", "total_tokens"): "R_TOTAL",
    ("usage", "prompt_tokens_details"): "R_DETAILS_PROMPT",
    ("usage", "completion_tokens_details"): "R_DETAILS_COMPLETION",
    ("choices",): "R_CHOICES",
    ("choices", ITEMS): "R_CHOICE",
    ("choices", ITEMS, "index"): "R_INDEX",
    ("choices", ITEMS, "finish_reason"): "R_FINISH",
}
SCANNER_ROLES: Final[dict[tuple[str, ...], str]] = {
    **SHARED_ROLES,
    ("choices", ITEMS, "logprobs"): "R_LOGPROBS",
    **{("choices", ITEMS, "logprobs", name): "R_LOGPROB_ARRAY" for name in LOGPROB_ARRAYS},
    ("choices", ITEMS, "logprobs", "text_offset", ITEMS): "R_OFFSET",
    ("choices", ITEMS, "text"): "R_TEXT",
    ("choices", ITEMS, "logprobs", "tokens", ITEMS): "R_TOKEN",
    ("choices", ITEMS, "logprobs", "token_logprobs", ITEMS): "R_TOKEN_LOGPROB",
    ("choices", ITEMS, "logprobs", "top_logprobs", ITEMS): "R_TOP_ITEM",
    ("choices", ITEMS, "logprobs", "top_logprobs", ITEMS, "*"): "R_TOP_VALUE",
}


def passes_screen(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """True only if no rule would report anything for `payload`, given the bounds were checked already."""
    return envelope_passes(payload) and choices_pass(payload, chunk=chunk)


def choices_pass(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """No rule about the choices (indexes, logprobs, whether tokens are true) would report anything."""
    choices = payload.get("choices")
    if type(choices) is not list:
        return False
    if len(choices) == 1:  # the common case, in straight lines
        choice = choices[0]
        if type(choice) is not dict or type(choice.get("index")) is not int or (not chunk and choice["index"] != 0):
            return False
        logprobs = choice.get("logprobs")
        return logprobs is None or (_logprobs_pass(logprobs) and choice_is_true(choice, chunk=chunk))
    if not indexes_pass(choices, chunk=chunk):
        return False
    return all(
        choice.get("logprobs") is None or (_logprobs_pass(choice["logprobs"]) and choice_is_true(choice, chunk=chunk))
        for choice in choices
    )


def envelope_passes(payload: dict[str, Any]) -> bool:
    """What the rules both types share say nothing of `created`, `id` and `usage`."""
    return created_passes(payload) and id_passes(payload) and usage_passes(payload) and zero_usage_passes(payload)


def created_passes(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """`created` is a plausible Unix time in seconds."""
    created = payload.get("created")
    return type(created) is int and EARLIEST_CREATED <= created <= time.time() + ONE_DAY


def id_passes(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """`id` is not the empty string."""
    return payload.get("id") != ""


def usage_passes(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """No rule about the token counts would report anything."""
    usage = payload.get("usage")
    return usage is None or _usage_passes(usage)


def zero_usage_passes(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """`usage` is not all zeros (usage-zero, which then reads the choices' text too, is silent)."""
    usage = payload.get("usage")
    if usage is None:
        return True
    return type(usage) is dict and type(total := usage.get("total_tokens")) is int and total != 0


def indexes_pass(choices: list[Any], *, chunk: bool) -> bool:
    """Every choice an object with an integer index, each once (and 0..n-1 in a whole response)."""
    if not choices:
        return True
    if set(map(type, choices)) != {dict}:
        return False
    indexes = [choice.get("index") for choice in choices]
    if set(map(type, indexes)) != {int}:
        return False
    return len(set(indexes)) == len(indexes) and (chunk or sorted(indexes) == list(range(len(indexes))))


def _usage_passes(usage: object) -> bool:
    if type(usage) is not dict:
        return False
    prompt, completion, total = usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens")
    if type(prompt) is not int or type(completion) is not int or type(total) is not int or total != prompt + completion:
        return False
    if len(usage) == 3:
        return True
    for name, value in usage.items():
        if type(value) in (int, float) and value < 0:  # any negative count, vendor members too
            return False
        if name.endswith("_tokens_details") and value is not None:
            limit = (
                completion
                if name == "completion_tokens_details"
                else prompt
                if name == "prompt_tokens_details"
                else None
            )
            if not _details_pass(value, limit):
                return False
    return True


def _details_pass(details: object, limit: int | None) -> bool:
    if type(details) is not dict:
        return False
    counts = list(details.values())
    if not counts:
        return True
    try:
        return min(counts) >= 0 and (limit is None or max(counts) <= limit)
    except TypeError:  # a null or a non-number: let the rules look
        return False


def _logprobs_pass(logprobs: object) -> bool:
    if type(logprobs) is not dict:
        return False
    present = [array for array in map(logprobs.get, LOGPROB_ARRAYS) if array is not None]
    if not any(name in logprobs for name in LOGPROB_ARRAYS):  # logprobs-shape
        return False
    if not all(type(array) is list for array in present) or len(set(map(len, present))) > 1:
        return False
    text_offset = logprobs.get("text_offset")
    try:
        # Non-decreasing offsets pass whatever their types; the rule only fires on decreasing ints.
        return not text_offset or all(map(operator.le, text_offset, itertools.islice(text_offset, 1, None)))
    except TypeError:
        return False


# The screen by part, each a function of (payload, *, chunk): a rule names the one that stands for it.
PARTS: Final[dict[str, Callable[..., bool]]] = {
    "created": created_passes,
    "id": id_passes,
    "usage": usage_passes,
    "zero-usage": zero_usage_passes,
    "choices": choices_pass,
}
