"""The seams a second response type and new rules come through: each holds, and a change in one place is enough.

- A rule says beside it what the fast path knows of it (`screened`, `bounds`): a rule that does
  not say it is screened makes the fast path stand aside, and a bound whose path moved in the
  schemas makes it stand aside too (never a `KeyError`); the findings stay the reference's.
- A response type is one entry: nothing outside the registry and the files it names spells the
  root schema or the probe's endpoint.
- Probe expectations are data on the case, not tests of its name.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completion_validator import _api, _settings, iter_errors
from completion_validator import _rules as _rules_registry
from completion_validator._check import check
from completion_validator._fastpath import _judge
from completion_validator._fastpath._program import Unsupported
from completion_validator._fastpath._screen import screened_rules, screening_schemas
from completion_validator._probe.cases import PROMPT, Case
from completion_validator._probe.outcome import Outcome
from completion_validator._response_types import COMPLETION, RESPONSE_TYPES
from completion_validator._results import FileResult
from completion_validator._rules import RULES, Rule, finding, run_probe_rules
from completion_validator._settings import Settings
from completion_validator._tally import tally_findings
from completion_validator.chat_strategies import chat_completions
from completion_validator.errors import Finding
from completion_validator.strategies import faulty_completions
from tests.conftest import REPO
from tests.hostile.inputs import VALID

_CACHED = (
    _judge.judge,
    _judge.scanner,
    _judge._program,
    _judge.compiled_validator,
    _judge._bounds_validator,
    _judge._suspects,
    _rules_registry._response_rules,
    _settings._selected_rules,
    _api._default_judge,
)


@pytest.fixture
def fresh_fast_path() -> Iterator[None]:
    """The judge's caches emptied before and after: a test that changes the rules must not leave its judges behind."""
    for cached in _CACHED:
        cached.cache_clear()
    yield
    for cached in _CACHED:
        cached.cache_clear()


def _bad_usage() -> dict[str, Any]:
    return {**VALID, "usage": {"prompt_tokens": -1, "completion_tokens": 2, "total_tokens": 1}}


@pytest.mark.usefixtures("fresh_fast_path")
def test_a_bound_whose_path_moved_makes_the_fast_path_stand_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    moved = RULES["usage-negative"]._replace(bounds=((("usage", "prompt_token_count"), {"minimum": 0}),))
    monkeypatch.setitem(RULES, "usage-negative", moved)
    with pytest.raises(Unsupported, match="usage-negative"):
        screening_schemas(Settings().profile())
    assert _judge.scanner(Settings()) is None
    assert _judge.compiled_validator(Settings().profile()) is None
    payload = _bad_usage()
    assert list(iter_errors(payload)) == check(payload, Settings(), None)
    assert [error.keyword for error in iter_errors(payload)] == ["usage-negative"]


@pytest.mark.usefixtures("fresh_fast_path")
def test_a_rule_the_screen_does_not_stand_for_makes_the_fast_path_stand_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    def model_named(payload: Any) -> Iterator[Finding]:
        """A planted rule: the model must not be 'forbidden'."""
        if payload.get("model") == "forbidden":
            yield finding(("model",), "the model is forbidden")

    planted = Rule("model-forbidden", "error", "response", "planted", model_named)
    monkeypatch.setitem(RULES, "model-forbidden", planted)
    assert "model-forbidden" not in screened_rules(COMPLETION.name)
    assert _judge.scanner(Settings()) is None, "the scanner cannot vouch for a rule it does not know"
    assert _judge.scanner(Settings(ignore=("model-forbidden",))) is not None
    found = list(iter_errors({**VALID, "model": "forbidden"}))
    assert [(error.keyword, error.pointer) for error in found] == [("model-forbidden", "/model")]


def test_every_response_rule_is_screened_and_its_bounds_lead_somewhere() -> None:
    for kind in RESPONSE_TYPES:
        response_rules = {
            rule_id for rule_id, rule in RULES.items() if rule.check is not None and kind in rule.response_types
        }
        assert screened_rules(kind) == response_rules
    bounded = screening_schemas(Settings().profile())
    token_logprobs = bounded["logprobs.schema.json"]["properties"]["token_logprobs"]["items"]
    assert token_logprobs["maximum"] == 0
    chat = screening_schemas(Settings(response_type="chat").profile())["chat-token-logprob.schema.json"]
    assert chat["properties"]["logprob"]["maximum"] == 0
    assert chat["properties"]["top_logprobs"]["items"]["properties"]["logprob"]["maximum"] == 0
    details = bounded["usage.schema.json"]["properties"]["prompt_tokens_details"]["properties"]
    assert {member["minimum"] for member in details.values()} == {0}


def test_every_screened_rule_names_a_part_of_each_screen_it_is_under() -> None:
    for kind in RESPONSE_TYPES.values():
        for rule_id in screened_rules(kind.name):
            assert RULES[rule_id].screened in kind.screen_parts, (kind.name, rule_id)


# Values a member may hold, hostile ones too: what a rule reading only that member must cope with alone.
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=12,
)
_USAGE_NAMES = st.sampled_from(
    ["prompt_tokens", "completion_tokens", "total_tokens", "completion_tokens_details", "prompt_tokens_details", "x"]
)
_USAGES = st.dictionaries(_USAGE_NAMES, st.integers(-3, 20) | _JSON_VALUES, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.one_of(faulty_completions().map(lambda drawn: drawn[0]), chat_completions()),
    members=st.dictionaries(st.sampled_from(["id", "created", "usage", "choices"]), _JSON_VALUES | _USAGES, max_size=3),
    lenient=st.booleans(),
)
def test_a_rule_that_names_what_it_reads_says_the_same_of_those_members_alone(
    payload: dict[str, Any], members: dict[str, Any], lenient: bool
) -> None:
    """`reads=`: the fast path runs such a rule on those members alone, read from their text (`_members.py`)."""
    payload = {**payload, **members}
    for registered in RULES.values():
        if registered.check is None or not registered.reads:
            continue
        alone = {name: value for name, value in payload.items() if name in registered.reads}
        whole = [repr(found) for found in registered.run(payload, lenient=lenient)]
        assert [repr(found) for found in registered.run(alone, lenient=lenient)] == whole, registered.id


@pytest.mark.parametrize(
    ("change", "part", "reported"),
    [
        ({"system_fingerprint": None}, None, []),  # a schema error alone: no rule runs
        ({"id": ""}, "id", ["id-empty"]),  # TGI's lines
        ({"created": 1}, "created", ["created-plausible"]),
        ({"usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 13}}, "usage", ["usage-total"]),
        ({"usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}, "zero-usage", ["usage-zero"]),
        ({"choices": [{**VALID["choices"][0], "index": 1}]}, "choices", ["choice-index-sequence"]),
    ],
)
def test_where_the_screen_fails_only_the_rules_of_its_failing_part_run(
    change: dict[str, Any], part: str | None, reported: list[str]
) -> None:
    fast = _judge.judge(Settings())
    assert fast is not None
    payload = {**VALID, **change}
    in_part = frozenset(rule_id for rule_id in screened_rules(COMPLETION.name) if RULES[rule_id].screened == part)
    assert fast.suspects(payload) == in_part
    assert [error.keyword for error in iter_errors(payload) if error.keyword in RULES] == reported


def test_nothing_outside_the_registry_names_a_root_schema_or_an_endpoint() -> None:
    spelled = {kind.root_schema for kind in RESPONSE_TYPES.values()} | {
        kind.endpoint for kind in RESPONSE_TYPES.values()
    }
    own_files = {"_response_types.py", "strategies.py"}  # the registry, and the strategies module it names
    offenders = [
        f"{path.relative_to(REPO)}: {word}"
        for path in (REPO / "completion_validator").rglob("*.py")
        if path.name not in own_files
        for word in spelled
        if re.search(rf"[\"']{re.escape(word)}[\"']", path.read_text(encoding="utf-8"))
    ]
    assert not offenders


def _outcome(case: Case, status: int) -> Outcome:
    return Outcome(case, {"model": "m", **case.body}, status, "application/json")


def test_probe_expectations_are_data_on_the_case() -> None:
    refused = Case("made-up-name", {"prompt": PROMPT, "max_tokens": 1, "n": 129}, "n over 128", rejected_for="n")
    found = list(run_probe_rules(_outcome(refused, 200), frozenset(RULES)))
    assert [(f.keyword, f.message) for f in found if f.keyword == "probe-bad-params"] == [
        ("probe-bad-params", "HTTP 200 for n; OpenAI answers 400")
    ]
    accepted = Case("bad-params-but-not-really", {"prompt": PROMPT, "max_tokens": 1}, "an ordinary request")
    assert not [
        f for f in run_probe_rules(_outcome(accepted, 200), frozenset(RULES)) if f.keyword == "probe-bad-params"
    ]


def test_a_probe_answer_is_counted_as_one_document() -> None:
    located = functools.partial(Finding, line=1, column=1)
    found = [
        located(None, "parse", "HTTP 502 with a body that is not JSON"),
        located(("usage",), "probe-usage", "no usage", severity="error"),
        located((), "probe-http-status", "HTTP 502 for a valid request", severity="error"),
        located(("id",), "id-empty", "id is empty", severity="warning"),
    ]
    result = FileResult("basic.json")
    result.add(tally_findings(found))
    assert (result.documents, result.invalid_documents, result.errors, result.warnings, result.read_problems) == (
        1,
        1,
        2,
        1,
        1,
    )


class _Counting:
    """jsonschema-rs with every validator call counted (is_valid, iter_errors, validate)."""

    def __init__(self, library: Any) -> None:
        self._library = library
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def Draft202012Validator(self, *arguments: Any, **keywords: Any) -> Any:
        counting = self
        validator = self._library.Draft202012Validator(*arguments, **keywords)

        class Counted:
            def __getattr__(self, name: str) -> Any:
                method = getattr(validator, name)

                def counted(*arguments: Any, **keywords: Any) -> Any:
                    counting.calls += 1
                    return method(*arguments, **keywords)

                return counted

        return Counted()


@pytest.mark.usefixtures("fresh_fast_path")
@pytest.mark.parametrize(
    ("usage", "keyword", "calls"),
    [
        # read whole by the scanner, which names the usage part: no schema engine at all
        ({"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 13}, "usage-total", 0),
        # a member the scanner does not follow in usage: orjson and jsonschema-rs, once
        ({"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, "x": -1}, "usage-negative", 2),
    ],
)
def test_a_line_failing_only_a_rule_is_judged_by_jsonschema_rs_once(
    usage: dict[str, int], keyword: str, calls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from completion_validator._fastpath import _explain, _libraries
    from completion_validator.batch import check_lines

    library = _libraries.jsonschema_rs()
    assert library is not None
    counting = _Counting(library)
    monkeypatch.setattr(_judge, "jsonschema_rs", lambda: counting)
    monkeypatch.setattr(_explain, "jsonschema_rs", lambda: counting)
    _explain.compiled_explainer.cache_clear()
    line = json.dumps({**VALID, "usage": usage}).encode()
    check_lines([line])  # the first line builds the validators
    counting.calls = 0
    report = check_lines([line, line])
    assert [finding.keyword for finding in report.findings] == [keyword, keyword]
    assert counting.calls == calls, "at most once per line: the judge's verdict is not asked again"
    _explain.compiled_explainer.cache_clear()


@pytest.mark.parametrize("name", sorted(RESPONSE_TYPES))
def test_each_response_type_entry_agrees_with_its_files(name: str) -> None:
    import importlib

    from completion_validator._registry import load_schema_files

    kind = RESPONSE_TYPES[name]
    files = load_schema_files()
    named: list[str] = []
    for root_name in dict.fromkeys((kind.root_schema, kind.root(stream=True))):
        objects = files[root_name]["properties"]["object"]
        if "$ref" in objects:
            objects = files[objects["$ref"]]
        named.extend(objects["enum"])
    assert tuple(named) == kind.objects, "the object values the entry names are its schemas' (response, chunk)"
    assert callable(kind.passes_screen)
    assert kind.load("assembler")().result() is None  # an assembler of no chunk assembles nothing
    if kind.strategies:  # a type without strategies or probe cases yet names none
        assert importlib.import_module(kind.strategies).__name__ == kind.strategies
    if kind.probe_cases:
        assert kind.load("probe_cases")
