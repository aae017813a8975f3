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

from collections.abc import Iterable
from typing import Unpack

from completion_validator._results import Report
from completion_validator._settings import Options, Settings, settings_from
from completion_validator._tally import tally_lines

__all__ = ["Report", "check_lines"]


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
    only the others are parsed again to be explained. A line that is neither bytes nor str
    raises `TypeError`.
    """
    from completion_validator._fastpath._judge import judge  # the judge's libraries load with the first check

    settings = settings_from(**options) if options else Settings()
    numbered = ((number, _as_bytes(line, number)) for number, line in enumerate(lines, start=1))
    report = tally_lines(numbered, settings, judge(settings), max_findings=max_findings, file=source)
    if source is not None:  # the findings the loop did not place itself
        report.findings = [
            finding if finding.file == source else finding.in_file(source) for finding in report.findings
        ]
    return report


def _as_bytes(line: bytes | str, number: int) -> bytes:
    if isinstance(line, str):
        return line.encode("utf-8", "surrogateescape")
    if isinstance(line, bytes | bytearray | memoryview):
        return bytes(line)
    raise TypeError(f"check_lines() takes lines as bytes or str; line {number} is {type(line).__name__}")
