"""`--format json` is written from spools: the same bytes as one json.dump of the whole document, in flat memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator._reporters.json_document import JsonReporter, _finite
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding
from tests.cli_helpers import SCRIPT
from tests.hostile.inputs import jsonl

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
findings = st.builds(
    Finding,
    st.none() | st.lists(st.text(max_size=4) | st.integers(0, 9), max_size=3).map(tuple),
    st.sampled_from(["type", "enum", "usage-total", "parse"]),
    st.text(),
    st.none() | st.text(max_size=10),
    json_values,
    file=st.text(max_size=10),
    line=st.none() | st.integers(1, 99),
)


@given(st.lists(findings, max_size=5), st.lists(st.text(max_size=8), max_size=3))
def test_the_spooled_document_is_byte_identical_to_one_dump(found: list[Finding], names: list[str]) -> None:
    out = io.StringIO()
    reporter = JsonReporter(out)
    summary = Summary()
    for finding in found:
        reporter.finding(finding)
    for name in names:
        result = FileResult(name, documents=1)
        summary.files.append(result)
        reporter.file(result)
    reporter.finish(summary)
    expected = {
        "valid": summary.exit_status == 0,
        "summary": summary.as_dict(),
        "files": [FileResult(name, documents=1).as_dict() for name in names],
        "errors": [finding.as_dict() for finding in found],
    }
    # strict JSON: a non-finite `actual` is written as its text ("inf"), never as Infinity
    assert out.getvalue() == json.dumps(_finite(expected), ensure_ascii=False, indent=2) + "\n"


def test_a_value_too_deep_for_the_encoder_is_shown_shortened() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(3000):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    out = io.StringIO()
    reporter = JsonReporter(out)
    reporter.finding(Finding(("model",), "type", "not a string", actual=deep))
    reporter.finish(Summary())
    assert json.loads(out.getvalue())["errors"][0]["actual"].startswith("[[[[")


@pytest.mark.slow
def test_json_output_memory_does_not_grow_with_the_findings(tmp_path: Path) -> None:
    peaks = {}
    for lines in (10_000, 100_000):
        log = jsonl(tmp_path / f"{lines}.jsonl", lines, invalid_every=1)
        probe = (
            "import resource, subprocess, sys;"
            f"subprocess.run([{str(SCRIPT)!r}, '--jobs', '2', '--format', 'json', {str(log)!r}],"
            " stdout=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        peaks[lines] = int(output) // 1024
    assert peaks[100_000] <= peaks[10_000] + 20, peaks  # MiB; 129 MB per 100k findings before
