"""`--format json`: one JSON document on stdout at the end of the run, whatever happened."""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from typing import IO

from completion_validator._reporters import OneByOne
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding, display_value


class JsonReporter(OneByOne):
    """Writes `valid`, `summary`, `files`, `errors` at the end, holding little in memory meanwhile.

    The summary comes first in the document but is known only at the end, so the files and
    findings are spooled as they come (in memory up to a few MiB, then in a temporary file) and
    copied out after it: a run with millions of findings needs no memory for them. Each item is
    formatted as `json.dump(document, indent=2)` would, so the bytes are the same.
    """

    def __init__(self, stream: IO[str], *, statistics: bool = False) -> None:
        self._stream = stream
        self._statistics = statistics
        self._errors = Spool()
        self._files = Spool()

    def finding(self, finding: Finding) -> None:
        """Spool the finding for the final document."""
        self._errors.add(finding.as_dict())

    def file(self, result: FileResult) -> None:
        """Spool the file's outcome for the final document."""
        self._files.add(result.as_dict())

    def finish(self, summary: Summary) -> None:
        """Write the document."""
        head: dict[str, object] = {"valid": summary.exit_status == 0, "summary": summary.as_dict()}
        if self._statistics:
            head["statistics"] = dict(sorted(summary.keywords.items(), key=lambda item: (-item[1], item[0])))
        text = json.dumps(head, ensure_ascii=False, indent=2)
        write = self._stream.write
        write(text[:-2] + ",\n")  # the head without its closing brace
        write('  "files": ')
        self._files.copy_to(self._stream)
        write(',\n  "errors": ')
        self._errors.copy_to(self._stream)
        write("\n}\n")
        self._stream.flush()


class Spool:
    """A JSON array's items, formatted at nesting `level` of an indent-2 document, kept out of the way until written."""

    def __init__(self, level: int = 2) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0
        self._indent = "  " * level

    def __len__(self) -> int:
        return self._count

    def add(self, item: dict[str, object]) -> None:
        """Format one item and put it aside."""
        try:
            text = json.dumps(item, ensure_ascii=False, indent=2, default=_unserialisable, allow_nan=False)
        except RecursionError:  # a value nested deeper than the encoder goes: shown shortened instead
            text = json.dumps({**item, "actual": display_value(item.get("actual"))}, ensure_ascii=False, indent=2)
        except ValueError:  # a non-finite number (Infinity is not JSON): written as the text "inf", "-inf", "nan"
            finite = _finite(item)
            text = json.dumps(finite, ensure_ascii=False, indent=2, default=_unserialisable, allow_nan=False)
        indent = self._indent
        self._file.write(("" if not self._count else ",\n") + indent + utf8_safe(text).replace("\n", "\n" + indent))
        self._count += 1

    def copy_to(self, stream: IO[str]) -> None:
        """Write the array (`[...]`, as json.dump would at this level) and let the spool go."""
        with self._file:
            if not self._count:
                stream.write("[]")
                return
            stream.write("[\n")
            self._file.seek(0)
            shutil.copyfileobj(self._file, stream)
            stream.write("\n" + self._indent[:-2] + "]")


def usage_error_document(message: str) -> str:
    """The `--format json` document for a command line that could not be understood."""
    summary = Summary()
    document = {
        "valid": False,
        "summary": {**summary.as_dict(), "errors": 1, "exit_status": 2},
        "files": [],
        "errors": [Finding(None, "usage", message).as_dict()],
    }
    return json.dumps(document, indent=2) + "\n"


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _as_text(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape): `\xe9`, as text shows it
        return f"\\\\x{code - 0xDC00:02x}"
    return f"\\\\u{code:04x}"


def utf8_safe(json_text: str) -> str:
    r"""JSON text that strict parsers read and that encodes as UTF-8, whatever the file names held.

    A lone surrogate stands for a file name's undecodable byte (or came from a payload's `\ud800`
    escape). JSON's own `\udce9` escape is one strict parsers refuse, so it is written as the
    text the other formats show: a backslash, then `xe9` (or `ud800`).
    """
    return _SURROGATE.sub(_as_text, json_text)


def _finite(value: object) -> object:
    """`value` with every non-finite float replaced by its text: what strict JSON can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _unserialisable(value: object) -> str:
    return display_value(value, limit=None)
