"""The release workflow builds what users install, and pull requests build it too (#24 item 7).

GitHub runs the workflow, not this suite; these tests hold its text to the promises the docs make:
wheels for every supported CPython (3.14 included) on Linux, macOS (ARM and Intel) and Windows,
built and tested for pull requests, every distribution `twine check`ed, and an upload only on a tag.
"""

from __future__ import annotations

import tomllib
from typing import Any

import yaml

from tests.conftest import REPO

WORKFLOW: dict[Any, Any] = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text())
JOBS: dict[str, Any] = WORKFLOW["jobs"]
# PyYAML reads the key `on` as True (YAML 1.1)
TRIGGERS: dict[str, Any] = WORKFLOW["on"] if "on" in WORKFLOW else WORKFLOW[True]


def _step(job: str, uses: str) -> dict[str, Any]:
    (step,) = [step for step in JOBS[job]["steps"] if step.get("uses", "").startswith(uses)]
    found: dict[str, Any] = step
    return found


def test_pull_requests_build_and_test_every_wheel_but_publish_nothing() -> None:
    assert "pull_request" in TRIGGERS
    assert TRIGGERS["push"]["tags"] == ["v*"]
    assert JOBS["publish"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert all("if" not in JOBS[job] for job in ("sdist", "wheels"))


def test_wheels_for_every_supported_python_and_platform() -> None:
    classifiers = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["classifiers"]
    supported = sorted(c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3."))
    built = _step("wheels", "pypa/cibuildwheel@")["env"]["CIBW_BUILD"].split()
    assert built == [f"cp{version.replace('.', '')}-*" for version in supported]
    assert "3.14" in supported
    runners = set(JOBS["wheels"]["strategy"]["matrix"]["os"])
    assert {"ubuntu-latest", "ubuntu-24.04-arm", "macos-latest", "macos-15-intel", "windows-latest"} <= runners


def test_every_distribution_is_twine_checked() -> None:
    def commands(job: str) -> str:
        return "\n".join(step.get("run", "") for step in JOBS[job]["steps"])

    assert "twine check --strict dist/*" in commands("sdist")
    assert "twine check --strict wheelhouse/*" in commands("wheels")
