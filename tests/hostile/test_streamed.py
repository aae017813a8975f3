"""Every JSON Lines source is streamed, as stdin is (#27 item 4).

A compressed file, a FIFO and `<(...)` used to be read through a path that held the whole
input's findings (778 MB for 300,000 lines) and printed nothing until the end; unnamed, a FIFO
was read as one document, so `--max-document-size` applied to the whole stream and a big log was
rejected unread. Now each is sniffed as stdin is and read in batches, reported as they are
checked, each line within the limit.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import threading
from pathlib import Path

import pytest

from tests.cli_helpers import SCRIPT
from tests.hostile.harness import assert_sane, run_guarded
from tests.hostile.inputs import INVALID_LINE, VALID_LINE
from tests.hostile.test_memory import peak_mib

_LINES = 20_000


def _log() -> bytes:
    return (VALID_LINE + b"\n") * (_LINES - 1) + INVALID_LINE + b"\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_an_unnamed_fifo_is_read_as_json_lines_with_the_limit_per_line(tmp_path: Path) -> None:
    fifo = tmp_path / "log"  # no suffix: sniffed, as stdin is
    os.mkfifo(fifo)
    data = _log()
    assert len(data) > 1_000_000

    def feed() -> None:
        with fifo.open("wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    text = assert_sane(run_guarded(fifo, "--max-document-size", "100k"), 1)
    feeder.join(10)
    assert f"{fifo}:{_LINES}:" in text
    assert text.splitlines()[-1] == f"1 file, {_LINES:,} documents checked: 1 invalid, 1 error"


def test_process_substitution_is_read_as_json_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(_log())
    result = subprocess.run(
        ["bash", "-c", f"{SCRIPT} --max-document-size 100k <(cat {log})"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    assert result.stdout.splitlines()[-1] == f"1 file, {_LINES:,} documents checked: 1 invalid, 1 error"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_compressed_log_is_streamed_with_the_limit_per_line(tmp_path: Path, jobs: str) -> None:
    log = tmp_path / "log.jsonl.gz"
    log.write_bytes(gzip.compress(_log()))
    text = assert_sane(run_guarded(log, "--jobs", jobs, "--max-document-size", "100k"), 1)
    assert f"{log}:{_LINES}:" in text


@pytest.mark.slow
def test_a_compressed_log_of_invalid_lines_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # 300,000 lines, each with one finding: the whole-input path held them all (~100 MB here,
    # 778 MB on the log); streamed, what is in flight is a few batches.
    log = tmp_path / "log.jsonl.gz"
    log.write_bytes(gzip.compress((INVALID_LINE + b"\n") * 300_000))
    assert peak_mib(str(SCRIPT), "-qq", str(log)) < 80
