"""The screening copy of the schemas: the spec as derived for a profile, plus the rules' own bounds.

Some rules are plain bounds (a log-probability is at most 0, a token count at least 0). Each
declares its bounds beside it (`@rule(..., bounds=...)`) as instance paths and keywords; here
they are placed into a copy of the derived schemas, following `$ref`s, so that jsonschema-rs and
the compiled scanner check them in their own loops. Only the fast verdict uses this copy: the
reference schemas stay the spec as written, and the findings themselves still come from the rules.

A path that leads nowhere in the schemas (a field was moved or renamed) is `Unsupported`: the fast
path then stands aside, which costs time and never a finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from completion_validator._fastpath._program import ITEMS, Unsupported
from completion_validator._profiles import Profile, derive_schema
from completion_validator._registry import load_schema_files
from completion_validator._response_types import response_type

EVERY_MEMBER = "*"  # a path step: every member an object's schema names


def screened_rules(type_name: str) -> frozenset[str]:
    """The ids of the rules the fast path's screen stands for, for one response type."""
    from completion_validator._rules import RULES

    if not response_type(type_name).screen:
        return frozenset()  # no screen: it stands for no rule
    return frozenset(rule_id for rule_id, rule in RULES.items() if rule.screened and type_name in rule.response_types)


def screening_schemas(profile: Profile) -> dict[str, dict[str, Any]]:
    """The derived schema files for `profile` (by file name), with every bound its type's rules declare."""
    from completion_validator._rules import RULES

    derived = {name: derive_schema(contents, profile) for name, contents in load_schema_files().items()}
    by_id = {schema["$id"]: schema for schema in derived.values()}
    kind = response_type(profile.response_type)
    root = derived[kind.root(stream=profile.stream)]
    for rule in RULES.values():
        if kind.name not in rule.response_types:
            continue
        for path, keywords in rule.bounds:
            for node in _nodes_at(root, root["$id"], path, by_id, rule.id):
                node.update(keywords)
    return derived


def _nodes_at(
    schema: dict[str, Any], base: str, path: tuple[str, ...], by_id: Mapping[str, dict[str, Any]], rule_id: str
) -> Iterator[dict[str, Any]]:
    """The subschemas that describe the values at `path` (`[]` an array's items, `*` every named member).

    `base` is the `$id` that `schema`'s own `$ref`s resolve against (its file's).
    """
    node, base = _follow(schema, base, by_id)
    if not path:
        yield node
        return
    step, rest = path[0], path[1:]
    children: list[Any]
    if step == ITEMS:
        children = [node.get("items")]
    elif step == EVERY_MEMBER:
        children = list(node.get("properties", {}).values())
        extra = node.get("additionalProperties")
        children += [extra] if isinstance(extra, dict) else []
    else:
        children = [node.get("properties", {}).get(step)]
    if not children or not all(isinstance(child, dict) for child in children):
        raise Unsupported(f"rule {rule_id}: its bound at {'/'.join(path)} leads nowhere in the schemas")
    for child in children:
        yield from _nodes_at(child, base, rest, by_id, rule_id)


def _follow(schema: dict[str, Any], base: str, by_id: Mapping[str, dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """The schema a chain of whole-file `$ref`s ends at, and the `$id` its own `$ref`s resolve against."""
    for _ in range(32):
        reference = schema.get("$ref")
        if not isinstance(reference, str):
            return schema, base
        target = urljoin(base, reference)
        if target not in by_id:
            raise Unsupported(f"a $ref the screen cannot follow: {reference}")
        schema, base = by_id[target], target
    raise Unsupported("$ref chain too long")
