"""A bounded coverage-guided fuzzing run of the compiled scanner (see `tests/fuzz/fuzz_scanner.py`).

The scanner is rebuilt here with clang, AddressSanitizer, UBSan and libFuzzer's coverage, seeded
with every scanner case and example file in every profile, and fuzzed for `FUZZ_SECONDS`. A crash,
a sanitizer report or a verdict the reference engine disagrees with fails the test, and libFuzzer
leaves the input that did it (`crash-*`) in the test's folder. Needs clang and atheris (the `fuzz`
dependency group); `.ci/run` installs both for the slow group.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from completion_validator._response_types import RESPONSE_TYPES
from tests.conftest import REPO
from tests.test_scanner import CASES, EXAMPLES, case_text

FUZZ_SECONDS = int(os.environ.get("FUZZ_SECONDS", "120"))
HARNESS = REPO / "tests/fuzz/fuzz_scanner.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="libFuzzer's runtime from atheris is for Linux"),
]


def _atheris_runtime() -> Path:
    atheris = pytest.importorskip("atheris", reason="atheris is not installed (dependency group 'fuzz')")
    return Path(atheris.path()) / "asan_with_fuzzer.so"


def _seed_corpus(folder: Path) -> None:
    """Every scanner case and example file, once per profile and mode (the first byte picks them)."""
    folder.mkdir()
    for text in [case_text(case) for case in CASES] + [path.read_bytes() for path in EXAMPLES]:
        for profile in range(8 * len(RESPONSE_TYPES)):  # 4 profiles x whole or chunk, per type
            data = bytes([profile]) + text
            (folder / hashlib.sha256(data).hexdigest()[:20]).write_bytes(data)


def test_fuzzing_the_scanner_finds_nothing(tmp_path: Path) -> None:
    runtime = _atheris_runtime()
    if shutil.which("clang") is None:
        pytest.skip("clang is not installed: libFuzzer's coverage needs it (apt-get install clang)")
    module = tmp_path / ("_scan" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        ["clang", "-shared", "-fPIC", "-g", "-O1", "-fsanitize=address,undefined,fuzzer-no-link",
         "-fno-sanitize-recover=all", f"-I{sysconfig.get_paths()['include']}",
         str(REPO / "completion_validator/_fastpath/_scan.c"), "-o", str(module)],
        check=True,
    )  # fmt: skip
    corpus = tmp_path / "corpus"
    _seed_corpus(corpus)
    environment = os.environ | {
        "FUZZ_SCANNER_MODULE": str(module),
        "LD_PRELOAD": str(runtime),
        "ASAN_OPTIONS": "detect_leaks=0,allocator_may_return_null=1",
        "UBSAN_OPTIONS": "halt_on_error=1,print_stacktrace=1",
    }
    result = subprocess.run(
        [sys.executable, str(HARNESS), f"-max_total_time={FUZZ_SECONDS}", "-rss_limit_mb=4096",
         "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(corpus)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done " in result.stderr, result.stderr[-2000:]
    assert "runtime error" not in result.stderr, result.stderr[-4000:]
    assert not list(tmp_path.glob("crash-*")), result.stderr[-4000:]
