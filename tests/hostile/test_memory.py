"""Memory stays bounded by what is in flight, whatever the input's findings (#27 item 2).

Peak resident memory is measured, not assumed: the command runs under a wrapper that reads
`RUSAGE_CHILDREN.ru_maxrss`, the largest resident set of any process of the tree (the command
or one of its workers), once they have all ended.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from completion_validator._fastpath import Judged
from completion_validator._fastpath._judge import judge
from completion_validator._runner import SPAN_LINES, _spans
from completion_validator._settings import Settings
from tests.cli_helpers import SCRIPT
from tests.conftest import REPO
from tests.hostile.harness import run_guarded
from tests.hostile.inputs import VALID

_PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_mib(*command: str) -> float:
    """The largest resident set (MiB) of any process of `command`'s tree."""
    result = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, check=True)
    return int(result.stdout) / 1024


@pytest.mark.parametrize(
    "data",
    [
        b"{}\n" * 10_001,
        b"{}\n" * 5 + b"\n" * 4_000 + b'{"a": 1}',  # blank lines, and a last line without its end
        b"",
    ],
)
def test_spans_cover_the_file_in_ranges_of_few_lines(data: bytes) -> None:
    spans = list(_spans(io.BytesIO(data), 1 << 20, 1 << 20, []))
    assert b"".join(data[offset : offset + length] for offset, length, _ in spans) == data
    assert all(data[offset : offset + length].count(b"\n") <= SPAN_LINES for offset, length, _ in spans)
    assert [line for *_, line in spans] == [1 + data[:offset].count(b"\n") for offset, _, _ in spans]


@pytest.mark.slow
def test_workers_hold_a_log_of_tiny_invalid_lines_in_bounded_memory(tmp_path: Path) -> None:
    # 200,000 lines of `{}`: a million findings. A span used to be 1 MiB of lines whatever their
    # findings, and each came back whole: ~1 GB in the largest process (2.98 GB for 700,000 lines).
    log = tmp_path / "empty.jsonl"
    log.write_bytes(b"{}\n" * 200_000)
    peak = peak_mib(str(SCRIPT), "--jobs", "2", "-qq", str(log))
    assert peak < 200, f"{peak:.0f} MiB at the peak"


def _long_enum_value(number: int, length: int = 20_000) -> dict[str, Any]:
    return {"choices": [{**VALID["choices"][0], "finish_reason": f"{number:06d}" + "x" * length}]}


def _long_usage_member(number: int) -> dict[str, Any]:
    details = {f"k{number}-{index}": 0 for index in range(2_000)}
    return {
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3, "completion_tokens_details": details}
    }


@pytest.mark.parametrize("change", [_long_enum_value, _long_usage_member], ids=["enum-value", "usage-member"])
def test_what_a_log_repeats_is_not_kept_by_long_values(change: Callable[[int], dict[str, Any]]) -> None:
    """The scanner's records and the member accounts are kept for the lines that repeat them
    (4,096 of each): kept by a 20 KB value, 4,096 distinct lines would hold 80 MB for the run."""
    fast = judge(Settings())
    assert fast is not None
    lines = [json.dumps({**VALID, **change(number)}).encode() for number in range(200)]
    tracemalloc.start()
    try:
        for line in lines:
            assert type(fast.text(line)) is Judged  # the verdict, its records and its account dropped
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{kept:,} bytes kept after 200 distinct lines of {len(lines[0]):,} bytes"


def test_a_log_of_long_lines_each_with_a_finding_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # A batch was 2,000 lines whatever their length, held with its findings (which hold the
    # values they show): 3,000 lines of 40 KB peaked at 255 MiB, and grew with the lines' length.
    log = tmp_path / "long.jsonl"
    with log.open("w") as stream:
        for number in range(3_000):
            stream.write(json.dumps({**VALID, **_long_enum_value(number, 40_000)}) + "\n")
    peak = peak_mib(str(SCRIPT), "--jobs", "1", "-qq", str(log))
    assert peak < 100, f"{peak:.0f} MiB at the peak"


def _failing_capture(path: Path, events: int) -> Path:
    # TGI's finish_reason "" on every chunk: one finding per event
    chunk = (
        b'data: {"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m",'
        b'"choices":[{"text":" a","index":0,"logprobs":null,"finish_reason":""}]}\n\n'
    )
    path.write_bytes(chunk * events + b"data: [DONE]\n\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_capture_with_a_finding_on_every_event_is_checked_in_bounded_memory(
    tmp_path: Path, output_format: str
) -> None:
    # #27 item 3: every finding of a capture used to be kept until its end (and sorted): 144 MB
    # here for 200,000 events, growing with them. They now stream to the reporter as they come.
    capture = _failing_capture(tmp_path / "capture.sse", 400_000)
    assert peak_mib(str(SCRIPT), "--format", output_format, str(capture)) < 100


@pytest.mark.slow
def test_running_out_of_memory_is_a_finding_and_exit_2_not_a_signal(tmp_path: Path) -> None:
    # 30 million numbers in a vendor array: more than 700 MiB of address space once parsed
    huge = tmp_path / "huge.json"
    huge.write_text('{"id": "x", "vendor": [' + ",".join(["1"] * 30_000_000) + "]}")
    result = run_guarded(huge, memory=700 << 20, timeout=120)
    assert result.status == 2, result.stderr[-2000:]
    assert "MemoryError" in result.text or "out of memory" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("compressed", [False, True])
def test_a_line_over_the_limit_is_refused_holding_at_most_the_limit(tmp_path: Path, compressed: bool) -> None:
    # #27 item 19: one readline(limit + 1) built the whole line before refusing it, twice the
    # limit at the peak (220 MB for a 100 MiB limit); long lines are now read a megabyte at a time.
    line = b'{"id": "' + b"x" * 150_000_000 + b'"}\n'
    log = tmp_path / ("long.jsonl.gz" if compressed else "long.jsonl")
    log.write_bytes(__import__("gzip").compress(line, 1) if compressed else line)
    assert peak_mib(str(SCRIPT), "-qq", "--jobs", "1", "--max-document-size", "100M", str(log)) < 140


def test_a_large_valid_document_is_held_about_once(tmp_path: Path) -> None:
    # An 80 MB response (a vendor member holds most of it): the file is read in one call of its
    # size. Read in blocks and joined, it was held twice at the peak (~180 MiB here).
    document = json.loads((REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_text())
    document["x_vendor_trace"] = 'naïve café: "quoted" ' * 3_500_000
    path = tmp_path / "large.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    size = path.stat().st_size / (1 << 20)
    peak = peak_mib(str(SCRIPT), "-qq", str(path))
    assert peak < 1.15 * size + 25, f"{peak:.0f} MiB at the peak for {size:.0f} MiB"
