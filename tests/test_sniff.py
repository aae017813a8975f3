"""How unnamed input (stdin, a FIFO, a file without a suffix) is read: as its first lines say.

A log must be read line by line even when its first line was cut (`tail -c`, a rotated file),
and a pretty-printed document must stay one document: the cases, then both as properties.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator._inputs import sniff_format
from tests.strategies import completions

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        pytest.param(b'{"a": 1}\n{"b": 2}\n', "jsonl", id="log"),
        pytest.param(b'", "x": 1}\n{"b": 2}\n', "jsonl", id="log-first-line-cut"),
        pytest.param(b'{"a": [[1]}\n{"b": 2}\n', "jsonl", id="log-first-line-broken"),
        pytest.param(b'{"a": ' + b"[" * 100_000 + b"\n{}\n", "jsonl", id="first-line-deeper-than-json-reads"),
        pytest.param(b'{\n  "id": "x"\n}\n', "json", id="pretty-object"),
        pytest.param(b'[\n{"a": 1}\n]\n', "json", id="pretty-array-of-one-compact-object"),
        pytest.param(b'[{"a": 1},\n{"b": 2}\n]\n', "json", id="array-an-item-a-line"),
        pytest.param(b'{"a": {"b": 1}\n, "c": {"d": 2}}\n', "json", id="object-broken-after-a-member"),
        pytest.param(b"x}\n[1]\n", "json", id="second-line-not-an-object"),
    ],
)
def test_unnamed_input_is_read_as_its_first_lines_say(text: bytes, read_as: str) -> None:
    assert sniff_format(text).name == read_as


@given(st.lists(completions(max_choices=2), min_size=2, max_size=4), st.data())
def test_a_log_cut_anywhere_in_its_first_line_is_read_line_by_line(
    records: list[dict[str, Any]], data: st.DataObject
) -> None:
    text = "".join(json.dumps(record) + "\n" for record in records).encode()  # ASCII: json escapes the rest
    cut = data.draw(st.integers(0, text.index(b"\n") - 1), label="cut")
    assert sniff_format(text[cut:]).name == "jsonl"


@given(
    st.dictionaries(st.text(max_size=3), JSON_VALUES, min_size=1) | st.lists(JSON_VALUES, min_size=1),
    st.integers(0, 4),
)
def test_a_pretty_printed_document_is_read_as_one_document(value: object, indent: int) -> None:
    assert sniff_format(json.dumps(value, indent=indent).encode()).name == "json"
