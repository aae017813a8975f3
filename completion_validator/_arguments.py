"""The options every command shares (the checker's, the probe's), and the one `Settings` they make.

`completion-validator`, `completion-validator probe` and any later subcommand take the same
validation and rule options, spelled and explained once here, so a flag means the same thing
wherever it is given.
"""

from __future__ import annotations

import argparse

from completion_validator._response_types import AUTO, SCHEMA_CHOICES
from completion_validator._settings import Settings


def add_validation_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The `validation` group: which profile of the schemas applies."""
    profile = parser.add_argument_group("validation")
    profile.add_argument(
        "--schema",
        choices=SCHEMA_CHOICES,
        default=AUTO,
        help="the response type each document is checked as: completion (POST /v1/completions), chat "
        "(POST /v1/chat/completions), or auto (default): each document's own, by its object",
    )
    profile.add_argument(
        "--lenient",
        action="store_true",
        help="also accept the nulls real servers send (system_fingerprint, usage, token details, "
        "finish_reason, logprobs arrays)",
    )
    profile.add_argument(
        "--forbid-unknown-fields",
        action="store_true",
        help="report every property the spec does not define (catches typos in fixtures)",
    )
    return profile


def add_rule_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The `rules` group: which cross-field and stream rules run."""
    rules = parser.add_argument_group("rules (cross-field and stream checks; see --list-rules)")
    rules.add_argument(
        "--select",
        action="append",
        metavar="RULE[,RULE]",
        help="run only these rules (ids or prefixes such as 'usage' or 'stream'); repeatable",
    )
    rules.add_argument("--ignore", action="append", metavar="RULE[,RULE]", help="do not run these rules; repeatable")
    return rules


def split(values: list[str] | None) -> tuple[str, ...]:
    """Names given as repeated and comma-separated values (`--select a,b --select c`), in order."""
    return tuple(name.strip() for value in values or [] for name in value.split(",") if name.strip())


def settings_from_arguments(arguments: argparse.Namespace) -> Settings:
    """The `Settings` the parsed options ask for (options a command does not take keep their defaults).

    Rule names are not checked here: `Settings.selected_rules()` raises `UnknownRule`, which each
    command turns into its usage error.
    """
    return Settings(
        lenient=arguments.lenient,
        forbid_unknown_fields=arguments.forbid_unknown_fields,
        rules=not getattr(arguments, "no_rules", False),
        select=None if arguments.select is None else split(arguments.select),
        ignore=split(arguments.ignore),
        warnings_as_errors=getattr(arguments, "warnings_as_errors", False),
        response_type=arguments.schema,
    )
