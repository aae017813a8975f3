"""Explaining a document with jsonschema-rs: the reference engine's records, at compiled speed.

jsonschema stays the definition (`--engine reference`); this produces the same records for the
keywords our schemas use (`type`, `enum`, `required`, `additionalProperties`), through the same
builders (`_findings`), from jsonschema-rs's errors: the keyword's location in our files, its
instance path, and the value the schema declares, read from the same derived schemas. Any error
of another kind, or a value jsonschema-rs refuses, answers None: the caller then asks jsonschema,
so an unforeseen case costs time, never a different record. A differential test holds the two
engines equal on the example corpus, on hostile values and on ≥10,000 mutations per profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from completion_validator._fastpath._libraries import jsonschema_rs
from completion_validator._findings import additional_findings, enum_finding, required_finding, type_finding
from completion_validator._profiles import Profile, derive_schema
from completion_validator._registry import load_schema_files
from completion_validator._response_types import response_type
from completion_validator.errors import Finding, InstancePath

Explainer = Callable[[Any], "list[Finding] | None"]


class _Untranslatable(Exception):
    """An error this module cannot turn into the reference engine's record: let jsonschema explain."""


@cache
def compiled_explainer(profile: Profile) -> Explainer | None:
    """A function giving a payload's schema findings under `profile` as jsonschema's would be translated.

    None without jsonschema-rs; the function itself answers None where it cannot vouch for the
    exact records (the caller then asks the reference engine).
    """
    library = jsonschema_rs()
    if library is None:
        return None
    derived = {name: derive_schema(contents, profile) for name, contents in load_schema_files().items()}
    registry = library.Registry([(schema["$id"], schema) for schema in derived.values()])
    root = response_type(profile.response_type).root(stream=profile.stream)
    validator = library.Draft202012Validator(derived[root], registry=registry, offline=True)
    kinds = library.ValidationErrorKind
    names = {schema["$id"]: name for name, schema in derived.items()}
    keywords: dict[str, tuple[str, Any, Any]] = {}  # absolute location -> (our location, keyword value, its schema)

    def keyword_at(absolute: str) -> tuple[str, Any, Any]:
        found = keywords.get(absolute)
        if found is None:
            uri, _, pointer = absolute.partition("#")
            parent: Any = derived[names[uri]]
            parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            found = keywords[absolute] = (f"{names[uri]}#{pointer}", parent[parts[-1]], parent)
        return found

    def translate(payload: Any, error: Any) -> Iterator[Finding]:
        path: InstancePath = tuple(error.instance_path)
        instance = payload
        for part in (*path, None):
            if type(instance) is dict and "" in instance:
                # jsonschema-rs 0.61 leaves empty keys out of `instance_path` (`/a//b` comes as a, b),
                # so a path through an object with an empty key cannot be trusted.
                raise _Untranslatable("an empty key on the path")
            if part is not None:
                instance = instance[part]
        kind = error.kind
        try:
            location, value, schema = keyword_at(error.absolute_keyword_location)
        except (KeyError, IndexError, ValueError, TypeError) as unknown:
            raise _Untranslatable from unknown
        if isinstance(kind, kinds.Type):
            yield type_finding(value, instance, path, location)
        elif isinstance(kind, kinds.Enum):
            yield enum_finding(value, instance, path, location)
        elif isinstance(kind, kinds.Required):
            yield required_finding(kind.property, path, location)
        elif isinstance(kind, kinds.AdditionalProperties) and value is False:
            yield from additional_findings(schema.get("properties", {}), instance, path, location)
        else:
            raise _Untranslatable(type(kind).__name__)

    def explain(payload: Any) -> list[Finding] | None:
        try:
            return [finding for error in validator.iter_errors(payload) for finding in translate(payload, error)]
        except (_Untranslatable, ValueError, TypeError, KeyError, IndexError, RecursionError):
            return None  # jsonschema-rs refused a value, or an error we do not translate: the reference explains

    return explain
