"""The package as users get it: a wheel built from the sdist, installed into a clean venv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

PROBE = """
import json, sys
import completion_validator
from completion_validator import iter_errors
from completion_validator._registry import schema_dir
payload = json.loads(sys.argv[1])
print(json.dumps({
    "module": completion_validator.__file__,
    "schemas": str(schema_dir()),
    "errors": [[e.pointer, e.keyword] for e in iter_errors(payload)],
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
