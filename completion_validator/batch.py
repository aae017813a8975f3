"""Checking logs in batches: `check_lines` and the mergeable `Report`, for any engine that maps and folds.

Teams keep completion logs by the billion lines in object storage and already run Dask or Spark.
`check_lines` checks one partition of JSON Lines and returns a small, picklable `Report`;
`Report.merge` adds two up (associative, with `Report()` as identity), so `fold` and
`treeReduce` give the report of the whole log. The command's JSON Lines path, `--jobs` workers
included, runs this same code.

    import dask.bag as db
    from completion_validator.batch import Report, check_lines

    report = (
        db.read_text("s3://logs/2026-11-*.jsonl.gz", blocksize=None)
        .map_partitions(lambda lines: [check_lines(lines)])
        .fold(Report.merge, initial=Report())
        .compute()
    )
    print(report.summary())
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Unpack

from completion_validator._inputs import FORMATS, Capture, Clean, Document, Explained, FastRead, Item
from completion_validator._inputs._items import Verdict
from completion_validator._results import describe_counts
from completion_validator._settings import Options, Settings, settings_from
from completion_validator._workers import internal_problem
from completion_validator.errors import Finding

__all__ = ["Report", "check_lines"]


@dataclass
class Report:
    """What checking some documents found: exact counts, and the first `max_findings` located findings.

    Counts: `documents` checked, `invalid` ones (with at least one error), `errors`, `warnings`,
    `unreadable` (lines that could not be read as JSON), and `keywords`, the number of findings
    per keyword or rule id (also those beyond `max_findings`). `findings` holds the located
    findings in input order, at most `max_findings` of them (None: all).
    """

    documents: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0
    unreadable: int = 0
    keywords: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    max_findings: int | None = field(default=100, compare=False)  # a setting, not part of what was found
    # Bytes of input these counts cover, where known (the command's progress line uses it).
    bytes_read: int = field(default=0, compare=False)

    @property
    def valid(self) -> int:
        """Documents with no error (warnings allowed)."""
        return self.documents - self.invalid

    @property
    def is_empty(self) -> bool:
        """Nothing was checked: the identity of `merge`."""
        return not (self.documents or self.unreadable or self.findings or self.keywords)

    def merge(self, other: Report) -> Report:
        """The report of both: counts added, findings in order up to the larger `max_findings`.

        Use as `Report.merge(a, b)`. It is associative for reports made with the same
        `max_findings`, and `Report()` is its identity, so `fold` / `treeReduce` / `reduce` work.
        """
        if other.is_empty:
            return replace(self, keywords=Counter(self.keywords), findings=list(self.findings))
        if self.is_empty:
            return replace(other, keywords=Counter(other.keywords), findings=list(other.findings))
        limit = (
            None
            if self.max_findings is None or other.max_findings is None
            else max(self.max_findings, other.max_findings)
        )
        findings = self.findings + other.findings
        return Report(
            documents=self.documents + other.documents,
            invalid=self.invalid + other.invalid,
            errors=self.errors + other.errors,
            warnings=self.warnings + other.warnings,
            unreadable=self.unreadable + other.unreadable,
            keywords=self.keywords + other.keywords,
            findings=findings if limit is None else findings[:limit],
            max_findings=limit,
            bytes_read=self.bytes_read + other.bytes_read,
        )

    def note(self, finding: Finding) -> None:
        """Keep a located finding, if there is room for it."""
        if self.max_findings is None or len(self.findings) < self.max_findings:
            self.findings.append(finding)

    def to_dict(self) -> dict[str, object]:
        """The report with the field names of `--format json` (`statistics` as `--statistics` adds it)."""
        return {
            "valid": not (self.invalid or self.unreadable),
            "summary": {
                "documents": self.documents,
                "valid_documents": self.valid,
                "invalid_documents": self.invalid,
                "errors": self.errors + self.unreadable,
                "warnings": self.warnings,
                "unreadable": self.unreadable,
            },
            "statistics": dict(sorted(self.keywords.items(), key=lambda item: (-item[1], item[0]))),
            "errors": [finding.as_dict() for finding in self.findings],
        }

    def summary(self) -> str:
        """One line, as the command prints it: `120 documents checked: 2 invalid, 5 errors`."""
        return describe_counts(
            self.documents, self.invalid, self.errors + self.unreadable, self.warnings, self.unreadable
        )


def check_lines(
    lines: Iterable[bytes | str],
    *,
    source: str | None = None,
    max_findings: int | None = 100,
    **options: Unpack[Options],
) -> Report:
    """Check JSON Lines (bytes or text, with or without line ends) and return their `Report`.

    Blank lines are skipped but counted, so findings carry the line numbers the command shows;
    `source` names the input in them (a file name or partition id). Options are those of
    `iter_errors`. Each line is checked once: the compiled fast path vouches for clean lines and
    only the others are parsed again to be explained.
    """
    settings = settings_from(**options) if options else Settings()
    numbered = ((number, _as_bytes(line)) for number, line in enumerate(lines, start=1))
    report = check_numbered(numbered, settings, fast=True, max_findings=max_findings)
    if source is not None:
        report.findings = [replace(finding, file=source) for finding in report.findings]
    return report


def _as_bytes(line: bytes | str) -> bytes:
    return line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line


def check_numbered(
    numbered: Iterable[tuple[int, bytes]],
    settings: Settings,
    *,
    fast: bool,
    max_findings: int | None = None,
    max_errors: int | None = None,
    debug: bool = False,
    format_name: str = "jsonl",
) -> Report:
    """Check numbered lines of a line-based input: the command's JSON Lines path and `check_lines` alike."""
    fast_read = _fast_reader(settings) if fast else None
    read_line = FORMATS[format_name].reader().read_line  # looked up once: this loop runs per line
    report = Report(max_findings=max_findings)

    def unclean() -> Iterator[Item]:
        # Most lines are clean: such a line is counted here and goes no further (no item, no
        # reader call). Line 1 takes the reader's own path, which first looks for a BOM.
        clean = Verdict.CLEAN
        for number, raw in numbered:
            if fast_read is None or number == 1:
                item = read_line(number, raw, fast_read)
            else:
                verdict = fast_read(raw)
                if verdict is clean:
                    report.documents += 1
                    continue
                item = read_line(number, raw, lambda _, read=verdict: read)  # read once: the reader reuses it
            if item is not None:
                yield item

    return check_items(unclean(), settings, fast=fast, max_errors=max_errors, debug=debug, report=report)


def _fast_reader(settings: Settings) -> FastRead | None:
    from completion_validator._fastpath import json_reader

    return json_reader(settings)


def check_items(
    items: Iterable[Item],
    settings: Settings,
    *,
    fast: bool = True,
    max_findings: int | None = None,
    max_errors: int | None = None,
    debug: bool = False,
    report: Report | None = None,
) -> Report:
    """Check read items: count clean ones, explain the rest, report what could not be read (into `report`)."""
    report = Report(max_findings=max_findings) if report is None else report
    for item in items:
        if isinstance(item, Clean):
            report.documents += 1
            continue
        if isinstance(item, Explained):
            report.documents += 1
            _count(report, item.findings, item.index, max_errors)
            continue
        if isinstance(item, Finding):
            report.unreadable += 1
            report.keywords[item.keyword] += 1
            report.note(item)
            continue
        report.documents += 1
        try:
            found = (
                _check_capture(item, settings, fast)
                if isinstance(item, Capture)
                else _check_document(item, settings, fast)
            )
        except Exception as failure:  # a bug of ours must not lose the other documents' results
            if debug:
                raise
            report.unreadable += 1
            report.keywords["internal"] += 1
            where = "".join(__import__("traceback").format_exception_only(failure)).strip()
            message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
            report.note(internal_problem(message, item.index))
            continue
        _count(report, found, item.index, max_errors)
    return report


def _count(report: Report, found: list[Finding], index: int | None, max_errors: int | None) -> None:
    errors = sum(error.severity == "error" for error in found)
    report.errors += errors
    report.warnings += len(found) - errors
    report.invalid += bool(errors)
    report.keywords.update(finding.keyword for finding in found)
    shown = found if max_errors is None else found[:max_errors]
    for finding in shown:
        report.note(finding)
    if len(shown) < len(found):
        first = shown[-1] if shown else found[0]
        message = f"{len(found) - len(shown)} more problems in this document not shown (--max-errors)"
        note = Finding(
            None, "max-errors", message, severity="warning", line=first.line, column=first.column, document=index
        )
        report.note(note)


def _check_document(document: Document, settings: Settings, fast: bool) -> list[Finding]:
    from completion_validator._check import check

    located = []
    for error in check(document.value, settings, fast=fast, from_json_text=document.exact):
        position = document.locate(error.instance_path, error.keyword)
        located.append(error.located(position.line, position.column, document.index))
    return located


def _check_capture(capture: Capture, settings: Settings, fast: bool) -> list[Finding]:
    from completion_validator.streams import check_stream

    found = check_stream(capture.text, settings, fast=fast)
    return [finding.located(finding.line, finding.column, finding.event) for finding in found]
