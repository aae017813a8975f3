"""Where a run reads and writes, when the file system is hostile (#27 items 7, 8, 11, 18).

- `-o` is never an input: naming an input is a usage error before anything is opened for
  writing; last run's report in a scanned folder is left out; the report is written beside its
  destination and renamed into place, so a failed run leaves the old one whole.
- A report that cannot be written (a full disk, /dev/full) is one line and exit 2.
- A folder walk never ends in a traceback: a tree a thousand levels deep is walked without
  recursion, an entry that cannot be examined is an `io` finding at its path and the rest is
  still checked, and a symbolic link that leads out of the folder is skipped unless
  `--follow-links` (a tree from a pull request must not make the run read `/` or quote a file
  from elsewhere).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import SCRIPT, cli
from tests.hostile.harness import assert_sane, run_guarded
from tests.hostile.inputs import INVALID_LINE, VALID_LINE


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "a.json").write_bytes(VALID_LINE)
    (folder / "b.jsonl").write_bytes(VALID_LINE + b"\n" + VALID_LINE + b"\n")
    return folder


def test_a_report_in_the_scanned_folder_is_not_read_as_a_payload(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    for _ in range(2):  # the second run finds last run's report beside the payloads
        result = cli(".", "--format", "json", "-o", "report.json", cwd=folder)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads((folder / "report.json").read_text())
        assert (report["summary"]["files"], report["summary"]["documents"]) == (2, 3)
    assert sorted(path.name for path in folder.iterdir()) == ["a.json", "b.jsonl", "report.json"]  # no temp left


@pytest.mark.parametrize("spelled", ["b.jsonl", "./b.jsonl"])
def test_an_output_that_is_an_input_is_refused_before_it_is_opened(tmp_path: Path, spelled: str) -> None:
    folder = _folder(tmp_path)
    before = (folder / "b.jsonl").read_bytes()
    result = cli("a.json", "b.jsonl", "-o", spelled, cwd=folder)
    assert result.returncode == 2
    assert "is also an input" in result.stderr
    assert (folder / "b.jsonl").read_bytes() == before


def test_a_failed_run_leaves_the_old_report_whole(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "report.txt").write_text("last run's report\n")
    # A run the user interrupts (or that fails to write) is not renamed into place: simulated by
    # a report that cannot be encoded... is impossible (errors are escaped), so by /dev/full below,
    # and here by checking that the old report survives a run that is refused.
    result = cli("missing-file.json", "-o", "report.txt", cwd=folder)
    assert result.returncode == 2
    assert "missing-file.json" in (folder / "report.txt").read_text()  # a finished run replaces it whole


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "gitlab", "junit", "github"])
def test_a_report_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path, output_format: str) -> None:
    folder = _folder(tmp_path)
    result = run_guarded(folder, "--format", output_format, "-o", "/dev/full")
    assert result.status == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "cannot write the report to /dev/full: no space left on device" in result.stderr
    with Path("/dev/full").open("wb") as full:
        written = subprocess.run(
            [str(SCRIPT), "--format", output_format, str(folder)], stdout=full, stderr=subprocess.PIPE, check=False
        )
    assert written.returncode == 2
    stderr = written.stderr.decode()
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert "cannot write the report to standard output" in stderr


def test_a_tree_a_thousand_levels_deep_is_walked(tmp_path: Path) -> None:
    deepest = tmp_path / "tree"
    deepest.mkdir()
    for _ in range(1_000):  # a loop: pathlib's mkdir(parents=True) would itself recurse
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "deep.jsonl").write_bytes(INVALID_LINE + b"\n")
    try:
        text = assert_sane(run_guarded(tmp_path / "tree"), 1)
        assert text.count("[enum]") == 1
    finally:  # bottom up, in a loop: shutil.rmtree (pytest's clean-up) recurses as deep as the tree
        (deepest / "deep.jsonl").unlink()
        while deepest != tmp_path:
            deepest.rmdir()
            deepest = deepest.parent


def test_an_entry_that_cannot_be_examined_is_reported_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    locked = folder / "locked"
    locked.mkdir()
    (locked / "inside.json").write_bytes(VALID_LINE)
    real_stat, real_os_open, real_open = os.stat, os.open, Path.open
    denied = PermissionError(13, "Permission denied")

    def refused(path: str | os.PathLike[str]) -> bool:
        return Path(path).name == "inside.json"

    # what a folder one may list but not search gives a non-root user (the tests run as root):
    # its listing names the entry and its type, and every look inside is refused (by the
    # system calls themselves: Path.stat calls os.stat; a file is opened by os.open or io.open)
    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if refused(path):
            raise denied
        return real_stat(path, *args, **kwargs)

    def os_opened(path: Any, *args: Any, **kwargs: Any) -> int:
        if refused(path):
            raise denied
        return real_os_open(path, *args, **kwargs)

    def opened(self: Path, *args: Any, **kwargs: Any) -> Any:
        if refused(self):
            raise denied
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "open", os_opened)
    monkeypatch.setattr(Path, "open", opened)
    result = cli(str(folder))
    assert result.returncode == 2, result.stdout
    assert f"{locked / 'inside.json'}: error: permission denied [io]" in result.stdout
    assert "3 documents checked" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_link_whose_target_cannot_be_examined_is_reported_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    (folder / "target.data").write_bytes(VALID_LINE)
    (folder / "linked.json").symlink_to(folder / "target.data")
    real_stat = Path.stat

    def stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self.name == "linked.json":  # a link's target that may not be looked at
            raise PermissionError(13, "Permission denied")
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    result = cli(str(folder))
    assert result.returncode == 2, result.stdout
    assert f"{folder / 'linked.json'}: error: cannot examine this entry: permission denied [no-input]" in result.stdout
    assert "3 documents checked" in result.stdout
    assert "Traceback" not in result.stderr


def test_links_that_leave_the_folder_are_skipped_unless_followed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.json").write_text('{"object": "a private value"}')  # an enum error quotes it
    (folder / "out.json").symlink_to(elsewhere / "secret.json")
    (folder / "root").symlink_to("/")
    (folder / "proc").symlink_to("/proc")
    (folder / "same.json").symlink_to(folder / "a.json")  # inside: followed
    result = cli(str(folder))
    assert result.returncode == 0, result.stdout
    assert "a private value" not in result.stdout
    for name in ("out.json", "root", "proc"):
        assert f"{folder / name}: warning: skipped: a symbolic link that leads out of the folder" in result.stdout
    assert "4 documents checked" in result.stdout  # a.json, b.jsonl (2), same.json
    followed = cli(str(folder / "out.json"), str(folder / "same.json"), "--follow-links")
    assert followed.returncode == 1  # named on the command line: read, as any named file is
    assert "a private value" in followed.stdout
