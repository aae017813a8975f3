"""Streamed responses: the SSE parser, the capture corpus, the stream API, and split-and-reassemble properties."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator._fastpath._judge import judge
from completion_validator._settings import Settings
from completion_validator._sse import DataLine, parse_events
from completion_validator.streams import assemble, check_stream, iter_stream_errors
from completion_validator.testing import CompletionAssertionError, assert_valid_completion
from tests.cli_helpers import cli
from tests.strategies import completions

STREAMS = Path(__file__).parent / "examples" / "streams"
CAPTURES = sorted(STREAMS.glob("*/*.sse"))


def _expected(path: Path) -> dict[str, list[dict[str, Any]]]:
    toml_path = path.with_name(path.stem + ".expected.toml")
    table = tomllib.loads(toml_path.read_text()) if toml_path.exists() else {}
    findings = table.get("findings", [])
    return {"strict": findings, "lenient": table.get("lenient", findings)}


def _found(path: Path, settings: Settings) -> list[dict[str, Any]]:
    rows = []
    for finding in check_stream(path.read_bytes().decode(), settings, judge(settings)):
        row: dict[str, Any] = {"keyword": finding.keyword, "pointer": finding.pointer}
        if finding.event is not None:
            row["event"] = finding.event
        assert finding.line is not None
        row |= {"line": finding.line, "column": finding.column}
        rows.append(row)
    return rows


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
@pytest.mark.parametrize("profile", ["strict", "lenient"])
def test_capture_gives_exactly_the_expected_findings(path: Path, profile: str) -> None:
    assert _found(path, Settings(lenient=profile == "lenient")) == _expected(path)[profile]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_folder_says_whether_the_capture_has_errors(path: Path) -> None:
    found = check_stream(path.read_bytes().decode(), Settings(), judge(Settings()))
    errors = [f for f in found if f.severity == "error"]
    assert (not errors) is (path.parent.name == "valid")


@pytest.mark.parametrize(
    ("text", "data"),
    [
        pytest.param("data: a\n\n", ["a"], id="lf"),
        pytest.param("data: a\r\n\r\n", ["a"], id="crlf"),
        pytest.param("data: a\r\rdata: b\r\r", ["a", "b"], id="cr"),
        pytest.param("data:a\n\n", ["a"], id="no-space"),
        pytest.param("data:  a\n\n", [" a"], id="only-one-space-removed"),
        pytest.param(": keep-alive\ndata: a\n\n: ping\n\n", ["a"], id="comments"),
        pytest.param("data: {\ndata: }\n\n", ["{\n}"], id="multi-line-joined"),
        pytest.param("event: message\nid: 7\nretry: 100\nfoo: bar\ndata: a\n\n", ["a"], id="other-fields"),
        pytest.param("event: ping\n\ndata: a\n\n", ["a"], id="event-without-data-not-dispatched"),
        pytest.param("data\n\n", [""], id="field-without-colon"),
    ],
)
def test_sse_parsing_follows_the_standard(text: str, data: list[str]) -> None:
    assert [event.data for event in parse_events(text)] == data


def test_sse_events_keep_their_fields_numbers_and_positions() -> None:
    [first, second] = parse_events(": hi\nid: 1\nevent: message\ndata:  x\n\ndata: y\ndata: z")
    assert (first.number, first.last_event_id, first.event_type, first.line, first.terminated) == (
        1,
        "1",
        "message",
        2,
        True,
    )
    assert first.data_lines == (DataLine(4, 7),)
    assert (second.number, second.data, second.terminated, second.data_lines) == (
        2,
        "y\nz",
        False,
        (DataLine(6, 7), DataLine(7, 7)),
    )


def test_stream_api_takes_text_bytes_or_lines() -> None:
    capture = (STREAMS / "invalid/i04_litellm_text_null.sse").read_text()
    expected = [(e.pointer, e.keyword, e.event) for e in iter_stream_errors(capture)]
    assert expected == [("/choices/0/text", "type", 3)]
    assert [(e.pointer, e.keyword, e.event) for e in iter_stream_errors(capture.encode())] == expected
    assert [(e.pointer, e.keyword, e.event) for e in iter_stream_errors(capture.splitlines())] == expected
    assert [(e.pointer, e.keyword, e.event) for e in iter_stream_errors(capture.splitlines(keepends=True))] == expected


def test_stream_api_rule_controls() -> None:
    capture = (STREAMS / "invalid/i05_ollama_no_logprobs_no_done.sse").read_text()
    assert "stream-terminator" not in {e.keyword for e in iter_stream_errors(capture, ignore=["stream-terminator"])}
    assert {e.keyword for e in iter_stream_errors(capture, rules=False)} == {"required"}


def test_pytest_helper_takes_a_captured_stream() -> None:
    assert_valid_completion((STREAMS / "valid/s02_include_usage.sse").read_bytes())
    with pytest.raises(CompletionAssertionError, match=r"\$\.choices\[0\]\.text  \[type\] \(event 3\)"):
        assert_valid_completion((STREAMS / "invalid/i04_litellm_text_null.sse").read_text())


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["-"], None),
        (["--input-format", "sse", "-"], None),
    ],
)
def test_cli_reads_streams_from_stdin(args: list[str], stdin: None) -> None:
    capture = (STREAMS / "invalid/i04_litellm_text_null.sse").read_bytes()
    result = cli(*args, stdin=capture)
    assert result.returncode == 1
    assert result.stdout.startswith("<stdin>:5:117: error: $.choices[0].text: null is not of type 'string' [type]")


def test_cli_recognises_a_stream_saved_as_json(tmp_path: Path) -> None:
    saved = tmp_path / "stream.json"
    saved.write_bytes((STREAMS / "invalid/i05_ollama_no_logprobs_no_done.sse").read_bytes())
    result = cli(str(saved), "--format", "json")
    document = json.loads(result.stdout)
    # each event's findings as they are found, then what only the end of the stream shows
    assert [(e["keyword"], e["document"], e["line"]) for e in document["errors"]] == [
        ("required", 1, 1),
        ("required", 2, 3),
        ("stream-terminator", None, 3),
    ]


def test_cli_stream_rules_can_be_ignored_and_warnings_promoted() -> None:
    ollama = STREAMS / "valid/w17_usage_on_a_content_chunk_and_in_the_usage_chunk.sse"
    assert cli(str(ollama)).returncode == 0
    assert cli("--warnings-as-errors", str(ollama)).returncode == 1
    assert cli("--warnings-as-errors", "--ignore", "stream-usage-placement", str(ollama)).returncode == 0
    truncated = STREAMS / "invalid/i05_ollama_no_logprobs_no_done.sse"
    assert "stream-terminator" not in cli("--select", "usage", str(truncated)).stdout


def _split(response: dict[str, Any], data: st.DataObject) -> list[dict[str, Any]]:
    """Cut a response into stream chunks: random split points per choice, choices interleaved."""
    pieces: list[tuple[int, dict[str, Any]]] = []
    for choice in response["choices"]:
        text, logprobs = choice["text"], choice["logprobs"]
        cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=3)))
        spans = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
        tokens = len(logprobs["tokens"]) if logprobs else 0
        token_cuts = sorted(
            data.draw(st.lists(st.integers(0, tokens), min_size=len(spans) - 1, max_size=len(spans) - 1))
        )
        token_spans = list(zip([0, *token_cuts], [*token_cuts, tokens], strict=True))
        for number, ((start, end), (token_start, token_end)) in enumerate(zip(spans, token_spans, strict=True)):
            part_logprobs = (
                None if logprobs is None else {name: value[token_start:token_end] for name, value in logprobs.items()}
            )
            last = number == len(spans) - 1
            piece = {"text": text[start:end], "index": choice["index"], "logprobs": part_logprobs}
            piece["finish_reason"] = choice["finish_reason"] if last else None
            pieces.append((choice["index"], piece))
    order = data.draw(st.permutations(range(len(pieces))))
    # keep each choice's pieces in order while interleaving choices
    by_choice: dict[int, list[dict[str, Any]]] = {}
    for index, piece in pieces:
        by_choice.setdefault(index, []).append(piece)
    sequence = [pieces[position][0] for position in order]
    head: dict[str, Any] = {
        key: response[key] for key in ("id", "object", "created", "model", "system_fingerprint") if key in response
    }
    chunks: list[dict[str, Any]] = [{**head, "choices": [by_choice[index].pop(0)]} for index in sequence]
    if "usage" in response:
        usage_chunk: dict[str, Any] = {**head, "choices": [], "usage": response["usage"]}
        chunks = [{**chunk, "usage": None} for chunk in chunks] + [usage_chunk]
    return chunks


def _capture(chunks: list[dict[str, Any]]) -> str:
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


@given(response=completions(), data=st.data())
def test_a_valid_response_split_into_chunks_is_a_valid_stream_that_reassembles(
    response: dict[str, Any], data: st.DataObject
) -> None:
    chunks = _split(response, data)
    found = check_stream(_capture(chunks), Settings(), judge(Settings()))
    assert [(f.keyword, f.pointer, f.event) for f in found] == []
    assembled = assemble(copy.deepcopy(chunks))
    if not response["choices"] and "usage" not in response:
        assert assembled is None or assembled["choices"] == []
        return
    assert assembled == response


def test_a_missing_blank_line_between_events_is_named_as_the_likely_cause() -> None:
    capture = (STREAMS / "invalid/i15_missing_blank_line_before_done.sse").read_text()
    [message] = [e.message for e in iter_stream_errors(capture) if e.keyword == "stream-chunk-json"]
    assert message.endswith(
        "(its 2 data lines are one event, joined by the SSE standard: is a blank line missing between two events?)"
    )


def test_every_stream_rule_is_exercised_by_the_capture_corpus() -> None:
    from completion_validator._rules import RULES

    expected = {finding["keyword"] for path in CAPTURES for finding in _expected(path)["strict"]}
    assert {rule.id for rule in RULES.values() if rule.scope == "stream"} <= expected


@pytest.mark.parametrize("path", CAPTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
@pytest.mark.parametrize("settings", [Settings(), Settings(lenient=True), Settings(forbid_unknown_fields=True)])
def test_the_chunk_fast_path_never_changes_a_finding(path: Path, settings: Settings) -> None:
    text = path.read_text()
    assert check_stream(text, settings, judge(settings)) == check_stream(text, settings, None)


FAULTS = [
    ("choices", 0, "finish_reason", "eos"),
    ("choices", 0, "index", "0"),
    ("created", None, None, 1_700_000_000_000),
    ("id", None, None, ""),
    ("usage", None, None, {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}),
]


@given(response=completions(), data=st.data())
def test_the_chunk_fast_path_agrees_on_generated_streams_with_a_fault(
    response: dict[str, Any], data: st.DataObject
) -> None:
    chunks = _split(response, data)
    if chunks:
        chunk = chunks[data.draw(st.integers(0, len(chunks) - 1))]
        name, position, member, value = data.draw(st.sampled_from(FAULTS))
        if position is None:
            chunk[name] = value
        elif chunk["choices"]:
            chunk["choices"][0][member] = value
    text = _capture(chunks)
    assert check_stream(text, Settings(), judge(Settings())) == check_stream(text, Settings(), None)
