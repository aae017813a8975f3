"""`.ci/run` fails when the default suite fails, whatever step of the README's `&&` chain fails.

Bash's `set -e` does not stop a script at a failure inside an `&&` list (only at its last
command): `.ci/run` once went on to the slow group after a failing `pytest` and exited 0. Here the
script runs as it is, from a copy of its folder, with stand-ins (`tests/ci_stand_ins`) for
`python3` and the tools of its `.venv`: they note what ran and fail where a test says.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAND_INS = Path(__file__).resolve().parent / "ci_stand_ins"
SLOW = "pytest -m slow -n 0"  # the slow group, in one process: its real servers and engines each want the machine


def _run_ci(tmp_path: Path, **failing: int) -> tuple[int, list[str]]:
    """`.ci/run`'s exit status and what it ran, with FAIL_<NAME>=status for each of `failing`."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    tools = tmp_path / "stand-ins"
    tools.mkdir()
    # `tool` beside `python3`, which copies it into the .venv; clang and chromium found, so not installed
    stand_ins = {"python3": "python3", "tool": "tool", "clang": "tool", "chromium": "tool", "chromedriver": "tool"}
    for name, source in stand_ins.items():
        shutil.copy(STAND_INS / source, tools / name)
        (tools / name).chmod(stat.S_IRWXU)
    ran = tmp_path / "ran.txt"
    environment = {
        "PATH": os.pathsep.join([str(tools), "/usr/bin", "/bin"]),
        "CI_RAN": str(ran),
        **{f"FAIL_{name.upper()}": str(status) for name, status in failing.items()},
    }
    result = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")], env=environment, capture_output=True, timeout=60, check=False
    )
    return result.returncode, ran.read_text(encoding="utf-8").splitlines() if ran.exists() else []


def test_a_green_run_runs_the_default_suite_then_the_slow_group(tmp_path: Path) -> None:
    status, ran = _run_ci(tmp_path)
    assert status == 0
    assert [line for line in ran if line.startswith("pytest")] == ["pytest ", SLOW]


@pytest.mark.parametrize(("name", "status"), [("pytest", 1), ("pytest", 2), ("ruff", 1), ("mypy", 1)])
def test_a_failure_in_the_readme_chain_fails_ci_before_the_slow_group(tmp_path: Path, name: str, status: int) -> None:
    exit_status, ran = _run_ci(tmp_path, **{name: status})
    assert exit_status == status
    assert SLOW not in ran


def test_a_failing_slow_group_fails_ci(tmp_path: Path) -> None:
    exit_status, ran = _run_ci(tmp_path, slow=3)
    assert exit_status == 3
    assert ran[-1] == SLOW
