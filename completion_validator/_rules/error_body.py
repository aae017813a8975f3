"""The body of a 4xx or 5xx answer, held to the spec's ErrorResponse (`schemas/error-response.schema.json`).

A client reads `error.message` to show the user and `error.code` / `error.type` to decide what
to do: a number where the spec says a string, or a null type, breaks typed clients. Each problem
is one finding at its member, with what the server said; a body that is not an error object at
all is one finding, not a list of missing members. Only the probe imports this (and jsonschema).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from completion_validator._recognize import api_error_summary
from completion_validator._rules import finding
from completion_validator.errors import Finding, display_value, shorten

SCHEMA_FILE = "error-response.schema.json"


@cache
def _validator() -> Any:
    import jsonschema

    from completion_validator._registry import load_schema_files

    return jsonschema.Draft202012Validator(load_schema_files()[SCHEMA_FILE])


def error_body_problems(status: int, body: object) -> Iterator[Finding]:
    """Findings about an error answer's JSON body: each member that is not what ErrorResponse says."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        yield finding(
            (),
            f"HTTP {status} with {shorten(display_value(body))}: not an error object; the spec's ErrorResponse is "
            '{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}',
            "an ErrorResponse",
        )
        return
    said = api_error_summary(error)
    problems = sorted(_validator().iter_errors(body), key=lambda problem: list(map(str, problem.path)))
    for problem in problems:
        path = tuple(problem.path)
        if problem.validator == "required":
            # jsonschema reports each missing member on its own, as "'code' is a required property"
            name = next(
                name for name in problem.validator_value if problem.message == f"{name!r} is a required property"
            )
            yield finding(
                (*path, name),
                f"HTTP {status}: the error object has no {name!r}; the spec requires it (the server said {said})",
                "present",
            )
            continue
        wanted = problem.schema.get("type") if isinstance(problem.schema, Mapping) else None
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        yield finding(
            path,
            f"HTTP {status}: {'.'.join(map(str, path))} is {display_value(problem.instance)}, "
            f"not a {wanted_text} as the spec says (the server said {said})",
            wanted_text,
            problem.instance if not isinstance(problem.instance, list | dict) else None,  # a 1 MB list stays out
        )
