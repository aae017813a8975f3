"""`--format html`: the page's numbers are `--format json`'s, nothing a payload wrote is markup, size stays bounded.

These read the page as a DOM (the standard library's parser); `test_html_browser.py` (slow group)
opens the same pages in a real headless Chromium.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from completion_validator._reporters.html import MODELS_TRACKED, POLICY
from tests.cli_helpers import SCRIPT, cli
from tests.conftest import REPO
from tests.probe.fake_server import fake_server

HOSTILE = REPO / "tests/html/hostile.jsonl"


class Page(HTMLParser):
    """What the tests look at: elements by tag, the summary counts, the rule table's rows, the text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.counts: dict[str, int] = {}
        self.rules: dict[str, tuple[int, int]] = {}
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._count: str | None = None
        self._in_rules = False
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "h2":
            self._in_rules = attributes.get("id") == "rules"
        if tag == "tr" and self._in_rules:
            self._row = []
        if tag in ("th", "td") and self._row is not None:
            self._cell = []
        if tag == "td" and attributes.get("data-count"):
            self._count = attributes["data-count"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            if len(self._row) >= 3 and self._row[1].replace(",", "").isdigit():
                self.rules[self._row[0]] = (int(self._row[1].replace(",", "")), int(self._row[2].replace(",", "")))
            self._row = None
        if tag == "td":
            self._count = None
        if tag == "section":
            self._in_rules = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._count is not None and data.strip():
            self.counts[self._count] = int(data.replace(",", ""))


def _report(*args: str, tmp_path: Path) -> tuple[Page, str, dict[str, object]]:
    page = tmp_path / "report.html"
    result = cli("--format", "html", "-o", str(page), *args)
    document = json.loads(cli("--format", "json", "--statistics", *args).stdout)
    assert result.returncode == document["summary"]["exit_status"]
    markup = page.read_text(encoding="utf-8")
    return Page(markup), markup, document


def test_the_page_shows_the_numbers_json_shows(tmp_path: Path) -> None:
    page, _, document = _report(str(REPO / "tests/examples"), tmp_path=tmp_path)
    summary = document["summary"]
    assert isinstance(summary, dict)
    shown = {key: value for key, value in summary.items() if key != "unreadable_files"}
    assert page.counts == shown
    statistics = document["statistics"]
    assert isinstance(statistics, dict)
    assert {keyword: sum(counts) for keyword, counts in page.rules.items()} == statistics
    errors = document["errors"]
    assert isinstance(errors, list)
    for keyword, (error_count, warning_count) in page.rules.items():
        assert error_count == sum(1 for e in errors if e["keyword"] == keyword and e["severity"] == "error")
        assert warning_count == sum(1 for e in errors if e["keyword"] == keyword and e["severity"] == "warning")
    ordered = list(page.rules)
    assert page.rules[ordered[0]][0] == max(errors for errors, _ in page.rules.values()), "the worst rule first"


def test_the_page_is_whole_and_accessible(tmp_path: Path) -> None:
    page, markup, _ = _report(str(REPO / "tests/examples"), tmp_path=tmp_path)
    assert markup.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en"}) in page.tags
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": POLICY}) in page.tags
    sections = [attributes.get("id") for tag, attributes in page.tags if tag == "h2"]
    assert sections == ["summary", "rules", "models", "time", "examples", "files"]
    headers = [attributes for tag, attributes in page.tags if tag == "th"]
    assert headers
    assert all(attributes.get("scope") in ("row", "col") for attributes in headers)
    # nothing that loads or runs: no script, no external resource, no inline handler
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "iframe", "link", "object", "embed", "form")]
    assert not [a for _, attributes in page.tags for a in attributes if a.startswith("on")]
    assert "prefers-color-scheme: dark" in markup
    assert "@media print" in markup
    # every example is located and shows its line with a caret under the column
    assert "c10_openai_gpt4o_sdk_dump_text.json:14:26" in markup
    assert "&quot;function_call&quot;: null,\n                         ^</pre>" in markup


def test_nothing_a_payload_wrote_becomes_markup(tmp_path: Path) -> None:
    log = tmp_path / "hostile.jsonl"
    huge = {
        "id": "cmpl-1", "object": "x" * 1_000_000, "created": 1735300000, "model": "<b>" + "m" * 1_000_000,
        "choices": [{"text": "</pre></style>", "index": 0, "logprobs": None, "finish_reason": "<script>"}],
    }  # fmt: skip
    log.write_text(HOSTILE.read_text(encoding="utf-8") + json.dumps(huge) + "\n", encoding="utf-8")
    page, markup, document = _report(str(log), tmp_path=tmp_path)
    assert "<script" not in markup.lower()
    assert "<iframe" not in markup.lower()
    assert "<img" not in markup.lower()
    assert markup.count("</style>") == 1, "only the page's own style element closes"
    assert "<b>" not in markup
    for invisible in ("\u202e", "\u2066", "\u200b"):
        assert invisible not in markup, "bidi overrides and zero widths are shown as escapes"
    assert "\\u202e" in markup
    assert len(markup) < 200_000, "a 1 MB value is shortened wherever it shows"
    assert page.counts["errors"] == document["summary"]["errors"]  # type: ignore[index]
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "iframe", "a") and tag != "a"]
    links = [attributes.get("href") for tag, attributes in page.tags if tag == "a"]
    assert all(href and href.startswith("#") for href in links), "the only links are the page's own anchors"


def test_a_log_of_many_models_keeps_a_bounded_sample(tmp_path: Path) -> None:
    log = tmp_path / "models.jsonl"
    line = {"id": "", "object": "text_completion", "model": "", "choices": []}
    with log.open("w", encoding="utf-8") as out:
        for number in range(MODELS_TRACKED + 500):
            out.write(json.dumps({**line, "model": f"model-{number}", "created": 1_700_000_000 + 3600 * number}) + "\n")
    page, markup, _document = _report(str(log), tmp_path=tmp_path)
    assert page.counts["documents"] == MODELS_TRACKED + 500
    # MODELS_TRACKED models are counted one by one, the 500 after them together; ten are shown
    assert '<th scope="row">(other)</th><td class="n">500</td>' in markup
    assert f"{MODELS_TRACKED + 1 - 10:,} more models not shown" in markup
    assert len(markup) < 150_000
    assert page.rules["id-empty"] == (0, MODELS_TRACKED + 500)


def test_the_probe_card_names_each_case_and_never_the_key(tmp_path: Path) -> None:
    page_file = tmp_path / "probe.html"
    with fake_server("n-ignored") as base_url:
        status = cli(
            "probe", "--base-url", base_url, "--model", "fake", "--api-key", "sk-do-not-show",
            "--format", "html", "-o", str(page_file), "--only", "basic,n,stream",
        ).returncode  # fmt: skip
        arguments = ("--base-url", base_url, "--model", "fake", "--format", "json", "--only", "basic,n,stream")
        document = json.loads(cli("probe", *arguments).stdout)
    markup = page_file.read_text(encoding="utf-8")
    page = Page(markup)
    assert status == document["summary"]["exit_status"] == 1
    assert "sk-do-not-show" not in markup
    assert page.counts["files"] == document["summary"]["files"] == 6
    rows = [attributes.get("href") for tag, attributes in page.tags if tag == "a"]
    assert {"#case-basic.json", "#case-n.json", "#case-chat/n.json"} <= set(rows)
    assert markup.count('<span class="error">invalid</span>') == 2  # n, for completions and for chat
    assert "probe-choices" in markup


def test_lines_are_read_back_from_gzip_and_never_from_a_fifo(tmp_path: Path) -> None:
    import gzip
    import os
    import subprocess
    import threading

    line = (REPO / "tests/examples/invalid/c12_lmstudio_2024_llama2_gguf.json").read_bytes().replace(b"\n", b"") + b"\n"
    compressed = tmp_path / "log.jsonl.gz"
    compressed.write_bytes(gzip.compress(line * 3))
    _, markup, _ = _report(str(compressed), tmp_path=tmp_path)
    assert markup.count('<pre class="source">') == 3, "three examples of `required`, each with its line"
    assert "Llama-2-7B-Chat-GGUF" in markup, "the model, read back through gzip"
    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(line,), daemon=True)
    writer.start()
    report = tmp_path / "fifo.html"
    command = [str(SCRIPT), "--format", "html", "-o", str(report), str(fifo)]
    result = subprocess.run(command, capture_output=True, check=False, timeout=60)  # opened twice, a FIFO would hang
    writer.join(timeout=5)
    assert result.returncode == 1
    text = report.read_text(encoding="utf-8")
    assert '<pre class="source">' not in text, "a FIFO is not opened again"
    assert Page(text).counts["errors"] == 2


def test_findings_hidden_by_max_errors_are_counted_under_their_severity(tmp_path: Path) -> None:
    from completion_validator._rules import RULES

    page, _, document = _report("--max-errors", "1", str(REPO / "tests/examples"), tmp_path=tmp_path)
    statistics = document["statistics"]
    assert isinstance(statistics, dict)
    assert {keyword: sum(counts) for keyword, counts in page.rules.items()} == statistics
    for keyword, (errors, warnings) in page.rules.items():
        if keyword in RULES:  # a rule has one severity
            assert (errors if RULES[keyword].severity == "warning" else warnings) == 0, keyword
