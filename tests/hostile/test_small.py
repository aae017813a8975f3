"""#27 item 19: the small promises, each held.

Words agree with numbers ("1 more problem", "1 byte"); nesting is refused from the 1,001st
level in both engines (the stack's slack let up to ~1,050 through, judged as data by one engine
and as a limit by the other); an unnamed input whose first line passes the limit says "line 1";
the stream API reports bytes that are not UTF-8 as the command does; and the API refuses what
is not text with a `TypeError` that says what it takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from completion_validator import is_valid_json, iter_stream_errors
from completion_validator.batch import check_lines
from tests.cli_helpers import cli
from tests.hostile.inputs import VALID


def test_words_agree_with_numbers(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"choices": 5}))  # five errors
    assert "1 more problem in this document not shown" in cli("--max-errors", "4", str(path)).stdout
    assert "the input is larger than 1 byte (--max-document-size)" in cli("--max-document-size", "1", str(path)).stdout


@pytest.mark.parametrize("engine", ["auto", "reference"])
# the document's own object is the first level: `levels` arrays inside it nest levels + 1 deep
@pytest.mark.parametrize(("levels", "limited"), [(999, False), (1000, True), (1023, True), (1100, True)])
def test_nesting_is_refused_from_the_1001st_level_in_both_engines(
    tmp_path: Path, engine: str, levels: int, limited: bool
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({**VALID, "x": "DEEP"}).replace('"DEEP"', "[" * levels + "]" * levels))
    result = cli("--engine", engine, str(path))
    assert ("nested too deeply: more than 1000 levels here" in result.stdout) is limited, result.stdout
    assert result.returncode == (2 if limited else 0)


def test_an_unnamed_input_whose_first_line_is_over_the_limit_says_so() -> None:
    # JSON Lines or one JSON document cannot be told apart unread: the message is true of both
    result = cli("--max-document-size", "10", "-", stdin=b'{"a": 1111111111111}\n{}\n')
    expected = "<stdin>:1:1: error: the input is larger than 10 bytes (--max-document-size) before its first line ends"
    assert expected in result.stdout
    assert result.returncode == 2
    named = cli("--max-document-size", "10", "--input-format", "jsonl", "-", stdin=b'{"a": 1111111111111}\n{}\n')
    assert "<stdin>:1:1: error: line 1 is longer than 10 bytes" in named.stdout


@pytest.mark.parametrize("capture", [b"data: \xff\n\n", [b"data: {}\n", b"data: \xfe\n", b"\n"]])
def test_the_stream_api_reports_bytes_that_are_not_utf8(capture: bytes | list[bytes]) -> None:
    [finding] = list(iter_stream_errors(capture))
    assert finding.keyword == "encoding"
    assert (finding.line, finding.column) == ((1, 7) if isinstance(capture, bytes) else (2, 7))


def test_the_api_refuses_what_is_not_text_with_a_sentence() -> None:
    with pytest.raises(TypeError, match=r"is_valid_json\(\) takes JSON text as bytes or str, not NoneType"):
        is_valid_json(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"check_lines\(\) takes lines as bytes or str; line 2 is int"):
        check_lines([b"{}", 5])  # type: ignore[list-item]
