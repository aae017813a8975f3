"""The batch API: check_lines agrees with the command, and Report.merge is a monoid however a log is split."""

from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
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
    """The judge places a log's judged lines (in C), the count loop the others; a failure in either is
    reported, not raised, and the lines are then read one at a time."""
    from completion_validator._fastpath._judge import Judge
    from completion_validator.errors import Finding

    def broken(self: Finding, *_: object) -> Finding:
        raise RuntimeError("planted")

    def broken_lines(self: Judge) -> object:
        def lines(*_: object) -> object:
            raise RuntimeError("planted in C")

        return lines

    line = json.dumps({**json.loads(VALID_LINE), "system_fingerprint": None}).encode()
    assert check_lines([line]).keywords == {"type": 1}  # judged by the scanner, placed in the loop
    assert check_lines([VALID_LINE, line, line, line]).keywords == {"type": 3}  # placed by the judge
    monkeypatch.setattr(Finding, "at", broken)  # what places a judged line's findings in Python
    monkeypatch.setattr(Judge, "lines", property(broken_lines))  # what places a log's lines in C
    report = check_lines([line, VALID_LINE, line])
    assert report.documents == 3
    assert report.keywords == {"internal": 2}
    assert all(
        "internal error while checking this document: RuntimeError: planted" in f.message for f in report.findings
    )


def test_a_bug_of_ours_in_the_reader_itself_is_raised_not_retried_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    """After placing lines fails, each is read alone; where reading one fails too, that is raised."""
    from completion_validator._fastpath._judge import Judge

    def broken(self: Judge) -> object:
        def read(*_: object) -> object:
            raise RuntimeError("planted")

        return read

    monkeypatch.setattr(Judge, "lines", property(broken))
    monkeypatch.setattr(Judge, "text", property(broken))
    with pytest.raises(RuntimeError, match="planted"):
        check_lines([VALID_LINE, VALID_LINE])


def _with(**changes: object) -> bytes:
    return json.dumps({**json.loads(VALID_LINE), **changes}, ensure_ascii=False).encode()


_CHAT_LINE = json.dumps(
    json.loads((Path(__file__).parent / "examples/valid/c01_openai_spec_chat_completion.json").read_text()),
    ensure_ascii=False,
).encode()


def _chat_with(**changes: object) -> bytes:
    return json.dumps({**json.loads(_CHAT_LINE), **changes}, ensure_ascii=False).encode()


# Lines as logs have them: clean, one judged finding (ASCII or not; values that are equal keys in
# Python but other records: 1, 1.0, True, 0.0, -0.0), two, a rule's, a warning's, what the checker
# reads itself (another type: a chat completion among completions, under `auto`), blank, broken.
_LOG_LINES = [
    VALID_LINE,
    _with(system_fingerprint=None),
    _with(system_fingerprint=None, model="模型 ü"),
    _with(system_fingerprint=None, created="x"),
    _with(system_fingerprint=1),
    _with(system_fingerprint=1.0),
    _with(system_fingerprint=True),
    _with(system_fingerprint=0.0),
    _with(system_fingerprint=-0.0),
    _with(id=""),
    _with(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}),
    _CHAT_LINE,
    _chat_with(system_fingerprint=None),
    _chat_with(object="text_completion"),
    _with(object="chat.completion"),
    INVALID_LINE,
    b"",
    b"{broken",
]


@given(
    # longer than the lines the judge hands back at a time (32): a log whose every line is handed back
    st.lists(st.sampled_from(_LOG_LINES), max_size=80),
    st.sampled_from([None, 0, 1, 2]),
    st.sampled_from([None, 1, 3]),
)
def test_the_count_loop_reports_what_the_reference_engine_reports(
    lines: list[bytes], max_errors: int | None, max_findings: int | None
) -> None:
    from completion_validator._fastpath._judge import judge
    from completion_validator._settings import Settings
    from completion_validator._tally import tally_lines

    settings = Settings()
    numbered = list(enumerate([VALID_LINE, *lines], start=1))  # line 1 takes the reader's own path

    def tally(fast: bool) -> Report:
        chosen = judge(settings) if fast else None
        return tally_lines(
            numbered, settings, chosen, max_errors=max_errors, max_findings=max_findings, file="log.jsonl"
        )

    def named(report: Report) -> Report:  # what the runner shows: every finding in the file
        return Report(**{**vars(report), "findings": [f.in_file("log.jsonl") for f in report.findings]})

    assert named(tally(True)) == named(tally(False))


@given(
    st.lists(st.sampled_from([*_LOG_LINES, b"  ", _with(system_fingerprint=None) + b"\r"]), max_size=80),
    st.booleans(),
    st.sampled_from([1, 2, 1000]),
    st.sampled_from([None, 0, 1]),
)
def test_a_block_of_lines_is_counted_as_its_lines_are(
    lines: list[bytes], ended: bool, first_line: int, max_errors: int | None
) -> None:
    """The command's blocks are read in place (`tally_block`): as the reference engine reads their lines."""
    from completion_validator._fastpath._judge import judge
    from completion_validator._settings import Settings
    from completion_validator._tally import tally_block, tally_lines

    settings = Settings()
    block = b"\n".join(lines) + (b"\n" if ended and lines else b"")
    raws = block.split(b"\n")
    if raws[-1] == b"":
        raws.pop()
    options = {"max_errors": max_errors, "file": "log.jsonl"}
    in_place, after = tally_block(block, first_line, settings, judge(settings), **options)  # type: ignore[arg-type]
    assert after == first_line + len(raws)  # the next block's first line, counted as the lines were read
    reference = tally_lines(enumerate(raws, start=first_line), settings, None, **options)  # type: ignore[arg-type]

    def named(report: Report) -> Report:  # what the runner shows: every finding in the file
        return Report(**{**vars(report), "findings": [f.in_file("log.jsonl") for f in report.findings]})

    assert named(in_place) == named(reference)


# Counts as logs hold them (mostly), and as they break: plain, zero, 18 digits (the scanner's
# integers), 19 (not its), negative, a float that is an integer, a string; absent (None).
_PLAIN_COUNTS = st.sampled_from([0, 1, 7, 203, 204, 10**17, 10**18 - 1])
_COUNTS = st.one_of(_PLAIN_COUNTS, _PLAIN_COUNTS, _PLAIN_COUNTS, st.sampled_from([10**18, -1, -0.0, 5.0, "5", None]))
_MOSTLY = st.sampled_from([True, True, True, False])


@st.composite
def _usage_lines(draw: st.DrawFn) -> bytes:
    usage: dict[str, object] = {
        name: value
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
        if (value := draw(_COUNTS)) is not None
    }
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if type(prompt) is int and type(completion) is int and draw(_MOSTLY):  # a total off by a little
        usage["total_tokens"] = prompt + completion + draw(st.sampled_from([-1, 0, 1, 10**6]))
    if draw(st.booleans()):
        usage["completion_tokens_details"] = {"reasoning_tokens": draw(st.one_of(_PLAIN_COUNTS, _COUNTS))}
    if not draw(_MOSTLY):
        usage[draw(st.sampled_from(["cost", "prompt_tokens"]))] = draw(_COUNTS)  # a vendor's member, or one again
    # any text before the finding (1- to 4-byte characters, across the scanner's 8-byte words): its column
    changes: dict[str, object] = {"usage": usage, "model": draw(st.text(max_size=24))}
    if not draw(_MOSTLY):
        changes["id"] = ""  # another part fails too
    line = _chat_with(**changes) if draw(st.booleans()) else _with(**changes)
    if draw(st.booleans()):  # spaced out: the value's column is not the key's end
        line = line.replace(b'"total_tokens": ', b'"total_tokens" :\t ')
    return line


_OFF_BY_ONE = _with(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4})
# Lines whose sum alone fails, of each type: what the scanner needs of Python is kept from them.
_SUMS_KEPT = [_OFF_BY_ONE, _chat_with(usage=json.loads(_OFF_BY_ONE)["usage"])]


@example(  # the sum fails, and a breakdown exceeds its total: not the sum's finding alone
    [_OFF_BY_ONE, _with(usage={**json.loads(_OFF_BY_ONE)["usage"], "completion_tokens_details": {"text_tokens": 3}})],
    {},
)
# Each line is drawn member by member (any Unicode text among them): slow to generate on a busy
# machine, which is not the code under test.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(_usage_lines(), _usage_lines(), st.sampled_from(_LOG_LINES)), max_size=30),
    st.sampled_from(
        [
            {},
            {"lenient": True},
            {"warnings_as_errors": True},
            {"ignore": ("usage-total",)},
            {"ignore": ("usage-negative", "usage-details")},
        ]
    ),
)
def test_a_sum_filled_in_by_the_scanner_is_the_rules_finding(lines: list[bytes], options: dict[str, Any]) -> None:
    """A usage-total finding the scanner makes from the rule's template (`_sums.py`) is the reference engine's:
    same message, expected, actual and place, and only where it is the line's one finding."""
    from completion_validator._fastpath._judge import judge
    from completion_validator._settings import Settings
    from completion_validator._tally import tally_block, tally_lines

    settings = Settings(**options)
    block = b"\n".join([*_SUMS_KEPT, *lines])
    raws = block.split(b"\n")
    in_place, _ = tally_block(block, 1, settings, judge(settings), max_errors=None, file="log.jsonl")
    reference = tally_lines(enumerate(raws, start=1), settings, None, max_errors=None, file="log.jsonl")
    assert [f.in_file("log.jsonl").as_dict() for f in in_place.findings] == [
        f.in_file("log.jsonl").as_dict() for f in reference.findings
    ]
    assert in_place == Report(**{**vars(reference), "findings": in_place.findings})
