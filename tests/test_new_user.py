"""Broken promises a new user met (#24), each held by a test that failed before its fix."""

from __future__ import annotations

import copy
import gzip
import json
import re
from typing import Any

import pytest
import yaml

from completion_validator import is_valid, iter_errors
from completion_validator._check import check
from completion_validator._inputs import SUFFIXES
from completion_validator._probe.cases import PROMPT, Case
from completion_validator._probe.outcome import Outcome
from completion_validator._rules import RULES, run_probe_rules
from completion_validator._settings import Settings
from completion_validator.batch import check_lines
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.examples import EXAMPLES
from tests.hostile.inputs import VALID


@pytest.mark.parametrize(
    ("usage_extra", "pointer"),
    [
        ({5: 1}, "/usage"),
        ({None: -1}, "/usage"),
        ({(1, 2): 1}, "/usage"),
        ({"completion_tokens_details": {1: 99}}, "/usage/completion_tokens_details"),
        ({"prompt_tokens_details": {2: -1}}, "/usage/prompt_tokens_details"),
    ],
)
def test_a_key_that_is_not_a_string_is_one_not_json_finding_never_an_exception(
    usage_extra: dict[Any, Any], pointer: str
) -> None:
    # item 2: usage-negative called name.endswith on an int key (AttributeError), and a
    # usage-details finding showed the int key as if it were an array index
    payload: dict[str, Any] = copy.deepcopy(VALID)
    payload["usage"] = {**payload["usage"], **usage_extra}
    found = [(error.keyword, error.pointer) for error in iter_errors(payload)]
    assert found == [("not-json", pointer)]
    assert found == [(error.keyword, error.pointer) for error in check(payload, Settings(), None)]
    assert not is_valid(payload)


_FRESH = """
import sys
from hypothesis import given, settings
from completion_validator import is_valid
from completion_validator.strategies import completions

@settings(max_examples=20)
@given(completions())
def test(payload):
    assert is_valid(payload)

test()
print("ok")
"""


def test_the_strategies_draw_nothing_slow_on_first_use(tmp_path: Any) -> None:
    # item 1: the first draw built Hypothesis's Unicode table (~2 s) and failed the health check
    # on every clean checkout; run in a fresh interpreter with an empty example database
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _FRESH], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr[-3000:]


def test_a_missing_logprobs_is_called_missing_not_null() -> None:
    asked = Case("logprobs-asked", {"prompt": PROMPT, "max_tokens": 1, "logprobs": 2}, "logprobs asked")
    outcome = Outcome(asked, {"model": "m", **asked.body}, 200, "application/json")
    for choice, shape in (({"index": 0, "text": "x"}, "missing"), ({"index": 0, "logprobs": None}, "null")):
        outcome.response = {"choices": [choice]}
        (found,) = [f for f in run_probe_rules(outcome, frozenset(RULES)) if f.keyword == "probe-logprobs"]
        assert found.message == f"logprobs=2 was requested, but the choice's logprobs is {shape}"


def test_the_command_and_report_summary_print_the_same_counts(tmp_path: Any) -> None:
    # item 4: the command counted unreadable *files* (1), Report.summary() unreadable *lines* (46),
    # and neither printed the thousands separators the README shows
    line = json.dumps(VALID)
    lines = [line if number % 26 else "{not json" for number in range(1, 1201)]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    command = cli("--no-progress", "-q", str(log)).stdout.splitlines()[-1]
    report = check_lines(lines, source=str(log))
    assert report.summary() == "1,154 documents checked: 0 invalid, 46 errors, 46 unreadable"
    assert command == f"1 file, {report.summary()}"


GZIPPED = [
    ("valid/h07_yaml_fixture.yaml", "yaml"),
    ("streams/valid/s01_openai_basic.sse", "sse"),
    ("streams/invalid/i15_missing_blank_line_before_done.sse", "sse"),
    ("valid/v01_openai_spec_example_nonstream.json", "json"),
    ("valid/c01_openai_spec_chat_completion.json", "json"),
]


@pytest.mark.parametrize(("example", "format_name"), GZIPPED, ids=[name for name, _ in GZIPPED])
def test_a_gzipped_input_reads_as_the_same_input_uncompressed(tmp_path: Any, example: str, format_name: str) -> None:
    # item 5: `--input-format sse cap.sse.gz` failed on byte 0x8b, `.yaml.gz` was read as JSON and
    # directory scans passed over `*.yaml.gz` and `*.sse.gz`
    source = EXAMPLES / example
    plain = cli("--no-progress", str(source)).stdout.replace(str(source), "INPUT")
    named = tmp_path / "named" / (source.name + ".gz")
    unnamed = tmp_path / "unnamed.gz"
    named.parent.mkdir()
    for path in (named, unnamed):
        path.write_bytes(gzip.compress(source.read_bytes()))
    assert cli("--no-progress", str(named)).stdout.replace(str(named), "INPUT") == plain
    assert cli("--no-progress", str(named.parent)).stdout.replace(str(named), "INPUT") == plain
    chosen = cli("--no-progress", "--input-format", format_name, str(unnamed))
    assert chosen.stdout.replace(str(unnamed), "INPUT") == plain


def test_the_hooks_files_pattern_takes_every_suffix_the_command_reads() -> None:
    # the hook's `files:` is a copy of the format table's suffixes: held to it (`.yaml.gz`, `.sse.gz` were missing)
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    assert [suffix for suffix in SUFFIXES if not pattern.search(f"reply.completion{suffix}")] == []
    assert not pattern.search("package.json")


def test_a_directory_scan_passes_over_tooling_files_and_what_exclude_names(tmp_path: Any) -> None:
    # item 9: a manifest.json or package.json beside the payloads was reported as an invalid
    # completion, and nothing could be left out of a scan
    valid = json.dumps(VALID)
    for name in ("a.json", "old/b.json", "node_modules/pkg/c.json", "sub/old/d.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(valid)
    for name in ("package.json", "manifest.json", "tsconfig.build.json", "reply.schema.json"):
        (tmp_path / name).write_text('{"name": "not a completion"}')
    # node_modules is passed over by default
    assert cli(str(tmp_path)).stdout.splitlines()[-1] == "3 files, 3 documents checked: 0 invalid, 0 errors"
    by_path = cli("--exclude", "old/*", str(tmp_path)).stdout.splitlines()[-1]
    assert by_path == "2 files, 2 documents checked: 0 invalid, 0 errors"  # sub/old/d.json is not old/*
    by_name = cli("--exclude", "old,sub", str(tmp_path)).stdout.splitlines()[-1]
    assert by_name == "1 file, 1 document checked: 0 invalid, 0 errors"  # every folder named old, and sub
    named = cli(str(tmp_path / "manifest.json"), str(tmp_path / "a.json"), "--exclude", "*.json")
    assert named.stdout.splitlines()[-1] == "2 files, 2 documents checked: 1 invalid, 5 errors"  # named: read
