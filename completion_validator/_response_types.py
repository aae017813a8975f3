"""The response types we check: one entry each, naming everything that is particular to it.

A response type is a row here plus its own files: its schema files (in `schemas/`, beside the
shared ones such as `usage.schema.json`), its rules, the screen that stands for them on the fast
path, how a stream of its chunks adds up to a response, the endpoint and cases the probe sends,
the components `spec-diff` compares, and the roles the compiled scanner plays at its paths
(data, by path, named after the scanner's own constants). Nothing outside this table and the
files it names knows a field of a completion.

Modules are named, not imported: the table is read on every start, and a run over three JSON
files imports the screen, the assembler or the probe cases of no type it does not meet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class ResponseType:
    """One kind of response: its name, its schema root, and where each of its parts lives (`module:name`)."""

    name: str
    description: str
    # The `object` values its documents carry (a chunk's too), for telling types apart.
    objects: tuple[str, ...]
    root_schema: str
    # The probe: the path below the base URL, and the module:name of its tuple of cases.
    endpoint: str
    probe_cases: str
    # spec-diff: the OpenAPI component of the response, and the others compared with it.
    spec_components: tuple[str, ...]
    # The fast-path twin of its response rules: a module with `passes_screen(payload, *, chunk)`,
    # `SCANNER_ROLES` (instance path -> the name of a scanner role constant, `R_CREATED`) and
    # `CREATED_WINDOW` (plausible from this Unix time, up to this many seconds ahead).
    screen: str
    # How its stream chunks add up to a response (module:name of a class with `add` and `result`).
    assembler: str
    # Hypothesis strategies for it (a module).
    strategies: str

    def load(self, part: str) -> Any:
        """The object a `module:name` field names, imported on first use."""
        module, _, name = getattr(self, part).partition(":")
        return getattr(importlib.import_module(module), name)

    def screen_module(self) -> ModuleType:
        """The fast-path twin of this type's rules (imported on first use)."""
        return importlib.import_module(self.screen)

    @property
    def passes_screen(self) -> Callable[..., bool]:
        """The screen: True only if no rule of this type would report anything on a payload."""
        screen: Callable[..., bool] = self.screen_module().passes_screen
        return screen

    @property
    def scanner_roles(self) -> Mapping[tuple[str, ...], str]:
        """Where the screen looks, by instance path (`[]`: every item): the scanner role there."""
        roles: Mapping[tuple[str, ...], str] = self.screen_module().SCANNER_ROLES
        return roles

    @property
    def created_window(self) -> tuple[int, int]:
        """`created` is plausible from this Unix time on, and up to this many seconds ahead of now."""
        window: tuple[int, int] = self.screen_module().CREATED_WINDOW
        return window


COMPLETION = ResponseType(
    name="completion",
    description="POST /v1/completions: CreateCompletionResponse, streamed or not",
    objects=("text_completion",),
    root_schema="completion.schema.json",
    endpoint="/completions",
    probe_cases="completion_validator._probe.cases:CASES",
    spec_components=("CreateCompletionResponse", "CompletionUsage"),
    screen="completion_validator._rules.response_screen",
    assembler="completion_validator.streams:CompletionAssembler",
    strategies="completion_validator.strategies",
)

RESPONSE_TYPES: dict[str, ResponseType] = {entry.name: entry for entry in (COMPLETION,)}
DEFAULT = COMPLETION.name


def response_type(name: str) -> ResponseType:
    """The entry for `name` (a `KeyError` names the known types)."""
    try:
        return RESPONSE_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown response type {name!r}; known: {', '.join(RESPONSE_TYPES)}") from None
