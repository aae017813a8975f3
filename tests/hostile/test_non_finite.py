"""Non-finite numbers: both engines give the same records, and every format stays strict JSON (#27 item 5).

`1e400` in JSON text, `.inf` and `.nan` in YAML, a float infinity or NaN in a dict: each is
not a JSON number, and that is its one finding (`not-json`), at its path. The rules pass over
it (a log-probability of +inf used to add `logprob-positive` in the reference engine only), and
`--format json` writes it as the text "inf", never as `Infinity`, which strict parsers refuse.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from completion_validator._api import check_value
from completion_validator._check import check
from completion_validator._settings import Settings
from tests.cli_helpers import cli
from tests.hostile.inputs import VALID

_LOGPROBS = {"tokens": ["a"], "token_logprobs": [-0.5], "top_logprobs": [{"a": -0.5}], "text_offset": [0]}
PLACES: dict[str, tuple[str | int, ...]] = {
    "token_logprobs": ("choices", 0, "logprobs", "token_logprobs", 0),
    "top_logprobs": ("choices", 0, "logprobs", "top_logprobs", 0, "a"),
    "prompt_tokens": ("usage", "prompt_tokens"),
    "total_tokens": ("usage", "total_tokens"),
    "created": ("created",),
    "index": ("choices", 0, "index"),
}
TEXT = {"+inf": "1e400", "-inf": "-1e400"}
YAML = {"+inf": ".inf", "-inf": "-.inf", "nan": ".nan"}
FLOAT = {"+inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


def _payload(place: str, value: object) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(VALID)
    payload["choices"][0]["logprobs"] = copy.deepcopy(_LOGPROBS)
    payload["choices"][0]["text"] = "a"  # what the token spells
    target: Any = payload
    *parents, last = PLACES[place]
    for part in parents:
        target = target[part]
    target[last] = value
    return payload


def _records(result_stdout: str) -> list[tuple[str, str, str]]:
    document = orjson.loads(result_stdout)  # strict: Infinity and NaN would fail here
    return [(error["keyword"], str(error["pointer"]), str(error["actual"])) for error in document["errors"]]


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize(
    ("kind", "spelled"), [*(("json", v) for v in TEXT.values()), *(("yaml", v) for v in YAML.values())]
)
def test_text_and_yaml_get_the_same_records_in_both_engines(
    tmp_path: Path, place: str, kind: str, spelled: str
) -> None:
    path = tmp_path / f"payload.{kind}"
    path.write_text(json.dumps(_payload(place, "NONFINITE")).replace('"NONFINITE"', spelled))
    auto = cli("--format", "json", str(path))
    reference = cli("--format", "json", "--engine", "reference", str(path))
    assert _records(auto.stdout) == _records(reference.stdout)
    pointer = "/" + "/".join(map(str, PLACES[place]))
    assert [(keyword, at) for keyword, at, _ in _records(auto.stdout)] == [("not-json", pointer)]
    assert auto.returncode == reference.returncode == 1


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("spelled", sorted(TEXT.values()))
def test_a_stream_chunk_gets_the_same_records_in_both_engines(tmp_path: Path, place: str, spelled: str) -> None:
    chunk = json.dumps(_payload(place, "NONFINITE")).replace('"NONFINITE"', spelled)
    capture = tmp_path / "capture.sse"
    capture.write_text(f"data: {chunk}\n\ndata: [DONE]\n\n")
    auto = cli("--format", "json", str(capture))
    reference = cli("--format", "json", "--engine", "reference", str(capture))
    assert _records(auto.stdout) == _records(reference.stdout)


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(FLOAT))
def test_a_dict_gets_the_same_records_in_both_engines(place: str, name: str) -> None:
    payload = _payload(place, FLOAT[name])
    reference = check(payload, Settings(), None)
    assert [repr(finding) for finding in check_value(payload, Settings())] == [repr(finding) for finding in reference]
    assert [finding.keyword for finding in reference] == ["not-json"]
