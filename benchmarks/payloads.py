"""Deterministic benchmark payloads: small, medium and large responses, and a mixed JSONL log.

The sizes follow the speed issue: small (1 choice, ~350 B), medium (4 choices with 5 top
logprobs over 64 tokens, ~35 KB), large (2,048 tokens with logprobs, ~280 KB). Everything is
derived from a seeded random generator, so every run measures the same bytes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

SEED = 20261124


def _logprobs(rng: random.Random, tokens: int, alternatives: int, offset: int) -> dict[str, Any]:
    words = ["".join(rng.choice("abcdefghij ") for _ in range(rng.randint(1, 6))) for _ in range(tokens)]
    top = [
        {f"{word}{k}" if k else word: round(-rng.random() * (k + 1), 6) for k in range(alternatives)} for word in words
    ]
    offsets = []
    position = offset
    for word in words:
        offsets.append(position)
        position += len(word)
    return {
        "tokens": words,
        "token_logprobs": [round(-rng.random(), 6) for _ in words],
        "top_logprobs": top,
        "text_offset": offsets,
    }


def response(rng: random.Random, *, choices: int, tokens: int, alternatives: int) -> dict[str, Any]:
    """One valid response with `choices` choices of `tokens` tokens (logprobs when tokens > 0)."""
    items = []
    for index in range(choices):
        logprobs = _logprobs(rng, tokens, alternatives, 24) if tokens else None
        text = "".join(logprobs["tokens"]) if logprobs else "\n\nThis is indeed a test of the response"
        items.append(
            {"text": text, "index": index, "logprobs": logprobs, "finish_reason": rng.choice(["stop", "length"])}
        )
    prompt, completion = rng.randint(5, 500), max(tokens * choices, 7)
    return {
        "id": f"cmpl-{rng.getrandbits(96):024x}",
        "object": "text_completion",
        "created": 1_700_000_000 + rng.randint(0, 10_000_000),
        "model": "gpt-3.5-turbo-instruct",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": items,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def sizes() -> dict[str, bytes]:
    """The three payloads as the JSON bytes a server sends."""
    rng = random.Random(SEED)
    shapes = {
        "small": {"choices": 1, "tokens": 0, "alternatives": 0},
        "medium": {"choices": 4, "tokens": 64, "alternatives": 5},
        "large": {"choices": 1, "tokens": 2048, "alternatives": 5},
    }
    return {name: json.dumps(response(rng, **shape)).encode() for name, shape in shapes.items()}


def invalid(payload: bytes) -> bytes:
    """The same payload with two field errors (a bad finish_reason, a string index)."""
    document = json.loads(payload)
    document["choices"][0]["finish_reason"] = "eos_token"
    document["choices"][0]["index"] = "0"
    return json.dumps(document).encode()


def write_jsonl(path: Path, lines: int) -> Path:
    """A mixed log: mostly small responses, some medium, ~1% invalid; the same bytes every time."""
    rng = random.Random(SEED + 1)
    small = response(rng, choices=1, tokens=0, alternatives=0)
    medium = response(rng, choices=2, tokens=16, alternatives=3)
    templates = [json.dumps(small), json.dumps(medium)]
    bad = json.dumps({**small, "object": "text_completion.chunk"})
    with path.open("w") as out:
        for _ in range(lines):
            roll = rng.random()
            out.write((bad if roll < 0.01 else templates[0] if roll < 0.9 else templates[1]) + "\n")
    return path
