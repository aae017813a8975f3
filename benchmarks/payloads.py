"""Deterministic benchmark payloads: small, medium and large responses, and a mixed JSONL log.

The sizes follow the speed issue: small (1 choice, ~350 B), medium (4 choices with 5 top
logprobs over 64 tokens, ~35 KB), large (2,048 tokens with logprobs, ~280 KB); chat
completions come in the same three shapes (`chat_sizes`). Everything is
derived from a seeded random generator, so every run measures the same bytes.

The text is what tokenizers produce, not letters only: tokens and top-logprob keys come from a
vocabulary with punctuation (`:` and `":"` among them, so keys and strings share characters),
quotes, backslashes, braces, escapes and non-ASCII, because those are what make a
JSON check slow (a colon inside a string defeats counting, an escape defeats copying).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEED = 20261124


# Pieces of a BPE vocabulary: words with their leading space, sub-words, punctuation that JSON
# and URLs use, escapes (newline, tab, quote, backslash) and non-ASCII text, as real servers return.
_VOCABULARY = (
    " the",
    " of",
    " and",
    " to",
    " a",
    " in",
    "ing",
    "ed",
    " is",
    " Answer",
    " time",
    " at",
    " http",
    "s",
    "://",
    "www",
    ".",
    "com",
    "/",
    ":",
    '":',
    '"',
    "\\",
    "\n",
    "\n\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    " 12",
    ":30",
    " -",
    " café",
    " naïve",
    " über",
    " 東京",
    "日本",
    "語",
    " привет",
    " ©",
    "\u2019s",
    " 😀",
    "\u2028",
    ' "quoted"',
    "a,",
    ':"',
    ' {"',
    '"}',
    " Q",
    ": ",
    " A",
    ":\n",
    " JSON",
    " key",
    "\x00",
)


def _token(rng: random.Random) -> str:
    return rng.choice(_VOCABULARY)


def _logprobs(rng: random.Random, tokens: int, alternatives: int, offset: int) -> dict[str, Any]:
    words = [_token(rng) for _ in range(tokens)]
    chosen = [round(-rng.random(), 6) for _ in words]
    top = []
    for word, value in zip(words, chosen, strict=True):
        choices = {word: value}  # the chosen token among its alternatives, with its own log-probability
        while len(choices) < alternatives:
            choices.setdefault(_token(rng), round(-rng.random() * (len(choices) + 1), 6))
        top.append(choices)
    offsets = []
    position = offset
    for word in words:
        offsets.append(position)
        position += len(word)
    return {
        "tokens": words,
        "token_logprobs": chosen,
        "top_logprobs": top,
        "text_offset": offsets,
    }


_SHORT_TEXT = '\n\nAnswer: at 12:30, see https://example.com/a?b=c — "naïve" café\t{ok}\\'


def response(rng: random.Random, *, choices: int, tokens: int, alternatives: int) -> dict[str, Any]:
    """One valid response with `choices` choices of `tokens` tokens (logprobs when tokens > 0)."""
    items = []
    for index in range(choices):
        logprobs = _logprobs(rng, tokens, alternatives, 24) if tokens else None
        text = "".join(logprobs["tokens"]) if logprobs else _SHORT_TEXT
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
    return {name: json.dumps(response(rng, **shape), ensure_ascii=False).encode() for name, shape in shapes.items()}


def _chat_logprobs(rng: random.Random, tokens: int, alternatives: int) -> list[dict[str, Any]]:
    """`logprobs.content` as OpenAI and vLLM send it: each token with its UTF-8 bytes and its alternatives."""

    def entry(token: str, value: float) -> dict[str, Any]:
        return {"token": token, "logprob": value, "bytes": list(token.encode("utf-8"))}

    content = []
    for _ in range(tokens):
        token, value = _token(rng), round(-rng.random(), 6)
        alternatives_ = {token: value}  # the chosen token among its alternatives, as OpenAI lists it
        while len(alternatives_) < alternatives:
            alternatives_.setdefault(_token(rng), round(-rng.random() * (len(alternatives_) + 1), 6))
        content.append({**entry(token, value), "top_logprobs": [entry(*pair) for pair in alternatives_.items()]})
    return content


def chat_response(rng: random.Random, *, choices: int, tokens: int, alternatives: int) -> dict[str, Any]:
    """One valid chat completion, the same shape as `response`: `choices` messages of `tokens` tokens."""
    items = []
    for index in range(choices):
        content = _chat_logprobs(rng, tokens, alternatives) if tokens else None
        text = "".join(item["token"] for item in content) if content else _SHORT_TEXT
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
        logprobs = {"content": content, "refusal": None} if content else None
        items.append({"index": index, "message": message, "logprobs": logprobs, "finish_reason": "stop"})
    prompt, completion = rng.randint(5, 500), max(tokens * choices, 7)
    return {
        "id": f"chatcmpl-{rng.getrandbits(96):024x}",
        "object": "chat.completion",
        "created": 1_700_000_000 + rng.randint(0, 10_000_000),
        "model": "gpt-4o-mini-2024-07-18",
        "choices": items,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_44709d6fcb",
    }


def chat_sizes() -> dict[str, bytes]:
    """Chat completions of the three sizes `sizes` has (a message instead of text, logprobs.content)."""
    rng = random.Random(SEED + 3)
    shapes = {
        "small": {"choices": 1, "tokens": 0, "alternatives": 0},
        "medium": {"choices": 4, "tokens": 64, "alternatives": 5},
        "large": {"choices": 1, "tokens": 2048, "alternatives": 5},
    }
    return {name: _dumps(chat_response(rng, **shape)).encode() for name, shape in shapes.items()}


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)  # UTF-8 as vLLM, TGI and llama.cpp send it


def invalid(payload: bytes) -> bytes:
    """The same payload with two field errors (a bad finish_reason, a string index)."""
    document = json.loads(payload)
    document["choices"][0]["finish_reason"] = "eos_token"
    document["choices"][0]["index"] = "0"
    return _dumps(document).encode()


def with_null_fingerprint(payload: bytes) -> bytes:
    """The same payload with the one schema error a vLLM log line holds: `system_fingerprint: null`."""
    return _dumps({**json.loads(payload), "system_fingerprint": None}).encode()


def _total_off_by_one(document: dict[str, Any]) -> dict[str, Any]:
    usage = document["usage"]
    return {**document, "usage": {**usage, "total_tokens": usage["total_tokens"] + 1}}


# The one problem every line of a real log has, by server: what `write_jsonl` plants.
PROBLEMS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "vLLM: system_fingerprint null (schema)": lambda document: {**document, "system_fingerprint": None},
    'TGI: id "" (a warning rule)': lambda document: {**document, "id": ""},
    "usage-total off by one (a rule)": _total_off_by_one,
    "created missing (required)": lambda document: {
        name: value for name, value in document.items() if name != "created"
    },
}
VLLM, TGI, USAGE_TOTAL, MISSING = PROBLEMS


def write_jsonl(path: Path, lines: int, invalid_share: float = 0.01, problem: str = VLLM) -> Path:
    """A log of mostly small responses, some medium; `invalid_share` of the lines have one problem.

    The problem is one of `PROBLEMS`; by default what a vLLM log holds under the default profile,
    `system_fingerprint: null`. Each line is its own response, as in a server's log: its own id,
    created, text and token counts (a log of one line repeated would flatter whatever is cached
    by value). The same bytes every time.
    """
    rng = random.Random(SEED + 1)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(lines):
            if rng.random() < 0.9:
                document = response(rng, choices=1, tokens=0, alternatives=0)
                tokens = rng.randint(4, 40)
                document["choices"][0]["text"] = "".join(_token(rng) for _ in range(tokens))
                usage = document["usage"]  # counted as the text was: its own token count
                usage["completion_tokens"], usage["total_tokens"] = tokens, usage["prompt_tokens"] + tokens
            else:
                document = response(rng, choices=2, tokens=16, alternatives=3)
            if rng.random() < invalid_share:
                document = PROBLEMS[problem](document)
            out.write(_dumps(document) + "\n")
    return path


def write_capture(path: Path, chunks: int) -> Path:
    """An SSE capture of `chunks` TGI-style chunks, each with `finish_reason: ""` (one schema error), then [DONE]."""
    rng = random.Random(SEED + 2)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(chunks):
            chunk = {
                "id": "cmpl-8DRxiREy3SiZNrgxq9DScOdNBxwRJ",
                "object": "text_completion",
                "created": 1698216442,
                "choices": [{"text": _token(rng), "index": 0, "logprobs": None, "finish_reason": ""}],
                "model": "tgi",
            }
            out.write(f"data: {json.dumps(chunk, ensure_ascii=False, separators=(',', ':'))}\n\n")
        out.write("data: [DONE]\n\n")
    return path


def write_big_document(path: Path, repeats: int, problem: str | None = None) -> Path:
    """One response of `repeats` x 2,048 tokens with 5 alternatives each (800: ~200 MB), true to its text.

    `problem`: a key of `PROBLEMS` planted in it (the envelope's: a schema error or a rule's).
    """
    rng = random.Random(SEED)
    document = response(rng, choices=1, tokens=2048, alternatives=5)
    choice = document["choices"][0]
    logprobs = choice["logprobs"]
    for name in ("tokens", "token_logprobs", "top_logprobs"):
        logprobs[name] = logprobs[name] * repeats
    step = len(choice["text"])  # each repeat's offsets continue where the text's last copy ended
    logprobs["text_offset"] = [offset + copy * step for copy in range(repeats) for offset in logprobs["text_offset"]]
    choice["text"] = choice["text"] * repeats
    usage = document["usage"]
    usage["completion_tokens"] = len(logprobs["tokens"])
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if problem is not None:
        document = PROBLEMS[problem](document)
    with path.open("w", encoding="utf-8") as out:
        out.write(_dumps(document))
    return path
