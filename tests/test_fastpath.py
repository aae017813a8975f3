"""The fast path never changes a result: wherever it says "clean", the reference engine finds nothing.

It may say "not clean" for a document that turns out fine (the reference path then runs);
it must never say "clean" for one with any error, warning or duplicate key.
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator import is_valid_json
from completion_validator._api import check_value
from completion_validator._check import check
from completion_validator._fastpath import CLEAN, Judged
from completion_validator._fastpath._judge import judge
from completion_validator._fastpath._keys import has_no_duplicate_keys
from completion_validator._jsontext import parse_json
from completion_validator._settings import Settings
from completion_validator.chat_strategies import chat_completions
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.strategies import completions

CHAT = Settings(response_type="chat")
# Each profile, as completions are read by default (auto) and as chat.
SETTINGS = {
    "strict": Settings(),
    "lenient": Settings(lenient=True),
    "forbid": Settings(forbid_unknown_fields=True),
    "no-rules": Settings(rules=False),
    "chat": CHAT,
    "chat-lenient": CHAT._replace(lenient=True),
    "chat-forbid": CHAT._replace(forbid_unknown_fields=True),
    "chat-no-rules": CHAT._replace(rules=False),
}
CORPUS = sorted((REPO / "tests/examples").glob("*/*.json"))


def _checker(settings: Settings) -> Callable[[bytes], bool]:
    fast = judge(settings)
    assert fast is not None, "orjson and jsonschema-rs are test dependencies"
    return lambda raw: fast.text(raw) is CLEAN


def _reference_finds_nothing(raw: bytes, settings: Settings) -> bool:
    try:
        payload = parse_json(raw.decode("utf-8"))
    except ValueError:
        return False
    return not check(payload, settings, None)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.name}")
@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_fast_path_calls_clean_only_what_the_reference_finds_clean(path: Path, settings: Settings) -> None:
    raw = path.read_bytes()
    if _checker(settings)(raw):
        assert _reference_finds_nothing(raw, settings)


def test_fast_path_does_take_the_plain_valid_corpus() -> None:
    plain = ["v01_openai_spec_example_nonstream", "v02_openai_spec_completion_object_example", "h01_logprobs_full"]
    assert all(_checker(Settings())((REPO / f"tests/examples/valid/{name}.json").read_bytes()) for name in plain)


# Each mutation plants exactly one problem the reference engine reports (schema, rule or warning).
MUTATIONS: dict[str, Callable[[dict[str, Any]], bool]] = {}


def mutation(function: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    MUTATIONS[function.__name__] = function
    return function


@mutation
def total_mismatch(payload: dict[str, Any]) -> bool:
    if "usage" not in payload:
        return False
    payload["usage"]["total_tokens"] += 1
    return True


@mutation
def negative_detail(payload: dict[str, Any]) -> bool:
    if "usage" not in payload:
        return False
    payload["usage"]["prompt_tokens_details"] = {"cached_tokens": -1}
    return True


@mutation
def vendor_negative_count(payload: dict[str, Any]) -> bool:
    if "usage" not in payload:
        return False
    payload["usage"]["cache_read_input_tokens"] = -5
    return True


@mutation
def positive_logprob(payload: dict[str, Any]) -> bool:
    for choice in payload["choices"]:
        if choice["logprobs"] and choice["logprobs"]["tokens"]:
            choice["logprobs"]["top_logprobs"][-1]["x"] = 0.5
            return True
    return False


@mutation
def unequal_lengths(payload: dict[str, Any]) -> bool:
    for choice in payload["choices"]:
        if choice["logprobs"] and choice["logprobs"]["tokens"]:
            choice["logprobs"]["tokens"].append("extra")
            return True
    return False


@mutation
def decreasing_offset(payload: dict[str, Any]) -> bool:
    for choice in payload["choices"]:
        if choice["logprobs"] and len(choice["logprobs"]["text_offset"]) > 1:
            choice["logprobs"]["text_offset"][-1] = choice["logprobs"]["text_offset"][-2] - 1
            return True
    return False


@mutation
def duplicate_index(payload: dict[str, Any]) -> bool:
    if len(payload["choices"]) < 2:
        return False
    payload["choices"][1]["index"] = payload["choices"][0]["index"]
    return True


@mutation
def created_in_milliseconds(payload: dict[str, Any]) -> bool:
    payload["created"] *= 1000
    return True


@mutation
def empty_id(payload: dict[str, Any]) -> bool:
    payload["id"] = ""
    return True


@mutation
def wrong_type(payload: dict[str, Any]) -> bool:
    payload["model"] = 7
    return True


@mutation
def null_fingerprint(payload: dict[str, Any]) -> bool:
    payload["system_fingerprint"] = None
    return True


@given(payload=completions(), name=st.sampled_from(sorted(MUTATIONS)), indent=st.sampled_from([None, 2]))
def test_a_planted_problem_is_never_called_clean(payload: dict[str, Any], name: str, indent: int | None) -> None:
    raw = json.dumps(payload, indent=indent).encode()
    assert _checker(Settings())(raw), "a generated valid payload should take the fast path"
    mutated = copy.deepcopy(payload)
    if not MUTATIONS[name](mutated):
        return
    raw = json.dumps(mutated, indent=indent).encode()
    assert not _reference_finds_nothing(raw, Settings())
    assert not _checker(Settings())(raw)


HEAD = '"object": "text_completion", "created": 1698216442, "model": "m"'
LOGPROBS = '"tokens": ["a"], "token_logprobs": [-1], "top_logprobs": [{"a": -1, "a": -2}], "text_offset": [0]'
USAGE = '"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "total_tokens": 2'


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "a", "id": "b", ' + HEAD + ', "choices": []}',
        '{"id": "a", ' + HEAD + ', "choices": [], "id" : "a"}',
        '{"id": "a\\":", ' + HEAD + ', "model" : "m", "choices": []}',
        '{"id": "x", '
        + HEAD
        + ', "choices": [{"text": "t", "index": 0, "finish_reason": "stop", "logprobs": {'
        + LOGPROBS
        + "}}]}",
        '{"id": "x", ' + HEAD + ', "choices": [], "usage": {' + USAGE + "}}",
        '{"id": "x", ' + HEAD + ', "choices": [], "vendor": {"a": {"b": 1, "b"\n: 2}}}',
        '{"id": ":x", ' + HEAD + ', "choices": [], "id": ":x"}',
    ],
    ids=[
        "top",
        "spaced-colon",
        "quote-colon-in-string",
        "inside-top-logprobs",
        "usage",
        "nested-vendor-newline",
        "colon-string",
    ],
)
def test_duplicate_keys_are_never_called_clean(text: str) -> None:
    assert not _checker(Settings())(text.encode())
    assert not is_valid_json(text)


# JSON text written member by member, so that keys can repeat: (key, value) pairs per object.
_PIECES = st.text(alphabet=':"\\{}[],aé日 \n', max_size=4)
_TEXTS = st.recursive(
    st.none() | st.integers() | _PIECES,
    lambda inner: st.lists(inner, max_size=3) | st.lists(st.tuples(_PIECES, inner), max_size=4),
    max_leaves=12,
)


def _string(value: str, ascii_only: bool, escape_colons: bool) -> str:
    written = json.dumps(value, ensure_ascii=ascii_only)
    return written.replace(":", "\\u003a") if escape_colons else written


def _write(node: Any, spacing: str, ascii_only: bool, escape: bool = False) -> tuple[str, bool]:
    """JSON text for a generated node (pair lists are objects) and whether any object repeats a key."""
    if isinstance(node, list) and node and all(isinstance(item, tuple) for item in node):
        parts, repeated = [], len({key for key, _ in node}) < len(node)
        for key, value in node:
            text, inner = _write(value, spacing, ascii_only, escape)
            repeated = repeated or inner
            parts.append(_string(key, ascii_only, escape) + spacing + ":" + spacing + text)
        return "{" + ",".join(parts) + "}", repeated
    if isinstance(node, list):
        written = [_write(item, spacing, ascii_only, escape) for item in node if not isinstance(item, tuple)]
        return "[" + ",".join(text for text, _ in written) + "]", any(inner for _, inner in written)
    if isinstance(node, str):
        return _string(node, ascii_only, escape), False
    return json.dumps(node), False


@given(_TEXTS, st.sampled_from(["", " ", "\n"]), st.booleans(), st.booleans(), st.booleans())
def test_colon_counts_tell_duplicates_exactly(
    node: Any, spacing: str, ascii_only: bool, escape_colons: bool, as_text: bool
) -> None:
    text, repeated = _write([("k", node)], spacing, ascii_only, escape_colons)
    parsed = orjson.loads(text)
    raw: bytes | str = text if as_text else text.encode()
    assert has_no_duplicate_keys(raw, parsed, orjson.dumps) is not repeated


def test_is_valid_json_matches_is_valid_for_text_bytes_and_bad_input() -> None:
    good = (REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_bytes()
    assert is_valid_json(good)
    assert is_valid_json(good.decode())
    assert is_valid_json((REPO / "tests/examples/valid/v18_tgi_single_prompt.json").read_bytes())  # a warning only
    assert not is_valid_json((REPO / "tests/examples/invalid/e03_tgi_eos_token.json").read_bytes())
    assert not is_valid_json(b"{")
    assert not is_valid_json(b"\xff")
    assert is_valid_json((REPO / "tests/examples/invalid/n01_vllm_nulls.json").read_bytes(), lenient=True)
    assert not is_valid_json("\ud800")  # a lone surrogate in a str: no UTF-8 text, and no exception
    assert not is_valid_json(good.decode().replace('"id": "', '"id": "\ud800', 1))


@pytest.mark.parametrize("folder", ["valid", "invalid", "streams/valid", "streams/invalid"])
def test_cli_output_is_the_same_with_the_reference_engine(folder: str) -> None:
    path = str(REPO / "tests/examples" / folder)
    fast = cli("--format", "json", path)
    reference = cli("--format", "json", "--engine", "reference", path)
    assert fast.stdout == reference.stdout
    assert fast.returncode == reference.returncode


def _jobs_runs(tmp_path: Path, copies: int, *extra: str) -> list[str]:
    lines = [p.read_bytes().replace(b"\n", b"") for p in CORPUS if p.parent.name != "malformed"]
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n".join(lines * copies) + b"\n{broken\n")  # every kind of line
    runs = [cli("--format", "json", "--jobs", jobs, *extra, str(log)).stdout for jobs in ("1", "2", "3")]
    assert json.loads(runs[0])["summary"]["documents"] == len(lines) * copies
    return runs


def test_cli_output_is_the_same_whatever_the_number_of_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("completion_validator._runner.SPAN_BYTES", 4096)  # many spans from a small file
    monkeypatch.setattr("completion_validator._runner.BATCH_LINES", 16)
    assert len(set(_jobs_runs(tmp_path, 3))) == 1


@pytest.mark.slow
def test_cli_output_is_the_same_whatever_the_number_of_jobs_on_a_long_log(tmp_path: Path) -> None:
    runs = _jobs_runs(tmp_path, 300)
    runs += _jobs_runs(tmp_path, 300, "--engine", "reference")[:1]
    assert len(set(runs)) == 1


WITHOUT_COMPILED = """
import sys
sys.modules["orjson"] = None  # makes `import orjson` raise ImportError, as on a platform without wheels
sys.modules["jsonschema_rs"] = None
from completion_validator.cli import main
sys.exit(main(sys.argv[1:]))
"""


WITHOUT_SCANNER = """
import sys
sys.modules["completion_validator._fastpath._scan"] = None  # a wheel built where no C compiler was found
from completion_validator.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("folder", ["valid", "invalid", "streams/invalid", "malformed"])
def test_without_the_compiled_scanner_the_results_are_the_same(folder: str) -> None:
    import subprocess
    import sys

    path = str(REPO / "tests/examples" / folder)
    without = subprocess.run(
        [sys.executable, "-c", WITHOUT_SCANNER, "--format", "json", path], capture_output=True, text=True, check=False
    )
    assert without.stderr == ""
    normal = cli("--format", "json", path)
    assert (without.stdout, without.returncode) == (normal.stdout, normal.returncode)
    version = subprocess.run(
        [sys.executable, "-c", WITHOUT_SCANNER, "--version"], capture_output=True, text=True, check=False
    )
    assert version.stdout.endswith("(fast path: orjson + jsonschema-rs)\n")
    assert "+ compiled scanner" in cli("--version").stdout


@pytest.mark.parametrize("folder", ["valid", "invalid", "streams/invalid"])
def test_without_the_compiled_libraries_the_results_are_the_same(folder: str) -> None:
    import subprocess
    import sys

    path = str(REPO / "tests/examples" / folder)
    fallback = subprocess.run(
        [sys.executable, "-c", WITHOUT_COMPILED, "--format", "json", path], capture_output=True, text=True, check=False
    )
    assert fallback.stderr == ""
    normal = cli("--format", "json", path)
    assert (fallback.stdout, fallback.returncode) == (normal.stdout, normal.returncode)
    version = subprocess.run(
        [sys.executable, "-c", WITHOUT_COMPILED, "--version"], capture_output=True, text=True, check=False
    )
    assert "fast path unavailable: jsonschema only (slower)" in version.stdout


TRUTH_EXAMPLES = ("x05_echo_start_token", "x06_text_offset_off_by_one", "x07_top_logprob_disagrees")


@pytest.mark.parametrize("name", TRUTH_EXAMPLES)
def test_tokens_that_lie_are_never_called_clean_though_the_scanner_finds_the_schema_clean(name: str) -> None:
    # The scanner says "clean but for the tokens" (Ellipsis) and the Python screen decides: these lie.
    raw = (REPO / "tests" / "examples" / "invalid" / f"{name}.json").read_bytes()
    fast = judge(Settings())
    assert fast is not None
    verdict = fast.text(raw)
    assert verdict is not CLEAN
    assert not is_valid_json(raw)
    chunk = judge(Settings(), chunk=True)
    assert chunk is not None
    read = chunk.read_chunk(raw.decode())
    if name != "x05_echo_start_token":  # whether tokens spell the text is for the assembled stream, not a chunk
        assert read is not None
        assert read[1] is not CLEAN


def test_true_tokens_are_clean_on_the_fast_path() -> None:
    raw = (REPO / "tests" / "examples" / "valid" / "h01_logprobs_full.json").read_bytes()
    fast = judge(Settings())
    assert fast is not None
    assert fast.text(raw) is CLEAN
    assert fast.text(raw.replace(b'"\\nThis is"', b'"\\nThis was"')) is not CLEAN


# --- chat: the same promise, through chat's screen and the scanner's chat roles -----------------


def test_the_chat_fast_path_takes_the_plain_valid_chat_corpus() -> None:
    fast = judge(CHAT)
    assert fast is not None
    for path in sorted((REPO / "tests/examples/valid").glob("c0*.json")):
        raw = path.read_bytes()
        if "not_json" not in path.name:  # a warning: not clean
            assert fast.text(raw) is CLEAN, path.name
            assert fast.value(orjson.loads(raw)) is CLEAN, path.name


def _chat_choices(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [choice for choice in payload["choices"] if isinstance(choice.get("message"), dict)]


def _chat_items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for choice in payload["choices"] if choice["logprobs"] for item in choice["logprobs"]["content"]]


def _calls(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [call for choice in _chat_choices(payload) for call in choice["message"].get("tool_calls") or []]


def _finish_tool_calls_without_calls(payload: dict[str, Any]) -> bool:
    choice = _chat_choices(payload)[0]
    choice["finish_reason"] = "tool_calls"
    choice["message"].pop("tool_calls", None)
    return True


def _stop_saying_nothing(payload: dict[str, Any]) -> bool:
    choice = _chat_choices(payload)[0]
    choice["finish_reason"] = "stop"
    choice["message"].update(content=None, refusal=None)
    choice["message"].pop("tool_calls", None)
    return True


def _arguments_not_json(payload: dict[str, Any]) -> bool:
    calls = _calls(payload)
    if calls:
        calls[-1]["function"]["arguments"] = '{"city": "Paris"'
    return bool(calls)


def _arguments_nan(payload: dict[str, Any]) -> bool:  # json.loads reads NaN; the scanner is not sure
    calls = _calls(payload)
    if calls:
        calls[0]["function"]["arguments"] = '{"x": NaN} x'
    return bool(calls)


def _function_missing(payload: dict[str, Any]) -> bool:  # `type: "function"` requires `function`
    calls = _calls(payload)
    if calls:
        del calls[0]["function"]
    return bool(calls)


def _bytes_disagree(payload: dict[str, Any]) -> bool:
    items = _chat_items(payload)
    if items:
        items[-1]["bytes"] = list((items[-1]["token"] + "x").encode())
    return bool(items)


def _alternative_bytes_disagree(payload: dict[str, Any]) -> bool:
    alternatives = [alternative for item in _chat_items(payload) for alternative in item["top_logprobs"]]
    if alternatives:
        alternatives[0]["bytes"] = list(("y" + alternatives[0]["token"]).encode())
    return bool(alternatives)


def _positive_logprob(payload: dict[str, Any]) -> bool:
    items = _chat_items(payload)
    if items:
        items[0]["logprob"] = 0.25
    return bool(items)


CHAT_MUTATIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    function.__name__.lstrip("_"): function
    for function in (
        _finish_tool_calls_without_calls,
        _stop_saying_nothing,
        _arguments_not_json,
        _arguments_nan,
        _function_missing,
        _bytes_disagree,
        _alternative_bytes_disagree,
        _positive_logprob,
        total_mismatch,
        empty_id,
        created_in_milliseconds,
        duplicate_index,
    )
}


@given(
    payload=chat_completions(),
    name=st.sampled_from(sorted(CHAT_MUTATIONS)),
    indent=st.sampled_from([None, 2]),
    ascii_only=st.booleans(),
)
def test_a_planted_chat_problem_is_never_called_clean(
    payload: dict[str, Any], name: str, indent: int | None, ascii_only: bool
) -> None:
    fast = judge(CHAT)
    assert fast is not None
    raw = json.dumps(payload, indent=indent, ensure_ascii=ascii_only).encode()
    assert fast.text(raw) is CLEAN, "a generated valid chat completion should take the fast path"
    assert fast.value(copy.deepcopy(payload)) is CLEAN
    mutated = copy.deepcopy(payload)
    if not CHAT_MUTATIONS[name](mutated):
        return
    raw = json.dumps(mutated, indent=indent, ensure_ascii=ascii_only).encode()
    assert not _reference_finds_nothing(raw, CHAT)
    assert fast.text(raw) is not CLEAN
    assert fast.value(mutated) is not CLEAN


TOOL_CALL = '{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}'


@pytest.mark.parametrize(
    ("call", "clean"),
    [
        (TOOL_CALL, True),
        ('{"id": "call_1", "type": "function"}', False),  # `type: "function"` requires `function`
        ('{"id": "call_1", "type": "\\u0066unction"}', False),  # the same, its discriminator escaped
        ('{"id": "call_1", "type": "\\u0066unction", "function": {"name": "f", "arguments": "{}"}}', None),
        ('{"id": "call_1", "type": "custom", "custom": {"name": "f", "input": "x"}}', True),
        ('{"id": "call_1", "type": "custom", "function": {"name": "f", "arguments": "{}"}}', False),
    ],
)
def test_a_tool_call_needs_what_its_type_names(call: str, clean: bool | None) -> None:
    raw = (REPO / "tests/examples/valid/c02_openai_tool_call.json").read_text(encoding="utf-8")
    document = json.loads(raw)
    document["choices"][0]["message"]["tool_calls"] = ["CALL"]
    text = json.dumps(document).replace('"CALL"', call).encode()
    fast = judge(CHAT)
    assert fast is not None
    assert _reference_finds_nothing(text, CHAT) is (clean is not False)
    if clean is not None:  # None: clean, though the scanner is not sure of an escaped discriminator
        assert (fast.text(text) is CLEAN) is clean
        assert (fast.value(orjson.loads(text)) is CLEAN) is clean


def test_a_log_of_both_types_gets_the_reference_output(tmp_path: Path) -> None:
    # Under `auto` each line is read first as the type the last one was: switching either way,
    # a chat line missing its `object`, a completion that names chat's, all as the reference says.
    chat = orjson.loads((REPO / "tests/examples/valid/c02_openai_tool_call.json").read_bytes())
    completion = orjson.loads((REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_bytes())
    chat_without_object = {key: value for key, value in chat.items() if key != "object"}
    lines = [
        completion,
        chat,
        chat,
        {**chat, "id": ""},
        chat_without_object,
        completion,
        {**completion, "object": "chat.completion"},
        {**chat, "object": "text_completion"},
        chat,
        {**completion, "system_fingerprint": None},
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    fast = cli("--format", "json", str(path))
    reference = cli("--format", "json", "--engine", "reference", str(path))
    assert (fast.returncode, fast.stdout) == (reference.returncode, reference.stdout)
    assert fast.returncode == 1


def _many_choices(count: int) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(
        (REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_bytes()
    )
    choice = document["choices"][0]
    document["choices"] = [{**choice, "index": index} for index in range(count)]
    document.pop("usage", None)
    return document


@pytest.mark.parametrize(
    ("change", "clean"),
    [
        (None, True),
        ("duplicate", False),  # choice-index-unique
        ("gap", False),  # choice-index-sequence (a warning)
        ("negative", False),
    ],
)
@pytest.mark.parametrize("count", [65, 1000])
def test_more_choices_than_a_mask_holds_stay_on_the_compiled_path(count: int, change: str | None, clean: bool) -> None:
    document = _many_choices(count)
    if change == "duplicate":
        document["choices"][-1]["index"] = 3
    elif change == "gap":
        document["choices"][count // 2]["index"] = count
    elif change == "negative":
        document["choices"][0]["index"] = -1
    raw = orjson.dumps(document)
    settings = Settings(response_type="completion")
    assert _reference_finds_nothing(raw, settings) is clean
    assert (_checker(settings)(raw)) is clean
    fast = judge(settings)
    assert fast is not None
    assert (fast.value(document) is CLEAN) is clean
    if clean:  # not the orjson path: the scanner itself vouches
        from completion_validator._fastpath._judge import scanner

        compiled = scanner(settings)
        assert compiled is not None
        assert compiled[0].judge(raw, 1.8e9) is True


@pytest.mark.parametrize("duplicate_at", [None, 5, 16, 17, 99])
def test_many_alternatives_stay_on_the_compiled_path_and_duplicates_are_found(duplicate_at: int | None) -> None:
    alternatives = ", ".join(f'"t{number}": -{number + 1}.5' for number in range(100))
    if duplicate_at is not None:
        alternatives += f', "t{duplicate_at}": -0.5'
    text = (
        '{"id": "x", "object": "text_completion", "created": 1735300000, "model": "m", "choices": [{"text": "t0",'
        ' "index": 0, "finish_reason": "stop", "logprobs": {"tokens": ["t0"], "token_logprobs": [-1.5],'
        f' "top_logprobs": [{{{alternatives}}}], "text_offset": [0]}}}}]}}'
    ).encode()
    settings = Settings(response_type="completion")
    assert _reference_finds_nothing(text, settings) is (duplicate_at is None)
    assert _checker(settings)(text) is (duplicate_at is None)


class _Count(enum.IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    ("path", "value", "judged"),
    [
        (("choices", 0, "finish_reason"), "eos_token", True),  # outside the enum: the scanner's records, as for text
        (("choices", 0, "index"), "0", True),
        (("model",), _Count.ONE, False),  # orjson writes an IntEnum as its int: the record must show the IntEnum
    ],
)
def test_an_invalid_value_gets_the_scanner_records_of_its_text_only_where_they_show_its_own_values(
    path: tuple[str | int, ...], value: object, judged: bool
) -> None:
    payload = json.loads((REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_text())
    parent: Any = payload
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    fast = judge(Settings())
    assert fast is not None
    assert (type(fast.value(payload)) is Judged) is judged
    found = check_value(payload, Settings())
    assert [repr(finding) for finding in found] == [repr(finding) for finding in check(payload, Settings(), None)]
    assert type(found[0].actual) is type(value)


class _Text(str):
    pass


def _nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ({"a": True, "b": None, "c": -0.0, "d": "é😀", "e": [1.5, -(2**63)], "f": {}}, 2),
        ({"a": (1,)}, 1),  # a tuple is written as a list: read back, not equal
        ({"a": float("nan")}, 1),  # written as null
        ({"a": float("-inf")}, 1),
        ({1: "a"}, 1),  # orjson refuses the key, but the count is still the count
        ({_Text("a"): 1}, 1),
        ({"a": _Text("b")}, 1),
        ({"a": _Count.ONE}, 1),  # written as 1
        ({"a": b"x"}, 1),
        (_nested(300), 1),  # past orjson's depth
        (_nested(10), 2),
        ([[0] * 10] * 10, 0),  # 111 values written out: over a limit of 100
    ],
    ids=[
        "json",
        "tuple",
        "nan",
        "infinity",
        "int-key",
        "str-subclass-key",
        "str-subclass",
        "int-enum",
        "bytes",
        "deep",
        "nested",
        "over",
    ],
)
def test_the_round_trip_skips_reading_back_only_what_orjson_writes_as_itself(value: object, answer: int) -> None:
    """`written_out_within` says `PLAIN` only where the copy through orjson would read back equal to the value."""
    from completion_validator._fastpath._libraries import scan

    assert scan is not None
    assert scan.written_out_within(value, 100 if answer == 0 else 1 << 20) == answer


_BLANK = st.text(" \t\n\r", max_size=3)
_KEY = st.sampled_from(["prompt_tokens", "completion_tokens", "total_tokens", "ключ", 'a"b', "x\\y", "tokens"])
_SCALAR = st.one_of(st.integers(-(10**6), 10**6), st.booleans(), st.none(), st.floats(allow_nan=False), st.text())


@given(
    st.lists(st.tuples(_KEY, st.one_of(_SCALAR, st.just({}), st.just([1]))), max_size=5, unique_by=lambda m: m[0]),
    st.lists(_BLANK, min_size=20, max_size=20),
    _KEY,
)
def test_a_flat_members_value_is_found_where_the_text_walk_finds_it(
    members: list[tuple[str, Any]], blanks: list[str], name: str
) -> None:
    """The member path finds a usage count by one search where it is certain; where it answers, the walk agrees."""
    from completion_validator._fastpath._members import flat_member_value
    from completion_validator._jsontext import find

    spaced = iter(blanks)
    parts = [
        f"{next(spaced)}{json.dumps(key, ensure_ascii=False)}{next(spaced)}:{next(spaced)}{json.dumps(value)}"
        for key, value in members
    ]
    text = "{" + ",".join(parts) + next(spaced) + "}"
    value = json.loads(text)
    found = flat_member_value(text.encode(), name, value)
    walked = find(text, (name,))
    if found is not None:
        assert walked is not None
        assert found == len(text[: walked[1]].encode())
    plain = all(type(v) not in (str, dict, list) for v in value.values()) and "\\" not in text
    assert (found is not None) == (plain and name in value)


@given(st.integers(-(10**18) + 1, 10**18 - 1), st.integers(-(10**18) + 1, 10**18 - 1), st.integers(0, 10**18 - 1))
def test_a_declared_sum_is_filled_in_as_its_rule_words_it(prompt: int, completion: int, total: int) -> None:
    """Each rule that is one sum (`sums=`) can be filled in by the scanner, and its pieces, filled in,
    read as the rule's own message (the slots are the scanner's: total, prompt, completion, sum)."""
    from completion_validator._fastpath._program import constant
    from completion_validator._fastpath._sums import sum_pieces
    from completion_validator._rules import RULES

    declared = [registered for registered in RULES.values() if registered.sums is not None]
    assert [registered.id for registered in declared] == ["usage-total"]
    counts = {
        constant("SLOT_TOTAL"): total,
        constant("SLOT_PROMPT"): prompt,
        constant("SLOT_COMPLETION"): completion,
        constant("SLOT_SUM"): prompt + completion,
    }
    for registered in declared:
        assert registered.sums is not None
        assert registered.check is not None
        pieces = sum_pieces(registered.sums)
        assert pieces is not None
        filled = "".join(piece if isinstance(piece, str) else str(counts[piece]) for piece in pieces)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
        found = list(registered.check({"usage": usage}))
        assert [finding.message for finding in found] == ([] if total == prompt + completion else [filled])
