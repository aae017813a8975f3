"""Every error points at its value in the source: checked against the text itself."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from completion_validator import iter_errors
from completion_validator._inputs import Document, JsonText, parse_document
from completion_validator._inputs.read_json import read as read_json_bytes
from completion_validator._inputs.read_jsonl import read_lines as read_jsonl_lines
from completion_validator._inputs.read_yaml import read as read_yaml_bytes
from completion_validator.errors import Finding
from tests.strategies import completions

# A value the spec never allows at these places, and how its text begins in each dump.
MUTATIONS: list[tuple[tuple[str | int, ...], object]] = [
    (("id",), 12345),
    (("created",), "yesterday"),
    (("object",), "text.completion"),
    (("model",), False),
    (("choices",), "none"),
]
CHOICE_MUTATIONS: list[tuple[tuple[str | int, ...], object]] = [
    (("choices", 0, "finish_reason"), "eos_token"),
    (("choices", 0, "index"), "0"),
    (("choices", 0, "text"), 98765),
]


class _QuotingDumper(yaml.SafeDumper):
    """PyYAML emits YAML 1.1, leaving strings like 0E0 bare that YAML 1.2 reads as numbers: quote them all."""


_QuotingDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
)


def _dump(payload: Any, style: str) -> bytes:
    if style == "pretty":
        return json.dumps(payload, indent=2).encode()
    if style == "minified":
        return json.dumps(payload, separators=(",", ":")).encode()
    if style == "unicode":
        return json.dumps(payload, indent="\t", ensure_ascii=False).encode()
    return yaml.dump(payload, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True).encode()


def _documents(data: bytes, style: str) -> list[Document]:
    read = list(read_yaml_bytes(data) if style == "yaml" else read_json_bytes(data))
    items = [parse_document(item) if isinstance(item, JsonText) else item for item in read]
    assert all(isinstance(item, Document) for item in items)
    return [item for item in items if isinstance(item, Document)]


def _text_at(data: bytes, line: int, column: int) -> str:
    # Lines end at LF, CR or CRLF only, as in JSON and editors; str.splitlines() also breaks at U+0085 and U+2028.
    return re.split(r"\r\n|\r|\n", data.decode())[line - 1][column - 1 :]


@pytest.mark.parametrize("style", ["pretty", "minified", "unicode", "yaml"])
@given(payload=completions(), data=st.data())
def test_a_bad_value_is_located_where_its_text_starts(style: str, payload: dict[str, Any], data: st.DataObject) -> None:
    candidates = MUTATIONS + (CHOICE_MUTATIONS if payload["choices"] else [])
    path, bad = data.draw(st.sampled_from(candidates))
    mutated = copy.deepcopy(payload)
    target: Any = mutated
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = bad
    source = _dump(mutated, style)
    [document] = _documents(source, style)
    [error] = iter_errors(document.value)
    position = document.locate(error.instance_path, error.keyword)
    text = _text_at(source, position.line, position.column)
    spelled = [json.dumps(bad), yaml.safe_dump(bad).splitlines()[0]]
    assert any(text.startswith(spelling) for spelling in spelled), (text[:40], bad)


@pytest.mark.parametrize("style", ["pretty", "minified", "yaml"])
def test_a_missing_member_is_located_at_the_object_that_lacks_it(style: str) -> None:
    payload = {
        "id": "x",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"text": "t", "index": 0, "finish_reason": "stop"}],
    }
    source = _dump(payload, style)
    [document] = _documents(source, style)
    [error] = iter_errors(document.value, rules=False)
    position = document.locate(error.instance_path, error.keyword)
    expected = '"text"' if style == "yaml" else "{"
    assert _text_at(source, position.line, position.column).startswith(expected)


def test_an_unknown_member_is_located_at_its_key() -> None:
    source = b'{"id": "x", "object": "text_completion", "created": 1, "model": "m", "choices": [], "choises": []}'
    [document] = _documents(source, "minified")
    [error] = iter_errors(document.value, forbid_unknown_fields=True, rules=False)
    position = document.locate(error.instance_path, error.keyword)
    assert _text_at(source, position.line, position.column).startswith('"choises"')


def test_jsonl_positions_use_the_file_line_and_the_column_in_it() -> None:
    good = b'{"id":"a","object":"text_completion","created":1,"model":"m","choices":[]}\n'
    bad = b'{"id":"b","object":"text_completion","created":"1","model":"m","choices":[]}\r\n'
    items = list(read_jsonl_lines([good, b"\n", bad]))
    assert isinstance(items[1], JsonText)
    document = parse_document(items[1])
    assert isinstance(document, Document)
    assert document.index == 3
    [error] = iter_errors(document.value)
    position = document.locate(error.instance_path, error.keyword)
    assert (position.line, position.column) == (3, 48)
    assert bad.decode()[position.column - 1 :].startswith('"1"')


@pytest.mark.parametrize(
    ("source", "line", "column", "keyword"),
    [
        (b'{\n  "a": 1,\n  "a": 2\n}', 3, 3, "duplicate-key"),
        (b'{"a": [1, 2,]}', 1, 13, "parse"),
        (b'{"a": Infinity}', 1, 7, "not-json"),
        (b'{"a": -NaN}', 1, 7, "not-json"),
        (b'{"a": 1} {"b": 2}', 1, 10, "parse"),
        (b'{"a": "\xff"}', 1, 8, "encoding"),
        (b"\n\n  ", 3, 3, "parse"),
        (b"[" * 100_000, 1, 1001, "limit"),  # where nesting passed 1,000 levels, not 1:1
        # under an earlier duplicate key the parsed value holds the last one's value and the walk
        # reaches the first's: that earlier duplicate is reported (it raised, or said 1:1, before)
        (b'{"k": {"": [""], "": {"": null, "": null}}}', 1, 18, "duplicate-key"),
        (b'{"a": [1], "a": {"b": NaN}}', 1, 12, "duplicate-key"),
    ],
)
def test_problems_reading_json_are_located(source: bytes, line: int, column: int, keyword: str) -> None:
    [text] = list(read_json_bytes(source))
    assert isinstance(text, JsonText)
    problem = parse_document(text)  # a problem is found where the strict parser reads the text
    assert isinstance(problem, Finding)
    assert problem.pointer is None
    assert problem.keyword == keyword
    assert (problem.line, problem.column) == (line, column)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (b"a: 2023-11-06", "2023-11-06"),
        (b"a: yes", "yes"),
        (b"a: off", "off"),
        (b"a: 1e3", 1000.0),
        (b"a: 0o17", 15),
        (b"a: 0x1F", 31),
        (b"a: 012", 12),
        (b"a: ~", None),
        (b"a: True", True),
        (b"a: 1_000", "1_000"),
        (b"a: 12:30", "12:30"),
    ],
)
def test_yaml_is_read_by_the_1_2_core_schema(source: bytes, value: object) -> None:
    [document] = _documents(source, "yaml")
    assert document.value == {"a": value}


@pytest.mark.parametrize(
    ("source", "keyword", "line", "column"),
    [
        (b"a: 1\nb: 2\na: 3\n", "duplicate-key", 3, 1),
        (b"a: 1\n? [x]\n: 2\n", "parse", 2, 3),
        (b"a: [1, 2\n", "parse", 2, 1),
        (b"# only a comment\n", "parse", 1, 1),
    ],
)
def test_problems_reading_yaml_are_located(source: bytes, keyword: str, line: int, column: int) -> None:
    problem = list(read_yaml_bytes(source))[-1]
    assert isinstance(problem, Finding)
    assert (problem.keyword, problem.line, problem.column) == (keyword, line, column)


# Names and strings made to collide: keys that hold other keys, strings that spell `"key"`.
_NAMES = st.sampled_from(["id", "model", "a", "a_1", "model_id", 'x "model', 'say "id', "é", ""])
_SCALARS = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    _NAMES,
    st.sampled_from(['"model"', 'say "id": 1', "\\model", "model\\"]),
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=4), max_leaves=10
)


def _all_paths(value: Any, where: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [where, (*where, "model"), (*where, 0)]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_all_paths(item, (*where, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_all_paths(item, (*where, index)))
    return found


@settings(max_examples=500)
@given(
    st.dictionaries(_NAMES, _VALUES, max_size=5),
    st.sampled_from([None, 2]),
    st.sampled_from([(",", ":"), (", ", ": ")]),
    st.booleans(),
)
def test_searching_for_a_key_finds_what_walking_finds(
    document: dict[str, Any], indent: int | None, separators: tuple[str, str], ascii_only: bool
) -> None:
    from completion_validator._jsontext import find

    text = json.dumps(document, indent=indent, separators=separators, ensure_ascii=ascii_only)
    # The same document with one "model" key (or what looks like one) spelled with an escape.
    escaped = re.sub(r'"model"(?=\s*:)', r'"mod\\u0065l"', text, count=1)
    assert json.loads(escaped) == document
    for written in (text, escaped):
        for path in _all_paths(document):
            walked = find(written, path)
            assert find(written, path, document) == walked, path
            assert find(written, path, document, orjson.dumps) == walked, path
