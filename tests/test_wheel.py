"""The package as users get it: a wheel built from the sdist, installed into a clean venv."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import completion_validator
from tests.conftest import REPO

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
import completion_validator
from completion_validator import iter_errors
from completion_validator._registry import schema_dir
from completion_validator._fastpath._judge import scanner
from completion_validator._settings import Settings
payload = json.loads(sys.argv[1])
print(json.dumps({
    "module": completion_validator.__file__,
    "schemas": str(schema_dir()),
    "errors": [[e.pointer, e.keyword] for e in iter_errors(payload)],
    "scanner": scanner(Settings()) is not None,
}))
"""


def test_installed_wheel_carries_its_schemas_and_validates(wheel_venv: Path, tmp_path: Path) -> None:
    payload = json.loads((REPO / "tests/examples/invalid/e03_tgi_eos_token.json").read_text())
    result = subprocess.run(
        [str(wheel_venv), "-I", "-c", PROBE, json.dumps(payload)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)
    site = Path(report["module"]).parent.parent
    assert site.is_relative_to(wheel_venv.parent.parent), "imported the checkout, not the wheel"
    assert Path(report["schemas"]) == Path(report["module"]).parent / "schemas"
    assert report["errors"] == [["/choices/0/finish_reason", "enum"]]
    assert report["scanner"], "the wheel was built without its compiled scanner (hatch_build.py)"


USER_TEST = """
def test_bad(assert_valid_completion):
    assert_valid_completion({"id": "x", "object": "text_completion", "created": 1, "model": "m",
                             "choices": [{"text": "t", "index": 0, "logprobs": None, "finish_reason": "eos"}]})
"""


def test_installed_wheel_registers_the_pytest_plugin(wheel_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    result = subprocess.run(
        [str(wheel_venv), "-I", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "$.choices[0].finish_reason  [enum]" in result.stdout
    assert "1 failed" in result.stdout


def test_installed_wheel_has_the_console_script(wheel_venv: Path, tmp_path: Path) -> None:
    script = wheel_venv.parent / "completion-validator"
    bad = REPO / "tests/examples/invalid/e03_tgi_eos_token.json"
    result = subprocess.run([str(script), str(bad)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert f"{bad}:12:24: error: $.choices[0].finish_reason" in result.stdout


def test_the_distributions_pass_twine_check(built_dists: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(built_dists.iterdir()))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_carries_its_metadata_entry_points_schemas_and_type_marker(built_dists: Path) -> None:
    [wheel] = built_dists.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
        [entry_points_name] = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(entry_points_name).decode()
    assert "completion_validator/py.typed" in names
    assert {f"completion_validator/schemas/{name}" for name in ("completion.schema.json", "usage.schema.json")} <= names
    assert f"Version: {completion_validator.__version__}" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "completion-validator = completion_validator.cli:main" in entry_points
    assert "completion_validator = completion_validator.pytest_plugin" in entry_points


USER_MODULE = """
from completion_validator import Finding, InvalidCompletion, is_valid, iter_errors, iter_stream_errors, validate
from completion_validator.testing import CompletionAssertionError, assert_valid_completion

def pointers(payload: dict[str, object]) -> list[str | None]:
    return [error.pointer for error in iter_errors(payload, lenient=True)]

def events(capture: str) -> list[int | None]:
    return [error.event for error in iter_stream_errors(capture)]

def first(payload: object) -> Finding | None:
    return next(iter(iter_errors(payload)), None)

ok: bool = is_valid({})
"""


def test_the_installed_wheel_type_checks_for_its_users(wheel_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(USER_MODULE)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(wheel_venv), "--no-incremental"]
    clean = subprocess.run([*mypy, "user.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (tmp_path / "user.py").write_text(USER_MODULE + "\nwrong: str = is_valid({})\nvalidate({}, lenient='yes')\n")
    broken = subprocess.run([*mypy, "user.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert broken.returncode == 1
    assert 'Incompatible types in assignment (expression has type "bool", variable has type "str")' in broken.stdout
    assert 'Argument "lenient" to "validate" has incompatible type "str"' in broken.stdout
