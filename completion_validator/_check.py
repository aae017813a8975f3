"""The checker: one payload's findings, in document order, from the fast path's verdict or the reference engine.

Everything that checks a payload — the API, the count loop for each document, the stream checker
for each chunk and for the assembled response — comes through here, so they agree. A `judge`
(`_fastpath`) is asked once per document and what it learned is used, never asked again; with
no judge (`--engine reference`, or no compiled libraries) jsonschema gives every schema finding.

- `check_json`: JSON text as a reader found it -> located findings, or the finding that says why
  it cannot be read.
- `check_document`: a parsed document (YAML) -> located findings.
- `check`: a value -> findings (not located).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from completion_validator._examine import Examined, drop_explained, examine, examine_parsed, in_document_order
from completion_validator._fastpath import CLEAN, UNREAD, Exact, Judged, Verdict
from completion_validator._inputs._items import Document, JsonText, parse_document
from completion_validator._jsontext import JsonLocator
from completion_validator._recognize import may_be_recognized, recognized
from completion_validator._rules import run_rules
from completion_validator._settings import Settings
from completion_validator.errors import Finding

if TYPE_CHECKING:
    from completion_validator._fastpath._judge import Judge


def check_json(
    text: JsonText, settings: Settings, judge: Judge | None, verdict: Verdict | None = None
) -> list[Finding] | Finding:
    """The located findings of one JSON document, or the one finding that says why it cannot be read.

    `verdict`: what `judge.text` already said of these bytes (the count loop asks first, to count
    a clean line without making anything); None to ask here.
    """
    raw = text.raw
    if verdict is None:
        verdict = UNREAD if judge is None else judge.text(raw)
    if verdict is CLEAN:
        return []
    if type(verdict) is Judged and may_be_recognized(verdict.findings):
        verdict = UNREAD  # the value is needed to say what the document is: read it
    if type(verdict) is Judged:
        return verdict.located_in_line(raw, text.first_line) if text.single_line else verdict.located_in_text(raw)
    if type(verdict) is Exact:
        assert judge is not None
        source = raw.decode("utf-8")  # orjson read it: UTF-8
        if text.single_line:
            source = source.removesuffix("\n").removesuffix("\r")
        locator = JsonLocator(
            source, text.first_line, single_line=text.single_line, value=verdict.value, writer=judge.dumps
        )
        found = check_exact(verdict, settings, judge)
        return _located(Document(verdict.value, text.index, locator), found)
    document = parse_document(text)
    if isinstance(document, Finding):
        return document
    return check_document(document, settings, judge)


def check_exact(verdict: Exact, settings: Settings, judge: Judge | None) -> list[Finding]:
    """The findings of a value the judge read exactly from text, with what it learned of it (not asked again)."""
    return check(
        verdict.value,
        settings,
        judge,
        from_json_text=True,
        schema_valid=verdict.schema_valid,
        failed_parts=verdict.failed_parts,
    )


def check_document(document: Document, settings: Settings, judge: Judge | None) -> list[Finding]:
    """The findings of a parsed document, each located in its text."""
    return _located(document, check(document.value, settings, judge))


def _located(document: Document, found: list[Finding]) -> list[Finding]:
    located = []
    for error in found:
        position = document.locate(error.instance_path, error.keyword)
        located.append(error.located(position.line, position.column, document.index))
    return located


def check(
    payload: object,
    settings: Settings,
    judge: Judge | None,
    *,
    chunk: bool = False,
    from_json_text: bool = False,
    schema_valid: bool = False,
    failed_parts: frozenset[str] | None = None,
) -> list[Finding]:
    """Schema findings and rule findings for one payload (or one stream chunk), in document order.

    `judge` must be for the same mode (`chunk`). `from_json_text` says the payload was parsed
    exactly from JSON text (no duplicate key, no number rounded), so it holds JSON values only:
    only its depth can matter (`_unwalked`). `schema_valid`: the judge found the schema (and the
    rules' bounds) to pass already, so only the rules are left; `failed_parts`: and which parts of
    the rule screen failed, so only their rules are.
    """
    typed = settings.for_document(payload)
    if typed is not settings:  # `auto`: checked as the type the document is, by that type's judge
        settings = typed
        if judge is not None and judge.settings.response_type != typed.response_type:
            judge, schema_valid, failed_parts = _judge_for(typed, chunk), False, None
    if from_json_text and judge is not None:
        found = _unwalked(payload, settings, judge, chunk, schema_valid, failed_parts)
        if found is not None:
            return found
    examined = examine_parsed(payload) if from_json_text else examine(payload)  # rules, too, see the safe view
    return _findings(examined, payload, settings, judge, chunk)


def _judge_for(settings: Settings, chunk: bool) -> Judge | None:
    from completion_validator._fastpath._judge import judge

    return judge(settings, chunk=chunk)


def _unwalked(
    payload: object,
    settings: Settings,
    judge: Judge,
    chunk: bool,
    schema_valid: bool,
    failed_parts: frozenset[str] | None = None,
) -> list[Finding] | None:
    """The findings of a payload read exactly from text, without walking it for its depth first.

    Text holds no cycle and nothing but JSON values; depth alone would make `examine` build a
    view, and a view differs from the payload only below `VIEW_DEPTH`, where no rule looks and
    only a finding holding a container could show it. So the depth is counted only when a
    finding holds one (and when jsonschema must be asked); None: take the examined path.
    """
    unexamined = Examined(payload, ())
    if schema_valid:  # the judge found no schema error: only the rules can report anything
        suspects = judge.suspects(payload, schema_valid=True, failed_parts=failed_parts)
        found = _rule_findings(unexamined, payload, settings, chunk, [], suspects)
    else:
        schema_found = judge.explain(payload)
        if schema_found is None:
            return None
        found = _findings(unexamined, payload, settings, judge, chunk, schema_found)
    holds_container = any(type(finding.actual) is dict or type(finding.actual) is list for finding in found)
    if holds_container and examine_parsed(payload).view is not payload:
        return None  # deep after all: the findings must show the view
    return found


def _findings(
    examined: Examined,
    payload: object,
    settings: Settings,
    judge: Judge | None,
    chunk: bool,
    schema_found: list[Finding] | None = None,
) -> list[Finding]:
    found = schema_found
    if found is None and judge is not None and not examined.problems and examined.view is payload:
        # only a payload that is its own view (no cycle, nothing too deep or too long) and holds
        # JSON values only is given to jsonschema-rs; the rest is the reference engine's
        found = judge.explain(examined.view)
    if found is None:
        from completion_validator._engine import schema_errors_of  # jsonschema only when needed

        found = schema_errors_of(examined, settings.profile(stream=chunk))
    suspects = judge.suspects(examined.view) if judge is not None and settings.selected_rules() else None
    return _rule_findings(examined, payload, settings, chunk, drop_explained(found), suspects)


def _rule_findings(
    examined: Examined,
    payload: object,
    settings: Settings,
    chunk: bool,
    found: list[Finding],
    suspects: frozenset[str] | None,
) -> list[Finding]:
    """`found` (the schema findings) and the selected rules' findings, in document order.

    `suspects`: the only selected rules that might report anything (the judge's screen says the
    others would not); None: run every selected rule.
    """
    selected = settings.selected_rules()
    if suspects is not None:
        selected = selected & suspects
    if selected:
        found.extend(
            run_rules(examined.view, selected, chunk=chunk, lenient=settings.lenient, response_type=settings.typed)
        )
    found = in_document_order(payload, found)
    if found and not chunk:
        found = recognized(examined.view, found, settings.typed)
    if settings.warnings_as_errors:
        found = [replace(error, severity="error") for error in found]
    return found
