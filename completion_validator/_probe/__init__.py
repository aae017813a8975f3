"""`completion-validator probe`: check a live OpenAI-compatible server, request by request.

Each case of a response type's matrix (`cases.py` for completions, `chat_cases.py` for chat) is
sent to its endpoint (`POST {base-url}/completions`, `/chat/completions`): both matrices under
`--schema auto` (the default), one with `--schema completion|chat`. The answer is
checked with everything the file checker does (schema, rules, stream rules, located in the body)
plus the expectations that follow from the request (`_rules/probe.py`). Findings go to the same
reporters as for files; each case is reported as the capture it would be saved as
(`basic.json`, `stream.sse`), so `--save-captures DIR` turns a live run into fixtures that the
file checker re-checks to the same schema and rule findings.

Exit status: 0 every answer is valid, 1 some answer is not, 2 the server cannot be reached or
answers what cannot be read (the finding says what happened).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from completion_validator._arguments import add_rule_options, add_validation_options, settings_from_arguments
from completion_validator._inputs import FORMATS, Capture, looks_like_sse, read_bytes
from completion_validator._probe.cases import Case
from completion_validator._probe.http import Answer, Unreachable, check_api_key, check_base_url, post
from completion_validator._probe.outcome import Outcome
from completion_validator._reporters import REPORTERS, Reporter, make_reporter
from completion_validator._response_types import AUTO, DEFAULT, RESPONSE_TYPES, response_type
from completion_validator._results import FileResult, Report, Summary
from completion_validator._rules import run_probe_rules
from completion_validator._settings import Settings
from completion_validator._sse import StreamEvent, iter_events
from completion_validator._tally import tally_capture, tally_findings, tally_items
from completion_validator.errors import Finding, UnknownRule


@dataclass(frozen=True)
class Matrix:
    """The cases sent to one response type's endpoint, and the folder its captures are named in ('' or 'chat/')."""

    type_name: str
    cases: tuple[Case, ...]
    prefix: str = ""


@dataclass(frozen=True)
class ProbeConfig:
    """Where to send the requests, how to check the answers, and what to keep."""

    base_url: str
    model: str
    api_key: str | None
    matrices: tuple[Matrix, ...]
    timeout: float
    settings: Settings
    save_captures: Path | None = None
    # Send the remaining cases after one timed out (by default the probe stops: each would wait as long).
    keep_going: bool = False


def run(config: ProbeConfig, reporter: Reporter) -> Summary:
    """Send every case of every matrix, report as answers come, and return the totals."""
    summary = Summary()
    selected = config.settings.selected_rules()
    seen_ids: dict[str, str] = {}  # each answer's id, to the case that got it: ids identify one completion
    total = sum(len(matrix.cases) for matrix in config.matrices)
    missing = 0  # matrices whose endpoint the server does not have
    for matrix in config.matrices:
        kind = response_type(matrix.type_name)
        settings = (
            config.settings
            if config.settings.response_type != AUTO
            else config.settings._replace(response_type=matrix.type_name)
        )
        for number, case in enumerate(matrix.cases):
            name = f"{matrix.prefix}{case.name}.{'sse' if case.streamed else 'json'}"
            result = FileResult(name)
            summary.files.append(result)
            request = {"model": config.model, **case.body}
            tell = getattr(reporter, "case", None)  # a reporter that shows each request (--format html)
            try:
                sent = case.raw if case.raw is not None else request
                answer = post(config.base_url, kind.endpoint, sent, api_key=config.api_key, timeout=config.timeout)
            except Unreachable as error:
                if tell is not None:
                    tell(name, request, None, None)
                result.read_problems += 1
                reporter.finding(Finding(None, "io", f"{case.name}: {error}", file=name))
                reporter.file(result)
                if "refused" in str(error):
                    reporter.finish(summary)
                    return summary  # nothing will answer the other cases either
                if error.timed_out and not config.keep_going:
                    rest = total - len(summary.files)
                    if rest:
                        message = (
                            f"{rest} more case{'s were' if rest > 1 else ' was'} not sent: the server did not answer "
                            f"{case.name} within --timeout ({config.timeout:g} s); --keep-going sends them anyway"
                        )
                        reporter.finding(Finding(None, "no-input", message, severity="warning", file=name))
                    reporter.finish(summary)
                    return summary
                continue
            if tell is not None:
                tell(name, request, answer.status, answer.body)
            if config.save_captures is not None:
                _save(config.save_captures, name, request, answer)
            if answer.status == 404 and number == 0:  # nothing to probe there: say so once, skip its cases
                missing += 1
                wrong_base = not config.base_url.rstrip("/").endswith("/v1")  # then no endpoint is there
                rest = total - len(summary.files) if wrong_base else len(matrix.cases) - 1
                message = _not_found(config, kind.endpoint, kind.label, rest)
                if missing < len(config.matrices) and not wrong_base:  # another endpoint is probed: only absent
                    reporter.finding(Finding(None, "no-input", message, severity="warning", file=name))
                    reporter.file(result)
                    break
                result.read_problems += 1
                reporter.finding(Finding(None, "io", message, file=name))
                reporter.file(result)
                reporter.finish(summary)
                return summary
            for report in _check(case, request, answer, settings, selected, seen_ids):
                result.add(report)
                for finding in report.findings:
                    reporter.finding(replace(finding, file=name))
            # an answer is one document, whatever the reports it came in
            result.documents, result.invalid_documents = 1, min(result.invalid_documents, 1)
            reporter.file(result)
    reporter.finish(summary)
    return summary


def _not_found(config: ProbeConfig, endpoint: str, label: str, rest: int) -> str:
    """Why the first case got 404, and the likely fix: an OpenAI-compatible base URL ends in /v1."""
    base = config.base_url.rstrip("/")
    message = f"HTTP 404 for POST {base}{endpoint}: the server has no {label} endpoint there"
    if not base.endswith("/v1"):
        message += f"; an OpenAI-compatible base URL ends in /v1: try --base-url {base}/v1"
    return message + (f" ({rest} more cases not sent)" if rest else "")


def _check(
    case: Case,
    request: dict[str, Any],
    answer: Answer,
    settings: Settings,
    selected: frozenset[str],
    seen_ids: dict[str, str],
) -> Iterator[Report]:
    """The file checker's reports on the body (for a 200 answer), then one of the probe rules' findings.

    A streamed answer's findings come in batches as they are found, as the command's do, and its
    chunks are read one at a time: memory does not grow with the events of a long stream.
    `seen_ids` holds the ids of the answers before (the id rule compares), and gets this one's.
    """
    problems: list[Finding] = []
    outcome = Outcome(
        case, request, answer.status, answer.content_type, framing=answer.framing, earlier_ids=dict(seen_ids)
    )
    is_stream = "event-stream" in answer.content_type or looks_like_sse(answer.body)
    body: Any = None
    if not is_stream:
        text = answer.body.decode("utf-8", "replace")
        try:
            body = json.loads(text)
            outcome.body, outcome.body_is_json = body, True
        except (ValueError, RecursionError):  # a gateway's HTML page, a proxy's plain text: say what came back
            problems.append(Finding(None, "parse", f"HTTP {answer.status} with a body that is not JSON: {text[:80]!r}"))
    if answer.status == 200 and not problems:
        from completion_validator._fastpath._judge import judge

        chosen = FORMATS["sse" if is_stream else "json"]
        checked = settings._replace(lenient=True) if case.lenient else settings
        fast = judge(checked)
        for item in read_bytes(answer.body, chosen):
            if isinstance(item, Capture):
                yield from tally_capture(item, checked, fast)
            else:
                yield tally_items([item], checked, fast)
    if is_stream:
        assembler = response_type(settings.typed).load("assembler")()
        for event in iter_events(answer.body.decode("utf-8", "replace")):
            chunk = StreamEvent.read(event).chunk
            if chunk is not None:
                assembler.add(chunk)
                outcome.usage_chunks += chunk.get("choices") == [] and isinstance(chunk.get("usage"), Mapping)
                outcome.unasked_usage_chunks += bool(chunk.get("choices")) and chunk.get("usage") is not None
        outcome.response = assembler.result()
    elif isinstance(body, dict):
        outcome.response = body if "choices" in body else None
        outcome.error_body = body.get("error")
    yield tally_findings([*problems, *run_probe_rules(outcome, selected, settings.typed)])
    answer_id = (outcome.response or {}).get("id")
    if answer.status == 200 and isinstance(answer_id, str) and answer_id:
        seen_ids.setdefault(answer_id, case.name)


def _save(folder: Path, name: str, request: dict[str, Any], answer: Answer) -> None:
    """The answer byte for byte, and its request beside it.

    An answer that is not HTTP 200 is an error body, not a completion: it gets a name that
    directory scans pass over.
    """
    (folder / name).parent.mkdir(parents=True, exist_ok=True)  # chat/NAME: chat's cases under --schema auto
    saved = name if answer.status == 200 else f"{name}.http{answer.status}.txt"
    (folder / saved).write_bytes(answer.body)
    meta = {"request": request, "status": answer.status, "content_type": answer.content_type}
    (folder / f"{name}.request.json.txt").write_text(json.dumps(meta, indent=2) + "\n")


def _all_cases(type_name: str) -> tuple[Case, ...]:
    """The probe's request matrix for a response type (its entry names it)."""
    cases: tuple[Case, ...] = response_type(type_name).load("probe_cases")
    return cases


# A day: longer is a mistake, and past ~1e9 s the socket layer refuses the number.
_LONGEST_TIMEOUT = 86_400.0


def _seconds(text: str) -> float:
    """A --timeout: a finite number of seconds above 0 and at most a day (argparse shows the error)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds <= _LONGEST_TIMEOUT:  # NaN fails both comparisons
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0 and at most {_LONGEST_TIMEOUT:g}")
    return seconds


def _make_folder(folder: Path) -> None:
    """The --save-captures folder, made now: a file in its place is a usage error before anything is sent."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--save-captures {folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--save-captures {folder}: {error.strerror or type(error).__name__}") from None


def _matrices(only: list[str] | None, skip: list[str] | None, type_name: str = AUTO) -> tuple[Matrix, ...]:
    """The matrices to send: every type's under `auto` (chat's captures in `chat/`), else the one type's.

    `--only` and `--skip` name cases; a name shared by both matrices (`basic`) picks both.
    """
    kinds = list(RESPONSE_TYPES) if type_name == AUTO else [type_name]
    every = {kind: _all_cases(kind) for kind in kinds}
    case_names = list(dict.fromkeys(case.name for cases in every.values() for case in cases))

    def names(values: list[str] | None) -> set[str]:
        chosen = {name.strip() for value in values or [] for name in value.split(",") if name.strip()}
        unknown = chosen - set(case_names)
        if unknown:
            raise ValueError(f"unknown case {', '.join(sorted(unknown))}; the cases are {', '.join(case_names)}")
        return chosen

    keep, drop = names(only), names(skip)
    matrices = []
    for kind, cases in every.items():
        chosen = tuple(case for case in cases if (not keep or case.name in keep) and case.name not in drop)
        if chosen:
            prefix = f"{kind}/" if len(kinds) > 1 and kind != DEFAULT else ""
            matrices.append(Matrix(kind, chosen, prefix))
    if not matrices:
        raise ValueError("no case left to send: --only and --skip leave none")
    return tuple(matrices)


def main(argv: Sequence[str]) -> int:
    """`completion-validator probe --base-url URL --model NAME [...]`."""
    parser = argparse.ArgumentParser(
        prog="completion-validator probe",
        description=f"Send a matrix of requests to POST {{base-url}}{response_type(DEFAULT).endpoint} and "
        f"POST {{base-url}}{response_type('chat').endpoint} (--schema completion or chat: one of them) and check "
        "every answer: "
        "the schema, the rules, and what each request implies. Completion cases: "
        + ", ".join(case.name for case in _all_cases(DEFAULT))
        + ". Chat cases (captures named chat/NAME): "
        + ", ".join(case.name for case in _all_cases("chat"))
        + ". A server without one of the endpoints (404) is probed on the other.",
        epilog="exit status: 0 every answer valid; 1 some answer invalid; 2 the server cannot be reached or "
        "answers what cannot be read",
    )
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", required=True, help="the model name to send")
    parser.add_argument("--api-key", help="default: $OPENAI_API_KEY (white space around it is dropped)")
    parser.add_argument("--only", action="append", metavar="CASE[,CASE]", help="run only these cases")
    parser.add_argument("--skip", action="append", metavar="CASE[,CASE]", help="do not run these cases")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds for each case's whole exchange: connecting, headers and body (default 60)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="after a case times out, send the remaining cases anyway (by default the probe stops there)",
    )
    parser.add_argument("--save-captures", type=Path, metavar="DIR", help="write each answer (and its request) here")
    add_validation_options(parser)
    add_rule_options(parser)
    parser.add_argument("--format", choices=list(REPORTERS), default="text", help="output format (default: text)")
    parser.add_argument(
        "-o", "--output-file", metavar="PATH", help="write the report to PATH instead of standard output"
    )
    arguments = parser.parse_args(argv)
    settings = settings_from_arguments(arguments)
    try:
        settings.selected_rules()
        matrices = _matrices(arguments.only, arguments.skip, settings.response_type)
        check_base_url(arguments.base_url)
        if arguments.api_key is not None:
            api_key = check_api_key(arguments.api_key, "--api-key")
        else:
            api_key = check_api_key(os.environ.get("OPENAI_API_KEY"), "$OPENAI_API_KEY")
        if arguments.save_captures is not None:
            _make_folder(arguments.save_captures)
    except (UnknownRule, ValueError) as error:  # BadArgument is a ValueError
        parser.error(str(error))
    config = ProbeConfig(
        arguments.base_url,
        arguments.model,
        api_key,
        matrices,
        arguments.timeout,
        settings,
        arguments.save_captures,
        arguments.keep_going,
    )
    with contextlib.ExitStack() as stack:
        stream: IO[str] = sys.stdout
        if arguments.output_file is not None:
            from completion_validator._output import report_file

            try:
                stream = stack.enter_context(report_file(Path(arguments.output_file), [])).stream
            except OSError as error:
                parser.error(f"--output-file {arguments.output_file}: {error.strerror or type(error).__name__}")
        reporter = make_reporter(arguments.format, stream=stream)
        describe = getattr(reporter, "describe_probe", None)
        if describe is not None:
            describe(config.base_url, config.model)
        summary = run(config, reporter)
    return summary.exit_status
