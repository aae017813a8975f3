"""The command as users run it: mostly in-process through `main(argv)`, a few times as the real console script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from completion_validator._inputs import FORMATS, SUFFIXES
from tests.cli_helpers import SCRIPT, cli, script
from tests.conftest import REPO

HERE = Path(__file__).parent / "cli"
GOLDEN = HERE / "golden"
VALID = REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json"
INVALID = REPO / "tests/examples/invalid/e03_tgi_eos_token.json"
MALFORMED = REPO / "tests/examples/malformed/i41_spec_streaming_example_verbatim.json"
GOLDEN_RUN = [
    "inputs",
    "../examples/valid/h07_yaml_fixture.yaml",
    "../examples/invalid/e02_together_object_and_eos.json",
    "../examples/invalid/y01_yaml_two_documents.yaml",
    "missing.json",
]


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file()


@pytest.mark.parametrize(
    ("args", "stdin", "status", "first_line"),
    [
        pytest.param([str(VALID)], None, 0, "1 file, 1 document checked: 0 invalid, 0 errors", id="valid"),
        pytest.param([str(INVALID)], None, 1, f"{INVALID}:12:24: error: $.choices[0].finish_reason", id="invalid"),
        pytest.param(["-"], INVALID.read_bytes(), 1, "<stdin>:12:24: error: $.choices[0].finish_reason", id="stdin"),
        pytest.param(["--format", "xml", str(VALID)], None, 2, "", id="usage-error"),
    ],
)
def test_the_real_console_script(args: list[str], stdin: bytes | None, status: int, first_line: str) -> None:
    result = script(*args, stdin=stdin)
    assert (result.returncode, "Traceback" in result.stderr) == (status, False), result.stderr
    assert result.stdout.startswith(first_line)


def test_in_process_and_console_script_give_the_same_bytes() -> None:
    run = ["--format", "json", *GOLDEN_RUN]
    in_process, real = cli(*run, cwd=HERE), script(*run, cwd=HERE)
    assert (in_process.stdout, in_process.returncode) == (real.stdout, real.returncode)


def test_input_formats_suffixes_and_the_hook_pattern_come_from_one_table() -> None:
    help_text = cli("--help").stdout
    assert "{" + ",".join(FORMATS) + "}" in help_text
    assert ", ".join(SUFFIXES) in " ".join(help_text.split())
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())[0]
    pattern = re.compile(hook["files"])
    for suffix in SUFFIXES:
        assert pattern.search(f"fixtures/reply.completion{suffix}"), suffix
        assert not pattern.search(f"fixtures/reply{suffix}"), suffix
    assert not pattern.search("fixtures/reply.completion.txt")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        pytest.param([str(VALID)], 0, id="valid"),
        pytest.param([str(INVALID)], 1, id="invalid"),
        pytest.param([str(VALID), str(INVALID)], 1, id="valid-and-invalid"),
        pytest.param([str(MALFORMED)], 2, id="malformed"),
        pytest.param([str(INVALID), str(MALFORMED)], 2, id="unreadable-wins-over-invalid"),
        pytest.param(["missing.json"], 2, id="missing-file"),
        pytest.param(["--format", "xml", str(VALID)], 2, id="usage-error"),
        pytest.param([], 2, id="no-paths"),
        pytest.param(["--version"], 0, id="version"),
        pytest.param(["--help"], 0, id="help"),
        pytest.param(
            ["--lenient", str(REPO / "tests/examples/invalid/i23_finish_reason_null_stream_chunk.json")],
            0,
            id="lenient",
        ),
        pytest.param(
            ["--forbid-unknown-fields", str(REPO / "tests/examples/valid/v12_deprecation_warning_field.json")],
            1,
            id="forbid",
        ),
    ],
)
def test_exit_status(args: list[str], status: int) -> None:
    result = cli(*args)
    assert result.returncode == status, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit", "gitlab"])
def test_golden_output(output_format: str) -> None:
    result = cli("--format", output_format, *GOLDEN_RUN, cwd=HERE)
    golden = GOLDEN / f"run.{output_format}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()
    assert result.returncode == 2


def test_json_output_has_the_documented_shape() -> None:
    document = json.loads(cli("--format", "json", *GOLDEN_RUN, cwd=HERE).stdout)
    assert set(document) >= {"valid", "summary", "files", "errors"}
    assert document["valid"] is False
    assert {entry["status"] for entry in document["files"]} == {"valid", "invalid", "error"}
    fields = {
        "file",
        "line",
        "column",
        "document",
        "pointer",
        "path",
        "keyword",
        "severity",
        "message",
        "expected",
        "actual",
    }
    for error in document["errors"]:
        assert fields <= set(error)
    jsonl = [error for error in document["errors"] if error["file"] == "inputs/log.jsonl"]
    assert [error["document"] for error in jsonl] == [error["line"] for error in jsonl]


@pytest.mark.parametrize("args", [["--format", "json", "--max-errors", "0", "x"], ["--format=json", "--bogus"]])
def test_json_output_parses_even_for_a_usage_error(args: list[str]) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert json.loads(result.stdout)["errors"][0]["keyword"] == "usage"


def test_missing_file_next_to_a_valid_one_reports_both() -> None:
    result = cli("missing.json", str(VALID), "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 2
    assert [(f["file"], f["status"]) for f in document["files"]] == [("missing.json", "error"), (str(VALID), "valid")]
    assert document["errors"][0]["message"] == "no such file or directory"


def test_text_output_is_one_clickable_line_per_error() -> None:
    result = cli(str(INVALID), cwd=REPO)
    assert result.stdout.splitlines() == [
        f"{INVALID}:12:24: error: $.choices[0].finish_reason: "
        "'eos_token' is not one of 'stop', 'length', 'content_filter' [enum]",
        "1 file, 1 document checked: 1 invalid, 1 error",
    ]


def test_parse_errors_are_located() -> None:
    assert cli(str(MALFORMED)).stdout.startswith(f"{MALFORMED}:14:3: error: expected ',' or '}}' [parse]")


@pytest.mark.parametrize(
    ("stdin", "args", "first_line"),
    [
        pytest.param(INVALID.read_bytes(), ["-"], "<stdin>:12:24: error: $.choices[0].finish_reason", id="json"),
        pytest.param(
            (HERE / "inputs/log.jsonl").read_bytes(),
            ["-"],
            "<stdin>:3:87: error: $.choices[0].logprobs",
            id="jsonl-detected",
        ),
        pytest.param(
            (HERE / "inputs/types.yaml").read_bytes(),
            ["--input-format", "yaml", "-"],
            "<stdin>:3:10: error: $.created",
            id="yaml",
        ),
        pytest.param(b"", ["-"], "<stdin>:1:1: error: no JSON value: the input is empty [parse]", id="empty"),
    ],
)
def test_stdin(stdin: bytes, args: list[str], first_line: str) -> None:
    assert cli(*args, stdin=stdin).stdout.startswith(first_line)


def test_a_log_whose_first_line_was_cut_is_still_read_line_by_line() -> None:
    # `tail -c` of a log, a rotated file: its first line is the end of a record. Read as one
    # document, the records after it went unchecked ("0 documents checked").
    cut = (HERE / "inputs/log.jsonl").read_bytes()[40:]
    output = cli("-", stdin=cut).stdout
    assert output.startswith("<stdin>:1:4: error: extra data after the JSON value [parse]")
    assert "<stdin>:3:87: error: $.choices[0].logprobs: required property 'logprobs' is missing" in output


def test_a_first_line_nested_deeper_than_json_reads_is_a_located_finding() -> None:
    result = cli("-", stdin=b'{"a": ' + b"[" * 100_000 + b'\n{"b": 2}\n')
    assert result.stdout.startswith("<stdin>:1:1006: error: nested too deeply: more than 1000 levels here")
    assert "<stdin>:2:1: error: $.id: required property 'id' is missing [required]" in result.stdout
    assert result.returncode == 2


def test_directory_is_searched_for_payload_files_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.json").write_bytes(VALID.read_bytes())
    (tmp_path / "sub" / "b.yml").write_text("id: x\n")
    (tmp_path / "sub" / "c.ndjson").write_bytes(VALID.read_bytes().replace(b"\n", b"") + b"\n")
    (tmp_path / "notes.txt").write_text("not a payload")
    (tmp_path / ".hidden" / "d.json").write_text("{")
    document = json.loads(cli("--format", "json", str(tmp_path)).stdout)
    assert [Path(f["file"]).relative_to(tmp_path).as_posix() for f in document["files"]] == [
        "a.json",
        "sub/b.yml",
        "sub/c.ndjson",
    ]
    assert document["summary"]["exit_status"] == 1


def test_directory_without_payload_files_is_an_error(tmp_path: Path) -> None:
    result = cli(str(tmp_path))
    assert result.returncode == 2
    assert "no files ending in" in result.stdout


def test_unreadable_path_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "file.json"
    blocker.write_text("{}")
    result = cli(str(blocker / "inner.json"), str(VALID))
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == f"{blocker / 'inner.json'}: error: not a directory [io]"
    assert result.stdout.splitlines()[-1] == "2 files, 1 document checked: 0 invalid, 1 error, 1 unreadable"


def test_max_errors_caps_each_document_and_says_so() -> None:
    many = REPO / "tests/examples/invalid/n03_sdk_model_dump_null_details.json"
    lines = cli("--max-errors", "2", str(many)).stdout.splitlines()
    assert len([line for line in lines if ": error: " in line]) == 2
    assert lines[2].endswith("7 more problems in this document not shown (--max-errors) [max-errors]")
    assert lines[-1] == "1 file, 1 document checked: 1 invalid, 9 errors"


@pytest.mark.parametrize(("flags", "lines"), [([], 2), (["-q"], 0), (["-qq"], 0)])
def test_quiet_on_success(flags: list[str], lines: int) -> None:
    assert len(cli(*flags, str(VALID)).stdout.splitlines()) == (1 if lines == 2 else 0)


def test_quiet_twice_prints_nothing_even_on_failure() -> None:
    result = cli("-qq", str(INVALID))
    assert (result.stdout, result.returncode) == ("", 1)


@pytest.mark.parametrize(
    ("flags", "env", "colored"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {}, False),
        ([], {}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_color(flags: list[str], env: dict[str, str], colored: bool) -> None:
    assert ("\033[" in cli(*flags, str(INVALID), env=env).stdout) is colored


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "completion_validator", str(INVALID)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "[enum]" in result.stdout


@pytest.mark.slow
def test_large_jsonl_is_streamed_with_flat_memory(tmp_path: Path) -> None:
    line = VALID.read_bytes().replace(b"\n", b"") + b"\n"
    bad = INVALID.read_bytes().replace(b"\n", b"") + b"\n"
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_bytes((line * 99 + bad) * 10)
    large.write_bytes((line * 99 + bad) * 1000)
    peaks = {}
    for path in (small, large):
        probe = (
            "import resource, subprocess, sys;"
            f"code = subprocess.run([{str(SCRIPT)!r}, '-qq', {str(path)!r}]).returncode;"
            "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        code, peak_kib = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
        assert code == "1"
        peaks[path.name] = int(peak_kib) // 1024
    assert peaks["large.jsonl"] < 150, peaks
    assert peaks["large.jsonl"] <= peaks["small.jsonl"] + 15, peaks


def test_symlink_loops_in_a_directory_are_followed_once(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(VALID.read_bytes())
    (tmp_path / "loop").symlink_to(tmp_path)
    result = cli(str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "1 file, 1 document checked: 0 invalid, 0 errors"


def test_utf16_files_are_named_as_such(tmp_path: Path) -> None:
    utf16 = tmp_path / "windows.json"
    utf16.write_bytes(VALID.read_text().encode("utf-16"))
    result = cli(str(utf16))
    assert result.returncode == 2
    assert (
        "windows.json:1:1: error: the file is UTF-16 (little-endian); JSON exchanged between systems must be UTF-8"
        in result.stdout
    )


def test_deeply_nested_vendor_data_is_checked_not_crashed_on(tmp_path: Path) -> None:
    payload = json.loads(VALID.read_text())
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps(payload)[:-1] + ', "vendor": ' + "[" * 950 + "]" * 950 + "}")
    result = cli("--engine", "reference", str(deep))
    assert (result.returncode, result.stderr) == (0, "")
    too_deep = tmp_path / "too-deep.json"
    too_deep.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = cli(str(too_deep))
    assert result.returncode == 2
    assert "nested too deeply" in result.stdout


LEAN_START = """
import sys
from completion_validator.cli import main
status = main(sys.argv[1:])
heavy = {"jsonschema", "referencing", "yaml", "concurrent", "multiprocessing", "ctypes", "xml", "http",
         "tempfile", "gzip", "hashlib", "traceback", "jsonschema_rs", "orjson", "uuid", "shutil", "bz2", "lzma"}
heavy = sorted({name.split(".")[0] for name in sys.modules} & heavy)
print(status, heavy)
"""


def test_a_clean_run_imports_nothing_heavy() -> None:
    # pre-commit starts the command on every commit: a clean JSON file must not pay for jsonschema,
    # referencing, PyYAML, the process pool, nor what only other paths need (XML and hashing for
    # reports, HTTP for the probe, gzip, temporary files, tracebacks, shutil's bz2 and lzma), nor,
    # where the compiled scanner vouches for the file, jsonschema-rs and orjson (with its uuid).
    from completion_validator._fastpath._libraries import scan

    result = subprocess.run(
        [sys.executable, "-c", LEAN_START, "-q", str(VALID)], capture_output=True, text=True, check=True
    )
    without_scanner = "0 ['jsonschema_rs', 'orjson', 'uuid']"
    assert result.stdout.split("\n")[0] == ("0 []" if scan is not None else without_scanner)


def test_explaining_with_the_compiled_engine_imports_no_jsonschema() -> None:
    # An invalid file from a hook: its records come from jsonschema-rs, translated; jsonschema and
    # referencing are for what that cannot vouch for.
    invalid = REPO / "tests/examples/invalid/e03_tgi_eos_token.json"
    result = subprocess.run(
        [sys.executable, "-c", LEAN_START, "-q", str(invalid)], capture_output=True, text=True, check=True
    )
    status, heavy = result.stdout.split("\n")[-2].split(" ", 1)
    assert status == "1"
    assert "jsonschema" not in heavy
    assert "referencing" not in heavy


def test_quiet_prints_nothing_for_a_run_with_warnings_only_and_errors_only_otherwise() -> None:
    suspect = REPO / "tests/examples/valid/w01_suspect_but_valid.json"
    assert (cli("-q", str(suspect)).stdout, cli("-q", str(suspect)).returncode) == ("", 0)
    both = cli("-q", str(suspect), str(INVALID)).stdout.splitlines()
    assert [line.split(": ")[1] for line in both[:-1]] == ["error"]
    assert both[-1].endswith("1 invalid, 1 error, 4 warnings")
