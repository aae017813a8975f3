"""The published pre-commit hook, run by real pre-commit from the README's snippet.

pre-commit installs the hook's environment from the package registry, as it always does, so
these tests need the network: deselect them with `-m "not network"` when offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

pytestmark = [pytest.mark.network, pytest.mark.slow]
EXAMPLES = REPO / "tests/examples"


def _environment(cwd: Path) -> dict[str, str]:
    # pre-commit's environments go beside the test project, also when git runs the installed hook.
    home = str(cwd.parent / "pre-commit-home")
    identity = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return {**os.environ, **identity, "PRE_COMMIT_HOME": home, "NO_COLOR": "1"}


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=_environment(cwd), check=False)


def _readme_snippet() -> dict[str, object]:
    readme = (REPO / "README.md").read_text()
    match = re.search(r"<!-- pre-commit-snippet -->\s*```yaml\n(.*?)```", readme, re.DOTALL)
    assert match, "the README lost its pre-commit snippet"
    config = yaml.safe_load(match.group(1))
    assert isinstance(config, dict)
    return config


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose .pre-commit-config.yaml is the README snippet, pointed at this checkout.

    pre-commit clones the hook repository at `rev`, so the checkout's committed HEAD is tested;
    the working tree is snapshotted into a commit first when it has changes.
    """
    head = _git("rev-parse", "HEAD", cwd=REPO).stdout.strip()
    if _git("status", "--porcelain", cwd=REPO).stdout.strip():
        snapshot = tmp_path_factory.mktemp("snapshot") / "repo"
        shutil.copytree(
            REPO, snapshot, ignore=shutil.ignore_patterns(".venv", ".git", "*_cache", "__pycache__", ".hypothesis")
        )
        _git("init", "-q", cwd=snapshot)
        _git("add", "-A", cwd=snapshot)
        _git("commit", "-q", "-m", "snapshot", cwd=snapshot)
        source, head = snapshot, _git("rev-parse", "HEAD", cwd=snapshot).stdout.strip()
    else:
        source = REPO
    config = _readme_snippet()
    repos = config["repos"]
    assert isinstance(repos, list)
    repos[0]["repo"] = str(source)
    repos[0]["rev"] = head
    project = tmp_path_factory.mktemp("project")
    _git("init", "-q", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (project / "unrelated.json").write_text('{"not": "a completion"}')
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "--no-verify", "-m", "setup", cwd=project)
    return project


def _pre_commit(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "pre-commit"), *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, env=_environment(project), check=False)


def test_hook_lets_a_valid_fixture_through_and_ignores_other_json(project: Path) -> None:
    shutil.copy(EXAMPLES / "valid/v01_openai_spec_example_nonstream.json", project / "ok.completion.json")
    _git("add", "-A", cwd=project)
    result = _pre_commit(project, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^completion-validator\.+Passed$", result.stdout, re.MULTILINE), result.stdout


def test_hook_blocks_a_commit_of_an_invalid_fixture_with_located_errors(project: Path) -> None:
    assert _pre_commit(project, "install").returncode == 0
    shutil.copy(EXAMPLES / "invalid/e03_tgi_eos_token.json", project / "tgi.completion.json")
    _git("add", "-A", cwd=project)
    commit = _git("commit", "-m", "add a TGI fixture", cwd=project)
    assert commit.returncode != 0
    output = commit.stdout + commit.stderr
    assert "tgi.completion.json:12:24: error: $.choices[0].finish_reason: 'eos_token' is not one of" in output
    assert "Failed" in output


def test_hook_reads_jsonl_and_takes_args(project: Path) -> None:
    line = (EXAMPLES / "invalid/i23_finish_reason_null_stream_chunk.json").read_text().replace("\n", "")
    (project / "chunks.completion.jsonl").write_text(line + "\n" + line + "\n")
    _git("add", "-A", cwd=project)
    strict = _pre_commit(project, "run", "--files", "chunks.completion.jsonl")
    assert strict.returncode == 1
    assert "chunks.completion.jsonl:2:" in strict.stdout
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    config["repos"][0]["hooks"][0]["args"] = ["--lenient"]
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    lenient = _pre_commit(project, "run", "--files", "chunks.completion.jsonl")
    assert lenient.returncode == 0, lenient.stdout


def test_try_repo_runs_the_hook_from_a_checkout(project: Path) -> None:
    shutil.copy(EXAMPLES / "invalid/e03_tgi_eos_token.json", project / "try.completion.json")
    _git("add", "-A", cwd=project)
    result = _pre_commit(project, "try-repo", str(REPO), "completion-validator", "--files", "try.completion.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "try.completion.json:12:24: error: $.choices[0].finish_reason" in result.stdout
