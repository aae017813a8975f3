"""Property tests: generated valid payloads pass; one mutation gives one error at exactly its pointer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from completion_validator import is_valid, iter_errors
from completion_validator._profiles import STRICT
from completion_validator._registry import schema_set
from completion_validator.errors import InstancePath, to_pointer
from tests.strategies import completions

JSON_SAMPLES: tuple[object, ...] = ("x", 7, 1.5, True, None, [], {})
TYPE_OF: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _declared(payload: Any) -> Iterator[tuple[InstancePath, dict[str, Any], list[str]]]:
    """Every value in `payload` with the schema the spec declares for it and the names it requires."""
    schemas = schema_set(STRICT)

    def resolve(schema: dict[str, Any], base: str) -> tuple[dict[str, Any], str]:
        while "$ref" in schema:
            resolved = schemas.registry.resolver(base).lookup(schema["$ref"])
            schema, base = resolved.contents, resolved.contents["$id"]
        return schema, base

    def walk(value: Any, schema: dict[str, Any], base: str, path: InstancePath) -> Iterator[Any]:
        schema, base = resolve(schema, base)
        yield path, schema, schema.get("required", [])
        if isinstance(value, dict):
            for key, item in value.items():
                if key in schema.get("properties", {}):
                    yield from walk(item, schema["properties"][key], base, (*path, key))
                elif isinstance(schema.get("additionalProperties"), dict):
                    yield from walk(item, schema["additionalProperties"], base, (*path, key))
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                yield from walk(item, schema["items"], base, (*path, index))

    yield from walk(payload, schemas.root, schemas.root_uri, ())


def _set(payload: Any, path: InstancePath, value: object) -> None:
    for part in path[:-1]:
        payload = payload[part]
    payload[path[-1]] = value


def _is_of(value: object, types: list[str]) -> bool:
    if value is None:
        return "null" in types
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, float) and value.is_integer() and "integer" in types:
        return True
    return any(isinstance(value, TYPE_OF[name]) for name in types if name in TYPE_OF)


@given(completions())
def test_generated_valid_payloads_are_valid_in_every_profile(payload: dict[str, Any]) -> None:
    assert list(iter_errors(payload)) == []
    assert is_valid(payload, lenient=True)
    assert is_valid(payload, forbid_unknown_fields=True)


@given(completions(), st.data())
def test_dropping_a_required_member_is_reported_at_that_member(payload: dict[str, Any], data: st.DataObject) -> None:
    candidates = [(*path, name) for path, _, required in _declared(payload) for name in required]
    target = data.draw(st.sampled_from(candidates))
    mutated = copy.deepcopy(payload)
    parent: Any = mutated
    for part in target[:-1]:
        parent = parent[part]
    del parent[target[-1]]
    assert [(e.pointer, e.keyword) for e in iter_errors(mutated)] == [(to_pointer(target), "required")]


@given(completions(), st.data())
def test_a_value_of_the_wrong_type_is_reported_at_that_value(payload: dict[str, Any], data: st.DataObject) -> None:
    candidates = [(path, schema) for path, schema, _ in _declared(payload) if path and "type" in schema]
    path, schema = data.draw(st.sampled_from(candidates))
    types = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
    wrong = data.draw(st.sampled_from([value for value in JSON_SAMPLES if not _is_of(value, types)]))
    mutated = copy.deepcopy(payload)
    _set(mutated, path, copy.deepcopy(wrong))
    assert [(e.pointer, e.keyword) for e in iter_errors(mutated)] == [(to_pointer(path), "type")]


@given(completions(max_choices=3).filter(lambda p: p["choices"]), st.data())
def test_a_value_outside_an_enum_is_reported_at_that_value(payload: dict[str, Any], data: st.DataObject) -> None:
    candidates = [path for path, schema, _ in _declared(payload) if "enum" in schema]
    path = data.draw(st.sampled_from(candidates))
    mutated = copy.deepcopy(payload)
    _set(mutated, path, data.draw(st.sampled_from(["eos", "", "text_completion.chunk", "STOP"])))
    assert [(e.pointer, e.keyword) for e in iter_errors(mutated)] == [(to_pointer(path), "enum")]
