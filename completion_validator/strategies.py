"""Hypothesis strategies for property-testing code that handles completion responses.

Install with the extra: `pip install completion-validator[hypothesis]`.

- `completions()` draws valid responses (every schema rule and every cross-field rule holds);
- `streams()` draws valid SSE captures, byte for byte what a server sends, `[DONE]` last;
- `faulty_completions()` draws `(payload, Fault)` pairs with exactly one fault, and the `Fault`
  says the keyword (or rule id) and pointer the validator reports for it.

Enums, required members and the usage breakdown come from the schema files, so the strategies
cannot drift from them. Text is drawn the way tokenizers produce it: words, punctuation, colons,
quotes, backslashes, braces, non-ASCII.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st

from completion_validator._registry import load_schema_files
from completion_validator._rules.response import EARLIEST_CREATED
from completion_validator.errors import InstancePath, Severity, to_pointer

__all__ = ["FAULTS", "Fault", "completions", "faulty_completions", "streams"]

# Pieces real tokenizers emit, "Answer:", URLs and JSON-looking text included.
_TOKENS = (
    "The",
    " answer",
    ":",
    " 42",
    ".",
    "\n\n",
    " é",
    "té",
    " naïve",
    " 東京",
    " 🙂",
    ' "',
    "quote",
    '"',
    " \\",
    "n",
    " {",
    "}",
    " http",
    "://",
    "example",
    ".com",
    "/a",
    "?q=1",
    " 12",
    ":30",
    " -",
    " ",
    "\t",
    "'s",
    " \u2013",
)
tokens = st.sampled_from(_TOKENS)
_CHOSEN_CREATED = st.integers(EARLIEST_CREATED, int(time.time()))


@cache
def _schema_facts() -> dict[str, Any]:
    files = load_schema_files()
    usage = files["usage.schema.json"]
    return {
        "finish_reasons": tuple(files["finish-reason.schema.json"]["enum"]),
        "objects": tuple(files["object.schema.json"]["enum"]),
        "required": {name: tuple(contents.get("required", ())) for name, contents in files.items()},
        "details": {
            name: tuple(usage["properties"][name]["properties"])
            for name in ("completion_tokens_details", "prompt_tokens_details")
        },
    }


@dataclass(frozen=True)
class Fault:
    """The one problem a `faulty_completions()` payload holds, as the validator reports it."""

    kind: str
    keyword: str
    instance_path: InstancePath
    severity: Severity = "error"

    @property
    def pointer(self) -> str:
        """The JSON Pointer of the finding the validator reports."""
        return to_pointer(self.instance_path)


@st.composite
def _logprobs(draw: st.DrawFn, *, lenient: bool, size: int | None = None) -> dict[str, Any]:
    words = draw(st.lists(tokens, min_size=size or 0, max_size=size if size is not None else 6))
    negative = st.floats(max_value=0, allow_nan=False, allow_infinity=False)
    offsets, position = [], draw(st.integers(0, 50))
    for word in words:
        offsets.append(position)
        position += len(word)
    token_logprobs: list[float | None] = [draw(negative) for _ in words]
    # The alternatives at a position list the chosen token too, with its own log-probability (as OpenAI does).
    top_logprobs: list[dict[str, float] | None] = [
        {**draw(st.dictionaries(tokens, negative, max_size=2)), word: value}
        for word, value in zip(words, token_logprobs, strict=True)
        if value is not None
    ]
    if lenient and words and draw(st.booleans()):  # echo: the first prompt token has no log probability
        token_logprobs[0], top_logprobs[0] = None, None
    return {"tokens": words, "token_logprobs": token_logprobs, "top_logprobs": top_logprobs, "text_offset": offsets}


@st.composite
def _usage(draw: st.DrawFn, *, lenient: bool) -> dict[str, Any] | None:
    if lenient and draw(st.integers(0, 9)) == 0:
        return None
    facts = _schema_facts()
    # A prompt is at least one token: a usage of all zeros is a placeholder (`usage-zero`).
    prompt, completion = draw(st.integers(1, 100_000)), draw(st.integers(0, 100_000))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    for name, total in (("completion_tokens_details", completion), ("prompt_tokens_details", prompt)):
        if draw(st.booleans()):
            if lenient and draw(st.integers(0, 4)) == 0:
                usage[name] = None
                continue
            members = draw(st.lists(st.sampled_from(facts["details"][name]), unique=True, max_size=3))
            usage[name] = {member: draw(st.integers(0, total)) for member in members}
    return usage


# An explicit alphabet, not st.text()'s whole of Unicode: Hypothesis builds its table of Unicode
# categories (~2 s) on first use, inside the first timed draw, and a user's first test then fails
# its health check on a clean checkout. Quotes, escapes, controls, non-ASCII and astral
# characters are all here, as servers send them.
_VENDOR_TEXT = 'ab Z09:,{}[]"\\/\n\t\x00\x7féñü€中文😀\u2028'
_ID_TEXT = st.text("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=8, max_size=29)
_FINGERPRINT_TEXT = st.text("0123456789abcdef", min_size=10, max_size=10)
_VENDOR = st.dictionaries(
    st.sampled_from(["stop_reason", "timings", "service_tier", "prompt_logprobs", "x_request_id"]),
    st.none() | st.integers(0, 100) | st.text(_VENDOR_TEXT, max_size=8) | st.lists(st.integers(0, 9), max_size=3),
    max_size=2,
)


@st.composite
def completions(
    draw: st.DrawFn,
    *,
    lenient: bool = False,
    forbid_unknown_fields: bool = False,
    n: int | None = None,
    logprobs: bool | None = None,
    usage: bool | None = None,
    max_choices: int = 4,
) -> dict[str, Any]:
    """Valid completion responses: the schema and every rule hold (under `lenient` if asked).

    `n` fixes the number of choices (else 0..`max_choices`); `logprobs` True/False makes every
    choice carry logprobs or none (else drawn); `usage` True/False includes it or not (else
    drawn). Unless `forbid_unknown_fields`, vendor members (`stop_reason`, `timings`, ...) may
    appear, as real servers add them; with `lenient`, the nulls it accepts may appear too.
    """
    facts = _schema_facts()
    count = n if n is not None else draw(st.integers(0, max_choices))
    choices = []
    for index in range(count):
        with_logprobs = logprobs if logprobs is not None else draw(st.booleans())
        choice_logprobs = draw(_logprobs(lenient=lenient)) if with_logprobs else None
        text = "".join(choice_logprobs["tokens"]) if choice_logprobs else "".join(draw(st.lists(tokens, max_size=8)))
        choice: dict[str, Any] = {
            "text": text,
            "index": index,
            "logprobs": choice_logprobs,
            "finish_reason": draw(st.sampled_from(facts["finish_reasons"])),
        }
        if not forbid_unknown_fields:
            choice |= draw(_VENDOR)
        choices.append(choice)
    payload: dict[str, Any] = {
        "id": "cmpl-" + draw(_ID_TEXT),
        "object": draw(st.sampled_from(facts["objects"])),
        "created": draw(_CHOSEN_CREATED),
        "model": draw(st.sampled_from(["gpt-3.5-turbo-instruct", "davinci-002", "meta-llama/Llama-3.1-8B", "tiny"])),
        "choices": choices,
    }
    if draw(st.booleans()):
        payload["system_fingerprint"] = None if lenient and draw(st.booleans()) else "fp_" + draw(_FINGERPRINT_TEXT)
    if usage if usage is not None else draw(st.booleans()):
        payload["usage"] = draw(_usage(lenient=lenient))
    if not forbid_unknown_fields:
        payload |= draw(_VENDOR)
    return payload


def _pieces(choice: dict[str, Any], draw: st.DrawFn) -> list[dict[str, Any]]:
    """One choice cut into stream deltas at drawn token boundaries; the last one finishes it."""
    logprobs = choice["logprobs"]
    tokens_ = len(logprobs["tokens"]) if logprobs else 0
    cuts = sorted(set(draw(st.lists(st.integers(0, max(tokens_, 1)), max_size=3))))
    if logprobs:
        bounds = [0, *[cut for cut in cuts if 0 < cut < tokens_], tokens_]
        spans = list(itertools.pairwise(bounds)) or [(0, 0)]
        texts = ["".join(logprobs["tokens"][start:end]) for start, end in spans]
    else:
        text = choice["text"]
        points = sorted({min(cut * 3, len(text)) for cut in cuts})
        bounds = [0, *[point for point in points if 0 < point < len(text)], len(text)]
        spans = list(itertools.pairwise(bounds)) or [(0, 0)]
        texts = [text[start:end] for start, end in spans]
    pieces = []
    for number, ((start, end), text) in enumerate(zip(spans, texts, strict=True)):
        part = None if logprobs is None else {name: values[start:end] for name, values in logprobs.items()}
        last = number == len(spans) - 1
        pieces.append(
            {
                "text": text,
                "index": choice["index"],
                "logprobs": part,
                "finish_reason": choice["finish_reason"] if last else None,
            }
        )
    return pieces


@st.composite
def streams(draw: st.DrawFn, *, n: int = 1, include_usage: bool = False, logprobs: bool | None = None) -> str:
    """Valid SSE captures of a streamed completion: `data:` events, choices interleaved, `data: [DONE]` last.

    With `include_usage`, every chunk carries `usage: null` and an include_usage chunk
    (`choices: []`) comes just before `[DONE]`, as the spec describes for `stream_options`.
    """
    response = draw(completions(n=n, logprobs=logprobs, usage=include_usage, forbid_unknown_fields=True))
    queues = [_pieces(choice, draw) for choice in response["choices"]]
    head: dict[str, Any] = {
        key: response[key] for key in ("id", "object", "created", "model", "system_fingerprint") if key in response
    }
    chunks: list[dict[str, Any]] = []
    while any(queues):
        waiting = [number for number, queue in enumerate(queues) if queue]
        chosen = draw(st.sampled_from(waiting))
        chunk: dict[str, Any] = {**head, "choices": [queues[chosen].pop(0)]}
        if include_usage:
            chunk["usage"] = None
        chunks.append(chunk)
    if include_usage:
        chunks.append({**head, "choices": [], "usage": response["usage"]})
    separator = draw(st.sampled_from(["\n\n", "\r\n\r\n"]))
    return (
        "".join(f"data: {json.dumps(chunk, ensure_ascii=False)}{separator}" for chunk in chunks)
        + f"data: [DONE]{separator}"
    )


FaultKind = Literal[
    "required",
    "type",
    "enum",
    "usage-total",
    "usage-negative",
    "usage-details",
    "choice-index-unique",
    "logprobs-lengths",
    "logprob-positive",
    "text-offset-order",
    "created-plausible",
    "id-empty",
    "logprobs-tokens-text",
    "text-offset-token",
    "top-logprob-chosen",
    "usage-zero",
]
FAULTS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]


def faulty_completions(*, fault: str | None = None) -> st.SearchStrategy[tuple[dict[str, Any], Fault]]:
    """Responses with exactly one fault, each with the `Fault` the validator will report (spec as written).

    `fault` picks the kind (one of `FAULTS`: a schema keyword or a rule id); by default any.
    """
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
    return _faulty(fault)


@st.composite
def _faulty(draw: st.DrawFn, fault: str | None) -> tuple[dict[str, Any], Fault]:
    kind = fault if fault is not None else draw(st.sampled_from(FAULTS))
    needs_two = kind == "choice-index-unique"
    needs_tokens = kind in (
        "logprobs-lengths",
        "logprob-positive",
        "text-offset-order",
        "logprobs-tokens-text",
        "text-offset-token",
        "top-logprob-chosen",
    )
    payload = draw(
        completions(
            forbid_unknown_fields=True,
            n=2 if needs_two else draw(st.integers(1, 3)),
            logprobs=True if needs_tokens else False if kind == "usage-zero" else None,
            usage=True if kind.startswith("usage") or kind == "required" else None,
        )
    )
    return payload, _plant(kind, payload, draw)


def _plant(kind: str, payload: dict[str, Any], draw: st.DrawFn) -> Fault:
    choice = payload["choices"][0]
    if kind == "required":
        facts = _schema_facts()["required"]
        where = draw(
            st.sampled_from(
                [("", "completion.schema.json"), ("choices/0", "choice.schema.json"), ("usage", "usage.schema.json")]
            )
        )
        name = draw(st.sampled_from(facts[where[1]]))
        parent = payload if not where[0] else (choice if where[0] == "choices/0" else payload["usage"])
        del parent[name]
        path: InstancePath = (*_parts(where[0]), name)
        return Fault(kind, "required", path)
    if kind == "type":
        target, value = draw(
            st.sampled_from(
                [
                    (("created",), "1698216442"),
                    (("model",), 7),
                    (("choices", 0, "index"), "0"),
                    (("choices", 0, "text"), None),
                    (("usage", "prompt_tokens"), 1.5),
                ]
            )
        )
        if target[0] == "usage" and "usage" not in payload:
            target = ("model",)
            value = 7
        _set(payload, target, value)
        return Fault(kind, "type", target)
    if kind == "enum":
        target = draw(st.sampled_from([("object",), ("choices", 0, "finish_reason")]))
        _set(payload, target, draw(st.sampled_from(["eos_token", "text_completion.chunk", "STOP", ""])))
        return Fault(kind, "enum", target)
    usage = payload.get("usage") or {}
    if kind == "usage-total":
        usage["total_tokens"] += draw(st.integers(1, 9))
        return Fault(kind, kind, ("usage", "total_tokens"))
    if kind == "usage-negative":
        usage["prompt_tokens_details"] = {"cached_tokens": -draw(st.integers(1, 9))}
        return Fault(kind, kind, ("usage", "prompt_tokens_details", "cached_tokens"))
    if kind == "usage-details":
        usage["completion_tokens_details"] = {"reasoning_tokens": usage["completion_tokens"] + draw(st.integers(1, 9))}
        return Fault(kind, kind, ("usage", "completion_tokens_details", "reasoning_tokens"))
    if kind == "choice-index-unique":
        payload["choices"][1]["index"] = 0
        return Fault(kind, kind, ("choices", 1, "index"))
    if kind == "logprobs-lengths":
        logprobs = choice["logprobs"]
        logprobs["text_offset"] = [*logprobs["text_offset"], (logprobs["text_offset"] or [0])[-1] + 1]
        return Fault(kind, kind, ("choices", 0, "logprobs", "text_offset"))
    if kind == "logprob-positive":
        logprobs = choice["logprobs"]
        logprobs["text_offset"] = [*logprobs["text_offset"], _next_offset(logprobs)]
        logprobs["tokens"], logprobs["token_logprobs"] = [*logprobs["tokens"], "x"], [*logprobs["token_logprobs"], 0.5]
        logprobs["top_logprobs"] = [*logprobs["top_logprobs"], {"y": -0.1}]
        choice["text"] += "x"
        return Fault(kind, kind, ("choices", 0, "logprobs", "token_logprobs", len(logprobs["tokens"]) - 1))
    if kind == "text-offset-order":
        logprobs = choice["logprobs"]
        offsets = logprobs["text_offset"]
        if len(offsets) < 2:  # make two positions so that the second can come before the first
            logprobs["tokens"], logprobs["token_logprobs"] = ["a", "b"], [-0.5, -0.5]
            logprobs["top_logprobs"], offsets = [{"a": -0.5}, {"b": -0.5}], [5, 6]
            choice["text"] = "ab"
        offsets[-1] = offsets[-2] - 1
        logprobs["text_offset"] = offsets
        del logprobs["tokens"]  # with tokens, an offset out of order is also one not at its token (text-offset-token)
        return Fault(kind, kind, ("choices", 0, "logprobs", "text_offset", len(offsets) - 1), "warning")
    if kind in ("logprobs-tokens-text", "text-offset-token", "top-logprob-chosen"):
        return _plant_untruth(kind, choice)
    if kind == "usage-zero":
        payload["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        choice["text"] = choice["text"] or "Hello"
        return Fault(kind, kind, ("usage",))
    if kind == "created-plausible":
        payload["created"] *= 1000
        return Fault(kind, kind, ("created",), "warning")
    payload["id"] = ""
    return Fault(kind, "id-empty", ("id",), "warning")


def _next_offset(logprobs: dict[str, Any]) -> int:
    """Where a token added after the last one starts: the last offset plus the last token's length."""
    if not logprobs["tokens"]:
        return 0
    return int(logprobs["text_offset"][-1]) + len(logprobs["tokens"][-1])


def _plant_untruth(kind: str, choice: dict[str, Any]) -> Fault:
    """Logprobs that lie about the text: a token it lacks, an offset not at its token, two values for one token."""
    logprobs = choice["logprobs"]
    after = _next_offset(logprobs)
    logprobs["text_offset"] = [*logprobs["text_offset"], after, after + 1]
    logprobs["tokens"] = [*logprobs["tokens"], "!", "?"]
    logprobs["token_logprobs"] = [*logprobs["token_logprobs"], -0.25, -0.5]
    logprobs["top_logprobs"] = [*logprobs["top_logprobs"], {"!": -0.25}, {"?": -0.5}]
    choice["text"] += "!?"
    where = ("choices", 0, "logprobs")
    count = len(logprobs["tokens"])
    if kind == "logprobs-tokens-text":
        choice["text"] = choice["text"][:-1] + "."  # the last token is "?" where the text says "."
        return Fault(kind, kind, (*where, "tokens", count - 1))
    if kind == "text-offset-token":
        logprobs["text_offset"][-1] += 1000  # no way of counting makes "!" a thousand long
        return Fault(kind, kind, (*where, "text_offset", count - 1))
    logprobs["top_logprobs"][-1]["?"] = -2.0
    return Fault(kind, kind, (*where, "top_logprobs", count - 1, "?"))


def _parts(path: str) -> InstancePath:
    return tuple(int(part) if part.isdigit() else part for part in path.split("/") if part)


def _set(payload: dict[str, Any], path: InstancePath, value: object) -> None:
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
