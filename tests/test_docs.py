"""Every example in the README, CONTRIBUTING.md and docs/ runs as pasted and prints what its page shows.

See `tests/docs.py` for how a page is read and run. One test per page runs its examples in
order in a clean directory; the slow group runs the blocks marked slow (the Dask and Spark
recipes). A block that is not run must say why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.docs import PAGES, read_blocks, run_page, write_back
from tests.rules_page import PAGE as RULES_PAGE
from tests.rules_page import passing_files, render

RUN = ("console", "python")


def _ids(pages: list[Path]) -> list[str]:
    return [str(page.relative_to(REPO)) for page in pages]


def _check(page: Path, tmp_path: Path, *, slow: bool) -> None:
    blocks = read_blocks(page)
    mismatches = run_page(page, tmp_path, blocks, slow=slow)
    if mismatches and os.environ.get("UPDATE_DOCS"):
        write_back(page, blocks, mismatches)
    assert not mismatches, "\n\n".join(str(mismatch) for mismatch in mismatches)


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_the_examples_of_a_page_print_what_it_shows(page: Path, tmp_path: Path) -> None:
    _check(page, tmp_path, slow=False)


SLOW_PAGES = [page for page in PAGES if any(block.directive == "slow" for block in read_blocks(page))]


@pytest.mark.slow
@pytest.mark.parametrize("page", SLOW_PAGES, ids=_ids(SLOW_PAGES))
def test_the_slow_examples_of_a_page_print_what_it_shows(page: Path, tmp_path: Path) -> None:
    _check(page, tmp_path, slow=True)


def _unexplained(language: str, directive: str | None, reason: str, has_commands: bool) -> bool:
    if directive == "skip":
        return not reason
    return language == "console" and not has_commands


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_example_runs_or_says_why_not(page: Path) -> None:
    unexplained = [
        f"{page.relative_to(REPO)}:{block.start}: a {block.language} block"
        for block in read_blocks(page)
        if block.language in RUN and _unexplained(block.language, block.directive, block.reason, bool(block.commands))
    ]
    assert not unexplained, "a block that is not run says why (<!-- docs-test: skip REASON -->)"


def test_the_rules_page_is_generated_from_the_registry(tmp_path: Path) -> None:
    generated = render(tmp_path)
    if os.environ.get("UPDATE_DOCS"):
        RULES_PAGE.write_text(generated, encoding="utf-8")
    assert RULES_PAGE.read_text(encoding="utf-8") == generated, "UPDATE_DOCS=1 pytest tests/test_docs.py writes it"


def test_every_response_and_stream_rule_has_a_passing_example_that_passes_it() -> None:
    from completion_validator._rules import RULES

    named = passing_files()
    assert set(named) == {rule_id for rule_id, rule in RULES.items() if rule.scope != "probe"}
    for rule_id, payload in named.items():
        result = cli("--select", rule_id, "--warnings-as-errors", str(payload))
        assert result.returncode == 0, (rule_id, result.stdout)


def test_the_conformance_page_is_generated_from_the_pinned_findings() -> None:
    from tests.conformance_page import render as render_conformance

    page = REPO / "docs" / "conformance.md"
    generated = render_conformance()
    if os.environ.get("UPDATE_DOCS"):
        page.write_text(generated, encoding="utf-8")
    assert page.read_text(encoding="utf-8") == generated, "UPDATE_DOCS=1 pytest tests/test_docs.py writes it"


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [block.lines[0] for block in read_blocks(REPO / "README.md") if block.language == "console"]
    test_command = next(command for command in commands if "pytest" in command)
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines
    assert commands[0] in readme
