"""How a finding reads on one line: its location and its headline (shared by text and GitHub output).

One finding is always one line: a newline in a server's message or a file name must not start
a line that looks like another finding, and an escape sequence must not drive the terminal. So
control characters, line separators and what stands for undecodable bytes are written escaped,
and so are the bidirectional controls (a server's string must not reorder how a finding reads:
"Trojan Source") and the noncharacters U+FFFE and U+FFFF (which XML cannot hold).
"""

from __future__ import annotations

import re

from completion_validator.errors import Finding

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` with every character that could break, forge or reorder a line, or is not UTF-8, escaped."""
    if text.isprintable():  # bidi controls (Cf) and noncharacters (Cn) are not printable: they never pass here
        return text
    return _UNSAFE.sub(_escape, text)


def location(finding: Finding) -> str:
    """`file:line:column`, or just the file when the position is not known."""
    file = one_line(finding.file or "")
    if finding.line is None:
        return file
    return f"{file}:{finding.line}:{finding.column}"


def headline(finding: Finding) -> str:
    """The finding without its location: `$.path: message`, or the bare message where no field is concerned."""
    return path_shown(finding) + one_line(finding.message)


def path_shown(finding: Finding) -> str:
    """What a headline shows before the message: `$.path: `, or nothing where no field is concerned.

    The same for every finding of one keyword at one path (a path of `$` is the root's, and only
    the root's), so a reporter may keep it by those.
    """
    if finding.path is None or (not finding.instance_path and finding.keyword.startswith(("stream-", "probe-"))):
        return ""
    return one_line(finding.path) + ": "
