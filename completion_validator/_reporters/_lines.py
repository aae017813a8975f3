"""How a finding reads on one line: its location and its headline (shared by text and GitHub output)."""

from __future__ import annotations

from completion_validator.errors import Finding


def location(finding: Finding) -> str:
    """`file:line:column`, or just the file when the position is not known."""
    file = finding.file or ""
    if finding.line is None:
        return file
    return f"{file}:{finding.line}:{finding.column}"


def headline(finding: Finding) -> str:
    """The finding without its location: `$.path: message`, or the bare message where no field is concerned."""
    if finding.path is None or (not finding.instance_path and finding.keyword.startswith("stream-")):
        return finding.message
    return f"{finding.path}: {finding.message}"
