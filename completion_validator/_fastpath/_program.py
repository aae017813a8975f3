"""Compile the derived schemas into the program the one-pass scanner (`_scan.c`) runs.

The scanner knows no field names and no schema: it gets a tuple of nodes built here, when the
package loads, from the same derived files every engine reads (the screening copy, which adds
the rules' bounds). A node is the schema at one path with its `$ref`s followed, reduced to what
the scanner checks: types, a string enum, the members it names and requires, what other members
and array items must be, integer bounds. It also keeps the one use of `allOf` our
files make, a member required by a discriminator (`if` `type` is "function" `then` `function` is
required), as conditions. A keyword outside that set makes the whole program `Unsupported`,
and the scanner is then not used: it never checks less than the files say.

Roles mark the paths whose values the rule screen needs (`created`, the usage counts, choice
indexes, logprob arrays, offsets): the scanner checks there what `passes_screen` checks.

For each node the program also keeps what a `type` or `enum` error there is reported with (the
keyword's value and its location in our files, as jsonschema names it), so that the failures the
scanner judges (`Scanner.judge`) become the reference engine's records through `_findings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urljoin

from completion_validator._fastpath._libraries import scan

ITEMS, OTHERS = "[]", "*"  # path steps: an array's items, an object's members the schema does not name
Path = tuple[str, ...]
# Where a response type's rule screen looks, by path: the name of the scanner's role there (`R_CREATED`).
Roles = Mapping[Path, str]


def constant(name: str) -> int:
    """One of the scanner's constants (`T_STRING`, `R_CREATED`, `MAX_PROPS`), as the compiled module exports it."""
    if scan is None:
        raise Unsupported("the scanner was not built")
    value = getattr(scan, name, None)
    if type(value) is not int:
        raise Unsupported(f"the scanner has no constant {name}")
    return value


_TYPE_NAMES = {
    "null": ("T_NULL",),
    "boolean": ("T_BOOLEAN",),
    "object": ("T_OBJECT",),
    "array": ("T_ARRAY",),
    "number": ("T_NUMBER", "T_INTEGER"),  # JSON Schema's numbers include the integers
    "integer": ("T_INTEGER",),
    "string": ("T_STRING",),
}
# Roles inside which every member, named or not, is a count to the screen.
_DETAILS = ("R_DETAILS_PROMPT", "R_DETAILS_COMPLETION")

# Keywords that say nothing about validity, and those the scanner checks.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "x-nullable-when", "x-optional-when"}
)
_CHECKED = frozenset({"type", "enum", "required", "properties", "additionalProperties", "items", "minimum", "maximum"})
_MAX_REFS = 32
_MAX_NODES = 10_000

# A discriminated requirement: when the member at this position is this string, these members are required.
Condition = tuple[int, bytes, tuple[int, ...]]
Node = tuple[
    int,
    int,
    tuple[bytes, ...],
    bool,
    tuple[tuple[bytes, int], ...],
    tuple[int, ...],
    int,
    int,
    Any,
    Any,
    tuple[Condition, ...],
]


# A keyword's value and its location, for the record of an error there: ("string", "x.schema.json#/type").
Keyword = tuple[Any, str]


class Unsupported(ValueError):
    """The schemas use something the scanner does not check: it must not be used for them."""


class Program(NamedTuple):
    """The scanner's nodes, and for each node its `type`, `enum` and `required` keywords (None where absent)."""

    nodes: tuple[Node, ...]
    types: tuple[Keyword | None, ...]
    enums: tuple[Keyword | None, ...]
    requireds: tuple[Keyword | None, ...]


def compile_program(schemas: Mapping[str, Mapping[str, Any]], root: str, roles: Roles) -> Program:
    """The scanner's program for the derived `schemas` (by file name), from `root`, with the screen's `roles`."""
    compiler = _Compiler(schemas, {path: constant(name) for path, name in roles.items()})
    compiler.node(schemas[root], (schemas[root]["$id"], ""), ())
    missing = set(compiler.roles) - compiler.placed
    if missing:
        raise Unsupported(f"the rule screen needs paths the schemas do not have: {sorted(missing)}")
    nodes = tuple(node for node in compiler.nodes if node is not None)
    return Program(nodes, tuple(compiler.types), tuple(compiler.enums), tuple(compiler.requireds))


def _pointer_part(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


class _Compiler:
    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], roles: Mapping[Path, int]) -> None:
        self.by_id = {schema["$id"]: schema for schema in schemas.values()}
        self.names = {schema["$id"]: name for name, schema in schemas.items()}
        self.roles = roles
        self.placed: set[Path] = set()
        self.nodes: list[Node | None] = []
        self.types: list[Keyword | None] = []
        self.enums: list[Keyword | None] = []
        self.requireds: list[Keyword | None] = []
        self.no_role, self.detail_count = constant("R_NONE"), constant("R_DETAIL_COUNT")
        self.details = {constant(name) for name in _DETAILS}
        self.no_node, self.closed, self.max_props = constant("NO_NODE"), constant("CLOSED"), constant("MAX_PROPS")
        self.any_type = constant("T_ANY")
        self.max_conditions = constant("MAX_CONDITIONS")
        self.type_bits = {name: sum(constant(bit) for bit in bits) for name, bits in _TYPE_NAMES.items()}

    def node(self, schema: Any, where: tuple[str, str], path: Path, parent_role: int | None = None) -> int:
        """Compile `schema`, found at `where` (a file's $id and a JSON pointer in it), for the values at `path`."""
        schema, where = self._follow(schema, where)
        base, pointer = where
        index = len(self.nodes)
        if index >= _MAX_NODES:
            raise Unsupported("too many nodes")
        self.nodes.append(None)  # the slot, so that a node's children come after it
        self.types.append(None)
        self.enums.append(None)
        self.requireds.append(None)
        # every member of a token-details object is a count to the screen, named or not
        role = self.roles.get(path, self.detail_count if parent_role in self.details else self.no_role)
        if path in self.roles:
            self.placed.add(path)
        if schema is True:
            self.nodes[index] = (self.any_type, role, (), False, (), (), self.no_node, self.no_node, None, None, ())
            return index
        if not isinstance(schema, Mapping):
            raise Unsupported(f"a schema that is not an object or true at {path}")
        unknown = set(schema) - _ANNOTATIONS - _CHECKED - {"allOf"}
        if unknown:
            raise Unsupported(f"keywords the scanner does not check at {path}: {sorted(unknown)}")
        types = self._types(schema.get("type"))
        enum, enum_null = _enum(schema)
        discriminated = _discriminated(schema.get("allOf", []), path, self.max_conditions)
        names = list(schema.get("properties", {}))
        conditional = [name for member, _, then in discriminated for name in (member, *then)]
        for name in [*schema.get("required", ()), *conditional]:
            if name not in names:
                names.append(name)
        if len(names) > self.max_props:
            raise Unsupported("more members than the scanner tracks")
        location = f"{self.names[base]}#{pointer}"
        if "type" in schema:
            self.types[index] = (schema["type"], f"{location}/type")
        if "enum" in schema:
            self.enums[index] = (schema["enum"], f"{location}/enum")
        if "required" in schema:
            self.requireds[index] = (schema["required"], f"{location}/required")
        properties = schema.get("properties", {})
        props = tuple(
            (
                name.encode(),
                self.node(
                    properties.get(name, True),
                    (base, f"{pointer}/properties/{_pointer_part(name)}"),
                    (*path, name),
                    role,
                ),
            )
            for name in names
        )
        required = tuple(names.index(name) for name in schema.get("required", ()))
        additional = schema.get("additionalProperties", True)
        if additional is False:
            others = self.closed
        elif role in self.details or additional is not True:
            others = self.node(additional, (base, f"{pointer}/additionalProperties"), (*path, OTHERS), role)
        else:
            others = self.no_node
        items = (
            self.no_node
            if schema.get("items", True) is True
            else self.node(schema["items"], (base, f"{pointer}/items"), (*path, ITEMS))
        )
        conditions = tuple(
            (names.index(member), value.encode(), tuple(names.index(name) for name in then))
            for member, value, then in discriminated
        )
        self.nodes[index] = (
            types,
            role,
            enum,
            enum_null,
            props,
            required,
            others,
            items,
            _bound(schema, "minimum"),
            _bound(schema, "maximum"),
            conditions,
        )
        return index

    def _types(self, declared: Any) -> int:
        if declared is None:
            return self.any_type
        names = [declared] if isinstance(declared, str) else declared
        if not isinstance(names, list) or not names or any(name not in self.type_bits for name in names):
            raise Unsupported(f"type {declared!r}")
        mask = 0
        for name in names:
            mask |= self.type_bits[name]
        return mask

    def _follow(self, schema: Any, where: tuple[str, str]) -> tuple[Any, tuple[str, str]]:
        for _ in range(_MAX_REFS):
            if not isinstance(schema, Mapping) or "$ref" not in schema:
                return schema, where
            if set(schema) - _ANNOTATIONS - {"$ref"}:
                raise Unsupported("a $ref beside other keywords")
            target = urljoin(where[0], schema["$ref"])
            if target not in self.by_id:  # a whole file only: a fragment is not followed
                raise Unsupported(f"a $ref the scanner cannot follow: {schema['$ref']}")
            schema, where = self.by_id[target], (target, "")
        raise Unsupported("$ref chain too long")


def _discriminated(all_of: Any, path: Path, limit: int) -> list[tuple[str, str, tuple[str, ...]]]:
    """`allOf` as our files use it, or `Unsupported`: each item `if` one member is a string `then` others are required.

    `{"if": {"properties": {"type": {"const": "function"}}, "required": ["type"]},
    "then": {"required": ["function"]}}` becomes ("type", "function", ("function",)).
    """
    if not isinstance(all_of, list) or len(all_of) > limit:
        raise Unsupported(f"an allOf the scanner does not check at {path}")
    conditions = []
    for item in all_of:
        shape = isinstance(item, Mapping) and set(item) == {"if", "then"}
        test = item["if"] if shape else None
        then = item["then"] if shape else None
        if not (
            isinstance(test, Mapping)
            and set(test) == {"properties", "required"}
            and isinstance(test["properties"], Mapping)
            and len(test["properties"]) == 1
            and isinstance(then, Mapping)
            and set(then) == {"required"}
            and isinstance(then["required"], list)
            and all(isinstance(name, str) for name in then["required"])
        ):
            raise Unsupported(f"an allOf the scanner does not check at {path}")
        ((member, constant_schema),) = test["properties"].items()
        if (
            test["required"] != [member]
            or not isinstance(constant_schema, Mapping)
            or set(constant_schema) != {"const"}
            or not isinstance(constant_schema["const"], str)
            or "\\" in constant_schema["const"]
            or '"' in constant_schema["const"]
            or not constant_schema["const"].isprintable()
        ):
            raise Unsupported(f"an allOf the scanner does not check at {path}")
        conditions.append((member, constant_schema["const"], tuple(then["required"])))
    return conditions


def _enum(schema: Mapping[str, Any]) -> tuple[tuple[bytes, ...], bool]:
    if "enum" not in schema:
        return (), False
    values = schema["enum"]
    strings = tuple(value.encode() for value in values if isinstance(value, str))
    if not strings or len(strings) + values.count(None) != len(values):
        raise Unsupported("an enum of anything but strings and null")
    return strings, None in values


def _bound(schema: Mapping[str, Any], keyword: str) -> int | None:
    bound = schema.get(keyword)
    if bound is None:
        return None
    if type(bound) is not int or abs(bound) >= 2**63:
        raise Unsupported(f"{keyword} {bound!r}: the scanner compares integers only")
    return bound
