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
from types import ModuleType
from typing import Any, NamedTuple


class ResponseType(NamedTuple):
    """One kind of response: its name, its schema root, and where each of its parts lives (`module:name`)."""

    name: str
    description: str
    # What a user calls one of its documents ("a text completion").
    label: str
    # The `object` values its documents carry (a chunk's too), for telling types apart.
    objects: tuple[str, ...]
    root_schema: str
    # The probe: the path below the base URL, and the module:name of its tuple of cases.
    endpoint: str
    probe_cases: str
    # spec-diff: the OpenAPI component of the response, and the others compared with it.
    spec_components: tuple[str, ...]
    # The fast-path twin of its response rules: a module with `passes_screen(payload, *, chunk)`,
    # `PARTS` (the same screen by part, by name, each a function of the same arguments),
    # `SCANNER_ROLES` (instance path -> the name of a scanner role constant, `R_CREATED`), optionally
    # `CHUNK_SCANNER_ROLES` (the same for a stream chunk, where its shape differs) and
    # `CREATED_WINDOW` (plausible from this Unix time, up to this many seconds ahead). Empty: the
    # type has no screen, so the fast path stands aside whenever one of its rules is selected.
    screen: str
    # How its stream chunks add up to a response (module:name of a class with `add` and `result`).
    assembler: str
    # Hypothesis strategies for it (a module).
    strategies: str
    # The schema of one stream chunk, where it is not the response's own (checked with the
    # `stream` relaxation either way); None: chunks share the response's shape.
    chunk_schema: str | None = None

    def root(self, *, stream: bool = False) -> str:
        """The schema file validation starts from: a whole response's, or a stream chunk's."""
        return self.chunk_schema if stream and self.chunk_schema is not None else self.root_schema

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
        if not self.screen:
            return _never_vouches
        screen: Callable[..., bool] = self.screen_module().passes_screen
        return screen

    @property
    def screen_parts(self) -> Mapping[str, Callable[..., bool]]:
        """The screen by part (`PARTS`): a rule's `screened` names the one that stands for it."""
        if not self.screen:
            return {}
        parts: Mapping[str, Callable[..., bool]] = self.screen_module().PARTS
        return parts

    def scanner_roles(self, *, chunk: bool = False) -> Mapping[tuple[str, ...], str]:
        """Where the screen looks in a response (or a chunk), by instance path (`[]`: every item): the role there."""
        if not self.screen:
            return {}
        module = self.screen_module()
        roles: Mapping[tuple[str, ...], str] = module.SCANNER_ROLES
        if chunk:
            roles = getattr(module, "CHUNK_SCANNER_ROLES", roles)
        return roles

    @property
    def created_window(self) -> tuple[int, int]:
        """`created` is plausible from this Unix time on, and up to this many seconds ahead of now."""
        if not self.screen:
            return (0, 0)  # no scanner role reads it
        window: tuple[int, int] = self.screen_module().CREATED_WINDOW
        return window


def _never_vouches(payload: object, *, chunk: bool = False) -> bool:
    """The screen of a type that has none: it never vouches that the rules would be silent."""
    return False


COMPLETION = ResponseType(
    name="completion",
    label="text completion",
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

CHAT = ResponseType(
    name="chat",
    label="chat completion",
    description="POST /v1/chat/completions: CreateChatCompletionResponse, or its stream of chunks",
    objects=("chat.completion", "chat.completion.chunk"),
    root_schema="chat-completion.schema.json",
    chunk_schema="chat-chunk.schema.json",
    endpoint="/chat/completions",
    probe_cases="completion_validator._probe.chat_cases:CASES",
    spec_components=("CreateChatCompletionResponse", "CreateChatCompletionStreamResponse"),
    screen="completion_validator._rules.chat_screen",
    assembler="completion_validator._chat_stream:ChatAssembler",
    strategies="completion_validator.chat_strategies",
)

RESPONSE_TYPES: dict[str, ResponseType] = {entry.name: entry for entry in (COMPLETION, CHAT)}
DEFAULT = COMPLETION.name
# Decide the type of each document by what it is (`detect`): the default of the command and the API.
AUTO = "auto"
SCHEMA_CHOICES = (AUTO, *RESPONSE_TYPES)


def detect(value: object) -> str:
    """The type a document is, by its `object` (a chunk's too), else by its choices' shape; else the default.

    A document that says nothing of its type (no `object`, no choice with `message` or `delta`)
    is checked as a text completion, whose schema then names what is missing.
    """
    if isinstance(value, dict):  # read as a plain dict: a subclass's own methods are not run
        kind = dict.get(value, "object")
        if type(kind) is str:
            for entry in RESPONSE_TYPES.values():
                if kind in entry.objects:
                    return entry.name
        choices = dict.get(value, "choices")
        first = choices[0] if type(choices) is list and choices else None
        if isinstance(first, dict) and (dict.__contains__(first, "message") or dict.__contains__(first, "delta")):
            return CHAT.name
    return DEFAULT


def response_type(name: str) -> ResponseType:
    """The entry for `name` (a `KeyError` names the known types)."""
    try:
        return RESPONSE_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown response type {name!r}; known: {', '.join(RESPONSE_TYPES)}") from None
