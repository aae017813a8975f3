"""Reads are bounded: endless or huge inputs, FIFOs, worker processes, signals and pipes that close."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from completion_validator._runner import _open_what_the_run_opened
from completion_validator._workers import Workers
from tests.cli_helpers import SCRIPT, cli
from tests.hostile.harness import assert_sane, run_guarded
from tests.hostile.inputs import VALID_LINE, jsonl


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["/dev/zero"], id="json"),
        pytest.param(["/dev/urandom"], id="urandom"),
        pytest.param(["--input-format", "jsonl", "/dev/zero"], id="jsonl"),
        pytest.param(["--input-format", "sse", "/dev/zero"], id="sse"),
        pytest.param(["--input-format", "yaml", "/dev/zero"], id="yaml"),
        pytest.param(["--jobs", "2", "--input-format", "jsonl", "/dev/zero"], id="jsonl-jobs"),
    ],
)
def test_endless_devices_end_with_a_located_limit_error(args: list[str]) -> None:
    text = assert_sane(run_guarded("--max-document-size", "8M", *args), 2)
    assert ":1:1: error: " in text
    assert "(--max-document-size)" in text
    assert "[limit]" in text


def test_the_default_limit_ends_an_endless_input() -> None:
    text = assert_sane(run_guarded("/dev/zero"), 2)
    assert "larger than 256 MiB" in text


def test_zeros_on_stdin_and_an_endless_jsonl_line_without_newline() -> None:
    zeros = b"\0" * (3 * 1024 * 1024)
    assert "larger than 1 MiB" in assert_sane(run_guarded("--max-document-size", "1M", "-", stdin=zeros), 2)
    endless_line = VALID_LINE + b"\n" + b"x" * (3 * 1024 * 1024)
    text = assert_sane(run_guarded("--max-document-size", "1M", "--input-format", "jsonl", "-", stdin=endless_line), 2)
    assert "<stdin>:2:1: error: line 2 is longer than 1 MiB" in text
    assert "1 document checked" in text


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_line_over_the_limit_ends_a_jsonl_file_the_same_whatever_the_jobs(tmp_path: Path, jobs: str) -> None:
    log = jsonl(tmp_path / "log.jsonl", 3000)
    with log.open("ab") as out:
        out.write(b'{"id": "' + b"x" * 5000 + b'"}\n' + VALID_LINE + b"\n")
    text = assert_sane(run_guarded("--jobs", jobs, "--max-document-size", "4k", log), 2)
    assert f"{log}:3001:1: error: line 3001 is longer than 4 KiB" in text
    assert text.splitlines()[-1] == "1 file, 3,000 documents checked: 0 invalid, 1 error, 1 unreadable"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_line_over_the_limit_at_the_start_of_a_block_is_found_by_its_number(tmp_path: Path, jobs: str) -> None:
    # files are read a megabyte at a time, each block ending at a line end: this long line is
    # the first of the second block, whose cut before it is empty
    before = -(-(1 << 20) // (len(VALID_LINE) + 1))  # the lines that end the first block
    log = jsonl(tmp_path / "log.jsonl", before)
    with log.open("ab") as out:
        out.write(b'{"id": "' + b"x" * 5000 + b'"}\n' + VALID_LINE + b"\n")
    text = assert_sane(run_guarded("--jobs", jobs, "--max-document-size", "4k", log), 2)
    assert f"{log}:{before + 1}:1: error: line {before + 1} is longer than 4 KiB" in text
    assert text.splitlines()[-1] == f"1 file, {before:,} documents checked: 0 invalid, 1 error, 1 unreadable"


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("earlier", [False, True], ids=["only-long-line", "an-earlier-long-line"])
def test_a_line_over_the_limit_across_a_block_end_is_found_by_its_number(
    tmp_path: Path, jobs: str, earlier: bool
) -> None:
    # the long line starts in the first megabyte and ends in the second: it is refused as its
    # rest is read; a line over the limit before it, in the first block, is the one reported
    lines = [VALID_LINE + b"\n"] * ((1 << 20) // (len(VALID_LINE) + 1))
    if earlier:
        lines[1] = b'{"id": "' + b"y" * 70_000 + b'"}\n'
    while sum(map(len, lines)) >= 1 << 20:  # the long line starts in the first megabyte
        lines.pop()
    before = len(lines)
    log = tmp_path / "log.jsonl"
    long_line = b'{"id": "' + b"x" * 100_000 + b'"}\n'
    log.write_bytes(b"".join([*lines, long_line, VALID_LINE + b"\n"]))
    first_long = 2 if earlier else before + 1
    text = assert_sane(run_guarded("--jobs", jobs, "--max-document-size", "64k", log), 2)
    assert f"{log}:{first_long}:1: error: line {first_long} is longer than 64 KiB" in text
    assert f" {first_long - 1:,} document" in text.splitlines()[-1]  # all the lines before it


def test_a_document_just_under_the_limit_is_read() -> None:
    assert_sane(run_guarded("--max-document-size", str(len(VALID_LINE)), "-", stdin=VALID_LINE), 0)
    assert_sane(run_guarded("--max-document-size", str(len(VALID_LINE) - 1), "-", stdin=VALID_LINE), 2)


@pytest.mark.parametrize("size", ["0", "-1", "lots", "1T"])
def test_a_bad_size_is_a_usage_error(size: str) -> None:
    result = cli("--max-document-size", size, "x.json")
    assert result.returncode == 2
    assert "--max-document-size" in result.stderr


def test_a_fifo_in_a_scanned_directory_is_skipped_and_said(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_bytes(VALID_LINE)
    os.mkfifo(tmp_path / "x.json")
    text = assert_sane(run_guarded(tmp_path, timeout=20), 0)
    assert f"{tmp_path / 'x.json'}: warning: skipped: a FIFO, not a regular file" in text
    assert text.splitlines()[-1] == "1 file, 1 document checked: 0 invalid, 0 errors, 1 warning"


def test_a_fifo_named_on_the_command_line_is_read_as_a_stream(tmp_path: Path, start: Start) -> None:
    fifo = tmp_path / "reply.json"
    os.mkfifo(fifo)
    command = start(fifo)
    with fifo.open("wb") as writer:
        writer.write(VALID_LINE)
    stdout, _ = command.communicate(timeout=20)
    assert command.returncode == 0, stdout


def test_jobs_are_capped_at_the_cores_this_process_may_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[int] = []

    def fake_run(paths: list[str], options: object, reporter: object, progress: object = None) -> object:
        seen.append(options.jobs)  # type: ignore[attr-defined]
        raise SystemExit(0)

    monkeypatch.setattr("completion_validator._runner.run", fake_run)
    cli("--jobs", "10000", str(tmp_path))
    assert seen == [len(os.sched_getaffinity(0))]


def test_ten_thousand_jobs_run_within_the_memory_guard(tmp_path: Path) -> None:
    log = jsonl(tmp_path / "log.jsonl", 20_000, invalid_every=1000)
    text = assert_sane(run_guarded("--jobs", "10000", log), 1)
    assert text.splitlines()[-1] == "1 file, 20,000 documents checked: 20 invalid, 20 errors"


def test_a_worker_reads_the_file_the_run_opened_even_after_it_is_deleted(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"line one\n")
    with log.open("rb") as opened:
        status = os.fstat(opened.fileno())
        log.unlink()
        log.write_bytes(b"another file\n")  # rotated: same name, other file
        with _open_what_the_run_opened(
            str(log), (os.getpid(), opened.fileno(), (status.st_dev, status.st_ino))
        ) as again:
            assert again.read() == b"line one\n"


Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start() -> Iterator[Start]:
    """Starts the console script in the background; whatever happens, each one is ended and waited for."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(*args: str | Path) -> subprocess.Popen[bytes]:
        command = subprocess.Popen([str(SCRIPT), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(command)
        return command

    yield launch
    for command in started:
        if command.poll() is None:
            command.kill()
        command.communicate(timeout=30)


def _workers_of(command: subprocess.Popen[bytes], deadline: float = 20) -> list[psutil.Process]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        children: list[psutil.Process] = psutil.Process(command.pid).children()
        if len(children) >= 2:
            return children
        time.sleep(0.02)
    pytest.fail("no worker processes started")


def _gone(processes: list[psutil.Process], deadline: float = 10) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=deadline)
    return not [process for process in alive if process.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.slow
def test_a_log_deleted_during_a_jobs_run_is_still_read_whole(tmp_path: Path, start: Start) -> None:
    log = jsonl(tmp_path / "log.jsonl", 400_000, invalid_every=1000)
    command = start("--jobs", "2", log)
    _workers_of(command)
    log.unlink()
    stdout, stderr = command.communicate(timeout=120)
    assert b"Traceback" not in stderr
    assert stdout.decode().splitlines()[-1] == "1 file, 400,000 documents checked: 400 invalid, 400 errors"


@pytest.mark.slow
@pytest.mark.parametrize(("sent", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_workers_end_with_the_main_process(tmp_path: Path, sent: signal.Signals, status: int, start: Start) -> None:
    log = jsonl(tmp_path / "log.jsonl", 400_000, invalid_every=1000)
    command = start("--jobs", "2", log)
    workers = _workers_of(command)
    command.send_signal(sent)
    _, stderr = command.communicate(timeout=30)
    assert command.returncode == status, stderr
    assert b"Traceback" not in stderr
    assert _gone(workers)


def test_ctrl_c_while_the_pool_starts_its_manager_thread_is_no_traceback() -> None:
    # CPython's ProcessPoolExecutor.submit creates its manager thread, then start() waits for it to
    # run: a SIGINT in that wait left a thread that join() refuses, and Ctrl-C ended in a traceback
    # ("cannot join thread before it is started") instead of exit 130. Planted here: a manager
    # thread that is not started yet, and one that never will be.
    for starts_later in (True, False):
        workers = Workers(2)
        with pytest.raises(KeyboardInterrupt):
            _interrupted_while_starting(workers, starts_later)
        assert workers._pool is None


def _interrupted_while_starting(workers: Workers, starts_later: bool) -> None:
    with workers:
        pool = workers._start()
        manager = threading.Thread(target=lambda: None)
        pool._executor_manager_thread = manager  # type: ignore[assignment]  # typeshed has it wrong
        if starts_later:
            threading.Timer(0.05, manager.start).start()
        raise KeyboardInterrupt


@pytest.mark.slow
def test_workers_end_even_when_the_main_process_is_killed(tmp_path: Path, start: Start) -> None:
    log = jsonl(tmp_path / "log.jsonl", 400_000)
    command = start("--jobs", "2", log)
    workers = _workers_of(command)
    command.kill()
    command.communicate(timeout=30)
    assert _gone(workers)


@pytest.mark.slow
def test_a_worker_that_dies_is_reported_and_its_lines_checked_again(tmp_path: Path, start: Start) -> None:
    # Its lines, and those of the others in flight, are checked once more in the main process
    # (#27 item 19): no line goes unchecked, and the death is said as a warning.
    log = jsonl(tmp_path / "log.jsonl", 400_000)
    command = start("--jobs", "2", log)
    _workers_of(command)[0].kill()
    stdout, stderr = command.communicate(timeout=120)
    text = stdout.decode()
    assert b"Traceback" not in stderr
    assert command.returncode == 0, text[-2000:]
    assert "warning: a worker process died during this input; the lines it held were checked again" in text
    assert text.splitlines()[-1].startswith("1 file, 400,000 documents checked: 0 invalid")


def test_a_reader_that_stops_early_gets_the_status_of_what_was_found(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"{broken\n" + (b'{"id": 1}\n' * 4_000))  # far more output than a pipe holds
    pipeline = f"set -o pipefail; {SCRIPT} {log} | head -1"
    result = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith(f"{log}:1:2: error:")
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr


def test_a_disk_that_fails_mid_file_ends_its_lines_with_a_located_io_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = jsonl(tmp_path / "log.jsonl", 5000, invalid_every=1000)  # ~2 MB: more than one block
    real_open = Path.open

    class Failing(io.BufferedReader):
        """The file, whose reads past its first megabyte fail as a disk with a bad sector does."""

        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() >= 1 << 20:
                raise OSError(errno.EIO, "Input/output error")
            return super().read(size)

    def opened(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self == log:
            return Failing(real_open(self, "rb", buffering=0))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", opened)
    result = cli("--jobs", "1", str(log))
    assert result.returncode == 2, result.stdout
    *findings, summary = result.stdout.splitlines()
    assert findings[0].startswith(f"{log}:1000:")  # the findings of what was read are kept
    checked = int(summary.split(" documents checked")[0].split(", ")[1].replace(",", ""))
    assert 1000 < checked < 5000
    assert findings[-1] == (
        f"{log}:{checked + 1}:1: error: the input cannot be read from line {checked + 1} on: input/output error [io]"
    )
    assert "Traceback" not in result.stderr
