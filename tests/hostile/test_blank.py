"""Blank lines cost what scanning their bytes costs, and a run that checked no document fails (#27 item 12).

98 KB of gzip hold 100 million blank lines: read a line at a time, that was an hour of CPU and
then exit 0, "0 documents checked". Runs of blank lines are now skipped in bulk (their line ends
still counted, so later findings keep their line numbers), and a run that checked nothing at all
exits 2, with a `no-input` warning at each input that held no document, in every format.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.hostile.harness import run_guarded
from tests.hostile.inputs import INVALID_LINE, VALID_LINE

FORMATS = ["text", "json", "github", "sarif", "junit", "gitlab"]


def test_a_compressed_blank_line_bomb_ends_at_once_and_fails(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"\n" * 100_000_000, 9))
    assert bomb.stat().st_size < 200_000
    result = run_guarded(bomb, timeout=30)  # a guard against the hour it took, not a speed assertion
    assert result.status == 2, result.stderr
    assert "no documents in this input: it is empty or holds only blank lines [no-input]" in result.text


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("content", [b"", b"\n\n \r\n\t\n"])
def test_a_run_that_checked_no_document_exits_2_in_every_format(
    tmp_path: Path, output_format: str, content: bytes
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(content)
    result = run_guarded(empty, "--format", output_format)
    assert result.status == 2, result.stderr
    assert "no documents in this input" in result.text
    if output_format == "json":
        assert json.loads(result.text)["summary"]["exit_status"] == 2


def test_an_empty_input_beside_others_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "one.json").write_bytes(VALID_LINE)
    result = run_guarded(tmp_path)
    assert result.status == 0, result.text
    assert "empty.jsonl: warning: no documents in this input" in result.text


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("compressed", [False, True])
def test_line_numbers_survive_runs_of_blank_lines(tmp_path: Path, jobs: str, compressed: bool) -> None:
    data = VALID_LINE + b"\n" + b"\n \r\n" * 70_000 + INVALID_LINE + b"\n" + b"\n" * 5 + INVALID_LINE
    log = tmp_path / ("log.jsonl.gz" if compressed else "log.jsonl")
    log.write_bytes(gzip.compress(data) if compressed else data)
    result = run_guarded(log, "--jobs", jobs)
    assert result.status == 1, result.text
    lines = [line.split(":")[1] for line in result.text.splitlines() if "[enum]" in line]
    assert lines == [str(2 + 140_000), str(2 + 140_000 + 6)]
