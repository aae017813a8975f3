"""One payload checked: the engine's schema findings and the selected rules' findings, in document order.

Everything that checks a payload — the API, the stream checker for each chunk and for the
assembled response, the runner for each document — comes through here, so they agree.
"""

from __future__ import annotations

from dataclasses import replace

from completion_validator._rules import run_rules
from completion_validator._settings import Settings
from completion_validator.errors import Finding


def check(payload: object, settings: Settings, *, chunk: bool = False) -> list[Finding]:
    """Schema findings and rule findings for one payload (or one stream chunk), in document order."""
    from completion_validator._engine import examine, in_document_order, schema_errors_of  # jsonschema only to explain

    examined = examine(payload)  # rules, too, see the safe view: no cycle, no over-long integer
    found = schema_errors_of(examined, payload, settings.profile(stream=chunk))
    selected = settings.selected_rules()
    if selected:
        found.extend(run_rules(examined.view, selected, chunk=chunk, lenient=settings.lenient))
        found = in_document_order(payload, found)
    if settings.warnings_as_errors:
        found = [replace(error, severity="error") for error in found]
    return found
