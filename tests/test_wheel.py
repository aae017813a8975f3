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
from completion_validator._schema_files import schema_dir
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
