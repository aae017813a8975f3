"""Writes docs/conformance.md: which probe case each real server gets right and wrong today.

Made from `tests/probe/expected/*.toml`, which the slow tests hold every real server to (both
ways), so the page says what the servers did when the suite last ran, not what someone
remembered. `UPDATE_DOCS=1 pytest tests/test_docs.py` rewrites it; a test fails when it is stale.
"""

from __future__ import annotations

from completion_validator._probe.cases import CASES, Case
from completion_validator._probe.chat_cases import CASES as CHAT_CASES
from completion_validator._rules import RULES
from tests.probe.conformance import SERVERS, expected

HEAD = """# Conformance: real servers, case by case

What `completion-validator probe` finds on each real server the slow tests start (pinned
versions, a tiny random-weight Llama, `tests/test_probe_servers.py`). A cell lists the rules a
case breaks; *warning* rules are in italics; ✓ means nothing was found. Generated from
`tests/probe/expected/*.toml`, the findings each server is held to, with why each is true
(below the table). Each rule is explained, with examples, in [the rules](rules.md); the cases
are in [the probe page](probe.md).
"""


def _cell(rules: list[str]) -> str:
    if not rules:
        return "✓"
    shown = [f"*{rule}*" if RULES.get(rule) and RULES[rule].severity == "warning" else rule for rule in rules]
    return ", ".join(shown)


def _table(cases: tuple[Case, ...], suffix: str) -> list[str]:
    pinned = {server: expected(server + suffix) for server in SERVERS}
    lines = ["| case | " + " | ".join(pinned[server].title for server in SERVERS) + " |"]
    lines.append("|---|" + "---|" * len(SERVERS))
    for case in cases:
        cells = []
        for server in SERVERS:
            rules = sorted(rule for (name, rule) in pinned[server].findings if name == case.name)
            cells.append(_cell(rules))
        lines.append(f"| `{case.name}` | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _reasons(suffix: str, level: str) -> list[str]:
    lines = []
    for server in SERVERS:
        pinned = expected(server + suffix)
        lines += [f"{level} {pinned.title}", ""]
        lines += [f"Note: {note}." for note in pinned.notes] + ([""] if pinned.notes else [])
        by_rule: dict[tuple[str, str], list[str]] = {}
        for (name, rule), why in pinned.findings.items():
            maybe = " (some runs)" if (name, rule) in pinned.maybe else ""
            by_rule.setdefault((rule, why), []).append(f"`{name}`{maybe}")
        for (rule, why), cases in by_rule.items():
            lines.append(f"- **{rule}** on {', '.join(cases)}: {why}.")
        lines.append("")
    return lines


def render() -> str:
    """The page."""
    lines = [HEAD, *_table(CASES, "")]
    lines += [
        "## Chat completions",
        "",
        "The same servers under `completion-validator probe --schema chat` (LiteLLM serving the",
        "upstream's chat endpoint as `tiny-chat`):",
        "",
        *_table(CHAT_CASES, "-chat"),
        "## Why, server by server",
        "",
        *_reasons("", "###"),
        "## Why, server by server: chat completions",
        "",
        *_reasons("-chat", "###"),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
