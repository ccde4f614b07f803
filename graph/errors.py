"""Errors a user can act on: each renders as one line, ``path:line: message``.

The CLI prints ``str(error)`` on stderr and exits with ``error.exit_code`` (pySHACL's
convention: 1 = the data does not conform, 2 = usage or input error); no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | os.PathLike[str] | None) -> str | None:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    if path is None:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


class KzGraphError(Exception):
    """A problem with the project's inputs or outputs, located where possible."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = display_path(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class InputError(KzGraphError):
    """Unreadable or structurally wrong input (syntax, blank nodes, facts outside graphs)."""

    exit_code = 2


class ValidationFailed(KzGraphError):
    """The data does not conform to the shapes or a quality check returned rows."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        report_text: str = "",
    ) -> None:
        self.report_text = report_text
        super().__init__(message, path, line)
