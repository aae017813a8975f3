"""Instructions, not seconds: the logs where every line has one problem, counted by callgrind.

The shared machines these figures come from swing 2x in CPU time from one run to the next, which
hides a change of 10-20%. Valgrind's callgrind counts the instructions a process executes: the
same count every run (with a fixed hash seed), whatever the machine's load. This runs the
command on 10,000 lines of each problem log and the floor (read the lines, `orjson.loads` each)
on the same file, subtracts each process's start-up (counted on its own), and reports
instructions per line and the floor's share, for 10,000 lines and extrapolated to 100,000 (the
main suite's logs, start-up counted once). Instructions are not time (a cache miss costs more
than an add), so the main suite's CPU medians stay the figures of record; this is for telling
whether a change helped.

    python -m benchmarks.instructions          # needs valgrind on PATH (apt-get install valgrind)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.payloads import PROBLEMS, write_jsonl

DATA = Path(__file__).resolve().parent / "data"
LINES = 10_000
FLOOR = "import sys, orjson\nwith open(sys.argv[1], 'rb') as f:\n    for line in f:\n        orjson.loads(line)\n"
START = "import orjson\n"  # the floor's own start-up: the interpreter and orjson


def instructions(command: list[str]) -> int:
    """The instructions `command` executes, by callgrind (a fixed hash seed: the same count every run)."""
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind gave no count for {command}: {done.stderr[-500:]}")
    return int(found.group(1))


def main() -> int:
    """Print the table; exit 1 without valgrind."""
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    DATA.mkdir(exist_ok=True)
    ours = [sys.executable, "-m", "completion_validator"]
    our_start = instructions([*ours, "--version"])
    floor_start = instructions([sys.executable, "-c", START])
    print(f"Start-up: ours {our_start / 1e6:,.0f} M instructions, the floor's {floor_start / 1e6:,.0f} M\n")
    print("| every line | floor / line | ours / line | share, 10,000 lines | share, 100,000 lines |")
    print("|---|---|---|---|---|")
    for number, problem in enumerate(PROBLEMS):
        path = write_jsonl(DATA / f"problem-{number}-{LINES}.jsonl", LINES, 1.0, problem)
        floor = instructions([sys.executable, "-c", FLOOR, str(path)]) - floor_start
        checked = instructions([*ours, "--jobs", "1", str(path)]) - our_start
        whole = (floor + floor_start) / (checked + our_start)
        extrapolated = (10 * floor + floor_start) / (10 * checked + our_start)
        print(f"| {problem} | {floor / LINES:,.0f} | {checked / LINES:,.0f} | {whole:.0%} | {extrapolated:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
