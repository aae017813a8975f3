"""Every output format stays valid, strict and unforgeable whatever the file names and payloads hold (#27 9, 10, 17).

- A file name whose bytes are not UTF-8 is shown the same way in every format (`caf\\xe9.json`;
  SARIF's URI percent-encodes the real byte), and every JSON format parses in a strict parser:
  JSON's own `\\udce9` escape, which such parsers refuse, is never written.
- JUnit is well-formed XML 1.0 whatever code points a payload holds (U+FFFE and U+FFFF too).
- Bidirectional controls from a payload are escaped in text and GitHub output, as control
  characters are: a server's string cannot reorder how a finding reads.
- A 200,000-character property name and a 1 MB error message are shown shortened.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest
from lxml import etree

from tests.hostile.harness import run_guarded
from tests.hostile.inputs import VALID

FORMATS = ["text", "json", "github", "sarif", "junit", "gitlab"]


def _write(folder: Path, name: str | bytes, payload: object) -> Path:
    path = folder / (os.fsdecode(name) if isinstance(name, bytes) else name)
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def _strictly_valid(output_format: str, output: bytes) -> str:
    text = output.decode("utf-8")  # strict UTF-8, whatever the input held
    if output_format in ("json", "sarif", "gitlab"):
        orjson.loads(output)  # refuses a lone surrogate escape, as strict parsers do
    if output_format == "junit":
        etree.fromstring(output)  # XML 1.0: no U+FFFE, no U+FFFF, no C0 control but tab and line ends
    return text


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_file_name_that_is_not_utf8_is_shown_alike_everywhere(tmp_path: Path, output_format: str) -> None:
    path = _write(tmp_path, b"caf\xe9.json", {**VALID, "object": "x"})
    result = run_guarded(path, "--format", output_format)
    assert result.status == 1, result.stderr
    assert "Traceback" not in result.stderr
    text = _strictly_valid(output_format, result.stdout)
    if output_format == "sarif":
        assert json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
            "uri"
        ].endswith("caf%E9.json")
    elif output_format in ("json", "gitlab"):
        assert "caf\\\\xe9.json" in text  # in JSON text, the backslash is escaped: the string is caf\xe9.json
    else:
        assert "caf\\xe9.json" in text


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_code_point_class_keeps_every_format_valid(tmp_path: Path, output_format: str) -> None:
    awkward = "".join(
        (
            "\x00\x01\x08\x0b\x0c\x1b\x7f\x85",  # C0 and C1 controls
            "\u2028\u2029",  # line and paragraph separators
            "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f",  # bidi controls
            "\ufdd0\ufffe\uffff",  # noncharacters
            "\U0001f600\U0010fffd",  # astral
            "<script>&amp;]]>",
        )
    )
    path = _write(tmp_path, "awkward.json", {**VALID, "object": awkward})
    # a payload may also carry a lone surrogate as an escape: not UTF-8, an `encoding` finding
    surrogate = tmp_path / "surrogate.json"
    surrogate.write_text(json.dumps({**VALID, "model": "LONE"}).replace('"LONE"', '"\\ud800"'))
    result = run_guarded(path, surrogate, "--format", output_format)
    assert "Traceback" not in result.stderr
    assert result.status in (1, 2), result.stderr
    shown = _strictly_valid(output_format, result.stdout)
    if output_format in ("text", "github"):
        text = shown
        for control in ("\u202e", "\u2066", "\u2028", "\x1b", "\ufffe"):
            assert control not in text
        assert "\\u202e" in text


@pytest.mark.parametrize("output_format", ["text", "github", "junit"])
def test_a_huge_property_name_is_shown_shortened(tmp_path: Path, output_format: str) -> None:
    path = _write(tmp_path, "key.json", {**VALID, "k" * 200_000: 1})
    result = run_guarded(path, "--format", output_format, "--forbid-unknown-fields")
    assert result.status == 1, result.stderr
    text = _strictly_valid(output_format, result.stdout)
    assert max(len(line) for line in text.splitlines()) < 2_000


def test_a_huge_error_body_in_a_stream_is_shown_shortened(tmp_path: Path) -> None:
    capture = tmp_path / "error.sse"
    error = json.dumps({"error": {"message": "overloaded " * 100_000, "type": "server_error"}})
    capture.write_text(f"data: {error}\n\ndata: [DONE]\n\n")
    result = run_guarded(capture)
    assert result.status == 1, result.stderr
    assert "the server sent an error in event 1: overloaded overloaded" in result.text
    assert max(len(line) for line in result.text.splitlines()) < 2_000
