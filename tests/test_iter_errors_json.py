"""`iter_errors_json`: the command's findings for one JSON text, located in it, from the public API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator import iter_errors, iter_errors_json
from completion_validator.chat_strategies import chat_completions
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.strategies import completions

FILES = sorted(path for path in (REPO / "tests/examples").glob("*/*.json"))


def _located(found: Any) -> list[tuple[Any, ...]]:
    return [(f.pointer, f.keyword, f.severity, f.line, f.column, f.message) for f in found]


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
@pytest.mark.parametrize("lenient", [False, True])
def test_the_findings_and_places_are_the_commands(path: Path, lenient: bool) -> None:
    flags = ["--lenient"] if lenient else []
    document = json.loads(cli("--format", "json", *flags, str(path)).stdout)
    expected = [
        (e["pointer"], e["keyword"], e["severity"], e["line"], e["column"], e["message"]) for e in document["errors"]
    ]
    data = path.read_bytes()
    assert _located(iter_errors_json(data, lenient=lenient)) == expected
    # a buffer is read as the bytes it holds, and left as it was (not in the signature: it says
    # what a caller should pass, the function takes what it can read)
    for buffer in (bytearray(data), memoryview(data)):
        assert _located(iter_errors_json(buffer, lenient=lenient)) == expected  # type: ignore[arg-type]
        assert bytes(buffer) == data
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return  # not text: the bytes are what is checked
    assert _located(iter_errors_json(text, lenient=lenient)) == expected


@given(payload=st.one_of(completions(), chat_completions()), indent=st.sampled_from([None, 2]))
def test_a_valid_text_has_nothing_and_a_broken_one_what_the_value_has(
    payload: dict[str, Any], indent: int | None
) -> None:
    assert list(iter_errors_json(json.dumps(payload, indent=indent))) == []
    if payload["choices"]:
        payload["choices"][0]["index"] = "0"
    payload["id"] = ""
    text = json.dumps(payload, indent=indent, ensure_ascii=False)
    found = list(iter_errors_json(text.encode()))
    assert [(f.pointer, f.keyword) for f in found] == [(f.pointer, f.keyword) for f in iter_errors(payload)]
    assert all(f.line is not None and f.column is not None for f in found)


def test_text_that_is_not_json_gets_one_located_finding() -> None:
    (finding,) = iter_errors_json(b'{"id": "x",\n  "object": }')
    assert (finding.keyword, finding.line, finding.column) == ("parse", 2, 13)


def test_anything_but_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="iter_errors_json"):
        list(iter_errors_json({"id": "x"}))  # type: ignore[arg-type]
