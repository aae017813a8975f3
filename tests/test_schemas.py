"""The schema files themselves: metaschema-valid, self-documenting, references resolved, examples valid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from completion_validator._profiles import RELAXATIONS, STRICT, Profile, derive_schema
from completion_validator._registry import SchemaLoadError, load_schema_files, schema_dir, schema_set
from completion_validator._response_types import RESPONSE_TYPES

FILES = load_schema_files()
NAMESPACE = "https://completion-validator.invalid/schemas/"


def test_the_concepts_each_have_a_file() -> None:
    assert set(FILES) == {
        "completion.schema.json",
        "choice.schema.json",
        "object.schema.json",
        "usage.schema.json",
        "logprobs.schema.json",
        "finish-reason.schema.json",
        # chat completions: the response, its choice and message, tool calls, token logprobs, the
        # chunk and its delta, the finish-reason enum; usage is shared; the service tier is the spec's
        "chat-completion.schema.json",
        "chat-choice.schema.json",
        "chat-message.schema.json",
        "chat-tool-call.schema.json",
        "chat-logprobs.schema.json",
        "chat-token-logprob.schema.json",
        "chat-chunk.schema.json",
        "chat-delta.schema.json",
        "chat-finish-reason.schema.json",
        "chat-moderation.schema.json",
        "service-tier.schema.json",
        # the body of a 4xx or 5xx answer, which the probe holds non-2xx answers to
        "error-response.schema.json",
    }


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("profile", [STRICT, Profile(lenient=True, stream=True, forbid_unknown_fields=True)])
def test_every_schema_passes_the_2020_12_metaschema(name: str, profile: Profile) -> None:
    Draft202012Validator.check_schema(derive_schema(FILES[name], profile))


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_schema_documents_itself(name: str) -> None:
    schema = FILES[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == NAMESPACE + name
    assert schema["title"]
    assert schema["description"]
    assert schema["examples"]
    for path, subschema in _property_schemas(schema):
        assert subschema.get("description"), f"{name}: property {path} has no description"


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_example_in_a_schema_is_valid_against_it(name: str) -> None:
    chunks = {kind.chunk_schema for kind in RESPONSE_TYPES.values()}
    schemas = schema_set(Profile(stream=True) if name in chunks else STRICT)
    validator = Draft202012Validator(schemas.registry.contents(NAMESPACE + name), registry=schemas.registry)
    for example in FILES[name]["examples"]:
        assert list(validator.iter_errors(example)) == [], json.dumps(example)


def test_relaxation_markers_name_known_relaxations() -> None:
    markers = [
        set(node["x-nullable-when"]) for name in FILES for node in _nodes(FILES[name]) if "x-nullable-when" in node
    ]
    assert markers
    assert all(marker <= RELAXATIONS for marker in markers)


def test_no_object_is_closed_in_the_spec_profile() -> None:
    assert all(node.get("additionalProperties") is not False for name in FILES for node in _nodes(FILES[name]))


def test_every_reference_resolves_and_an_unknown_one_fails_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    assert schema_set(STRICT).root["$id"] == NAMESPACE + "completion.schema.json"
    broken = json.loads(json.dumps(FILES))
    broken["choice.schema.json"]["properties"]["text"] = {"$ref": "missing.schema.json"}
    monkeypatch.setattr("completion_validator._registry.load_schema_files", lambda: broken)
    with pytest.raises(SchemaLoadError, match=r"choice\.schema\.json: \$ref 'missing\.schema\.json'"):
        schema_set.__wrapped__(Profile(lenient=True))


def test_schemas_are_read_from_the_repository_folder_in_a_checkout() -> None:
    assert (schema_dir() / "completion.schema.json").is_file()


def _nodes(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            if key != "examples":
                found.extend(_nodes(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_nodes(item))
    return found


def _property_schemas(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name, subschema in schema.get("properties", {}).items():
        found.append((prefix + name, subschema))
        found.extend(_property_schemas(subschema, prefix + name + "."))
    return found
