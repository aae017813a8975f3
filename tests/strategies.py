"""Hypothesis strategies for valid completion responses, shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

FINISH_REASONS = ("stop", "length", "content_filter")
token_counts = st.integers(min_value=0, max_value=100_000)
texts = st.text(max_size=12)


@st.composite
def logprobs(draw: st.DrawFn) -> dict[str, Any] | None:
    """A logprobs object whose arrays have one entry per token, or null."""
    if draw(st.booleans()):
        return None
    tokens = draw(st.lists(texts, max_size=4))
    negatives = st.floats(max_value=0, allow_nan=False, allow_infinity=False)
    offsets = sorted(draw(st.lists(st.integers(0, 500), min_size=len(tokens), max_size=len(tokens))))
    return {
        "tokens": tokens,
        "token_logprobs": [draw(negatives) for _ in tokens],
        "top_logprobs": [draw(st.dictionaries(texts, negatives, max_size=3)) for _ in tokens],
        "text_offset": offsets,
    }


@st.composite
def usages(draw: st.DrawFn) -> dict[str, Any]:
    """A usage object whose total is prompt + completion, sometimes with details."""
    prompt, completion = draw(token_counts), draw(token_counts)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if draw(st.booleans()):
        usage["completion_tokens_details"] = {"reasoning_tokens": draw(st.integers(0, completion))}
    if draw(st.booleans()):
        usage["prompt_tokens_details"] = {"cached_tokens": draw(st.integers(0, prompt))}
    return usage


@st.composite
def completions(draw: st.DrawFn, max_choices: int = 4) -> dict[str, Any]:
    """A response valid under the spec as written (and under every rule)."""
    count = draw(st.integers(0, max_choices))
    payload: dict[str, Any] = {
        "id": "cmpl-" + draw(st.text("abcdefXYZ0123456789", min_size=1, max_size=12)),
        "object": "text_completion",
        "created": draw(st.integers(1_500_000_000, 1_750_000_000)),
        "model": draw(texts),
        "choices": [
            {
                "text": draw(texts),
                "index": index,
                "logprobs": draw(logprobs()),
                "finish_reason": draw(st.sampled_from(FINISH_REASONS)),
            }
            for index in range(count)
        ],
    }
    if draw(st.booleans()):
        payload["system_fingerprint"] = "fp_" + draw(st.text("0123456789abcdef", min_size=1, max_size=10))
    if draw(st.booleans()):
        payload["usage"] = draw(usages())
    return payload
