"""The compiled explainer gives the reference engine's records exactly: same records, same order.

jsonschema (no judge, `--engine reference`) is the definition. For every example document,
every hostile value and thousands of mutated generated documents, in every profile (and for
stream chunks), `check` with the compiled explainer and the rule screen must return the very
same list as jsonschema with every rule run, and where a document was parsed from text by the
fast reader, the same list again.
"""

from __future__ import annotations

import copy
import enum
import json
import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completion_validator._api import check_value
from completion_validator._check import check
from completion_validator._examine import examine
from completion_validator._fastpath import Exact
from completion_validator._fastpath._explain import compiled_explainer
from completion_validator._fastpath._judge import is_exact, judge
from completion_validator._jsontext import JsonSyntaxError, parse_json
from completion_validator._settings import Settings
from completion_validator.chat_strategies import chat_completions
from completion_validator.errors import Finding
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.hostile.inputs import VALID
from tests.hostile.test_text import TEXT_CASES, YAML_CASES
from tests.strategies import completions

PROFILES = {
    "strict": Settings(),
    "lenient": Settings(lenient=True),
    "forbid": Settings(forbid_unknown_fields=True),
    "lenient-forbid": Settings(lenient=True, forbid_unknown_fields=True),
}
DOCUMENTS = sorted(path for path in (REPO / "tests/examples").glob("**/*.json") if "malformed" not in path.parts)


def records(found: list[Finding]) -> list[str]:
    """Findings compared by their reprs: stricter than `==` (1 vs 1.0, True vs 1) and defined for stand-ins."""
    return [repr(finding) for finding in found]


def assert_same_records(payload: object, settings: Settings, *, chunk: bool = False) -> None:
    """Both engines, and the parsed-from-text path where the payload is JSON, agree exactly."""
    reference = records(check(payload, settings, None, chunk=chunk))
    assert records(check(payload, settings, judge(settings, chunk=chunk), chunk=chunk)) == reference
    if not chunk:  # the API's own path for values (a clean one vouched for, the rest from a JSON copy)
        assert records(check_value(payload, settings)) == reference
    try:
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return  # not JSON: no text to parse
    try:
        parsed = parse_json(text)  # the text may say less than the value did (a tuple is written as a list)
    except JsonSyntaxError:
        with pytest.raises(orjson.JSONDecodeError):  # then the fast reader must not read it either
            orjson.loads(text)
        return
    expected = records(check(parsed, settings, None, chunk=chunk))
    raw = text.encode()
    value = orjson.loads(raw)
    fast = judge(settings, chunk=chunk)
    assert fast is not None
    if is_exact(raw, value, orjson.dumps):  # what the fast reader checks before it hands a value on
        assert records(check(value, settings, fast, chunk=chunk, from_json_text=True)) == expected
    if chunk:
        read = fast.read_chunk(text)
        verdict = None if read is None else read[1]
    else:
        verdict = fast.text(raw)
    if type(verdict) is Exact:  # what the judge learned (the schema passes) is used, not asked again
        learned = verdict.schema_valid
        found = check(verdict.value, settings, fast, chunk=chunk, from_json_text=True, schema_valid=learned)
        assert records(found) == expected


def uses_the_compiled_explainer(payload: object, settings: Settings, *, chunk: bool = False) -> bool:
    explain = compiled_explainer(settings.profile(stream=chunk))
    assert explain is not None, "jsonschema-rs is a test dependency"
    return examine(payload).view is payload and explain(payload) is not None


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO / "tests/examples")))
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_example_document_gets_the_same_records(path: Path, name: str) -> None:
    payload = parse_json(path.read_text(encoding="utf-8"))
    assert_same_records(payload, PROFILES[name])
    assert_same_records(payload, PROFILES[name], chunk=True)
    assert uses_the_compiled_explainer(payload, PROFILES[name]), "a document of ours fell back to jsonschema"


class Reason(enum.StrEnum):
    STOP = "stop"


class Count(enum.IntEnum):
    ONE = 1


def _hostile() -> dict[str, Any]:
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    shared: list[Any] = [1, "a"]
    diamond: list[Any] = [0.5]
    for _ in range(6):  # 64 leaves written out, 7 lists in memory
        diamond = [diamond, diamond]
    deep: list[Any] = []
    node = deep
    for _ in range(100):
        node.append([])
        node = node[0]
    return {
        "nan": math.nan,
        "infinity": -math.inf,
        "+infinity": math.inf,
        "shared": {"a": shared, "b": shared, "c": [shared, shared]},
        "diamond": diamond,  # a log-probability of +inf: the reference's rules once saw it as above 0
        "tuple": ("a", "b"),
        "bytes": b"x",
        "cycle": cycle,
        "deep": deep,
        "huge": 10**5000,
        "int-key": {1: "one"},
        "set": {"a"},
        "surrogate": "\ud800",
        "str-subclass": type("Text", (str,), {})("x"),
        "object": object(),
        "empty-key": {"": None, "a": {"": "x"}},
        "str-enum": Reason.STOP,
        "int-enum": Count.ONE,
        "float-subclass": type("Real", (float,), {})(0.5),
    }


@pytest.mark.parametrize(("label", "value"), list(_hostile().items()), ids=list(_hostile()))
@pytest.mark.parametrize("where", ["model", "vendor", "usage/prompt_tokens", "choices/0/logprobs"])
def test_hostile_values_get_the_same_records(label: str, value: object, where: str) -> None:
    payload = copy.deepcopy(VALID)  # a shallow copy would plant the value in VALID itself, for every later test
    *parents, last = where.split("/")
    target: Any = payload
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    for settings_ in PROFILES.values():
        assert_same_records(payload, settings_)


# A mutation: a value replaced, a member removed or added, anywhere in a valid document (one to three).
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.integers(),
    st.floats(),  # NaN and the infinities too: not JSON, one `not-json` finding in both engines
    st.sampled_from(["", "stop", "length", "eos_token", "text_completion", "text_completion.chunk", ":", "0"]),
    st.text(max_size=4),
    st.lists(st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=2)), max_size=3),
    st.dictionaries(st.sampled_from(["a", ":", "text", "index", "tokens"]), st.integers(-2, 2), max_size=2),
)
NAMES = st.sampled_from(
    ["id", "object", "created", "model", "choices", "usage", "text", "index", "logprobs", "finish_reason",
     "tokens", "top_logprobs", "text_offset", "token_logprobs", "prompt_tokens", "total_tokens",
     "completion_tokens_details", "vendor", ""]
)  # fmt: skip


def _paths(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [where]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*where, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*where, index)))
    return found


def mutate(data: st.DataObject, document: dict[str, Any], names: st.SearchStrategy[str] = NAMES) -> Any:
    """`document` with one change drawn by hypothesis (the document itself may be replaced)."""
    path = data.draw(st.sampled_from(_paths(document)), label="path")
    if not path:
        return data.draw(ODD_VALUES) if data.draw(st.booleans()) else document
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    action = data.draw(st.sampled_from(["replace", "remove", "add"]), label="action")
    if action == "replace":
        parent[key] = data.draw(ODD_VALUES, label="value")
    elif action == "remove":
        del parent[key]
    elif isinstance(parent[key], dict):
        parent[key][data.draw(names, label="name")] = data.draw(ODD_VALUES, label="value")
    elif isinstance(parent[key], list):
        parent[key].append(data.draw(ODD_VALUES, label="value"))
    return document


def _mutations(examples: int) -> Any:
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=completions(), data=st.data(), name=st.sampled_from(sorted(PROFILES)), chunk=st.booleans())
    def run(document: dict[str, Any], data: st.DataObject, name: str, chunk: bool) -> None:
        mutated: Any = document
        for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
            if isinstance(mutated, dict):  # a schema error and a rule's finding together, too
                mutated = mutate(data, mutated)
        assert_same_records(mutated, PROFILES[name], chunk=chunk)

    return run


test_single_mutations_get_the_same_records = _mutations(300)
test_ten_thousand_mutations_get_the_same_records = pytest.mark.slow(_mutations(10_000))

CHAT_PROFILES = {name: profile._replace(response_type="chat") for name, profile in PROFILES.items()}
# Values and member names that reach chat's rules and its compiled twin: finish reasons that need
# a call, arguments that are (not) JSON text, members that say something.
CHAT_VALUES = st.one_of(
    ODD_VALUES,
    st.sampled_from(["tool_calls", "function_call", "assistant", "function", "custom", "{", "{}", '{"a": [1]}']),
    st.just("\ufffd"),
    st.lists(st.integers(-1, 256), max_size=3),
)
CHAT_NAMES = st.sampled_from(
    ["message", "content", "refusal", "tool_calls", "function_call", "audio", "arguments", "function", "custom",
     "type", "token", "bytes", "logprob", "top_logprobs", "finish_reason", "index", "usage", "vendor"]
)  # fmt: skip


def _chat_mutations(examples: int) -> Any:
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=chat_completions(), data=st.data(), name=st.sampled_from(sorted(CHAT_PROFILES)))
    def run(document: dict[str, Any], data: st.DataObject, name: str) -> None:
        mutated: Any = document
        for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
            if isinstance(mutated, dict):
                path = data.draw(st.sampled_from(_paths(mutated)), label="path")
                if path and data.draw(st.booleans(), label="chat value"):  # a chat value at a drawn place
                    parent: Any = mutated
                    for part in path[:-1]:
                        parent = parent[part]
                    parent[path[-1]] = data.draw(CHAT_VALUES, label="value")
                else:
                    mutated = mutate(data, mutated, CHAT_NAMES)
        assert_same_records(mutated, CHAT_PROFILES[name])
        assert_same_records(mutated, CHAT_PROFILES[name], chunk=True)

    return run


test_chat_mutations_get_the_same_records = _chat_mutations(300)
test_ten_thousand_chat_mutations_get_the_same_records = pytest.mark.slow(_chat_mutations(10_000))


def _text(old: str, new: str) -> bytes:
    text = json.dumps(VALID, indent=2, ensure_ascii=False)
    assert old in text
    return text.replace(old, new, 1).encode()


# What the fast reader must read exactly or hand to the strict parser: numbers orjson reads
# differently, escapes, duplicate keys hidden behind colons, empty keys; written as files.
EXACTNESS_TEXTS = {
    "int-beyond-64-bits": _text('"created": 1589478378', '"created": 123456789012345678901234'),
    "int-beyond-64-bits-vendor": _text('"created": 1589478378', '"created": 1589478378, "x": -99999999999999999999'),
    "int-at-64-bits": _text('"created": 1589478378', '"created": 18446744073709551615'),
    "float-exponent-index": _text('"index": 0', '"index": 1E2'),
    "float-zero-index": _text('"index": 0', '"index": 0.0'),
    "negative-zero": _text('"index": 0', '"index": -0'),
    "long-fraction": _text('"created": 1589478378', '"created": 0.1000000000000000055511151231257827'),
    "escaped-colon-duplicate": _text('"model": "', '"id": "a\\u003a", "model": "'),
    "escaped-key": _text('"model"', '"mod\\u0065l"'),
    "escaped-key-duplicate": _text('"model": "', '"mod\\u0065l": 1, "model": "'),
    "colon-strings-duplicate": _text('"model": "', '"id": ":\\":", "model": ": "'),
    "empty-key": _text('"model": "', '"": null, "model": "'),
    "null-fingerprint": _text('"created": 1589478378', '"created": 1589478378, "system_fingerprint": null'),
    "utf8-text": _text('"cmpl-', '"é東京😀-'),
    "deep-vendor-300": _text('"created": 1589478378', '"created": 1589478378, "x": ' + "[" * 300 + "]" * 300),
    "deep-vendor-900": _text('"created": 1589478378', '"created": 1589478378, "x": ' + "[" * 900 + "]" * 900),
}


HOSTILE_TEXTS = {
    **{f"{name}.{suffix}": data for name, data in EXACTNESS_TEXTS.items() for suffix in ("json", "jsonl")},
    **{f"{name}.{case[0]}": case[1] for name, case in TEXT_CASES.items()},
    **{f"{name}.yaml": case[0] for name, case in YAML_CASES.items()},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_hostile_texts_get_the_same_output_from_both_engines(tmp_path: Path, name: str) -> None:
    data = HOSTILE_TEXTS[name]
    path = tmp_path / name
    path.write_bytes(data.replace(b"\n", b"") if name.endswith(".jsonl") else data)  # indented: one line
    fast = cli("--format", "json", str(path))
    reference = cli("--format", "json", "--engine", "reference", str(path))
    assert (fast.returncode, fast.stdout) == (reference.returncode, reference.stdout)


_CHUNK = (
    '{"id":"cmpl-8DRx","object":"text_completion","created":1698216442,'
    '"choices":[{"text":" is","index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct"}'
)
# Chunks a real capture may hold, each one way or another outside what the fast reader takes as is.
CHUNK_TEXTS = {
    "clean": _CHUNK,
    "tgi-empty-finish-reason": _CHUNK.replace('"finish_reason":null', '"finish_reason":""'),
    "null-fingerprint": _CHUNK.replace('"model"', '"system_fingerprint":null,"model"'),
    "int-beyond-64-bits": _CHUNK.replace("1698216442", "123456789012345678901234"),
    "int-beyond-64-bits-vendor": _CHUNK.replace('"model"', '"x":-99999999999999999999,"model"'),
    # orjson reads these as floats, where 12345678901234567890 + 1 == 12345678901234567890
    "usage-off-by-one-beyond-64-bits": _CHUNK.replace(
        '"model"',
        '"usage":{"prompt_tokens":12345678901234567890,"completion_tokens":1,"total_tokens":12345678901234567890},'
        '"model"',
    ),
    "escaped-key-duplicate": _CHUNK.replace('"model"', '"mod\\u0065l":"x","model"'),
    "escaped-colon": _CHUNK.replace('" is"', '"a\\u003a"').replace('"model"', '"id":"y","model"'),
    "deep-vendor": _CHUNK.replace('"model"', '"x":' + "[" * 300 + "]" * 300 + ',"model"'),
    "wrong-type-deep": _CHUNK.replace('"model":"gpt-3.5-turbo-instruct"', '"model":' + "[" * 80 + "]" * 80),
}


@pytest.mark.parametrize("name", sorted(CHUNK_TEXTS))
def test_stream_chunks_get_the_same_output_from_both_engines(tmp_path: Path, name: str) -> None:
    chunks = [_CHUNK, CHUNK_TEXTS[name], _CHUNK.replace('"finish_reason":null', '"finish_reason":"stop"')]
    path = tmp_path / "capture.sse"
    path.write_text("".join(f"data: {chunk}\n\n" for chunk in chunks) + "data: [DONE]\n\n")
    fast = cli("--format", "json", str(path))
    reference = cli("--format", "json", "--engine", "reference", str(path))
    assert (fast.returncode, fast.stdout) == (reference.returncode, reference.stdout)
