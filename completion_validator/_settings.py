"""Settings: how a payload is checked — the schema profile, which rules run, whether warnings fail.

One frozen value carries these from the API keywords or the command line to the engine, the
stream checker and the CLI alike. It imports nothing heavy: the CLI builds it before knowing
whether anything needs validating.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import NamedTuple, TypedDict, Unpack

from completion_validator._profiles import Profile
from completion_validator._response_types import AUTO, DEFAULT, detect, response_type
from completion_validator._rules import select_rules


class Settings(NamedTuple):
    """How to check a payload: the schema profile, which rules run, and whether warnings fail.

    `select` / `ignore` take rule ids or id prefixes (`usage` selects every `usage-*` rule);
    `select=None` means every rule. `rules=False` runs the schema alone. `response_type` names
    the type every document is checked as, or is `auto`: each document's own (`for_document`).
    """

    lenient: bool = False
    forbid_unknown_fields: bool = False
    rules: bool = True
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    warnings_as_errors: bool = False
    response_type: str = AUTO

    def profile(self, *, stream: bool = False) -> Profile:
        """The schema profile for a whole response, or for a stream chunk (`auto`: a text completion's)."""
        return Profile(
            lenient=self.lenient,
            stream=stream,
            forbid_unknown_fields=self.forbid_unknown_fields,
            response_type=self.typed,
        )

    @property
    def typed(self) -> str:
        """The response type documents are checked as before their own is known (`auto`: the default)."""
        return DEFAULT if self.response_type == AUTO else self.response_type

    def for_document(self, value: object) -> Settings:
        """These settings for one document: under `auto`, with the type the document is (`detect`).

        A document of the default type keeps these very settings (`typed` already names it), so
        a log of text completions pays no lookup per line.
        """
        if self.response_type != AUTO:
            return self
        kind = detect(value)
        return self if kind == DEFAULT else _typed(self, kind)

    def selected_rules(self) -> frozenset[str]:
        """The ids of the rules to run (raises `UnknownRule` for an id that names none)."""
        return _selected_rules(self.rules, self.select, self.ignore)


@cache
def _typed(settings: Settings, type_name: str) -> Settings:
    return settings._replace(response_type=type_name)


@cache
def _selected_rules(enabled: bool, select: tuple[str, ...] | None, ignore: tuple[str, ...]) -> frozenset[str]:
    return select_rules(select, ignore) if enabled else frozenset()


class Options(TypedDict, total=False):
    """The keyword options `is_valid` and `validate` share with `iter_errors`."""

    lenient: bool
    forbid_unknown_fields: bool
    rules: bool
    select: Iterable[str] | None
    ignore: Iterable[str]
    warnings_as_errors: bool
    schema: str


def settings_from(**options: Unpack[Options]) -> Settings:
    """`Settings` from the API's keyword options (rule names checked at once)."""
    select = options.get("select")
    settings = Settings(
        lenient=options.get("lenient", False),
        forbid_unknown_fields=options.get("forbid_unknown_fields", False),
        rules=options.get("rules", True),
        select=None if select is None else tuple(select),
        ignore=tuple(options.get("ignore", ())),
        warnings_as_errors=options.get("warnings_as_errors", False),
        response_type=_schema(options.get("schema", AUTO)),
    )
    settings.selected_rules()
    return settings


def _schema(name: str) -> str:
    """The `schema=` option: `auto` or a response type's name (a ValueError names the choices)."""
    if name == AUTO:
        return name
    try:
        return response_type(name).name
    except KeyError as error:
        raise ValueError(str(error.args[0]).replace("response type", "schema") + f", {AUTO}") from None
