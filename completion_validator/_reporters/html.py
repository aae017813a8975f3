"""`--format html`: one self-contained page to look at, share or attach to a bug report.

What a person triaging a log or a server wants first: the counts, which rules fire how often
(worst first, as bars), on which `model` and since when (`created`), then a located example of
each with its source line and a caret; for the probe, a card of the cases sent and what each
got. The page makes no network request of any kind and runs no script (its Content-Security-
Policy forbids both), reads the same without JavaScript, in light and dark, on screen and on
paper; every bar has its number beside it, in a table.

Everything a payload wrote is escaped and shortened (a payload is written by an attacker:
`</style>`, bidi overrides, 1 MB strings), and what is kept while the run goes is bounded: counts,
at most `EXAMPLES` examples a rule, `MODELS` models, `BUCKETS` hours of `created`, `FILES` file
rows. The model and `created` of a finding's document are read back from its line in the input
file, so the fast path stays as it is for every clean document.
"""

from __future__ import annotations

import datetime
import gzip
import html
import json
import re
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from completion_validator._reporters import OneByOne
from completion_validator._results import FileResult, Summary
from completion_validator._rules.response import EARLIEST_CREATED, ONE_DAY
from completion_validator.errors import NON_RULE_KEYWORDS, Finding

EXAMPLES = 3  # located examples kept per rule or keyword
MODELS = 10  # models shown; at most MODELS_TRACKED distinct ones are counted, the rest as "(other)"
MODELS_TRACKED = 1_000
BUCKETS = 40  # bars of the `created` histogram
HOURS_TRACKED = 100_000  # distinct hours of `created` counted (11 years); beyond, "(other)"
FILES = 200  # file rows shown
TEXT_LIMIT = 300  # characters of any payload text shown
LINE_LIMIT = 1 << 20  # bytes of an input line read back for its example and its model
WHOLE_FILE_LIMIT = 16 << 20  # a one-document file read back whole for its model, up to this size
OTHER = "(other)"
UNKNOWN = "(none)"

# Characters that would change how the page reads: controls, bidi overrides and isolates, zero widths.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def text(value: object, limit: int = TEXT_LIMIT) -> str:
    """Payload text as safe HTML: shortened, invisible characters shown as escapes, then escaped."""
    raw = value if isinstance(value, str) else str(value)
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    raw = _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", raw)
    return html.escape(raw, quote=True)


@dataclass
class _Example:
    where: str
    severity: str
    message: str
    source: str | None
    column: int | None


@dataclass
class _Case:
    """One probe case: what was asked, what came back, what was found."""

    name: str
    request: str
    status: int | None
    verdict: str = "valid"
    findings: list[tuple[str, str, str, str | None]] = field(
        default_factory=list
    )  # severity, keyword, message, excerpt


class _Sources:
    """The line a finding points at, and its document's `model` and `created`, read back from the input file.

    Files are read forward as findings come in line order; a line before the last one read reopens
    the file. Standard input cannot be read again: its findings have no source line and no model.
    """

    def __init__(self) -> None:
        self._name: str | None = None
        self._handle: IO[bytes] | None = None
        self._number = 0
        self._current = b""
        self._whole: tuple[str, object] | None = None
        self._facts: tuple[tuple[str | None, int | None, int | None], tuple[str, int | None]] | None = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def line(self, name: str | None, number: int | None) -> bytes | None:
        if name is None or number is None or number < 1 or name in ("-", "<stdin>"):
            return None
        if name != self._name or number <= self._number - 1 or self._handle is None:
            self.close()
            self._name = name
            self._handle = _open_again(name)
            if self._handle is None:
                return None
            self._number = 0
            self._current = b""
        if number == self._number:
            return self._current
        try:
            while self._number < number:
                chunk = self._handle.readline(LINE_LIMIT)
                if not chunk:
                    return None
                if len(chunk) == LINE_LIMIT and not chunk.endswith(b"\n"):
                    while True:  # the rest of a line too long to show: skipped, not kept
                        rest = self._handle.readline(LINE_LIMIT)
                        if not rest or rest.endswith(b"\n"):
                            break
                self._number += 1
                self._current = chunk
        except (OSError, EOFError):  # changed since it was checked, or a gzip stream cut short
            self.close()
            return None
        return self._current

    def facts(self, finding: Finding) -> tuple[str, int | None]:
        """The model (or `UNKNOWN`) and `created` of the document a finding is in, where it can be read back."""
        key = (finding.file, finding.document, finding.line if finding.document is None else None)
        if self._facts is not None and self._facts[0] == key:
            return self._facts[1]
        value = self._document(finding)
        model, created = UNKNOWN, None
        if isinstance(value, dict):
            if isinstance(value.get("model"), str):
                model = value["model"]
            if type(value.get("created")) is int:
                created = value["created"]
        self._facts = (key, (model, created))
        return model, created

    def _document(self, finding: Finding) -> object:
        raw = self.line(finding.file, finding.line)
        if raw is not None:
            stripped = raw.strip()
            if stripped.startswith(b"data:"):
                stripped = stripped[5:].strip()
            if stripped.startswith(b"{") and stripped.endswith(b"}"):
                try:
                    return json.loads(stripped)
                except (ValueError, RecursionError):
                    pass
        return self._whole_file(finding.file)

    def _whole_file(self, name: str | None) -> object:
        if name is None or name in ("-", "<stdin>") or not name.endswith(".json"):
            return None
        if self._whole is not None and self._whole[0] == name:
            return self._whole[1]
        value: object = None
        try:
            path = Path(name)
            status = path.stat()
            if stat.S_ISREG(status.st_mode) and status.st_size <= WHOLE_FILE_LIMIT:
                value = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            value = None
        self._whole = (name, value)
        return value


def _open_again(name: str) -> IO[bytes] | None:
    """An input opened again to read its lines back, or None where it cannot be.

    A regular file only (a FIFO would wait for a writer forever, a device never end),
    decompressed where its name says gzip.
    """
    try:
        path = Path(name)
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        if name.endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError:
        return None


class HtmlReporter(OneByOne):
    """Counts and bounded samples while the run goes; the page at the end."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._sources = _Sources()
        self._severity: Counter[tuple[str, str]] = Counter()
        self._examples: dict[str, list[_Example]] = {}
        self._models: Counter[str] = Counter()
        self._model_keywords: dict[str, Counter[str]] = {}
        self._hours: Counter[int] = Counter()
        self._implausible = 0
        self._earliest, self._latest = EARLIEST_CREATED, int(time.time()) + ONE_DAY
        self._files: list[FileResult] = []
        self._more_files = 0
        self._probe: tuple[str, str] | None = None
        self._cases: list[_Case] = []
        self._answer: bytes | None = None

    # --- the probe tells what it sent -------------------------------------------------------

    def describe_probe(self, base_url: str, model: str) -> None:
        """The probe's server (its URL without any user or password in it) and model, for the header."""
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        self._probe = (urlunsplit((parts.scheme, netloc, parts.path, "", "")), model)

    def case(self, name: str, request: dict[str, Any], status: int | None, answer: bytes | None) -> None:
        """A probe case was sent: its request and the answer's status and body (kept until its findings are in)."""
        summary = {key: value for key, value in request.items() if key not in ("model", "prompt", "messages")}
        self._cases.append(_Case(name, json.dumps(summary, ensure_ascii=False)[:TEXT_LIMIT], status))
        self._answer = answer

    # --- the run ------------------------------------------------------------------------------

    def finding(self, finding: Finding) -> None:
        """Count the finding by rule, model and hour; keep it as an example if its rule has few."""
        keyword = finding.keyword
        if keyword == "max-errors":  # a note that findings were held back, not a finding: they are counted
            return
        self._severity[(keyword, finding.severity)] += 1
        if self._cases:
            self._case_finding(finding)
            return
        model, created = self._sources.facts(finding)
        if model not in self._models and len(self._models) >= MODELS_TRACKED:
            model = OTHER
        self._models[model] += 1
        self._model_keywords.setdefault(model, Counter())[keyword] += 1
        if created is not None:
            if not self._earliest <= created <= self._latest:  # milliseconds, 0, the year 3000: no bar for it
                self._implausible += 1
            elif (hour := created // 3600) in self._hours or len(self._hours) < HOURS_TRACKED:
                self._hours[hour] += 1
        examples = self._examples.setdefault(keyword, [])
        if len(examples) < EXAMPLES:
            source = self._sources.line(finding.file, finding.line)
            examples.append(_Example(_where(finding), finding.severity, str(finding), _decoded(source), finding.column))

    def _case_finding(self, finding: Finding) -> None:
        case = self._cases[-1]
        if finding.severity == "error":
            case.verdict = "invalid" if case.verdict != "error" else "error"
        if finding.keyword in ("io", "parse") and finding.severity == "error":
            case.verdict = "error"
        if len(case.findings) < EXAMPLES * 3:
            excerpt = None
            if self._answer is not None and finding.line is not None:
                lines = self._answer.split(b"\n", finding.line)
                excerpt = _decoded(lines[finding.line - 1]) if len(lines) >= finding.line else None
            case.findings.append((finding.severity, finding.keyword, str(finding), excerpt))

    def file(self, result: FileResult) -> None:
        """Keep the row of a file with something to show (the first `FILES` of them)."""
        if self._cases:
            self._answer = None
            return
        if result.status == "valid" and not result.warnings:
            return
        if len(self._files) < FILES:
            self._files.append(result)
        else:
            self._more_files += 1

    def finish(self, summary: Summary) -> None:
        """Write the page."""
        self._sources.close()
        write = self._stream.write
        title = "completion-validator probe" if self._probe else "completion-validator report"
        write(_HEAD.format(title=title, style=_STYLE, policy=POLICY))
        write(f"<header><h1>{title}</h1>{self._header()}</header>\n<main>\n")
        write(_summary_section(summary))
        if self._probe is not None:
            write(self._card())
        write(self._rules_section(summary))
        if not self._probe:
            write(self._models_section())
            write(self._hours_section())
            write(self._examples_section())
            write(self._files_section())
        write("</main>\n</body>\n</html>\n")
        self._stream.flush()

    # --- the sections ---------------------------------------------------------------------

    def _header(self) -> str:
        from completion_validator import __version__

        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        rows = [("made", now), ("by", f"completion-validator {__version__}")]
        if self._probe is not None:
            rows = [("server", self._probe[0]), ("model", self._probe[1]), *rows]
        items = "".join(f"<dt>{name}</dt><dd>{text(value)}</dd>" for name, value in rows)
        return f'<dl class="meta">{items}</dl>'

    def _ranked(self, summary: Summary) -> list[tuple[str, int, int]]:
        """(keyword, errors, warnings), the worst first: errors before warnings, then the most."""
        from completion_validator._rules import RULES

        keywords = {keyword for keyword, _ in self._severity} | set(summary.keywords)
        rows = []
        for keyword in keywords:
            errors, warnings = self._severity[(keyword, "error")], self._severity[(keyword, "warning")]
            hidden = summary.keywords.get(keyword, 0) - errors - warnings  # past --max-errors: counted, not shown
            if hidden > 0:  # a keyword has one severity: as its shown findings have it, else as its rule says
                rule = RULES.get(keyword)
                warning = warnings > 0 if errors or warnings else rule is not None and rule.severity == "warning"
                if warning:
                    warnings += hidden
                else:
                    errors += hidden
            rows.append((keyword, errors, warnings))
        return sorted(rows, key=lambda row: (-row[1], -row[2], row[0]))

    def _rules_section(self, summary: Summary) -> str:
        from completion_validator._rules import RULES

        rows = self._ranked(summary)
        if not rows:
            return "<section><h2>Findings by rule</h2><p>No findings.</p></section>\n"
        most = max(errors + warnings for _, errors, warnings in rows)
        body = []
        for keyword, errors, warnings in rows:
            total = errors + warnings
            rule = RULES.get(keyword)
            meaning = rule.rationale if rule is not None else NON_RULE_KEYWORDS.get(keyword)
            why = text(meaning) if meaning else "a JSON Schema keyword of the schema files"
            severity = "error" if errors else "warning"
            body.append(
                f'<tr><th scope="row"><a href="#rule-{text(keyword)}"><code>{text(keyword)}</code></a></th>'
                f'<td class="n">{errors:,}</td><td class="n">{warnings:,}</td>'
                f'<td>{_bar(total, most, severity)}</td><td class="why">{why}</td></tr>'
            )
        return (
            '<section aria-labelledby="rules"><h2 id="rules">Findings by rule</h2>\n'
            "<table><caption>Each rule or schema keyword that fired, the worst first; "
            "the bars draw the numbers beside them.</caption>\n"
            '<thead><tr><th scope="col">rule</th><th scope="col">errors</th><th scope="col">warnings</th>'
            '<th scope="col">share</th><th scope="col">what it checks</th></tr></thead>\n<tbody>'
            + "\n".join(body)
            + "</tbody></table></section>\n"
        )

    def _models_section(self) -> str:
        if not self._models or set(self._models) == {UNKNOWN}:
            return ""
        top = self._models.most_common(MODELS)
        most = top[0][1]
        body = []
        for model, count in top:
            keywords = ", ".join(
                f"<code>{text(keyword)}</code> {number:,}"
                for keyword, number in self._model_keywords[model].most_common(3)
            )
            label = text(model) if model else "(empty)"
            body.append(
                f'<tr><th scope="row">{label}</th><td class="n">{count:,}</td>'
                f"<td>{_bar(count, most, 'error')}</td><td>{keywords}</td></tr>"
            )
        rest = len(self._models) - len(top)
        note = f"<p>{rest:,} more models not shown.</p>" if rest > 0 else ""
        return (
            '<section aria-labelledby="models"><h2 id="models">Findings by model</h2>\n'
            f"<table><caption>The {len(top)} models with the most findings (the document's <code>model</code>)."
            "</caption>\n"
            '<thead><tr><th scope="col">model</th><th scope="col">findings</th><th scope="col">share</th>'
            '<th scope="col">most frequent</th></tr></thead>\n<tbody>'
            + "\n".join(body)
            + f"</tbody></table>{note}</section>\n"
        )

    def _hours_section(self) -> str:
        if not self._hours:
            return ""
        first, last = min(self._hours), max(self._hours)
        width = max(1, -(-(last - first + 1) // BUCKETS))  # hours a bar, so that at most BUCKETS bars
        buckets: Counter[int] = Counter()
        for hour, count in self._hours.items():
            buckets[(hour - first) // width] += count
        most = max(buckets.values())
        body = []
        for index in range((last - first) // width + 1):
            start = datetime.datetime.fromtimestamp((first + index * width) * 3600, datetime.UTC)
            label = start.strftime("%Y-%m-%d %H:00")
            count = buckets.get(index, 0)
            bar = _bar(count, most, "error")
            body.append(f'<tr><th scope="row">{label}</th><td class="n">{count:,}</td><td>{bar}</td></tr>')
        span = "an hour" if width == 1 else f"{width:,} hours"
        note = ""
        if self._implausible:
            note = f" {self._implausible:,} findings are in documents whose <code>created</code> is no plausible time."
        return (
            '<section aria-labelledby="time"><h2 id="time">Findings over time</h2>\n'
            f"<table><caption>By the document's <code>created</code>, UTC, {span} a row.{note}</caption>\n"
            '<thead><tr><th scope="col">from</th><th scope="col">findings</th><th scope="col">share</th></tr></thead>'
            "\n<tbody>" + "\n".join(body) + "</tbody></table></section>\n"
        )

    def _examples_section(self) -> str:
        if not self._examples:
            return ""
        severity = self._severity
        ranked = sorted(
            self._examples,
            key=lambda keyword: (-severity[(keyword, "error")], -severity[(keyword, "warning")], keyword),
        )
        parts = ['<section aria-labelledby="examples"><h2 id="examples">Examples</h2>\n']
        for keyword in ranked:
            parts.append(f'<h3 id="rule-{text(keyword)}"><code>{text(keyword)}</code></h3>\n<ol>')
            for example in self._examples[keyword]:
                parts.append(
                    f'<li><p><span class="{example.severity}">{example.severity}</span> '
                    f"<code>{text(example.where)}</code>: {text(example.message, 600)}</p>"
                    + _source(example.source, example.column)
                    + "</li>"
                )
            parts.append("</ol>\n")
        parts.append("</section>\n")
        return "".join(parts)

    def _files_section(self) -> str:
        if not self._files:
            return ""
        body = "\n".join(
            f'<tr><th scope="row">{text(result.file)}</th><td>{result.status}</td>'
            f'<td class="n">{result.documents:,}</td><td class="n">{result.invalid_documents:,}</td>'
            f'<td class="n">{result.errors:,}</td><td class="n">{result.warnings:,}</td></tr>'
            for result in self._files
        )
        more = f"<p>{self._more_files:,} more files with findings not listed.</p>" if self._more_files else ""
        return (
            '<section aria-labelledby="files"><h2 id="files">Files with findings</h2>\n'
            '<table><thead><tr><th scope="col">file</th><th scope="col">status</th><th scope="col">documents</th>'
            '<th scope="col">invalid</th><th scope="col">errors</th><th scope="col">warnings</th></tr></thead>\n'
            f"<tbody>{body}</tbody></table>{more}</section>\n"
        )

    def _card(self) -> str:
        rows = []
        details = []
        for case in self._cases:
            first = text(case.findings[0][2], 200) if case.findings else ""
            status = "no answer" if case.status is None else str(case.status)
            rows.append(
                f'<tr><th scope="row"><a href="#case-{text(case.name)}">{text(case.name)}</a></th>'
                f'<td><code>{text(case.request)}</code></td><td class="n">{status}</td>'
                f'<td><span class="{_verdict_class(case.verdict)}">{case.verdict}</span></td><td>{first}</td></tr>'
            )
            if case.findings:
                items = "".join(
                    f'<li><p><span class="{severity}">{severity}</span> <code>{text(keyword)}</code>: '
                    f"{text(message, 600)}</p>{_source(excerpt, None)}</li>"
                    for severity, keyword, message, excerpt in case.findings
                )
                details.append(f'<h3 id="case-{text(case.name)}">{text(case.name)}</h3><ol>{items}</ol>')
        return (
            '<section aria-labelledby="card"><h2 id="card">Conformance card</h2>\n'
            "<table><caption>Each request the probe sent, the HTTP status it got, and its verdict.</caption>\n"
            '<thead><tr><th scope="col">case</th><th scope="col">request (besides model and prompt)</th>'
            '<th scope="col">HTTP</th><th scope="col">verdict</th><th scope="col">first finding</th></tr></thead>\n'
            "<tbody>" + "\n".join(rows) + "</tbody></table>\n" + "\n".join(details) + "</section>\n"
        )


def _verdict_class(verdict: str) -> str:
    return {"valid": "ok", "invalid": "error"}.get(verdict, "error")


def _where(finding: Finding) -> str:
    parts = [finding.file or "<value>"]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.column is not None:
            parts.append(str(finding.column))
    return ":".join(parts)


def _decoded(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace").rstrip("\r\n")


def _source(line: str | None, column: int | None) -> str:
    """The source line around the column, with a caret under it (both shortened and escaped)."""
    if not line:
        return ""
    start = 0
    if column is not None and column > 80:
        start = column - 60
    shown = line[start : start + 160]
    prefix = "…" if start else ""
    suffix = "…" if len(line) > start + 160 else ""
    visible = _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", shown)
    caret = ""
    if column is not None:
        offset = len(_INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", shown[: column - 1 - start]))
        caret = "\n" + " " * (offset + len(prefix)) + "^"
    return f'<pre class="source">{html.escape(prefix + visible + suffix)}{caret}</pre>'


def _bar(count: int, most: int, severity: str) -> str:
    """A bar as long as `count` is to `most`: drawing only (the number is in the cell beside it)."""
    share = 0 if most <= 0 else max(1, round(100 * count / most)) if count else 0
    return f'<span class="track" aria-hidden="true"><span class="bar {severity}" style="width: {share}%"></span></span>'


def _summary_section(summary: Summary) -> str:
    counts = summary.as_dict()
    verdict = "passed" if counts["exit_status"] == 0 else "failed"
    names = {
        "files": "files",
        "documents": "documents checked",
        "valid_documents": "valid",
        "invalid_documents": "invalid",
        "errors": "errors",
        "warnings": "warnings",
        "unreadable": "unreadable",
        "exit_status": "exit status",
    }
    cells = "".join(
        f'<tr><th scope="row">{label}</th><td class="n" data-count="{key}">{counts[key]:,}</td></tr>'
        for key, label in names.items()
    )
    return (
        f'<section aria-labelledby="summary"><h2 id="summary">Summary: <span class="{_verdict_class(verdict)}">'
        f'{verdict}</span></h2>\n<table class="summary"><tbody>{cells}</tbody></table></section>\n'
    )


# No script, no request: nothing may load, nothing may run, no form may send; only the inline style.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
"""

_STYLE = """
:root { --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --error: #b3261e; --warning: #8a5a00;
  --ok: #1a7f37; --bar-bg: #eaeef2; --code-bg: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --error: #ff7b72; --warning: #e3b341;
    --ok: #56d364; --bar-bg: #21262d; --code-bg: #161b22; }
}
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.25rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; color: var(--muted); margin: 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
thead th { font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary { width: auto; } td.why { color: var(--muted); }
.track { display: block; width: 12rem; max-width: 100%; height: .8rem; margin-top: .3rem; background: var(--bar-bg);
  border-radius: 2px; }
.bar { display: block; height: 100%; min-width: 1px; background: var(--error); border-radius: 2px; }
.bar.warning { background: var(--warning); }
th code, thead th, td.n, th[scope="row"] a { white-space: nowrap; }
.error { color: var(--error); font-weight: 600; } .warning { color: var(--warning); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
span.bar.error, span.bar.warning { color: inherit; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
pre.source { background: var(--code-bg); border: 1px solid var(--line); padding: .5rem; overflow-x: auto;
  white-space: pre; }
a { color: inherit; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .bar { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  pre.source { white-space: pre-wrap; }
  section { break-inside: avoid-page; }
}
"""
