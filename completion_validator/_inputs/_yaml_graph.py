"""What YAML aliases may do to a document before it is built: no cycles, and a bounded expansion.

An alias (`*a`) makes the composed node tree a graph. A node that contains an alias to itself
(`x: &r [*r]`) has no JSON form, and walking it never ends; aliases of aliases ("billion laughs")
expand a few hundred bytes into billions of values. Both are found on the node graph itself, in
time linear in the number of distinct nodes, before anything is constructed.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, SequenceNode

MIN_ALIAS_BUDGET = 10_000  # values: enough for any fixture that shares a few blocks


def alias_budget(text_size: int) -> int:
    """How many values a document may expand to: twice its size in characters, at least 10,000."""
    return max(MIN_ALIAS_BUDGET, 2 * text_size)


@dataclass(frozen=True)
class GraphProblem(Exception):
    """A node graph that cannot become JSON data, and the node to blame."""

    message: str
    node: Node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_graph(root: Node, budget: int) -> None:
    """Raise `GraphProblem` for a cycle, or for an expansion past `budget` values."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # post-order, iteratively: documents may nest deeply
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = min(budget + 1, 1 + sum(sizes[id(child)] for child in _children(node)))
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise GraphProblem(
                "an alias refers to a node that contains it: a recursive structure has no JSON form", node
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)) if id(child) not in sizes)
    if sizes[id(root)] > budget:
        raise GraphProblem(
            f"aliases expand this document past {budget:,} values (the limit for a document of its size); "
            "an alias bomb is not a completion",
            _where_it_crosses(root, sizes, budget),
        )


def _where_it_crosses(root: Node, sizes: dict[int, int], budget: int) -> Node:
    """The node, in document order, whose expansion takes the count past the budget.

    The walk stops at the first shared node (one an alias points at) on the way: its position is
    where its anchor is defined, the line that multiplies.
    """
    count, node = 0, root
    while True:
        count += 1
        for child in _children(node):
            if count + sizes[id(child)] > budget:
                if _is_shared(root, child):
                    return child
                node = child
                break
            count += sizes[id(child)]
        else:
            return node


def _is_shared(root: Node, target: Node) -> bool:
    """Whether `target` is reached more than once from `root` (an alias points at it)."""
    seen = 0
    stack, visited = [root], set()
    while stack:
        node = stack.pop()
        for child in _children(node):
            if child is target:
                seen += 1
                if seen > 1:
                    return True
            elif id(child) not in visited:
                visited.add(id(child))
                stack.append(child)
    return False
