"""The fast path never changes a result: wherever it says "clean", the reference engine finds nothing.

It may say "not clean" for a document that turns out fine (the reference path then runs);
it must never say "clean" for one with any error, warning or duplicate key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator import is_valid_json
from completion_validator._check import check
from completion_validator._fastpath import CLEAN
from completion_validator._fastpath._judge import judge
from completion_validator._fastpath._keys import has_no_duplicate_keys
from completion_validator._jsontext import parse_json
from completion_validator._settings import Settings
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.strategies import completions

SETTINGS = [Settings(), Settings(lenient=True), Settings(forbid_unknown_fields=True), Settings(rules=False)]
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
@pytest.mark.parametrize("settings", SETTINGS, ids=["strict", "lenient", "forbid", "no-rules"])
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
