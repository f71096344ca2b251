"""Typed, located errors and collected warnings.

Every error a user can cause is a :class:`PressroomError`: it names the file
and line, says what is wrong and how to fix it. ``build.py`` prints it once as
``error: ...`` with no traceback (unless ``--debug``) and exits with
``exit_code``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

EXIT_BUILD_FAILED = 1
EXIT_USAGE = 2
EXIT_CHECK_FAILED = 1  # issue 5: `check` exits 1, with one line per failed check


class PressroomError(Exception):
    """An error the user can fix; carries file, line and a hint."""

    exit_code = EXIT_BUILD_FAILED

    def __init__(self, message: str, *, file: str | Path | None = None,
                 line: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(PressroomError):
    """Bad command-line arguments."""
    exit_code = EXIT_USAGE


class ManuscriptError(PressroomError):
    """The Markdown file or its YAML header is wrong."""


class BibliographyError(PressroomError):
    """The .bib file cannot be read, or an entry is wrong."""


class CitationError(PressroomError):
    """A citation cannot be resolved (unknown key, ...)."""


class TemplateError(PressroomError):
    """A journal template is missing or broken."""


class ToolError(PressroomError):
    """An external tool (pandoc, latexmk, apt-get) failed."""


class ToolMissing(ToolError):
    """An external tool is not installed (the set-up installs it)."""


class LimitExceeded(ToolError):
    """An external tool hit its time or memory limit and was stopped."""


class LatexError(ToolError):
    """TeX stopped with an error, or reported a missing glyph."""


class SetupError(PressroomError):
    """The environment (venv, TeX Live) cannot be set up."""


@dataclass
class Warnings:
    """Warnings collected during a build; printed as they come.

    ``strict=True`` turns the first warning into an error.
    """

    strict: bool = False
    items: list[str] = field(default_factory=list)
    #: print each warning as it comes (off: only collect them)
    echo: bool = True
    #: each warning as (message, file, line), in the order they came (the build keeps a stage's)
    records: list[tuple[str, str | None, int | None]] = field(default_factory=list)

    def warn(self, message: str, *, file: str | Path | None = None,
             line: int | None = None) -> None:
        if self.strict:
            raise PressroomError(message, file=file, line=line,
                                 hint="--strict makes warnings fatal")
        text = self.text(message, file, line)
        self.items.append(text)
        self.records.append((message, str(file) if file is not None else None, line))
        if self.echo:
            print(f"warning: {text}", file=sys.stderr)

    @staticmethod
    def text(message: str, file: str | Path | None, line: int | None) -> str:
        """``file:line: message``, as a warning is printed."""
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        return f"{where}{message}"
