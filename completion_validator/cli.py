"""The `completion-validator` command: parse the arguments, run the check, exit with its status.

Exit status: 0 every document is valid; 1 some document is invalid; 2 a usage error, or some
input could not be read or parsed (the other inputs are still checked and reported).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from completion_validator import __version__

if TYPE_CHECKING:
    from completion_validator._progress import Progress
    from completion_validator._reporters import Reporter
    from completion_validator._runner import RunOptions

EXIT_USAGE = 2

DESCRIPTION = """\
Check OpenAI-style text-completion responses (POST /v1/completions) against the spec's
JSON Schemas and report every problem at file:line:column.
`completion-validator probe --base-url URL --model NAME` checks a live server instead, and
`completion-validator spec-diff OPENAPI_FILE` compares OpenAI's spec with the schemas.

PATH may be a file, a directory (searched for {suffixes}) or -
for standard input. .jsonl/.ndjson hold one response per line; .yaml may hold several documents;
.sse is a captured stream (data: events ending with data: [DONE]), checked chunk by chunk, by the
stream rules, and reassembled.
"""

EPILOG = """\
exit status:
  0  every document is valid (warnings alone do not fail, unless --warnings-as-errors)
  1  at least one document is invalid
  2  usage error, or some input could not be read or parsed, or passed a limit (other inputs are still checked)
  128+N  ended by signal N (130 Ctrl-C, 143 SIGTERM)
"""


class _Parser(argparse.ArgumentParser):
    """argparse, exiting 2 on a usage error, and still writing JSON on stdout when JSON was asked for."""

    wants_json = False

    def error(self, message: str) -> None:  # type: ignore[override]
        if self.wants_json:
            from completion_validator._reporters import usage_error_document

            sys.stdout.write(usage_error_document(message))
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told the terminal's width rather than asking `shutil` for it.

    argparse makes a formatter for every option added (to check its metavar), and each asks
    `shutil.get_terminal_size`: importing shutil brings bz2 and lzma, ~7 M instructions on every
    run (a pre-commit hook's included), help or not. The width is the one shutil would say.
    """

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


@functools.cache
def _columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _asks_for_json(argv: Sequence[str]) -> bool:
    pairs = itertools.pairwise([*argv, ""])
    return any(arg == "--format=json" or (arg == "--format" and following == "json") for arg, following in pairs)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _size(text: str) -> int:
    from completion_validator._inputs._limits import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> _Parser:
    """The argument parser (also what `--help` prints); format choices come from the format and reporter tables."""
    from completion_validator._arguments import add_rule_options, add_validation_options
    from completion_validator._inputs import FORMATS, SUFFIXES
    from completion_validator._inputs.files import DEFAULT_EXCLUDES
    from completion_validator._reporters import REPORTERS

    parser = _Parser(
        prog="completion-validator",
        description=DESCRIPTION.format(suffixes=", ".join(SUFFIXES)),
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, directories, or - for stdin")
    parser.add_argument(
        "--follow-links",
        action="store_true",
        help="in directories, follow symbolic links that lead out of them (by default they are reported as skipped)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN[,PATTERN]",
        help="in directories, pass over entries matching these globs (a name, or a path below the directory "
        "with /), beside the defaults: " + ", ".join(DEFAULT_EXCLUDES) + "; files named are always read",
    )
    add_validation_options(parser)
    rules = add_rule_options(parser)
    rules.add_argument("--no-rules", action="store_true", help="check the schema only")
    rules.add_argument("--warnings-as-errors", action="store_true", help="count warnings as errors (exit 1)")
    rules.add_argument(
        "--list-rules", action="store_true", help="print every rule with its severity and rationale, then exit"
    )
    inputs = parser.add_argument_group("input")
    inputs.add_argument(
        "--max-document-size",
        type=_size,
        metavar="SIZE",
        help="largest document read (a whole .json/.yaml/.sse input, or one line of a .jsonl); more is "
        "reported and not read (default: 256M; units k, M, G)",
    )
    inputs.add_argument(
        "--input-format",
        choices=list(FORMATS),
        help="read every PATH as this format instead of going by file suffix (stdin: SSE detected by its "
        "first field, JSONL when the first of several lines is an object, else JSON)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--format", choices=list(REPORTERS), default="text", help="output format (default: text)")
    output.add_argument(
        "-o",
        "--output-file",
        metavar="PATH",
        help="write the report to PATH instead of standard output (the exit status is the same)",
    )
    output.add_argument("--max-errors", type=_positive, metavar="N", help="show at most N problems per document")
    output.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="-q: errors only, and nothing at all when the run passes (warnings are not shown); "
        "-qq: print nothing at all (text format)",
    )
    output.add_argument(
        "--statistics",
        action="store_true",
        help="count findings per keyword or rule id, most frequent first, instead of listing them (text); "
        "add a 'statistics' object (json)",
    )
    output.add_argument(
        "--no-progress",
        action="store_true",
        help="never show progress (it shows only on a terminal, for text output, outside CI, after a second)",
    )
    output.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour text output (auto: on a terminal; NO_COLOR is honoured)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="worker processes for JSON Lines input (default and most: the cores this process may use; 1 for none)",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "reference"],
        default="auto",
        help="auto: decide valid documents with the compiled fast path when installed; "
        "reference: check every document with jsonschema (same results, slower)",
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback if completion-validator itself fails")
    parser.add_argument("--version", action="store_true", help="print the version and whether the fast path is active")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    _never_fail_to_print()
    if argv[:1] == ["spec-diff"]:  # a subcommand; a file named spec-diff is ./spec-diff
        from completion_validator._specdiff import main as spec_diff

        return spec_diff(argv[1:])
    if argv[:1] == ["probe"]:  # check a live server; a file named probe is ./probe
        from completion_validator._probe import main as probe

        return probe(argv[1:])
    parser = build_parser()
    parser.wants_json = _asks_for_json(argv)
    arguments = parser.parse_args(argv)
    from completion_validator._arguments import settings_from_arguments
    from completion_validator._inputs.files import Excluded
    from completion_validator._runner import RunOptions, default_jobs
    from completion_validator.errors import UnknownRule

    if arguments.version:
        from completion_validator._fastpath._libraries import available, scan

        engine = (
            "fast path unavailable: jsonschema only (slower)"
            if not available()
            else "fast path: orjson + jsonschema-rs" + (" + compiled scanner" if scan is not None else "")
        )
        sys.stdout.write(f"completion-validator {__version__} ({engine})\n")
        return 0
    if arguments.list_rules:
        from completion_validator._reporters import list_rules

        sys.stdout.write(list_rules(arguments.format))
        return 0
    if not arguments.paths:
        parser.error("give at least one PATH (a file, a directory, or - for stdin)")
    settings = settings_from_arguments(arguments)
    try:
        settings.selected_rules()
    except UnknownRule as error:
        parser.error(str(error))
    options = RunOptions(
        settings=settings,
        max_errors=arguments.max_errors,
        input_format=arguments.input_format,
        debug=arguments.debug,
        jobs=min(arguments.jobs or default_jobs(), default_jobs()),  # more workers than cores only cost memory
        fast=arguments.engine == "auto",
    )
    if arguments.max_document_size is not None:
        options = options._replace(max_document_size=arguments.max_document_size)
    options = options._replace(follow_links=arguments.follow_links, excluded=Excluded.adding(arguments.exclude))
    from completion_validator._output import ReportNotWritten

    try:
        return _check_and_report(arguments, options, parser)
    except ReportNotWritten as error:  # a full disk, /dev/full, a full $TMPDIR: one line, not a traceback
        where = arguments.output_file or "standard output"
        sys.stderr.write(f"completion-validator: cannot write the report to {where}: {error.reason}\n")
        _silence_stdout()
        return EXIT_USAGE
    except MemoryError:  # an address-space cap, or a machine out of memory: said, never a traceback
        sys.stderr.write(
            "completion-validator: out of memory [limit]: lower --jobs or --max-document-size, "
            "or give the run more memory\n"
        )
        return EXIT_USAGE


def _check_and_report(arguments: argparse.Namespace, options: RunOptions, parser: _Parser) -> int:
    """Run the check into the chosen output; a half-written report is never renamed into place."""
    from completion_validator._output import guarded, written
    from completion_validator._reporters import make_reporter

    with contextlib.ExitStack() as stack:
        stream = sys.stdout
        if arguments.output_file is not None:
            from completion_validator._output import OutputIsAnInput, report_file

            try:
                output = stack.enter_context(report_file(Path(arguments.output_file), arguments.paths))
            except OutputIsAnInput as error:
                parser.error(str(error))
            except OSError as error:
                parser.error(f"--output-file {arguments.output_file}: {error.strerror or type(error).__name__}")
            stream = output.stream
            options = options._replace(exclude=output.exclude)
        with written():  # a reporter may write its header when it is made
            reporter = guarded(
                make_reporter(
                    arguments.format,
                    color=arguments.color,
                    quiet=arguments.quiet,
                    statistics=arguments.statistics,
                    stream=stream,
                )
            )
        status = _run(arguments.paths, options, reporter, _progress(arguments))
        with written():
            stream.flush()  # a write that fails fails here, not at the interpreter's exit
        return status


def _progress(arguments: argparse.Namespace) -> Progress | None:
    from completion_validator._progress import Progress, wanted

    disabled = arguments.no_progress or arguments.quiet >= 2
    return Progress(sys.stderr) if wanted(sys.stderr, arguments.format, disabled=disabled) else None


def _run(paths: list[str], options: RunOptions, reporter: Reporter, progress: Progress | None) -> int:
    from completion_validator._runner import run

    try:
        with _ending_on_signals():
            summary = run(paths, options, reporter, progress)
    except KeyboardInterrupt:
        sys.stderr.write("completion-validator: interrupted\n")
        return 130
    except _Ended as ended:
        sys.stderr.write(f"completion-validator: ended by {ended.name}\n")
        return 128 + ended.number
    if summary.output_cut:  # the reader went away (`| head`): the status says what was found until then
        _silence_stdout()
    return summary.exit_status


class _Ended(BaseException):
    """SIGTERM or SIGHUP: end the run the way Ctrl-C does, so that worker processes end with it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.name = signal.Signals(number).name
        super().__init__(self.name)


@contextlib.contextmanager
def _ending_on_signals() -> Iterator[None]:
    main_process = os.getpid()

    def end(number: int, _: object) -> None:
        if os.getpid() != main_process:  # a forked worker that has not reset its handlers yet
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise _Ended(number)

    previous = {number: signal.signal(number, end) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _never_fail_to_print() -> None:
    """Whatever stdout's encoding, a character it cannot take is written escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that Python's exit flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
