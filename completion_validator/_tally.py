"""The one count path: read items (or numbered lines) in, a `Report` out.

The command's runner, its worker processes, the probe and `batch.check_lines` all count here, so
a document is counted, explained and capped (`--max-errors`) the same way wherever it came from.
Each item goes to the checker once; a bug of ours on one document becomes an `internal` finding
for it, and the other documents' results are kept.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import TYPE_CHECKING

from completion_validator._check import check_document, check_json
from completion_validator._fastpath import CLEAN, UNREAD, Judged, Verdict
from completion_validator._fastpath._verdict import column_in_line
from completion_validator._inputs import FORMATS, Capture, Document, Item, JsonText
from completion_validator._inputs.read_jsonl import is_blank
from completion_validator._recognize import may_be_recognized
from completion_validator._results import Report
from completion_validator._settings import Settings
from completion_validator._workers import internal_problem
from completion_validator.errors import Finding

if TYPE_CHECKING:
    from completion_validator._fastpath._judge import Judge, Lines, LinesRead


def tally_lines(
    numbered: Iterable[tuple[int, bytes]],
    settings: Settings,
    judge: Judge | None,
    *,
    max_findings: int | None = None,
    max_errors: int | None = None,
    debug: bool = False,
    format_name: str = "jsonl",
    file: str | None = None,
) -> Report:
    """Check numbered lines of a line-based input: the command's JSON Lines path and `check_lines` alike.

    Most lines are clean, or have one problem a log repeats: the judge counts those and places
    their findings (`Judge.lines`, in C), and hands back only the others, with their verdicts. Line 1
    takes the reader's own path, which first looks for a BOM. `file`: the input's name, given to
    the findings placed whole (the caller names the others).
    """
    report = Report(max_findings=max_findings)
    if judge is None:  # without orjson: each line read and explained alone
        read_line = FORMATS[format_name].reader().read_line
        for number, raw in numbered:
            if (item := read_line(number, raw)) is not None:
                _tally(report, item, settings, judge, max_errors, debug)
        return report
    count_lines = _LineCount(report, settings, judge, max_errors, debug, format_name, file)
    for batch in _as_lists(numbered):
        if batch:
            count_lines(batch, 0, batch[0][0])
    return report


def tally_block(
    block: bytes,
    first_line: int,
    settings: Settings,
    judge: Judge | None,
    *,
    max_errors: int | None = None,
    debug: bool = False,
    format_name: str = "jsonl",
    file: str | None = None,
) -> tuple[Report, int]:
    """`tally_lines` of the lines of `block` (each ended by LF, but perhaps the last), the first numbered `first_line`.

    The judge reads the lines in the block: a clean line or a placed one is never copied out.
    With the report comes the number of the line after the block's last (counted as they are read).
    """
    if judge is None:
        raws = block.split(b"\n")
        if raws[-1] == b"":
            raws.pop()  # after the block's last line end
        counted = tally_lines(
            enumerate(raws, start=first_line),
            settings,
            judge,
            max_errors=max_errors,
            debug=debug,
            format_name=format_name,
            file=file,
        )
        return counted, first_line + len(raws)
    report = Report(max_findings=None)
    after = _LineCount(report, settings, judge, max_errors, debug, format_name, file)(block, 0, first_line)
    return report, after


class _LineCount:
    """Counts lines into `report`: those the judge counted or placed, and those it handed back."""

    def __init__(
        self,
        report: Report,
        settings: Settings,
        judge: Judge,
        max_errors: int | None,
        debug: bool,
        format_name: str,
        file: str | None,
    ) -> None:
        self.report = report
        self.settings = settings
        self.judge = judge
        self.max_errors = max_errors
        self.debug = debug
        self.file = file
        self.read_line = FORMATS[format_name].reader().read_line  # looked up once: it may run per line
        # --max-errors 0: a line's one finding is counted, not shown, so the judge places nothing
        self.alone = max_errors is not None and max_errors < 1
        self.lines = _one_at_a_time(judge) if self.alone else judge.lines

    def read_alone(self, number: int, raw: bytes) -> None:
        """Line `number` read by the input's reader (line 1 looks for a BOM first), and checked."""
        if (item := self.read_line(number, raw)) is not None:
            _tally(self.report, item, self.settings, self.judge, self.max_errors, self.debug)

    def __call__(self, source: Lines, start: int, number: int) -> int:
        """Count the lines of `source` (see `Judge.lines`) from `start`, where line `number` starts.

        Returns the number of the line after the last one counted.
        """
        report, file = self.report, self.file
        if number == 1 and start < len(source):  # the reader's own path
            if isinstance(source, list):
                self.read_alone(*source[start])
                start += 1
            else:
                end = source.find(b"\n", start)
                self.read_alone(1, source[start : len(source) if end < 0 else end])
                start = len(source) if end < 0 else end + 1
            number += 1
        while start < len(source):
            try:
                start, number, clean, out, pending = self.lines(source, start, number, file)
            except Exception:  # a bug of ours placing lines: each is read and explained alone from here on
                if self.debug or self.alone:  # (a reader's own failure is raised, as it always was)
                    raise
                self.alone, self.lines = True, _one_at_a_time(self.judge)
                continue
            report.documents += clean
            if not pending:  # every line placed by the judge (a log with one problem on each): counted at once
                _keep_placed(report, out)  # type: ignore[arg-type]  # Findings only
                continue
            for entry in out:  # one loop, no generators and no call but for a line handed back
                if type(entry) is Finding:  # placed by the judge: one finding, the line's whole account
                    report.documents += 1
                    _keep_one(report, entry)
                else:
                    line, raw, verdict = entry  # type: ignore[misc]  # handed back
                    _tally_verdict(
                        report, line, raw, verdict, self.settings, self.judge, self.max_errors, self.debug, file
                    )
        return number


def _as_lists(numbered: Iterable[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
    """The numbered lines in lists: a list as it is (the command's batches), anything else a thousand at a time."""
    if type(numbered) is list:
        yield numbered
        return
    lines = iter(numbered)
    while batch := list(itertools.islice(lines, _LIST_LINES)):
        yield batch


_LIST_LINES = 1_000


def _one_at_a_time(judge: Judge) -> LinesRead:
    """`judge.lines` without placing anything: each line handed back with its verdict."""
    from completion_validator._fastpath._judge import one_at_a_time  # loaded: `judge` is its

    return one_at_a_time(judge.text)


def _keep_one(report: Report, finding: Finding) -> None:
    """Count a located finding that is its document's only one (shown: `--max-errors` is not 0)."""
    if finding.severity == "error":
        report.errors += 1
        report.invalid += 1
    else:
        report.warnings += 1
    report.keywords[finding.keyword] += 1
    report.note(finding)


def _keep_placed(report: Report, placed: list[Finding]) -> None:
    """`_keep_one` for each of `placed`, lines' only findings, counted by the Counters' C loop, not one by one."""
    report.documents += len(placed)
    severities = Counter(map(_SEVERITY, placed))
    errors = severities["error"]
    report.errors += errors
    report.invalid += errors
    report.warnings += len(placed) - errors
    report.keywords.update(map(_KEYWORD, placed))
    room = len(placed) if report.max_findings is None else max(0, report.max_findings - len(report.findings))
    report.findings.extend(placed if room >= len(placed) else placed[:room])


_SEVERITY, _KEYWORD = attrgetter("severity"), attrgetter("keyword")


def _tally_verdict(
    report: Report,
    number: int,
    raw: bytes,
    verdict: Verdict,
    settings: Settings,
    judge: Judge | None,
    max_errors: int | None,
    debug: bool,
    file: str | None,
) -> None:
    """Count line `number` (bytes `raw`) of a log, not clean, whose judge's verdict is `verdict`."""
    if verdict is CLEAN:
        report.documents += 1
    elif type(verdict) is Judged and (verdict.final or not may_be_recognized(verdict.findings)):
        # the scanner's whole account, as `check_json` would place it, without an item or a call more
        try:
            if len(verdict.findings) == 1 and (max_errors is None or max_errors >= 1):  # a rule's, on a log line
                placed = verdict.findings[0].at(file, number, column_in_line(raw, verdict.offsets[0]), number)
                report.documents += 1
                _keep_one(report, placed)
                return
            found = verdict.located_in_line(raw, number, file)
        except Exception:  # a bug of ours: the checker's own path says so (an `internal` finding)
            _tally(report, JsonText(raw, number, number, single_line=True), settings, judge, max_errors, debug)
        else:
            report.documents += 1
            count(report, found, number, max_errors)
    elif verdict is not UNREAD or not is_blank(raw):
        _tally(report, JsonText(raw, number, number, single_line=True), settings, judge, max_errors, debug, verdict)


def tally_items(
    items: Iterable[Item],
    settings: Settings,
    judge: Judge | None,
    *,
    max_findings: int | None = None,
    max_errors: int | None = None,
    debug: bool = False,
) -> Report:
    """Check read items: count clean ones, explain the rest, report what could not be read."""
    report = Report(max_findings=max_findings)
    for item in items:
        _tally(report, item, settings, judge, max_errors, debug)
    return report


def _tally(
    report: Report,
    item: Item,
    settings: Settings,
    judge: Judge | None,
    max_errors: int | None,
    debug: bool,
    verdict: Verdict | None = None,
) -> None:
    if isinstance(item, Finding):
        unreadable(report, item)
        return
    try:
        if isinstance(item, JsonText):
            found = check_json(item, settings, judge, verdict)
            if isinstance(found, Finding):
                unreadable(report, found)
                return
        elif isinstance(item, Document):
            found = check_document(item, settings, judge)
        else:
            found = _check_capture(item, settings, judge)
    except Exception as failure:  # a bug of ours must not lose the other documents' results
        if debug:
            raise
        report.documents += 1
        report.unreadable += 1
        report.keywords["internal"] += 1
        import traceback  # only on this path: a clean run imports no traceback machinery

        where = "".join(traceback.format_exception_only(failure)).strip()
        message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
        report.note(internal_problem(message, item.index))
        return
    report.documents += 1
    count(report, found, item.index, max_errors)


def unreadable(report: Report, finding: Finding) -> None:
    """Count a finding about input that could not be read at all."""
    report.unreadable += 1
    report.keywords[finding.keyword] += 1
    report.note(finding)


def count(report: Report, found: list[Finding], index: int | None, max_errors: int | None) -> None:
    """Count one document's findings, keeping the first `max_errors` of them (and a note of the rest)."""
    errors = 0
    keywords = report.keywords
    for finding in found:  # one loop, no generators: a log can have a finding on every line
        errors += finding.severity == "error"
        keywords[finding.keyword] += 1
    report.errors += errors
    report.warnings += len(found) - errors
    report.invalid += errors > 0
    shown = found if max_errors is None or len(found) <= max_errors else found[:max_errors]
    for finding in shown:
        report.note(finding)
    if len(shown) < len(found):
        first = shown[-1] if shown else found[0]
        hidden = len(found) - len(shown)
        message = f"{hidden} more problem{'' if hidden == 1 else 's'} in this document not shown (--max-errors)"
        note = Finding(
            None, "max-errors", message, severity="warning", line=first.line, column=first.column, document=index
        )
        report.note(note)


def _check_capture(capture: Capture, settings: Settings, judge: Judge | None) -> list[Finding]:
    from completion_validator.streams import check_stream

    found = check_stream(capture.text, settings, judge)
    return [finding.located(finding.line, finding.column, finding.event) for finding in found]


# Findings a capture's report carries at most before it is handed on: a capture is one document,
# but its findings stream to the reporter like a log's.
CAPTURE_BATCH = 1_000


def tally_capture(
    capture: Capture, settings: Settings, judge: Judge | None, *, max_errors: int | None = None, debug: bool = False
) -> Iterator[Report]:
    """A capture's reports, as its findings are found: memory bounded by `CAPTURE_BATCH`, whatever its events.

    The capture is one document: the last report counts it (and whether it is invalid); the
    others carry findings and their counts. `max_errors` applies to the capture as a whole.
    """
    from completion_validator.streams import iter_stream_findings

    report = Report(max_findings=None)
    errors = shown = hidden = 0
    last_shown: Finding | None = None
    try:
        for finding in iter_stream_findings(capture.text, settings, judge):
            located = finding.located(finding.line, finding.column, finding.event)
            if located.severity == "error":
                report.errors += 1
                errors += 1
            else:
                report.warnings += 1
            report.keywords[located.keyword] += 1
            if max_errors is None or shown < max_errors:
                report.note(located)
                shown += 1
                last_shown = located
            else:
                hidden += 1
                last_shown = last_shown or located
            if len(report.findings) >= CAPTURE_BATCH:
                yield report
                report = Report(max_findings=None)
    except Exception as failure:  # a bug of ours must not lose the other inputs' results
        if debug:
            raise
        import traceback  # only on this path

        where = "".join(traceback.format_exception_only(failure)).strip()
        message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
        report.unreadable += 1
        report.keywords["internal"] += 1
        report.note(internal_problem(message, capture.index))
    report.documents = 1
    report.invalid = int(errors > 0)
    if hidden and last_shown is not None:
        message = f"{hidden} more problem{'' if hidden == 1 else 's'} in this document not shown (--max-errors)"
        report.note(
            Finding(
                None,
                "max-errors",
                message,
                severity="warning",
                line=last_shown.line,
                column=last_shown.column,
                document=capture.index,
            )
        )
    yield report


def tally_findings(found: list[Finding]) -> Report:
    """The report of one document whose findings are all known (a probe's answer and its expectations).

    A finding with no path that is an error says the answer could not be read; the rest are the
    document's.
    """
    report = Report(max_findings=None)
    readable = []
    for finding in found:
        if finding.instance_path is None and finding.severity == "error":
            unreadable(report, finding)
        else:
            readable.append(finding)
    report.documents = 1
    count(report, readable, None, None)
    return report
