"""`spec-diff`: the vendored snapshot of OpenAI's components agrees with our schemas; doctored copies do not."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from completion_validator._specdiff import load
from tests.cli_helpers import cli

SNAPSHOT = Path(__file__).parent / "spec" / "openai-completion-components.yaml"


def _snapshot() -> dict[str, Any]:
    document = yaml.safe_load(SNAPSHOT.read_text())
    assert isinstance(document, dict)
    return document


def _doctored(tmp_path: Path, change: Callable[[dict[str, Any]], None], suffix: str = ".yaml") -> Path:
    document = copy.deepcopy(_snapshot())
    change(document["components"]["schemas"])
    path = tmp_path / f"openapi{suffix}"
    path.write_text(json.dumps(document) if suffix == ".json" else yaml.safe_dump(document))
    return path


def test_the_snapshot_names_its_upstream_commit_and_agrees_with_our_schemas() -> None:
    assert _snapshot()["x-source"]["commit"] == "f85dbe223d40e1a31cba812ab2d755c7e98a92a3"
    result = cli("spec-diff", str(SNAPSHOT))
    assert (result.returncode, result.stdout) == (0, "the spec and our schemas agree\n")


def _usage(schemas: dict[str, Any]) -> dict[str, Any]:
    usage: dict[str, Any] = schemas["CompletionUsage"]
    return usage


def _choice(schemas: dict[str, Any]) -> dict[str, Any]:
    choice: dict[str, Any] = schemas["CreateCompletionResponse"]["properties"]["choices"]["items"]
    return choice


def _add_field(schemas: dict[str, Any]) -> None:
    details = _usage(schemas)["properties"]["prompt_tokens_details"]["properties"]
    details["video_tokens"] = {"type": "integer", "description": "new", "default": 0}


def _remove_field(schemas: dict[str, Any]) -> None:
    del schemas["CreateCompletionResponse"]["properties"]["system_fingerprint"]


def _change_enum(schemas: dict[str, Any]) -> None:
    _choice(schemas)["properties"]["finish_reason"]["enum"].append("tool_calls")


def _make_nullable(schemas: dict[str, Any]) -> None:
    finish_reason = _choice(schemas)["properties"]["finish_reason"]
    _choice(schemas)["properties"]["finish_reason"] = {"anyOf": [finish_reason, {"type": "null"}]}


def _make_optional(schemas: dict[str, Any]) -> None:
    _usage(schemas)["required"].remove("completion_tokens")


def _change_type(schemas: dict[str, Any]) -> None:
    schemas["CreateCompletionResponse"]["properties"]["created"]["type"] = "number"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (_add_field, "usage.prompt_tokens_details.video_tokens: in the spec (integer), not in our schemas"),
        (_remove_field, "system_fingerprint: in our schemas (string), no longer in the spec"),
        (
            _change_enum,
            "choices[].finish_reason: enum is ['content_filter', 'length', 'stop', 'tool_calls'] in the spec, "
            "['content_filter', 'length', 'stop'] in our schemas",
        ),
        (_make_nullable, "choices[].finish_reason: nullable in the spec, not nullable in our schemas"),
        (_make_optional, "usage.completion_tokens: optional in the spec, required in our schemas"),
        (_change_type, "created: type is number in the spec, integer in our schemas"),
    ],
    ids=["added", "removed", "enum", "nullable", "required", "type"],
)
def test_a_doctored_spec_is_reported_field_by_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], line: str
) -> None:
    result = cli("spec-diff", str(_doctored(tmp_path, change)))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [line, "1 difference between the spec and our schemas"]


def _openapi_3_0_style(schemas: dict[str, Any]) -> None:
    logprobs = _choice(schemas)["properties"]["logprobs"]
    [shape] = [branch for branch in logprobs.pop("anyOf") if branch.get("type") != "null"]
    logprobs.update(shape, nullable=True)


def _information_only(schemas: dict[str, Any]) -> None:
    usage = _usage(schemas)
    usage["properties"]["prompt_tokens"].update(description="changed", default=99, format="int64")
    usage["x-oaiMeta"] = {"name": "changed"}


@pytest.mark.parametrize("change", [_openapi_3_0_style, _information_only], ids=["nullable-true", "information"])
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_the_same_thing_written_another_way_is_no_difference(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], suffix: str
) -> None:
    assert cli("spec-diff", str(_doctored(tmp_path, change, suffix))).returncode == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "openapi: 3.1.0\ncomponents: {schemas: {}}\n",
            "no components.schemas.CreateCompletionResponse in",
        ),
        ("- just a list\n", "its root is not a mapping"),
        ("{unclosed: [\n", "not an OpenAPI document"),
    ],
)
def test_a_document_that_cannot_be_compared_exits_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(content)
    result = cli("spec-diff", str(path))
    assert result.returncode == 2
    assert message in result.stderr


def test_extract_writes_a_snapshot_that_agrees(tmp_path: Path) -> None:
    extracted = cli("spec-diff", "--extract", "--commit", "abc", str(SNAPSHOT))
    assert extracted.returncode == 0
    (tmp_path / "again.yaml").write_text(extracted.stdout)
    assert yaml.safe_load(extracted.stdout)["x-source"]["commit"] == "abc"
    assert cli("spec-diff", str(tmp_path / "again.yaml")).returncode == 0


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["{type: string}"] * 9) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\ncomponents: {schemas: {CreateCompletionResponse: {properties: {x: *a1}}}}\n"


def _fan_out(levels: int) -> str:
    """Each schema has 9 properties that all refer to the next: 9**levels fields, a few hundred bytes."""
    schemas: dict[str, Any] = {
        f"S{n}": {"properties": {f"p{k}": {"$ref": f"#/components/schemas/S{n + 1}"} for k in range(9)}}
        for n in range(levels)
    }
    schemas[f"S{levels}"] = {"type": "string"}
    schemas["CreateCompletionResponse"] = {"$ref": "#/components/schemas/S0"}
    return json.dumps({"components": {"schemas": schemas}})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x: &x {components: *x}\n", "recursive structure"),
        (_laughs(9), "aliases expand this document past"),
        (
            "components: {schemas: {CreateCompletionResponse: {properties: {a: {$ref: '#/components/schemas/"
            "CreateCompletionResponse'}}}}}\n",
            "nested more than 20 levels",
        ),
        (_fan_out(8), "more than 100,000 fields"),
    ],
    ids=["alias-cycle", "alias-bomb", "ref-cycle", "ref-fan-out"],
)
def test_hostile_documents_end_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(content)
    result = cli("spec-diff", str(path))
    assert result.returncode == 2
    assert message in result.stderr


def test_an_endless_input_ends() -> None:
    result = cli("spec-diff", "/dev/zero")
    assert result.returncode == 2
    assert "larger than 64 MiB" in result.stderr


def test_an_anchor_defined_again_means_its_latest_definition(tmp_path: Path) -> None:
    # #24 item 8: 4 of 15 sampled OpenAI spec commits (2024-04..10) define an anchor twice, which
    # YAML 1.2 allows; PyYAML's "found duplicate anchor" stopped spec-diff
    redefined = "x-a: &shared {type: string}\nx-b: *shared\nx-c: &shared {type: integer}\nx-d: *shared\n"
    path = tmp_path / "openapi.yaml"
    path.write_text(SNAPSHOT.read_text() + redefined)
    assert cli("spec-diff", str(path)).returncode == 0
    document = load(path)
    assert (document["x-b"], document["x-d"]) == ({"type": "string"}, {"type": "integer"})


def test_a_yaml_error_is_given_whole_on_one_line_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.1.0\ncomponents:\n  schemas: {a: *undefined}\n")
    result = cli("spec-diff", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"completion-validator spec-diff: {path}: not an OpenAPI document: line 3, column 16: found undefined alias\n"
    )


CHAT_SNAPSHOT = Path(__file__).parent / "spec" / "openai-chat-components.yaml"


def test_the_chat_schemas_agree_with_the_chat_components_of_the_spec() -> None:
    # the components CreateChatCompletionResponse and CreateChatCompletionStreamResponse, with all
    # they refer to, at the commit the completion schemas follow (spec-diff --schema chat --extract)
    document = yaml.safe_load(CHAT_SNAPSHOT.read_text())
    assert document["x-source"]["commit"] == "f85dbe223d40e1a31cba812ab2d755c7e98a92a3"
    result = cli("spec-diff", "--schema", "chat", str(CHAT_SNAPSHOT))
    assert (result.returncode, result.stdout) == (0, "the spec and our schemas agree\n")


def test_a_change_to_a_chat_component_is_reported_under_its_component(tmp_path: Path) -> None:
    document = yaml.safe_load(CHAT_SNAPSHOT.read_text())
    schemas = document["components"]["schemas"]
    schemas["ChatCompletionStreamResponseDelta"]["properties"]["reasoning_content"] = {"type": "string"}
    schemas["ChatCompletionResponseMessage"]["required"].remove("refusal")
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document))
    result = cli("spec-diff", "--schema", "chat", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "CreateChatCompletionStreamResponse: choices[].delta.reasoning_content: in the spec (string), "
        "not in our schemas",
        "choices[].message.refusal: optional in the spec, required in our schemas",
        "2 differences between the spec and our schemas",
    ]
