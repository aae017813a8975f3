"""One payload checked: the engine's schema findings and the selected rules' findings, in document order.

Everything that checks a payload — the API, the stream checker for each chunk and for the
assembled response, the runner for each document — comes through here, so they agree. Schema
findings come from the compiled explainer when it can vouch for them, else from jsonschema
(the reference); `fast=False` asks jsonschema always.
"""

from __future__ import annotations

from dataclasses import replace

from completion_validator._examine import Examined, drop_explained, examine, examine_parsed, in_document_order
from completion_validator._profiles import Profile
from completion_validator._rules import run_rules
from completion_validator._settings import Settings
from completion_validator.errors import Finding


def check(
    payload: object, settings: Settings, *, chunk: bool = False, fast: bool = True, from_json_text: bool = False
) -> list[Finding]:
    """Schema findings and rule findings for one payload (or one stream chunk), in document order.

    `from_json_text` says the payload was parsed exactly from JSON text (no duplicate key, no
    number rounded), so it holds JSON values only: only its depth can matter (`_unwalked`).
    """
    if from_json_text and fast:
        found = _unwalked(payload, settings, chunk)
        if found is not None:
            return found
    examined = examine_parsed(payload) if from_json_text else examine(payload)  # rules, too, see the safe view
    return _findings(examined, payload, settings, chunk, fast)


def _unwalked(payload: object, settings: Settings, chunk: bool) -> list[Finding] | None:
    """The findings of a payload read exactly from text, without walking it for its depth first.

    Text holds no cycle and nothing but JSON values; depth alone would make `examine` build a
    view, and a view differs from the payload only below `VIEW_DEPTH`, where no rule looks and
    only a finding holding a container could show it. So the depth is counted only when a
    finding holds one (and when jsonschema must be asked); None: take the examined path.
    """
    profile = settings.profile(stream=chunk)
    unexamined = Examined(payload, ())
    schema_found = _compiled_schema_errors(unexamined, payload, profile)
    if schema_found is None:
        return None
    found = _findings(unexamined, payload, settings, chunk, True, schema_found)
    holds_container = any(type(finding.actual) is dict or type(finding.actual) is list for finding in found)
    if holds_container and examine_parsed(payload).view is not payload:
        return None  # deep after all: the findings must show the view
    return found


def _findings(
    examined: Examined,
    payload: object,
    settings: Settings,
    chunk: bool,
    fast: bool,
    schema_found: list[Finding] | None = None,
) -> list[Finding]:
    profile = settings.profile(stream=chunk)
    found = schema_found
    if found is None and fast:
        found = _compiled_schema_errors(examined, payload, profile)
    if found is None:
        from completion_validator._engine import schema_errors_of  # jsonschema only when needed

        found = schema_errors_of(examined, profile)
    found = drop_explained(found)
    selected = settings.selected_rules()
    if selected and not (fast and _rules_silent(examined.view, settings, chunk)):
        found.extend(run_rules(examined.view, selected, chunk=chunk, lenient=settings.lenient))
    found = in_document_order(payload, found)
    if settings.warnings_as_errors:
        found = [replace(error, severity="error") for error in found]
    return found


def _compiled_schema_errors(examined: Examined, payload: object, profile: Profile) -> list[Finding] | None:
    """jsonschema-rs's findings, translated; None where they might differ from jsonschema's records.

    Only a payload that is its own view (no cycle, nothing too deep or too long) and holds JSON
    values only is given to jsonschema-rs; the rest is the reference engine's.
    """
    if examined.problems or examined.view is not payload:
        return None
    from completion_validator._fastpath._explain import compiled_explainer

    explain = compiled_explainer(profile)
    return None if explain is None else explain(examined.view)


def _rules_silent(view: object, settings: Settings, chunk: bool) -> bool:
    """Whether the compiled screen vouches that no selected rule would report anything on `view`."""
    from completion_validator._fastpath import rules_silent

    silent = rules_silent(settings, chunk=chunk)
    return silent is not None and silent(view)
