"""Cross-field rules: what the spec says in prose, or plain arithmetic, that JSON Schema cannot express.

Each rule is a small function named after what it checks, registered with a stable id and a
severity; the first line of its docstring is its rationale, shown by `--list-rules`. A rule
yields `FieldError`s at the offending pointer with `keyword` = its id. Rules run after the
schema and must tolerate payloads the schema rejected: they skip values of the wrong type.
They are written to cost little on valid payloads (builtins over whole lists, no per-item
Python work unless something is wrong).
"""

from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from completion_validator.errors import FieldError, InstancePath, Severity, display_value

Check = Callable[[Mapping[str, Any]], Iterator[FieldError]]

# 2015-01-01T00:00:00Z: nothing served an OpenAI-style completion before then.
EARLIEST_CREATED = 1_420_070_400
MILLISECONDS_THRESHOLD = 100_000_000_000  # a Unix time in seconds stays below this until the year 5138
ONE_DAY = 86_400


@dataclass(frozen=True)
class Rule:
    """A registered rule: its id, its severity, whether it applies to single stream chunks, its check."""

    id: str
    severity: Severity
    check: Check
    whole_response_only: bool = False

    @property
    def rationale(self) -> str:
        """The first line of the check's docstring."""
        return (self.check.__doc__ or "").strip().splitlines()[0]

    def run(self, payload: Mapping[str, Any]) -> Iterator[FieldError]:
        """The rule's findings, with its id and severity on each."""
        for finding in self.check(payload):
            yield FieldError(
                finding.instance_path, self.id, finding.message, finding.expected, finding.actual, None, self.severity
            )


RULES: dict[str, Rule] = {}

# Rules about a stream as a whole, checked in streams.py; listed here with their severity and
# rationale so that selecting and listing rules needs no stream code.
STREAM_RULES: dict[str, tuple[Severity, str]] = {
    "stream-terminator": ("error", "A stream ends with `data: [DONE]`; without it the capture is truncated."),
    "stream-after-done": ("error", "Nothing may follow `data: [DONE]`."),
    "stream-chunk-json": ("error", "Every data payload other than [DONE] is a JSON object."),
    "stream-error-event": ("error", 'An `{"error": ...}` event is the server reporting a failure mid-stream.'),
    "stream-unterminated-event": (
        "warning",
        "The last event has no blank line after it; SSE clients (openai-python too) drop such an event.",
    ),
    "stream-usage-last": ("error", "The include_usage chunk (usage set, choices: []) comes last, just before [DONE]."),
    "stream-usage-placement": (
        "warning",
        "Only the include_usage chunk carries usage; every other chunk has usage null or absent.",
    ),
    "stream-finish-reason": (
        "error",
        "Each choice index gets a non-null finish_reason, and no different one later "
        "(OpenAI repeats the same one in a last, empty chunk).",
    ),
    "stream-text-after-finish": ("error", "No text for a choice follows the chunk that finished it."),
    "stream-consistent": ("error", "id and model are the same on every chunk of one stream."),
    "stream-created-changed": ("warning", "created is expected to be the same on every chunk."),
}


def rule(rule_id: str, severity: Severity, *, whole_response_only: bool = False) -> Callable[[Check], Check]:
    """Register a check under `rule_id`."""

    def register(check: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, severity, check, whole_response_only)
        return check

    return register


class UnknownRule(ValueError):
    """A rule id in `select` or `ignore` that matches no rule."""


def select_rules(select: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> frozenset[str]:
    """The rule ids to run: `select` (ids or id prefixes such as `usage`; default all) minus `ignore`."""
    known = sorted({*RULES, *STREAM_RULES})

    def expand(names: Iterable[str]) -> set[str]:
        chosen: set[str] = set()
        for name in names:
            matches = {rule_id for rule_id in known if rule_id == name or rule_id.startswith(name + "-")}
            if not matches:
                raise UnknownRule(f"unknown rule {name!r}; known rules: {', '.join(known)}")
            chosen |= matches
        return chosen

    chosen = expand(select) if select is not None else set(known)
    return frozenset(chosen - expand(ignore))


def run_rules(payload: object, selected: frozenset[str], *, chunk: bool = False) -> Iterator[FieldError]:
    """Every finding of the selected rules on `payload` (a stream chunk skips whole-response rules)."""
    if not isinstance(payload, Mapping):
        return
    for rule_id, registered in RULES.items():
        if rule_id in selected and not (chunk and registered.whole_response_only):
            yield from registered.run(payload)


def _finding(path: InstancePath, message: str, expected: str | None = None, actual: object = None) -> FieldError:
    # keyword and severity are set by Rule.run
    return FieldError(path, "", message, expected, actual)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


def _usage(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    usage = payload.get("usage")
    return usage if isinstance(usage, Mapping) else None


def _choices(payload: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    choices = payload.get("choices")
    if not isinstance(choices, list):
        return []
    return [(position, choice) for position, choice in enumerate(choices) if isinstance(choice, Mapping)]


def _logprobs(payload: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for position, choice in _choices(payload):
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, Mapping):
            yield position, logprobs


@rule("usage-total", "error")
def usage_total(payload: Mapping[str, Any]) -> Iterator[FieldError]:
    """usage.total_tokens must equal prompt_tokens + completion_tokens, as the spec defines it."""
    usage = _usage(payload)
    if usage is None:
        return
    prompt, completion, total = (
        _int(usage.get(name)) for name in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    if prompt is None or completion is None or total is None or total == prompt + completion:
        return
    yield _finding(
        ("usage", "total_tokens"),
        f"total_tokens is {total}, but prompt_tokens + completion_tokens is "
        f"{prompt} + {completion} = {prompt + completion}",
        str(prompt + completion),
        usage.get("total_tokens"),
    )


@rule("usage-negative", "error")
def usage_negative(payload: Mapping[str, Any]) -> Iterator[FieldError]:
    """Token counts cannot be negative."""
    usage = _usage(payload)
    if usage is None:
        return
    for name, value in usage.items():
        count = _int(value)
        if count is not None and count < 0:
            yield _finding(("usage", name), f"{name} is {count}; token counts cannot be negative", ">= 0", value)
        if name.endswith("_tokens_details") and isinstance(value, Mapping):
            for detail, detail_value in value.items():
                count = _int(detail_value)
                if count is not None and count < 0:
                    yield _finding(
                        ("usage", name, detail),
                        f"{detail} is {count}; token counts cannot be negative",
                        ">= 0",
                        detail_value,
                    )


@rule("usage-details", "error")
def usage_details(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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
            if count is not None and count > total:
                yield _finding(
                    ("usage", details_name, name),
                    f"{name} is {count}, more than {total_name} ({total})",
                    f"<= {total}",
                    value,
                )


@rule("choice-index-unique", "error")
def choice_index_unique(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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


@rule("choice-index-sequence", "warning", whole_response_only=True)
def choice_index_sequence(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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


_LOGPROB_ARRAYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")


@rule("logprobs-lengths", "error")
def logprobs_lengths(payload: Mapping[str, Any]) -> Iterator[FieldError]:
    """tokens, token_logprobs, top_logprobs and text_offset describe the same positions: equal lengths when present."""
    for position, logprobs in _logprobs(payload):
        lengths = {name: len(logprobs[name]) for name in _LOGPROB_ARRAYS if isinstance(logprobs.get(name), list)}
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


@rule("logprob-positive", "error")
def logprob_positive(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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
                    if _is_positive(value):
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
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


@rule("text-offset-order", "warning")
def text_offset_order(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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


@rule("created-plausible", "warning")
def created_plausible(payload: Mapping[str, Any]) -> Iterator[FieldError]:
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


@rule("id-empty", "warning")
def id_empty(payload: Mapping[str, Any]) -> Iterator[FieldError]:
    """An empty id identifies nothing (TGI sends one); the spec calls it a unique identifier."""
    if payload.get("id") == "":
        yield _finding(("id",), "id is empty; it should identify the completion", "a non-empty string", "")


# --- The screen: a fast, conservative twin of the rules above --------------------------------
#
# Running every rule costs ~10 µs on a small payload and ~1 ms on a 2,048-token one, more than
# parsing it. The fast path (fastpath.py) first has jsonschema-rs check the schema plus the
# rules that are plain bounds (log-probabilities <= 0, token counts >= 0), then asks
# `passes_screen` about the relational ones, in straight-line code over builtins. It says True
# only when certainly no rule would report anything; anything unusual (an unexpected type, a
# null, a float count) gets False and the rules themselves run. A test holds the pair to that.


def passes_screen(payload: dict[str, Any], *, chunk: bool = False) -> bool:
    """True only if no rule would report anything for `payload`, given the bounds were checked already."""
    created = payload.get("created")
    if type(created) is not int or not EARLIEST_CREATED <= created <= time.time() + ONE_DAY:
        return False
    if payload.get("id") == "":
        return False
    usage = payload.get("usage")
    if usage is not None and not _usage_passes(usage):
        return False
    choices = payload.get("choices")
    if type(choices) is not list:
        return False
    if len(choices) == 1:  # the common case, in straight lines
        choice = choices[0]
        if type(choice) is not dict or type(choice.get("index")) is not int or (not chunk and choice["index"] != 0):
            return False
        logprobs = choice.get("logprobs")
        return logprobs is None or _logprobs_pass(logprobs)
    if not choices:
        return True
    if set(map(type, choices)) != {dict}:
        return False
    indexes = [choice.get("index") for choice in choices]
    if set(map(type, indexes)) != {int}:
        return False
    if len(set(indexes)) != len(indexes) or (not chunk and sorted(indexes) != list(range(len(indexes)))):
        return False
    return all(choice.get("logprobs") is None or _logprobs_pass(choice["logprobs"]) for choice in choices)


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
    present = [array for array in map(logprobs.get, _LOGPROB_ARRAYS) if array is not None]
    if not all(type(array) is list for array in present) or len(set(map(len, present))) > 1:
        return False
    text_offset = logprobs.get("text_offset")
    try:
        # Non-decreasing offsets pass whatever their types; the rule only fires on decreasing ints.
        return not text_offset or all(map(operator.le, text_offset, itertools.islice(text_offset, 1, None)))
    except TypeError:
        return False
