"""Hostile files through the real console script: each ends fast, located, in valid UTF-8, the run going on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.harness import assert_sane, run_guarded
from tests.hostile.inputs import INVALID_LINE, VALID, VALID_LINE

FORMATS = ["text", "json", "github"]


def _laughs(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


YAML_CASES = {
    "self-alias-list": (b"x: &r [*r]\n", "1:4", "not-json", "recursive structure"),
    "self-alias-map": (b"x: &r {a: *r, b: *r}\n", "1:4", "not-json", "recursive structure"),
    "laughs-5-levels": (_laughs(5), "4:5", "limit", "aliases expand this document past 10,000 values"),
    "laughs-9-levels": (_laughs(9), "5:5", "limit", "aliases expand this document past 10,000 values"),
}


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_yaml_aliases_that_cannot_become_json(tmp_path: Path, case: str, output_format: str) -> None:
    data, where, keyword, words = YAML_CASES[case]
    path = tmp_path / "reply.yaml"
    path.write_bytes(data)
    text = assert_sane(run_guarded("--format", output_format, path, timeout=10), 2, output_format)
    if output_format == "json":
        [error] = json.loads(text)["errors"]
        assert (f"{error['line']}:{error['column']}", error["keyword"]) == (where, keyword)
        assert words in error["message"]
    else:
        assert where.replace(":", ",col=") in text or f":{where}:" in text
        assert words in text


def _replace(old: str, new: str) -> bytes:
    text = json.dumps(VALID, indent=2)
    assert old in text
    return text.replace(old, new, 1).encode()


TEXT_CASES = {
    "lone-high-surrogate": ("json", _replace('"cmpl-', '"\\ud800cmpl-'), 2, "2:9: error: a lone surrogate (\\ud800)"),
    "lone-low-surrogate": ("json", _replace('"cmpl-', '"\\udce9cmpl-'), 2, "2:9: error: a lone surrogate (\\udce9)"),
    "surrogate-key": ("json", _replace('"model"', '"\\udce9"'), 2, "5:3: error: a lone surrogate (\\udce9)"),
    "huge-integer": (
        "json",
        _replace('"created": 1589478378', '"created": ' + "9" * 5000),
        1,
        "4:14: error: $.created: an integer of 5,000 digits",
    ),
    "huge-negative": (
        "json",
        _replace('"index": 0', '"index": -' + "1" * 4400),
        1,
        "$.choices[0].index: an integer of 4,400 digits",
    ),
    "overflowing-float": (
        "json",
        _replace('"created": 1589478378', '"created": 1e400'),
        1,
        "4:14: error: $.created: inf is not a JSON number",
    ),
    "yaml-inf-nan": (
        "yaml",
        b"id: x\nobject: text_completion\ncreated: .inf\nmodel: .nan\nchoices: []\n",
        1,
        "3:10: error: $.created: inf is not a JSON number",
    ),
    "yaml-huge-integer": (
        "yaml",
        b"id: x\nobject: text_completion\ncreated: " + b"7" * 5000 + b"\nmodel: m\nchoices: []\n",
        1,
        "3:10: error: $.created: an integer of 5,000 digits",
    ),
    "control-character": (
        "json",
        _replace('"cmpl-', '"\ncmpl-'),
        2,
        "2:10: error: a raw control character (U+000A) in a string",
    ),
    "utf-32": ("json", json.dumps(VALID).encode("utf-32"), 2, "1:1: error: the file is UTF-32 (little-endian)"),
    "too-deep": (
        "json",
        b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        2,
        "1:1006: error: nested too deeply: more than 1000 levels",
    ),
    "deep-yaml": (
        "yaml",
        b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        2,
        "error: while increasing flow level exceeded maximum nesting depth",
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_hostile_values_in_text_are_located_findings(tmp_path: Path, case: str) -> None:
    suffix, data, status, expected = TEXT_CASES[case]
    path = tmp_path / f"reply.{suffix}"
    path.write_bytes(data)
    text = assert_sane(run_guarded(path, timeout=20), status)
    assert expected in text, text
    assert_sane(run_guarded("--format", "json", path, timeout=20), status, "json")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_huge_integer_does_not_abort_a_jsonl_run(tmp_path: Path, jobs: str) -> None:
    huge = json.dumps(VALID)[:-1].encode() + b', "n": ' + b"1" * 5000 + b"}"
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n".join([VALID_LINE] * 3000 + [huge] + [INVALID_LINE] * 2) + b"\n")
    text = assert_sane(run_guarded("--jobs", jobs, "--format", "json", log), 1, "json")
    document = json.loads(text)
    assert document["summary"]["documents"] == 3003
    assert [(e["line"], e["keyword"]) for e in document["errors"]] == [(3001, "limit"), (3002, "enum"), (3003, "enum")]


def test_a_huge_integer_in_a_stream_chunk(tmp_path: Path) -> None:
    chunk = json.dumps({**VALID, "usage": None})[:-1] + ', "n": ' + "1" * 5000 + "}"
    capture = tmp_path / "reply.sse"
    capture.write_text(f"data: {chunk}\n\ndata: [DONE]\n\n")
    text = assert_sane(run_guarded(capture), 1)
    assert "1:" in text
    assert "[limit]" in text


def test_a_forged_line_in_a_server_message_stays_on_its_line(tmp_path: Path) -> None:
    forged = "boom\nother.json:1:1: error: $.id: forged [type]\x1b[2J"
    capture = tmp_path / "reply.sse"
    capture.write_text("data: " + json.dumps({"error": {"message": forged}}) + "\n\ndata: [DONE]\n\n")
    for output_format in ("text", "github"):
        text = assert_sane(run_guarded("--format", output_format, capture), 1, output_format)
        assert "other.json" not in "".join(line.split("boom")[0] for line in text.splitlines())
        assert "\x1b" not in text
        assert "boom\\nother.json:1:1" in text


@pytest.mark.parametrize("output_format", FORMATS)
def test_file_names_that_are_not_utf8_or_hold_newlines_print_escaped(tmp_path: Path, output_format: str) -> None:
    folder = Path(bytes(tmp_path).decode("utf-8", "surrogateescape"))
    odd = [folder / b"caf\xe9.json".decode("utf-8", "surrogateescape"), folder / "a\nb.json"]
    for path in odd:
        path.write_bytes(INVALID_LINE)
    outcome = run_guarded("--format", output_format, folder)
    text = assert_sane(outcome, 1, output_format)
    if output_format != "json":
        assert "caf\\xe9.json" in text
        assert "a\\nb.json" in text
    else:
        assert len(json.loads(text)["files"]) == 2


def test_output_is_utf8_even_when_stdout_is_strict_ascii(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONIOENCODING", "ascii:strict")
    path = tmp_path / "réponse.json"
    path.write_bytes(_replace('"length"', '"fin"'))
    outcome = run_guarded(path)
    assert "Traceback" not in outcome.stderr
    assert outcome.status == 1
    assert b"r\\xe9ponse.json" in outcome.stdout


def test_a_lone_cr_inside_a_jsonl_line_moves_no_position(tmp_path: Path) -> None:
    line = INVALID_LINE.replace(b'"id"', b'\r"id"', 1)
    log = tmp_path / "log.jsonl"
    log.write_bytes(line + b"\n" + INVALID_LINE + b"\n")
    text = assert_sane(run_guarded(log), 1)
    assert [row.split(": error")[0] for row in text.splitlines()[:-1]] == [f"{log}:1:52", f"{log}:2:51"]


@pytest.mark.slow
def test_a_duplicate_key_in_a_large_document_is_found_in_linear_time(tmp_path: Path) -> None:
    tokens = [f"tok{n}:" for n in range(320_000)]
    logprobs = {"tokens": tokens, "token_logprobs": [-0.5] * len(tokens), "text_offset": list(range(len(tokens)))}
    logprobs["top_logprobs"] = [{token: -0.5, "x": -1.0} for token in tokens]
    document = json.dumps({**VALID, "choices": [{**VALID["choices"][0], "logprobs": logprobs}]})
    assert len(document) > 18_000_000
    path = tmp_path / "big.json"
    path.write_text(document[:-1] + ', "id": "again"}')
    text = assert_sane(run_guarded(path, timeout=60), 2)
    assert "duplicate key 'id'" in text


def _capture(events: int) -> str:
    head = {"id": "cmpl-7", "object": "text_completion", "created": 1_700_000_000, "model": "m"}
    lines = []
    for number in range(events):
        finish = "stop" if number == events - 1 else None
        choice = {"text": 'tok: "é" ', "index": 0, "logprobs": None, "finish_reason": finish}
        lines.append("data: " + json.dumps({**head, "choices": [choice]}, ensure_ascii=False) + "\n\n")
    return "".join(lines) + "data: [DONE]\n\n"


@pytest.mark.slow
def test_a_500000_event_capture_in_linear_time_and_memory_independent_of_events(tmp_path: Path) -> None:
    capture = tmp_path / "long.sse"
    capture.write_text(_capture(500_000))
    assert capture.stat().st_size > 90_000_000
    outcome = run_guarded(capture, timeout=120, memory=400 * 1024 * 1024)  # the capture is 91 MB
    assert assert_sane(outcome, 0).splitlines() == ["1 file, 1 document checked: 0 invalid, 0 errors"]


def test_a_capture_read_in_pieces_reports_bad_utf8_where_it_is(tmp_path: Path) -> None:
    capture = tmp_path / "long.sse"
    text = _capture(15_000)
    cut = text.index("\n", 2_000_000) + 1
    capture.write_bytes(text[:cut].encode() + b"data: {\xff}\n\n" + text[cut:].encode())
    line = text[:cut].count("\n") + 1
    text_out = assert_sane(run_guarded(capture), 2)
    assert f"{capture}:{line}:8: error: invalid UTF-8: byte 0xff" in text_out
