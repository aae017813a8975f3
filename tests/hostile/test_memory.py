"""Memory stays bounded by what is in flight, whatever the input's findings (#27 item 2).

Peak resident memory is measured, not assumed: the command runs under a wrapper that reads
`RUSAGE_CHILDREN.ru_maxrss`, the largest resident set of any process of the tree (the command
or one of its workers), once they have all ended.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from completion_validator._runner import SPAN_LINES, _spans
from tests.cli_helpers import SCRIPT

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
