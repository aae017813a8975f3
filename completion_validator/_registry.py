"""The schema files, and the registry each profile builds from them.

The repository's top-level `schemas/` folder is the only copy in git. A wheel carries it as
`completion_validator/schemas` (hatchling force-include); a checkout or an editable install
reads it from beside the package. Each profile loads the files once into a
`referencing.Registry`. Nothing is ever fetched: every `$ref` is resolved when the registry is
built, so a schema that points at a file we do not ship fails at load time with the reference
named, not halfway through validating someone's payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from completion_validator._profiles import Profile, derive_schema
from completion_validator._response_types import DEFAULT, response_type
from completion_validator.errors import to_pointer

if TYPE_CHECKING:
    from referencing import Registry


SCHEMA_SUFFIX = ".schema.json"
# Members whose values are data, not subschemas: they hold no keyword and no reference.
_DATA_MEMBERS = frozenset({"examples", "enum", "const", "default"})


class SchemaLoadError(RuntimeError):
    """A schema file is broken: no `$id`, or a `$ref` that resolves to nothing we ship."""


class SchemaFilesNotFound(SchemaLoadError):
    """The package was installed without its schema files."""


def schema_dir() -> Path:
    """The folder holding the schema files, in a wheel install or in a checkout."""
    package = Path(__file__).resolve().parent
    root = response_type(DEFAULT).root_schema
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / root).is_file():
            return candidate
    raise SchemaFilesNotFound(f"no {root} beside {package}: the installation is incomplete; reinstall the package")


@cache
def load_schema_files() -> dict[str, dict[str, Any]]:
    """Every schema file's contents by file name, read once per process."""
    folder = schema_dir()
    return {
        path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*" + SCHEMA_SUFFIX))
    }


@cache
def schema_keywords() -> frozenset[str]:
    """Every JSON Schema keyword the schema files use: the keywords a schema finding can carry."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                found.add(key)
                if key == "properties" and isinstance(value, Mapping):
                    for subschema in value.values():
                        walk(subschema)
                elif key not in _DATA_MEMBERS:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for contents in load_schema_files().values():
        walk(contents)
    # additionalProperties is what forbid_unknown_fields adds. Annotations, and keywords that only
    # lead elsewhere ($ref, properties, items), never fail themselves: a finding names the one that did.
    passive = {"$schema", "$id", "$ref", "$defs", "title", "description", "examples", "properties", "items"}
    return frozenset(keyword for keyword in {*found, "additionalProperties"} - passive if not keyword.startswith("x-"))


class SchemaSet:
    """The schemas of one profile: the registry, the root schema, and file names for messages."""

    def __init__(self, registry: Registry[Any], root_uri: str, file_names: Mapping[str, str]) -> None:
        self.registry = registry
        self.root_uri = root_uri
        self.file_names = file_names
        # The same few keyword locations fail again and again: resolve each schema path once.
        self._located: dict[tuple[str | int, ...], str] = {}

    def __repr__(self) -> str:
        return f"SchemaSet({self.root_uri!r})"

    @property
    def root(self) -> Any:
        """The contents of the response schema, where validation starts."""
        return self.registry.contents(self.root_uri)

    def locate(self, schema_path: Iterable[str | int]) -> str:
        """`file#pointer` of the keyword a jsonschema `schema_path` ends at (cached)."""
        key = tuple(schema_path)
        if key not in self._located:
            self._located[key] = self._resolve(key)
        return self._located[key]

    def _resolve(self, schema_path: Iterable[str | int]) -> str:
        """`file#pointer` of the keyword a jsonschema `schema_path` ends at, following `$ref` hops.

        jsonschema leaves `$ref` hops out of `schema_path`; where the path goes on below a
        schema that only holds a `$ref`, replaying it through the registry finds the file.
        """
        from urllib.parse import urldefrag, urljoin  # only when explaining: not at start-up

        uri, node, pointer = self.root_uri, self.root, ""
        for part in schema_path:
            while isinstance(node, Mapping) and part not in node and isinstance(node.get("$ref"), str):
                reference = node["$ref"]
                node = self.registry.resolver(uri).lookup(reference).contents
                uri, pointer = urldefrag(urljoin(uri, reference))
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int):
                node = node[part]
            else:
                node = None
            pointer += to_pointer((part,))
        return f"{self.file_names.get(uri, uri)}#{pointer}"


@cache
def schema_set(profile: Profile) -> SchemaSet:
    """The schemas for `profile`, built once per process and profile (referencing is imported only here)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources: list[tuple[str, Resource[Any]]] = []
    file_names: dict[str, str] = {}
    for name, contents in load_schema_files().items():
        uri = contents.get("$id")
        if not isinstance(uri, str) or not uri:
            raise SchemaLoadError(f"{name}: no $id; every schema file needs an absolute $id")
        resources.append((uri, DRAFT202012.create_resource(derive_schema(contents, profile))))
        file_names[uri] = name
    registry: Registry[Any] = Registry().with_resources(resources).crawl()
    _check_references(registry, file_names)
    root = response_type(profile.response_type).root(stream=profile.stream)
    root_uri = next(uri for uri, name in file_names.items() if name == root)
    return SchemaSet(registry=registry, root_uri=root_uri, file_names=file_names)


def _check_references(registry: Registry[Any], file_names: Mapping[str, str]) -> None:
    from referencing.exceptions import Unresolvable

    for uri, name in file_names.items():
        resolver = registry.resolver(uri)
        for ref in _references(registry.contents(uri)):
            try:
                resolver.lookup(ref)
            except Unresolvable as error:
                raise SchemaLoadError(f"{name}: $ref {ref!r} does not resolve to a shipped schema") from error


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in _DATA_MEMBERS:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
