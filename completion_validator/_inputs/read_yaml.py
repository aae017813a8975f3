"""`.yaml` / `.yml`: one or more documents, read by the YAML 1.2 core rules, each node's position kept."""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from completion_validator._inputs._items import Document, Item, decode, problem
from completion_validator._inputs._yaml_graph import GraphProblem, alias_budget, check_graph
from completion_validator._inputs._yaml_loader import CoreSchemaLoader
from completion_validator._jsontext import Locator, Position
from completion_validator.errors import InstancePath


class YamlLocator(Locator):
    """Positions taken from the composed node tree of one YAML document."""

    def __init__(self, root: Node) -> None:
        self._root = root

    def _find(self, path: InstancePath) -> tuple[Node, Node | None] | None:
        node, key_node = self._root, None
        for part in path:
            if isinstance(node, MappingNode):
                match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if match is None:
                    return None
                key_node, node = match
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                return None
        return node, key_node

    def value_at(self, path: InstancePath) -> Position | None:
        """Where the value at `path` starts."""
        found = self._find(path)
        return _position(found[0]) if found else None

    def key_at(self, path: InstancePath) -> Position | None:
        """Where the key of the member at `path` starts."""
        found = self._find(path)
        if not found:
            return None
        return _position(found[1] or found[0])


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def read(data: bytes) -> Iterator[Item]:
    """Every document of a YAML stream, then a problem if the stream breaks off."""
    text = decode(data)
    if not isinstance(text, str):
        yield text
        return
    loader = CoreSchemaLoader(text)
    budget = alias_budget(len(text))
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            check_graph(node, budget)
            value = loader.construct_document(node)
            yield Document(value, index, YamlLocator(node))
            index += 1
    except GraphProblem as found:
        keyword = "limit" if "expand" in found.message else "not-json"
        yield problem(found.message, keyword, _position(found.node), index)
        return
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Position(mark.line + 1, mark.column + 1) if mark else None
        message = " ".join(part for part in (error.context, error.problem) if part)
        if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
            message = "a tab character where YAML allows only spaces (YAML indents with spaces): replace it"
        keyword = "duplicate-key" if "duplicate key" in message else "parse"
        yield problem(message or "invalid YAML", keyword, where, index)
        return
    except yaml.YAMLError as error:
        yield problem(str(error), "parse", None, index)
        return
    finally:
        loader.dispose()
    if index == 0:
        yield problem("no YAML document in the input", "parse", Position(1, 1))
