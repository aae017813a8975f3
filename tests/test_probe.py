"""The probe: a conformant fake server passes clean; each planted defect is reported, and only it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from completion_validator._probe.cases import CASES
from completion_validator._probe.chat_cases import CASES as CHAT_CASES
from tests.cli_helpers import cli
from tests.probe.fake_chat import DEFECTS as CHAT_DEFECTS
from tests.probe.fake_server import DEFECTS, fake_server


def _probe(base_url: str, *args: str) -> tuple[int, dict[str, object]]:
    result = cli("probe", "--base-url", base_url, "--model", "fake", "--timeout", "10", "--format", "json", *args)
    return result.returncode, json.loads(result.stdout)


def test_a_conformant_server_passes_every_case_of_both_matrices() -> None:
    with fake_server() as base_url:
        status, document = _probe(base_url)
    assert document["errors"] == []
    assert status == 0
    assert document["summary"]["files"] == len(CASES) + len(CHAT_CASES)  # type: ignore[index]
    with fake_server() as base_url:
        status, document = _probe(base_url, "--schema", "completion")
    assert (status, document["summary"]["files"]) == (0, len(CASES))  # type: ignore[index]


@pytest.mark.parametrize(("serves", "missing"), [(("completions",), "chat completion"), (("chat",), "text completion")])
def test_a_server_without_one_endpoint_is_probed_on_the_other(serves: tuple[str, ...], missing: str) -> None:
    with fake_server(serves=serves) as base_url:
        status, document = _probe(base_url)
    errors = document["errors"]
    assert isinstance(errors, list)
    assert [(error["keyword"], error["severity"]) for error in errors] == [("no-input", "warning")]
    assert f"no {missing} endpoint there" in errors[0]["message"]
    assert status == 0
    with fake_server(serves=()) as base_url:
        status, document = _probe(base_url)
    assert status == 2, "neither endpoint: nothing was probed"
    assert [error["severity"] for error in document["errors"]] == ["warning", "error"]  # type: ignore[attr-defined]


def test_a_conformant_chat_server_passes_every_chat_case() -> None:
    with fake_server() as base_url:
        status, document = _probe(base_url, "--schema", "chat")
    assert document["errors"] == []
    assert status == 0
    assert document["summary"]["files"] == len(CHAT_CASES)  # type: ignore[index]


@pytest.mark.parametrize("defect", sorted(CHAT_DEFECTS))
def test_each_planted_chat_defect_is_reported_and_nothing_else(defect: str) -> None:
    with fake_server(defect) as base_url:
        status, document = _probe(base_url, "--schema", "chat")
    keywords = {error["keyword"] for error in document["errors"]}  # type: ignore[attr-defined]
    assert keywords == CHAT_DEFECTS[defect], document["errors"]
    assert status == 1


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_planted_defect_is_reported_and_nothing_else(defect: str) -> None:
    with fake_server(defect) as base_url:
        status, document = _probe(base_url, "--schema", "completion")
    keywords = {error["keyword"] for error in document["errors"]}  # type: ignore[attr-defined]
    assert keywords == DEFECTS[defect], document["errors"]
    errors = [e for e in document["errors"] if e["severity"] == "error"]  # type: ignore[attr-defined]
    assert status == (1 if errors else 0)


def test_unreachable_server_is_status_2_with_the_reason() -> None:
    with fake_server() as base_url:
        pass  # the port is closed again
    result = cli("probe", "--base-url", base_url, "--model", "m", "--timeout", "5")
    assert result.returncode == 2
    assert "connection refused" in result.stdout


def test_only_skip_and_rule_selection(tmp_path: Path) -> None:
    with fake_server("echo-ignored") as base_url:
        status, document = _probe(base_url, "--only", "echo,basic", "--ignore", "probe-echo")
    assert (status, document["errors"], document["summary"]["files"]) == (0, [], 3)  # type: ignore[index]
    with fake_server() as base_url:
        _probe(base_url, "--only", "basic", "--skip", "echo", "--save-captures", str(tmp_path))
    saved = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.json"))
    assert saved == ["basic.json", "chat/basic.json"], "a name both matrices have picks both; chat's go to chat/"
    result = cli("probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--only", "nope")
    assert result.returncode == 2
    assert "unknown case nope" in result.stderr


def test_saved_captures_recheck_to_the_same_findings(tmp_path: Path) -> None:
    with fake_server("chat-shaped-logprobs") as base_url:
        _, live = _probe(base_url, "--schema", "completion", "--save-captures", str(tmp_path))
    assert (tmp_path / "stream.sse").read_bytes().startswith(b"data: ")
    assert json.loads((tmp_path / "logprobs.json.request.json.txt").read_text())["request"]["logprobs"] == 2
    assert (tmp_path / "bad-params-logprobs.json.http400.txt").exists()
    # The echo case is checked --lenient, as OpenAI itself sends null for the first prompt token.
    rechecked = json.loads(cli("--format", "json", str(tmp_path)).stdout)["errors"]
    rechecked = [error for error in rechecked if not error["file"].endswith("echo.json")]
    echo = json.loads(cli("--format", "json", "--lenient", str(tmp_path / "echo.json")).stdout)["errors"]

    def schema_and_rules(errors: object) -> list[tuple[str, object, object]]:
        assert isinstance(errors, list)
        return sorted(
            (Path(e["file"]).name, e["keyword"], e["pointer"]) for e in errors if not e["keyword"].startswith("probe-")
        )

    assert schema_and_rules(rechecked + echo) == schema_and_rules(live["errors"])
    assert schema_and_rules(live["errors"])  # the logprobs-shape warning is among them


@pytest.mark.parametrize("output_format", ["text", "github", "sarif", "junit", "gitlab"])
def test_every_output_format_works(output_format: str) -> None:
    with fake_server("n-ignored") as base_url:
        result = cli("probe", "--base-url", base_url, "--model", "m", "--format", output_format, "--only", "n")
    assert result.returncode == 1
    assert "probe-choices" in result.stdout


def test_a_stream_that_never_ends_hits_the_timeout() -> None:
    with fake_server("never-ending-stream") as base_url:
        result = cli("probe", "--base-url", base_url, "--model", "m", "--only", "stream", "--timeout", "1")
    assert result.returncode == 2
    assert "stream: the answer did not end within 1 s (a stream that never ends?) [io]" in result.stdout


def test_a_body_that_is_not_json_is_shown_by_its_first_bytes() -> None:
    with fake_server("html-from-a-gateway") as base_url:
        result = cli("probe", "--base-url", base_url, "--model", "m", "--only", "basic")
    assert result.returncode == 2
    assert "basic.json: error: HTTP 200 with a body that is not JSON: '<html><body>502 Bad Gateway" in result.stdout


def test_a_base_url_without_v1_gets_one_finding_that_says_to_add_it() -> None:
    # #24: every case answered 404 and the report listed a probe-http-status error for each, no hint
    with fake_server() as base_url:
        bare = base_url.removesuffix("/v1")
        result = cli("probe", "--base-url", bare, "--model", "fake", "--timeout", "10")
    assert result.returncode == 2
    first, summary = result.stdout.splitlines()
    assert first.startswith(f"basic.json: error: HTTP 404 for POST {bare}/completions: ")
    assert f"try --base-url {bare}/v1 (" in first
    assert summary == "1 file, 0 documents checked: 0 invalid, 1 error, 1 unreadable"
