"""The batch API: check_lines agrees with the command, and Report.merge is a monoid however a log is split."""

from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator.batch import Report, check_lines
from tests.cli_helpers import cli
from tests.hostile.inputs import INVALID_LINE, VALID_LINE

LINES = [VALID_LINE, INVALID_LINE, b"", b"{broken", VALID_LINE.replace(b'"id"', b'"id": "x", "id"', 1), VALID_LINE]


def test_check_lines_counts_what_the_command_counts(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n".join(LINES) + b"\n")
    report = check_lines(log.read_bytes().splitlines(keepends=True), source=str(log))
    document = json.loads(cli("--format", "json", "--statistics", str(log)).stdout)
    assert report.to_dict()["summary"] == {
        "documents": 3,
        "valid_documents": 2,
        "invalid_documents": 1,
        "errors": 3,
        "warnings": 0,
        "unreadable": 2,
    }
    assert report.to_dict()["statistics"] == document["statistics"]
    assert report.to_dict()["errors"] == document["errors"]
    assert report.summary() == "3 documents checked: 1 invalid, 3 errors, 2 unreadable"


def test_check_lines_takes_text_without_line_ends_and_options() -> None:
    text = [line.decode() for line in LINES]
    report = check_lines(text, ignore=["usage"], max_findings=1)
    assert (report.documents, report.invalid, report.unreadable, len(report.findings)) == (3, 1, 2, 1)


def test_a_report_pickles() -> None:
    report = check_lines(LINES)
    assert pickle.loads(pickle.dumps(report)) == report


reports = st.lists(st.sampled_from(LINES), max_size=8).map(lambda lines: check_lines(lines, max_findings=5))


@given(reports, reports, reports)
def test_merge_is_associative(a: Report, b: Report, c: Report) -> None:
    assert Report.merge(Report.merge(a, b), c) == Report.merge(a, Report.merge(b, c))


@given(reports)
def test_the_empty_report_is_the_identity(a: Report) -> None:
    assert Report.merge(Report(), a) == a
    assert Report.merge(a, Report()) == a


@given(st.lists(st.sampled_from(LINES), max_size=20), st.lists(st.integers(0, 20), max_size=4))
def test_any_partition_gives_the_same_counts(lines: list[bytes], cuts: list[int]) -> None:
    whole = check_lines(lines, max_findings=None)
    bounds = [0, *sorted(min(cut, len(lines)) for cut in cuts), len(lines)]
    merged = Report()
    for start, end in itertools.pairwise(bounds):
        merged = Report.merge(merged, check_lines(lines[start:end], max_findings=None))
    counts = ("documents", "invalid", "errors", "warnings", "unreadable", "keywords")
    assert {name: getattr(merged, name) for name in counts} == {name: getattr(whole, name) for name in counts}


def test_a_bug_of_ours_on_a_judged_line_is_an_internal_finding_and_the_other_lines_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count loop places a judged line itself; a failure there is still reported, not raised."""
    from completion_validator._fastpath import Judged

    def broken(self: Judged, raw: bytes, number: int) -> list[object]:
        raise RuntimeError("planted")

    line = json.dumps({**json.loads(VALID_LINE), "system_fingerprint": None}).encode()
    assert check_lines([line]).keywords == {"type": 1}  # judged by the scanner, placed in the loop
    monkeypatch.setattr(Judged, "located_in_line", broken)
    report = check_lines([line, VALID_LINE, line])
    assert report.documents == 3
    assert report.keywords == {"internal": 2}
    assert all(
        "internal error while checking this document: RuntimeError: planted" in f.message for f in report.findings
    )
