"""A YAML loader that does not change the data under the user's feet.

PyYAML follows YAML 1.1: `2023-11-06` becomes a date, `yes`/`no`/`on`/`off` become booleans,
`1e3` stays a string, and a repeated key silently wins. Completion fixtures are JSON data
written in YAML, so this loader resolves plain scalars by the YAML 1.2 core schema (the JSON
types only) and rejects duplicate and non-string keys, each at its own line and column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from completion_validator._jsontext import INT_DIGITS_LIMIT, TooLongNumber

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_STRING_TAG = "tag:yaml.org,2002:str"


class CoreSchemaLoader(_Base):  # type: ignore[misc]
    """Safe loading under the YAML 1.2 core schema, with duplicate and non-string keys refused."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing keys JSON cannot hold and keys given twice."""
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            seen: set[str] = set()
            for key_node, _ in node.value:
                if not (isinstance(key_node, ScalarNode) and key_node.tag == _STRING_TAG):
                    raise ConstructorError(None, None, "object keys must be strings in JSON data", key_node.start_mark)
                if key_node.value in seen:
                    raise ConstructorError(None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key_node.value)
        return dict(super().construct_mapping(node, deep=deep))

    def construct_core_int(self, node: ScalarNode) -> int | TooLongNumber:
        """An integer as YAML 1.2 reads it: decimal (leading zeros allowed), 0o octal, 0x hex.

        One longer than Python reads is kept as text, for the engine to report at its place.
        """
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        if len(text.lstrip("+-")) > INT_DIGITS_LIMIT:
            return TooLongNumber(text)
        return int(text, 10)

    def construct_core_float(self, node: ScalarNode) -> float:
        """A float as YAML 1.2 reads it, `.inf` and `.nan` included (JSON checks reject those later)."""
        text = str(self.construct_scalar(node)).lower()
        if text.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        if text == ".nan":
            return float("nan")
        return float(text)


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789.")),
):
    CoreSchemaLoader.add_implicit_resolver(_tag, _pattern, _first)
CoreSchemaLoader.add_constructor("tag:yaml.org,2002:int", CoreSchemaLoader.construct_core_int)
CoreSchemaLoader.add_constructor("tag:yaml.org,2002:float", CoreSchemaLoader.construct_core_float)
