"""`completion-validator spec-diff OPENAPI_FILE`: whether OpenAI's spec still says what our schema files say.

The schemas are written by hand from OpenAI's OpenAPI description, which keeps growing (usage
gained fields about seven times in two years). This compares the spec's `CreateCompletionResponse`
and `CompletionUsage` components with our files, field by field. Both sides are flattened to one
record per field path — its types, whether it may be null, whether it is required, its enum —
so the ways of writing the same thing agree: OpenAPI 3.0's `nullable: true`, 3.1's
`anyOf: [..., {type: "null"}]` and `type: [..., "null"]`. Descriptions, defaults, `format`,
titles, examples and `x-` keys are information, not differences.

Exit status: 0 the same, 1 they differ (one line per difference), 2 the file cannot be read as an
OpenAPI document holding `CreateCompletionResponse`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from completion_validator._response_types import DEFAULT, RESPONSE_TYPES, ResponseType, response_type

COMPONENTS = response_type(DEFAULT).spec_components  # the response's component first
MAX_SPEC_SIZE = 64 * 1024 * 1024  # OpenAI's whole openapi.yaml is about 2 MB
MAX_FIELDS = 100_000  # $refs may fan out; a real response schema has a few dozen fields


@dataclass(frozen=True)
class Field:
    """What one side says of one field."""

    types: frozenset[str]
    nullable: bool
    required: bool
    enum: tuple[str, ...] | None

    def describe(self) -> str:
        """`integer`, `string, one of 'a', 'b'`, `object or null`."""
        text = " or ".join(sorted(self.types)) or "any type"
        if self.enum is not None:
            text += ", one of " + ", ".join(repr(value) for value in self.enum)
        return text + (" or null" if self.nullable else "")


class SpecError(ValueError):
    """The OpenAPI document cannot be compared: unreadable, or without the components."""


Resolver = Any  # (node) -> the node a $ref points at


def flatten(schema: Mapping[str, Any], resolve: Resolver) -> dict[str, Field]:
    """Every field below a response schema, by path (`choices[].logprobs.tokens[]`, `usage.prompt_tokens`)."""
    fields: dict[str, Field] = {}
    stack: list[tuple[str, Mapping[str, Any], bool, int]] = [("", schema, True, 0)]
    while stack:
        path, node, required, depth = stack.pop()
        node, nullable = _unwrap(node, resolve)
        if depth > 20:
            raise SpecError(f"{path}: nested more than 20 levels (a recursive schema?)")
        types = _types(node)
        nullable = nullable or "null" in types or node.get("nullable") is True
        enum = node.get("enum")
        values = None if not isinstance(enum, list) else tuple(sorted(str(v) for v in enum if v is not None))
        if path:
            fields[path] = Field(frozenset(types - {"null"}), nullable, required, values)
            if len(fields) > MAX_FIELDS:
                raise SpecError(f"more than {MAX_FIELDS:,} fields below the response: $refs that fan out without end?")
        names = node.get("required", [])
        for name, member in (node.get("properties") or {}).items():
            stack.append((f"{path}.{name}" if path else name, member, name in names, depth + 1))
        if isinstance(node.get("items"), Mapping):
            stack.append((f"{path}[]", node["items"], True, depth + 1))
        if isinstance(node.get("additionalProperties"), Mapping):
            stack.append((f"{path}{{*}}", node["additionalProperties"], False, depth + 1))
    return fields


def _unwrap(node: Mapping[str, Any], resolve: Resolver) -> tuple[Mapping[str, Any], bool]:
    """Follow `$ref`s and take `anyOf`/`oneOf` [schema, null] apart: (the schema, whether null is allowed)."""
    nullable = False
    for _ in range(50):
        if "$ref" in node:
            node = {**resolve(node), **{k: v for k, v in node.items() if k != "$ref"}}
            continue
        branches = node.get("anyOf") or node.get("oneOf")
        if isinstance(branches, list):
            kept = [branch for branch in branches if branch.get("type") != "null"]
            nullable = nullable or len(kept) < len(branches)
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf", "discriminator")}
            if len(kept) == 1:
                node = {**rest, **kept[0]}
                continue
            if kept:  # alternatives (a function or a custom tool call): one object of all their members
                node = {**rest, **_merged([_unwrap(branch, resolve)[0] for branch in kept])}
        return node, nullable
    raise SpecError("$ref chain too long (a loop?)")


def _merged(branches: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Alternatives as one schema: their members (enums joined), required where every one requires it.

    How our files write a choice of shapes (one object, `if`/`then` on its discriminator) so
    that each member is reported at its own path, compared with the spec's `oneOf`.
    """
    properties: dict[str, Any] = {}
    for branch in branches:
        for name, member in (branch.get("properties") or {}).items():
            if name in properties and isinstance(properties[name].get("enum"), list) and "enum" in member:
                properties[name] = {**properties[name], "enum": [*properties[name]["enum"], *member["enum"]]}
            else:
                properties.setdefault(name, member)
    required = set.intersection(*(set(branch.get("required", [])) for branch in branches))
    types = set().union(*(_types(branch) for branch in branches))
    return {"type": sorted(types), "properties": properties, "required": sorted(required)}


def _types(node: Mapping[str, Any]) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(name) for name in declared}
    return set()


def _roots(kind: ResponseType) -> list[tuple[str, str]]:
    """(our schema file, the spec's component) for each root a type has: its response, and its chunk."""
    ours_ = [kind.root_schema] + ([kind.chunk_schema] if kind.chunk_schema else [])
    return list(zip(ours_, kind.spec_components, strict=False))


def _prefixed(kind: ResponseType, component: str, fields: dict[str, Field]) -> dict[str, Field]:
    """A second root's fields named after its component (`CreateChatCompletionStreamResponse: id`)."""
    if component == kind.spec_components[0]:
        return fields
    return {f"{component}: {path}": field for path, field in fields.items()}


def ours(type_name: str = DEFAULT) -> dict[str, Field]:
    """Our schema files, flattened (the spec as written: no profile's relaxations but a chunk's)."""
    kind = response_type(type_name)
    fields: dict[str, Field] = {}
    for root_name, component in _roots(kind):
        # a chunk's own schema is read with the stream relaxation, as it is always checked: the
        # spec's nulls of a chunk (`finish_reason`, `usage`) are our stream nulls
        fields.update(_prefixed(kind, component, _our_root(root_name, stream=root_name == kind.chunk_schema)))
    return fields


def _our_root(root_name: str, *, stream: bool) -> dict[str, Field]:
    from completion_validator._profiles import Profile, derive_schema
    from completion_validator._registry import load_schema_files

    profile = Profile(stream=stream)
    files = {name: derive_schema(contents, profile) for name, contents in load_schema_files().items()}
    by_id = {contents["$id"]: contents for contents in files.values()}
    root = files[root_name]
    base = root["$id"].rsplit("/", 1)[0] + "/"

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = str(node["$ref"])
        target = by_id.get(reference) or by_id.get(base + reference)
        if target is None:
            raise SpecError(f"our schema refers to {reference!r}, which we do not ship")
        return target

    return flatten(root, resolve)


def theirs(document: Mapping[str, Any], type_name: str = DEFAULT) -> dict[str, Field]:
    """The OpenAPI document's components for a type, flattened ($refs within the document followed)."""
    kind = response_type(type_name)
    schemas = (document.get("components") or {}).get("schemas") or {}

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = str(node["$ref"])
        if not reference.startswith("#/"):
            raise SpecError(f"{reference!r}: only references within the document are followed")
        target: Any = document
        for part in reference[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping):
            raise SpecError(f"{reference!r} points at nothing in this document")
        return target

    fields: dict[str, Field] = {}
    for _, component in _roots(kind):
        if component not in schemas:  # what it refers to is followed from it, by $ref (or inline)
            raise SpecError(f"no components.schemas.{component} in this document")
        fields.update(_prefixed(kind, component, flatten(schemas[component], resolve)))
    return fields


def differences(mine: Mapping[str, Field], spec: Mapping[str, Field]) -> Iterator[str]:
    """One line per difference, in path order."""
    for path in sorted(set(mine) | set(spec)):
        if path not in mine:
            yield f"{path}: in the spec ({spec[path].describe()}), not in our schemas"
            continue
        if path not in spec:
            yield f"{path}: in our schemas ({mine[path].describe()}), no longer in the spec"
            continue
        ours_, theirs_ = mine[path], spec[path]
        if ours_.types != theirs_.types:
            yield f"{path}: type is {_names(theirs_.types)} in the spec, {_names(ours_.types)} in our schemas"
        if ours_.enum != theirs_.enum:
            yield f"{path}: enum is {_values(theirs_.enum)} in the spec, {_values(ours_.enum)} in our schemas"
        if ours_.required != theirs_.required:
            yield f"{path}: {_word(theirs_.required, 'required', 'optional')} in the spec, " + (
                f"{_word(ours_.required, 'required', 'optional')} in our schemas"
            )
        if ours_.nullable != theirs_.nullable:
            yield f"{path}: {_word(theirs_.nullable, 'nullable', 'not nullable')} in the spec, " + (
                f"{_word(ours_.nullable, 'nullable', 'not nullable')} in our schemas"
            )


def _word(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def _names(types: frozenset[str]) -> str:
    return " or ".join(sorted(types)) or "any type"


def _values(values: tuple[str, ...] | None) -> str:
    return "none" if values is None else "[" + ", ".join(repr(value) for value in values) + "]"


def load(path: Path) -> Mapping[str, Any]:
    """An OpenAPI document, YAML or JSON, read within a size bound; YAML aliases checked before use."""
    from completion_validator._inputs._limits import read_limited

    try:
        with path.open("rb") as stream:
            data = read_limited(stream, MAX_SPEC_SIZE)
        if data is None:
            raise SpecError(f"{path}: larger than {MAX_SPEC_SIZE // (1 << 20)} MiB: not an OpenAPI document")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else _yaml(text)
    except SpecError:
        raise
    except Exception as error:  # yaml.YAMLError, json's ValueError, RecursionError
        raise SpecError(f"{path}: not an OpenAPI document: {_reason(error)}") from None
    if not isinstance(document, Mapping):
        raise SpecError(f"{path}: not an OpenAPI document (its root is not a mapping)")
    return document


def _reason(error: Exception) -> str:
    """Why a document could not be read, whole, on one line: YAML's marked errors at their line and column."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    parts = [getattr(error, "context", None), getattr(error, "problem", None)]
    said = " ".join(str(part) for part in parts if part)
    if mark is not None and said:
        return f"line {mark.line + 1}, column {mark.column + 1}: {said}"
    return " ".join((str(error) or type(error).__name__).split())


def _yaml(text: str) -> Any:
    """YAML, with the file checker's guard: no alias cycles, no alias bombs (see _yaml_graph).

    YAML 1.2 lets an anchor be defined again (an alias means the latest definition), and OpenAI's
    spec did so for months of 2024; PyYAML's composers refuse it. The fast C loader is tried first,
    and a document it refuses for that alone is composed again by one that allows it.
    """
    import yaml

    try:
        return _composed(text, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.composer.ComposerError as error:
        if "found duplicate anchor" not in str(error):
            raise
    return _composed(text, _redefining_loader())


def _redefining_loader() -> type[Any]:
    import yaml
    from yaml.events import AliasEvent

    class RedefiningLoader(yaml.SafeLoader):
        """The pure-Python safe loader, with an anchor's new definition replacing the old (YAML 1.2)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if not isinstance(event, AliasEvent) and event.anchor is not None:
                self.anchors.pop(event.anchor, None)
            return super().compose_node(parent, index)

    return RedefiningLoader


def _composed(text: str, loader_class: type[Any]) -> Any:
    from completion_validator._inputs._yaml_graph import GraphProblem, alias_budget, check_graph

    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            check_graph(node, alias_budget(len(text)))
        except GraphProblem as problem:
            mark = problem.node.start_mark
            raise SpecError(f"line {mark.line + 1}, column {mark.column + 1}: {problem.message}") from None
        return loader.construct_document(node)
    finally:
        loader.dispose()


def extract(document: Mapping[str, Any], commit: str | None, type_name: str = DEFAULT) -> str:
    """A type's components and every component they refer to, as a small OpenAPI document (the tests' snapshot)."""
    import yaml

    schemas = document["components"]["schemas"]
    names = list(response_type(type_name).spec_components)
    for name in names:  # grows as references are found: every component reached, once
        for reference in _references(schemas.get(name)):
            if reference not in names and reference in schemas:
                names.append(reference)
    kept = {name: schemas[name] for name in names if name in schemas}
    snapshot: dict[str, Any] = {"openapi": document.get("openapi", "3.1.0")}
    if commit:
        snapshot["x-source"] = {"repo": "openai/openai-openapi", "path": "openapi.yaml", "commit": commit}
    snapshot["components"] = {"schemas": kept}
    return yaml.safe_dump(snapshot, sort_keys=False, allow_unicode=True, width=100)


def _references(node: Any) -> Iterator[str]:
    """The names of the components a schema refers to (`#/components/schemas/NAME`)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            reference = current.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
                yield reference.rsplit("/", 1)[1]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def main(argv: Sequence[str]) -> int:
    """`completion-validator spec-diff OPENAPI_FILE`: 0 same, 1 different, 2 unreadable."""
    parser = argparse.ArgumentParser(
        prog="completion-validator spec-diff",
        description="Compare a response type's components of an OpenAPI document (3.0 or 3.1) with "
        "completion-validator's schema files, field by field: CreateCompletionResponse and CompletionUsage "
        "(--schema completion), or CreateChatCompletionResponse and CreateChatCompletionStreamResponse "
        "(--schema chat).",
        epilog="exit status: 0 the same, 1 different, 2 the document cannot be read or lacks the components",
    )
    parser.add_argument("openapi", metavar="OPENAPI_FILE", help="the OpenAPI document (YAML or JSON)")
    parser.add_argument(
        "--extract",
        action="store_true",
        help="print just the type's components (and what they refer to) as YAML, to refresh the snapshot the "
        "tests use, instead of comparing",
    )
    parser.add_argument("--commit", help="with --extract: the upstream commit the document comes from")
    parser.add_argument(
        "--schema",
        choices=list(RESPONSE_TYPES),
        default=DEFAULT,
        help="the response type to compare (default: %(default)s)",
    )
    arguments = parser.parse_args(argv)
    try:
        document = load(Path(arguments.openapi))
        if arguments.extract:
            theirs(document, arguments.schema)  # the components must be there
            sys.stdout.write(extract(document, arguments.commit, arguments.schema))
            return 0
        found = list(differences(ours(arguments.schema), theirs(document, arguments.schema)))
    except SpecError as error:
        sys.stderr.write(f"completion-validator spec-diff: {error}\n")
        return 2
    for line in found:
        sys.stdout.write(line + "\n")
    noun = "difference" if len(found) == 1 else "differences"
    sys.stdout.write(
        f"{len(found)} {noun} between the spec and our schemas\n" if found else "the spec and our schemas agree\n"
    )
    return 1 if found else 0
