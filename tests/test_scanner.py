"""The compiled scanner says "clean" only where the reference engine finds nothing: never a false clean.

The scanner (`_fastpath/_scan.c`) is an accelerator: True means certainly clean, False means
"not sure" and the document takes the exact path. So the property is one-sided — scanner True
implies that the strict parser reads the text and jsonschema with every rule finds nothing — and
is tested on edited texts (`tests/scanner/cases.json`), every example file, generated documents
with value mutations, and byte-level edits of valid texts, in every profile. The cases also hold
it to saying True on ordinary clean documents, so that it is used at all.
"""

from __future__ import annotations

import collections
import decimal
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completion_validator import strategies as drawn
from completion_validator._check import check
from completion_validator._fastpath import Judged, _verdict
from completion_validator._fastpath._judge import judge
from completion_validator._fastpath._judge import scanner as compiled
from completion_validator._fastpath._libraries import scan as _scan
from completion_validator._fastpath._members import PART_BITS
from completion_validator._fastpath._program import Unsupported, compile_program
from completion_validator._fastpath._screen import screening_schemas
from completion_validator._jsontext import JsonLocator, JsonSyntaxError, parse_json
from completion_validator._recognize import may_be_recognized
from completion_validator._response_types import COMPLETION
from completion_validator._rules import RULES
from completion_validator._settings import Settings
from completion_validator.errors import Finding
from completion_validator.strategies import faulty_completions
from tests.conftest import REPO
from tests.hostile.inputs import VALID
from tests.strategies import completions
from tests.test_engines import PROFILES as USER_PROFILES
from tests.test_engines import mutate, records

# Where Python's C compiler is found, the install must have built the scanner (hatch_build.py).
COMPILER = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0])
pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C compiler: the package runs without its scanner")

CASES = json.loads((REPO / "tests/scanner/cases.json").read_text(encoding="utf-8"))["cases"]
COMPACT = json.dumps(VALID, separators=(",", ":"), ensure_ascii=False)
EXAMPLES = sorted((REPO / "tests/examples").glob("**/*.json"))
# The scanner is a text completion's: it is held to the reference checking every document as one.
PROFILES = {name: settings_._replace(response_type="completion") for name, settings_ in USER_PROFILES.items()}
# A rule's warnings, judged by the scanner, become errors as the reference makes them.
WARNINGS_AS_ERRORS = Settings(response_type="completion", warnings_as_errors=True)


Scan = Callable[[bytes | bytearray | memoryview | str, float], bool]


def scanner(settings_: Settings) -> Scan:
    found = compiled(settings_)
    assert found is not None, "the default rules are all screened, so every profile has a scanner"
    scan: Scan = found[0].clean  # it takes any bytes-like object, as tested here
    return scan


def reference_clean(data: bytes, settings_: Settings, *, chunk: bool = False) -> bool:
    """What the reference engine says: the strict parser reads the text and jsonschema + every rule find nothing."""
    try:
        value = parse_json(data.decode("utf-8"))
    except (UnicodeDecodeError, JsonSyntaxError):
        return False
    return check(value, settings_, None, chunk=chunk) == []


def assert_sound(data: bytes, settings_: Settings) -> bool:
    """The scanner's verdict, held to the reference: True only where the reference finds nothing.

    And where the scanner judges the document whole (`Judged`), its records are the reference's,
    located the same in a whole file and in a JSON Lines line.
    """
    verdict = scanner(settings_)(data, time.time())
    if verdict:
        assert reference_clean(data, settings_), data[:300]
    assert_account_sound(data, settings_)
    fast = judge(settings_)
    assert fast is not None
    judged = fast.text(data)
    if type(judged) is Judged and not may_be_recognized(judged.findings):  # else the checker reads it itself
        assert records(judged.located_in_text(data)) == records(reference_located(data, settings_, None))
        if b"\n" not in data:
            assert records(judged.located_in_line(data, 7)) == records(reference_located(data, settings_, 7))
    assert_chunk_sound(data, settings_)
    return verdict


SUSPECTED_PARTS = {constant: part for part, constant in PART_BITS.items()}


def assert_account_sound(data: bytes, settings_: Settings) -> None:
    """Where the scanner's account names the envelope's failing parts and no schema failure, the
    reference finds nothing but what those parts' rules report."""
    found = compiled(settings_)
    assert found is not None
    account = found[0].account(data, time.time())
    if type(account) is not tuple or account[0]:
        return
    named = {name for constant, name in SUSPECTED_PARTS.items() if account[1] & getattr(_scan, constant)}
    assert named, data[:300]
    reported = {finding.keyword for finding in check(parse_json(data.decode("utf-8")), settings_, None)}
    assert {RULES[keyword].screened if keyword in RULES else keyword for keyword in reported} <= named, data[:300]


def assert_chunk_sound(data: bytes, settings_: Settings) -> bool:
    """The same for the data of a stream event: the stream profile, and the rules as they read a chunk."""
    chunk_scanner = compiled(settings_, chunk=True)
    assert chunk_scanner is not None
    verdict: bool = chunk_scanner[0].clean(data, time.time())
    if verdict:
        assert reference_clean(data, settings_, chunk=True), data[:300]
    fast = judge(settings_, chunk=True)
    assert fast is not None
    read = fast.read_chunk
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return verdict
    outcome = read(text)
    if outcome is not None and type(outcome[1]) is Judged:
        expected = reference_located(data, settings_, None, chunk=True)
        assert records(outcome[1].located_in_text(data)) == records(expected)
    return verdict


def reference_located(data: bytes, settings_: Settings, line: int | None, *, chunk: bool = False) -> list[Finding]:
    """The reference engine's findings for `data`, located in a whole file or as JSON Lines line `line`."""
    text = data.decode("utf-8")
    value = parse_json(text)
    locator = JsonLocator(text, line or 1, single_line=line is not None, value=value)
    located = []
    for finding in check(value, settings_, None, chunk=chunk):
        position = locator.locate(finding.instance_path or (), finding.keyword)
        located.append(finding.located(position.line, position.column, line))
    return located


def walker(settings_: Settings) -> Callable[[object, float], bool]:
    found = compiled(settings_)
    assert found is not None
    walk: Callable[[object, float], bool] = found[0].clean_value
    return walk


def assert_walk_sound(value: object, settings_: Settings) -> bool:
    """The walker's verdict on a Python value, held to the reference's check of that value."""
    verdict = walker(settings_)(value, time.time())
    if verdict:
        assert check(value, settings_, None) == [], repr(value)[:300]
    return verdict


def parsed(data: bytes) -> Any:
    """The value Python's json reads from `data` (duplicate keys collapsed), or None where it reads none."""
    try:
        return json.loads(data)
    except ValueError:
        return None


def case_text(case: dict[str, Any]) -> bytes:
    if "whole" in case:
        return str(case["whole"]).encode()
    new: bytes
    if "nest" in case:
        return COMPACT.replace('"model"', '"x":' + "[" * case["nest"] + "]" * case["nest"] + ',"model"', 1).encode()
    if case.get("reformat") == "indent":
        text = json.dumps(json.loads(COMPACT), indent=2, ensure_ascii=False)
    elif case.get("reformat") in ("indent-crlf", "indent-cr"):  # line ends as Windows and old Macs write them
        ending = "\r\n" if case["reformat"] == "indent-crlf" else "\r"
        text = json.dumps(json.loads(COMPACT), indent=2, ensure_ascii=False).replace("\n", ending)
    elif case.get("reformat") == "spaced":
        text = json.dumps(json.loads(COMPACT), separators=(" , ", " : "), ensure_ascii=False)
    else:
        text = COMPACT
    data = text.encode()
    if "old" in case:
        assert case["old"].encode() in data, case["name"]
        new = bytes.fromhex(case["new_hex"]) if "new_hex" in case else case["new"].encode()
        data = data.replace(case["old"].encode(), new, 1)
    if "then_old" in case:
        data = data.replace(case["then_old"].encode(), case["then_new"].encode(), 1)
    if "truncate" in case:
        data = data[: case["truncate"]]
    prefix = bytes.fromhex(case["prefix_hex"]) if "prefix_hex" in case else str(case.get("prefix", "")).encode()
    return prefix + data + str(case.get("suffix", "")).encode()


@pytest.mark.parametrize("piece", [1, 2, 3, 7])
def test_positions_are_counted_in_pieces_without_decoding_the_text(piece: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large text's positions are counted piece by piece (bounded memory): pieces that cut
    characters and line ends apart still give the reference's positions."""
    monkeypatch.setattr(_verdict, "_PIECE", piece)
    monkeypatch.setattr(_verdict, "_SMALL", 0)  # every text takes the way large ones take
    fast = judge(Settings())
    assert fast is not None
    for case in CASES:
        data = case_text(case)
        verdict = fast.text(data)
        if type(verdict) is Judged and not may_be_recognized(verdict.findings):
            expected = records(reference_located(data, Settings(), None))
            assert records(verdict.located_in_text(data)) == expected, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_cases(case: dict[str, Any]) -> None:
    data = case_text(case)
    assert reference_clean(data, Settings()) is case["clean"], "the case's own verdict is wrong"
    fast = judge(Settings())
    assert fast is not None
    assert (type(fast.text(data)) is Judged) is case.get("judged", False), "judged by the scanner, or not"
    verdict = assert_sound(data, Settings())
    if case["clean"]:
        assert verdict is ("conservative" not in case), case.get("conservative", "an ordinary clean document")
        conservative = "conservative" in case or "walker_conservative" in case
        assert assert_walk_sound(parsed(data), Settings()) is not conservative
    for settings_ in (*PROFILES.values(), WARNINGS_AS_ERRORS):
        assert_sound(data, settings_)
        assert_walk_sound(parsed(data), settings_)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(REPO / "tests/examples")))
def test_example_files(path: Path) -> None:
    data = path.read_bytes()
    for name, settings_ in PROFILES.items():
        verdict = assert_sound(data, settings_)
        walked = assert_walk_sound(parsed(data), settings_)
        if name == "strict" and reference_clean(data, settings_):
            assert verdict, "a clean example the scanner is not sure of"
            assert walked, "a clean example the walker is not sure of"


def test_text_and_bytes_get_the_same_verdict() -> None:
    scan = scanner(Settings())
    assert scan(COMPACT, time.time()) is scan(COMPACT.encode(), time.time()) is True
    assert scan(bytearray(COMPACT.encode()), time.time()) is True
    assert scan(memoryview(COMPACT.encode()), time.time()) is True
    assert scan(COMPACT.replace("cmpl-", "\ud800"), time.time()) is False  # a str that is not UTF-8
    assert scan(COMPACT, float("nan")) is False  # no clock, no plausible `created`
    with pytest.raises(TypeError):
        scan(12, time.time())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("model", ("a",)),
        ("model", type("Text", (str,), {})("x")),
        ("model", "\ud800"),
        ("created", True),
        ("created", 1589478378.0),
        ("created", 10**30),
        ("vendor", math.nan),
        ("vendor", 10**19),
        ("vendor", b"x"),
        ("vendor", {1: "one"}),
        ("vendor", {"\udc00": 1}),
        ("vendor", decimal.Decimal(1)),
        ("usage", collections.OrderedDict(prompt_tokens=5, completion_tokens=7, total_tokens=12)),
    ],
)
def test_the_walker_leaves_what_is_not_plain_json_to_the_reference(where: str, value: object) -> None:
    payload = {**json.loads(COMPACT), where: value}
    assert walker(Settings())(payload, time.time()) is False


def test_the_walker_stops_at_a_cycle() -> None:
    payload = json.loads(COMPACT)
    payload["vendor"] = payload
    assert walker(Settings())(payload, time.time()) is False


def test_the_clock_decides_created() -> None:
    scan, data = scanner(Settings()), COMPACT.encode()
    created = VALID["created"]
    assert scan(data, created - 86_400) is True  # created exactly a day ahead of now: still plausible
    assert scan(data, created - 86_401) is False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=completions(), style=st.sampled_from(["compact", "indent", "ascii"]))
def test_generated_clean_documents_are_seen_clean(document: dict[str, Any], style: str) -> None:
    if style == "compact":
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(document, indent=2 if style == "indent" else None, ensure_ascii=style != "ascii")
    data = text.encode("utf-8", "surrogatepass")
    for name, settings_ in PROFILES.items():
        verdict = assert_sound(data, settings_)
        walked = assert_walk_sound(document, settings_)
        if name == "strict" and reference_clean(data, settings_):
            assert verdict
            assert walked


def _mutations(examples: int) -> Any:
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=completions(), data=st.data(), name=st.sampled_from(sorted(PROFILES)))
    def run(document: dict[str, Any], data: st.DataObject, name: str) -> None:
        mutated: Any = document
        for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
            if isinstance(mutated, dict):
                mutated = mutate(data, mutated)
        try:
            text = json.dumps(mutated, separators=(",", ":"), ensure_ascii=data.draw(st.booleans()), allow_nan=False)
        except ValueError:
            return
        assert_sound(text.encode("utf-8", "surrogatepass"), PROFILES[name])

    return run


# The envelope's rules, planted one at a time (and two at once): what the scanner's account of
# their members must place as the reference does, in every layout a server writes.
_ENVELOPE_FAULTS = ["usage-total", "usage-negative", "usage-details", "usage-zero", "created-plausible", "id-empty"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planted=st.lists(st.sampled_from(_ENVELOPE_FAULTS), min_size=1, max_size=2).flatmap(
        lambda kinds: st.tuples(*(faulty_completions(fault=kind) for kind in kinds))
    ),
    style=st.sampled_from(["compact", "indent", "ascii"]),
    name=st.sampled_from(sorted(PROFILES)),
)
def test_envelope_rules_judged_from_their_members_agree_with_the_reference(
    planted: tuple[tuple[dict[str, Any], Any], ...], style: str, name: str
) -> None:
    document = dict(planted[0][0])
    for other, _ in planted[1:]:  # a second fault's members laid over the first document
        document.update({member: other[member] for member in ("id", "created", "usage") if member in other})
    indent = 2 if style == "indent" else None
    separators = None if style == "indent" else (",", ":")
    text = json.dumps(document, indent=indent, separators=separators, ensure_ascii=style == "ascii")
    assert_sound(text.encode(), PROFILES[name])


test_mutated_documents = _mutations(300)
test_many_mutated_documents = pytest.mark.slow(_mutations(10_000))

# Byte-level edits: what a truncated, corrupted or hand-written line holds. The alphabet is what
# the grammar turns on, plus bytes that are not UTF-8.
_BYTES = st.sampled_from(
    [*b'{}[]":,\\/-+.0123456789eEnulltruefalse \t\r\nabx', 0, 0x1F, 0x7F, 0x80, 0xC0, 0xED, 0xF4, 0xFF]
)
_EDIT = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(min_value=0), _BYTES)


def _byte_edits(examples: int) -> Any:
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        document=completions(max_choices=2),
        edits=st.lists(_EDIT, min_size=1, max_size=4),
        name=st.sampled_from(sorted(PROFILES)),
    )
    def run(document: dict[str, Any], edits: list[tuple[str, int, int]], name: str) -> None:
        data = bytearray(
            json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
        )
        for action, where, byte in edits:
            at = where % (len(data) + 1)
            if action == "insert":
                data[at:at] = bytes([byte])
            elif data and action == "delete":
                del data[min(at, len(data) - 1)]
            elif data:
                data[min(at, len(data) - 1)] = byte
        assert_sound(bytes(data), PROFILES[name])

    return run


test_byte_edits = _byte_edits(500)
test_many_byte_edits = pytest.mark.slow(_byte_edits(20_000))


def test_the_module_is_built_from_this_source() -> None:
    from hatch_build import source_digest

    assert _scan is not None, "a C compiler is here, but the scanner was not built: see pip install -e . -v"
    assert source_digest(REPO) == _scan.SOURCE_DIGEST, "the compiled scanner is stale: pip install -e . rebuilds it"


@pytest.mark.parametrize(
    "program",
    [
        (),
        ((1, 2, 3),),
        ((127, 0, (), False, (), (), -1, 5, None, None),),  # items points past the end
        ((127, 0, (), False, (), (7,), -1, -1, None, None),),  # required names no member
        ((127, 99, (), False, (), (), -1, -1, None, None),),  # no such role
        ((127, 0, ("stop",), False, (), (), -1, -1, None, None),),  # an enum of str, not bytes
        ((127, 0, (), True, (), (), -1, -1, None, None),),  # an enum of null alone
        ((127, 0, (), False, (), (), -1, -1, 2**70, None),),
    ],
)
def test_a_malformed_program_is_refused(program: tuple[Any, ...]) -> None:
    assert _scan is not None
    with pytest.raises((ValueError, TypeError, OverflowError)):
        _scan.Scanner(program, 0, 0, False)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"pattern": "^cmpl-"}, "a keyword the scanner does not check"),
        ({"minimum": 0.5}, "a bound that is not an integer"),
        ({"enum": ["a", 1]}, "an enum with a number"),
        ({"$ref": "nowhere.schema.json"}, "a $ref it cannot follow"),
    ],
)
def test_schemas_beyond_the_scanner_are_refused(change: dict[str, Any], why: str) -> None:
    schemas = screening_schemas(Settings().profile())
    schemas["completion.schema.json"]["properties"]["id"] = {
        **schemas["completion.schema.json"]["properties"]["id"],
        **change,
    }
    with pytest.raises(Unsupported):
        compile_program(schemas, COMPLETION.root_schema, COMPLETION.scanner_roles())


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux" or shutil.which("gcc") is None, reason="needs gcc's AddressSanitizer")
def test_under_address_sanitizer(tmp_path: Path) -> None:
    """The cases, the examples and thousands of byte edits through a scanner built with ASan and UBSan."""
    library = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True, check=True)
    include = sysconfig.get_paths()["include"]
    module = tmp_path / ("_scan" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         f"-I{include}", str(REPO / "completion_validator/_fastpath/_scan.c"), "-o", str(module)],
        check=True,
    )  # fmt: skip
    script = tmp_path / "drive.py"
    script.write_text(DRIVER)
    environment = os.environ | {
        "LD_PRELOAD": library.stdout.strip(),
        "ASAN_OPTIONS": "detect_leaks=0",
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "runtime error" not in result.stderr, result.stderr[-3000:]
    assert result.stdout.startswith("scanned "), result.stdout


DRIVER = """
import importlib.util, json, random, sys, time
spec = importlib.util.spec_from_file_location("completion_validator._fastpath._scan",
    next(__import__("pathlib").Path(sys.argv[1]).glob("_scan*.so")))
scan_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scan_module)
sys.modules[spec.name] = scan_module  # the judge's log lines (account_lines, its caches) run on it too
from completion_validator._fastpath._program import compile_program
from completion_validator._fastpath._screen import screening_schemas
from completion_validator._response_types import COMPLETION
from completion_validator._settings import Settings
from tests.test_scanner import CASES, EXAMPLES, case_text
from tests.test_engines import PROFILES
texts = [case_text(case) for case in CASES] + [path.read_bytes() for path in EXAMPLES]
rng = random.Random(20261125)
alphabet = list(b'{}[]":,\\\\/-+.0123456789eEnulltruefalse \\t\\r\\nabx')
alphabet += [0, 0x1F, 0x7F, 0x80, 0xC0, 0xED, 0xF4, 0xFF]
for _ in range(100_000):
    data = bytearray(rng.choice(texts))
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(data))
        action = rng.choice(("insert", "delete", "replace"))
        if action == "insert":
            data[at:at] = bytes([rng.choice(alphabet)])
        elif data:
            at = min(at, len(data) - 1)
            if action == "delete":
                del data[at]
            else:
                data[at] = rng.choice(alphabet)
    texts.append(bytes(data))
count = 0
for settings, chunk in [(settings, chunk) for settings in PROFILES.values() for chunk in (False, True)]:
    profile = settings.profile(stream=chunk)
    program = compile_program(screening_schemas(profile), COMPLETION.root_schema, COMPLETION.scanner_roles())
    scanner = scan_module.Scanner(program.nodes, *COMPLETION.created_window, chunk)
    for data in texts:
        scanner.clean(data, time.time())
        scanner.judge(data, time.time())
        try:
            scanner.clean_value(json.loads(data), time.time())
        except ValueError:
            pass
        count += 1
# Log lines through the judge: lines placed from the caches (a schema failure, a member's rule, a
# sum filled in), lines handed back, the mutated texts among them, in blocks and in lists.
from completion_validator._fastpath._judge import judge
from completion_validator._fastpath._libraries import scan
from completion_validator._tally import tally_block, tally_lines
from tests.test_batch import _LOG_LINES, _SUMS_KEPT
assert scan is scan_module, "the judge would run on the module built without the sanitizers"
logs = [line for line in _LOG_LINES + _SUMS_KEPT if b"\\n" not in line]
logs += [line for line in texts[:2000] if b"\\n" not in line]
for settings in PROFILES.values():
    chosen = judge(settings)
    for start in range(0, len(logs) * 3, 97):
        block = [logs[(start + step * 7) % len(logs)] for step in range(200)]
        tally_block(b"\\n".join(block), 1, settings, chosen, max_errors=None, file="log")
        tally_lines(list(enumerate(block, start=1)), settings, chosen, max_errors=None, file="log")
        count += len(block)
print(f"scanned {count}")
"""


STREAM_EXAMPLES = sorted((REPO / "tests/examples/streams").glob("**/*.sse"))


@pytest.mark.parametrize("path", STREAM_EXAMPLES, ids=lambda path: path.name)
def test_stream_example_events(path: Path) -> None:
    """Every event of every stream example, in every profile: the chunk reader held to the reference."""
    from completion_validator._sse import iter_events

    for event in iter_events(path.read_text(encoding="utf-8")):
        data = event.data.encode("utf-8")
        for name, settings_ in PROFILES.items():
            verdict = assert_chunk_sound(data, settings_)
            if name == "strict" and path.parent.name == "valid" and reference_clean(data, settings_, chunk=True):
                assert verdict, f"a clean chunk the scanner is not sure of: {event.data[:200]}"


def test_a_chunk_whose_only_errors_are_judged_is_explained_by_the_scanner() -> None:
    # TGI sends finish_reason "" on every chunk but the last: the scanner explains it whole.
    fast = judge(Settings(), chunk=True)
    assert fast is not None
    read = fast.read_chunk
    chunk = '{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"tgi",'
    chunk += '"choices":[{"text":" a","index":0,"logprobs":null,"finish_reason":""}]}'
    outcome = read(chunk)
    assert outcome is not None
    value, verdict = outcome
    assert value["choices"][0]["finish_reason"] == ""
    assert type(verdict) is Judged
    [finding] = verdict.located_in_text(chunk.encode())
    assert (finding.pointer, finding.keyword, finding.column) == (
        "/choices/0/finish_reason",
        "enum",
        chunk.index('""') + 1,
    )


# The truth checks in C (tokens spell the text, offsets step by the tokens, the chosen token's
# alternative agrees), held to the rules on documents whose logprobs are bent one way at a time.
_BENDS = (
    "none",
    "token-char",
    "text-char",
    "text-longer",
    "offset-step",
    "offsets-utf8",
    "offsets-utf16",
    "chosen-value",
    "chosen-close",
    "stop-extra-tokens",
    "length-extra-tokens",
    "bytes-token",
    "vllm-order",
    "empty-token",
)


def _bend(document: dict[str, Any], bend: str, data: st.DataObject) -> None:
    choice = document["choices"][0]
    logprobs = choice["logprobs"]
    tokens: list[str] = logprobs["tokens"]
    if not tokens:
        return
    position = data.draw(st.integers(0, len(tokens) - 1), label="position")
    if bend == "token-char":
        tokens[position] = tokens[position] + "x"
    elif bend == "text-char":
        choice["text"] = choice["text"][:-1] + "\u00e9" if choice["text"] else "?"
    elif bend == "text-longer":
        choice["text"] += data.draw(st.sampled_from([" ", "\u00e9", "\U0001f642", "\n"]), label="more")
    elif bend == "offset-step" and len(tokens) > 1:
        logprobs["text_offset"][position:] = [offset + 1 for offset in logprobs["text_offset"][position:]]
    elif bend in ("offsets-utf8", "offsets-utf16"):
        encoding = "utf-8" if bend == "offsets-utf8" else "utf-16-le"
        unit = 1 if bend == "offsets-utf8" else 2
        start, offsets = logprobs["text_offset"][0] if logprobs["text_offset"] else 0, []
        for token in tokens:
            offsets.append(start)
            start += len(token.encode(encoding, "surrogatepass")) // unit
        logprobs["text_offset"] = offsets
    elif bend in ("chosen-value", "chosen-close"):
        value = logprobs["token_logprobs"][position]
        alternatives = logprobs["top_logprobs"][position]
        if isinstance(value, float | int) and isinstance(alternatives, dict):
            alternatives[tokens[position]] = value - (0.5 if bend == "chosen-value" else 0.0004)
    elif bend in ("stop-extra-tokens", "length-extra-tokens"):
        logprobs["tokens"] = [*tokens, "\n"]
        logprobs["token_logprobs"] = [*logprobs["token_logprobs"], -0.25]
        logprobs["top_logprobs"] = [*logprobs["top_logprobs"], {"\n": -0.25}]
        last = logprobs["text_offset"][-1] + len(tokens[-1])
        logprobs["text_offset"] = [*logprobs["text_offset"], last]
        choice["finish_reason"] = "stop" if bend == "stop-extra-tokens" else "length"
    elif bend == "bytes-token":
        tokens[position] = "bytes:\\xe2\\x80"
    elif bend == "vllm-order":
        order = ("text_offset", "token_logprobs", "tokens", "top_logprobs")
        choice["logprobs"] = {name: logprobs[name] for name in order}
        document["choices"][0] = {"index": choice["index"], "text": choice["text"], **choice}
    elif bend == "empty-token":
        tokens.insert(position, "")
        logprobs["token_logprobs"].insert(position, -1.0)
        logprobs["top_logprobs"].insert(position, {"": -1.0})
        logprobs["text_offset"].insert(position, logprobs["text_offset"][position])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=drawn.completions(n=1, logprobs=True),
    bend=st.sampled_from(_BENDS),
    ascii_only=st.booleans(),
    data=st.data(),
)
def test_the_compiled_truth_checks_agree_with_the_rules(
    document: dict[str, Any], bend: str, ascii_only: bool, data: st.DataObject
) -> None:
    _bend(document, bend, data)
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    for chunk in (False, True):
        found = compiled(Settings(), chunk=chunk)
        assert found is not None
        verdict = found[0].judge(raw, time.time())
        clean = reference_clean(raw, Settings(), chunk=chunk)
        if verdict is True:
            assert clean, (bend, chunk, raw[:400])
        if clean and bend != "bytes-token":  # the checks vouch for every clean document they read whole
            assert verdict is True, (bend, chunk, raw[:400])
    # with a schema failure beside it, the scanner's judgement is the reference's, truth findings included
    failing = dict(document, choices=[dict(document["choices"][0], finish_reason="eos_token")])
    assert_sound(json.dumps(failing, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"), Settings())
    walked = compiled(Settings())
    assert walked is not None
    value = json.loads(raw)
    verdict = walked[0].clean_value(value, time.time())
    clean = reference_clean(raw, Settings())
    if verdict:
        assert clean, (bend, "walker", raw[:400])
    if clean and bend != "bytes-token":
        assert verdict, (bend, "walker", raw[:400])


# The truth checks compare offsets and chosen alternatives as they come where what they are
# compared with came first (the usual order), and keep them otherwise: every order of the logprobs
# arrays takes one of the two paths, and both must say what the reference says.
LOGPROB_ORDERS = list(itertools.permutations(("tokens", "token_logprobs", "top_logprobs", "text_offset")))


@pytest.mark.parametrize(
    "order", LOGPROB_ORDERS, ids=["-".join(name[:5] for name in order) for order in LOGPROB_ORDERS]
)
@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("valid/h01_logprobs_full", True),
        ("invalid/x06_text_offset_off_by_one", False),
        ("invalid/x07_top_logprob_disagrees", False),
    ],
)
def test_the_truth_checks_hold_whatever_the_order_of_the_logprobs_arrays(
    name: str, clean: bool, order: tuple[str, ...]
) -> None:
    document = json.loads((REPO / "tests/examples" / f"{name}.json").read_text(encoding="utf-8"))
    for choice in document["choices"]:
        logprobs = choice["logprobs"]
        choice["logprobs"] = {key: logprobs[key] for key in order if key in logprobs}
    data = json.dumps(document, ensure_ascii=False).encode()
    verdict = assert_sound(data, PROFILES["strict"])
    if not clean:
        assert not verdict
    elif order.index("tokens") < order.index("top_logprobs"):  # else: alternatives before their tokens, not sure
        assert verdict
