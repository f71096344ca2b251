"""Shared plumbing of the PDF stages (private): opening, atomic saves, pdftotext."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

from .errors import PressroomError, ToolError
from .tools import DEFAULT_LIMITS, Limits, atomic_write, operand, start


class PdfLocked(PressroomError):
    """The PDF needs a password to be opened: nothing in it can be read."""


def open_pdf(path: Path) -> pikepdf.Pdf:
    """Open ``path`` with pikepdf, turning its errors into a PressroomError."""
    try:
        return pikepdf.open(path)
    except FileNotFoundError as exc:
        raise PressroomError("PDF not found", file=path) from exc
    except pikepdf.PasswordError:
        raise PdfLocked("the PDF is protected by a password: it cannot be opened to be checked", file=path,
                        hint="check the PDF as pressroom built it, before a password was added") from None
    except pikepdf.PdfError as exc:
        raise PressroomError(f"cannot read PDF: {exc}", file=path,
                             hint="rebuild it; the file may be truncated") from exc


def save_atomic(pdf: pikepdf.Pdf, out: Path) -> Path:
    """Save reproducibly to a temp file beside ``out``, then ``os.replace`` (tools.atomic_write).

    ``deterministic_id=True`` makes the /ID from the content, so the same
    input gives the same bytes. ``out`` may be the file ``pdf`` was read
    from: the open handle keeps reading the old inode.
    """
    out = Path(out)
    # Into memory first: when qpdf's own writes to a file fail (a full disk), the process aborts
    # (exit 134, no message); Python's writes raise an OSError the build reports.
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    with atomic_write(out, "wb") as fh:
        fh.write(buffer.getbuffer())
    return out


class PageText:
    """pdftotext started in the background; ``pages()`` waits for its text.

    Starting it first lets the pikepdf checks run while poppler works. A PDF that
    makes pdftotext run past the time limit (or its memory) is a LimitExceeded.
    """

    def __init__(self, pdf: Path, limits: Limits = DEFAULT_LIMITS):
        self.pdf = Path(pdf)
        self._running = start(["pdftotext", "-enc", "UTF-8", operand(self.pdf), "-"], limits=limits,
                              stage="check", file=self.pdf)
        self._pages: list[str] | None = None

    def pages(self) -> list[str]:
        if self._pages is None:
            result = self._running.wait(check=False)
            if result.returncode != 0:
                raise ToolError(f"pdftotext failed: {result.stderr.decode(errors='replace').strip()}",
                                file=self.pdf)
            text = result.stdout.decode("utf-8", errors="replace")
            pages = text.split("\f")
            if pages and pages[-1].strip() == "":
                pages.pop()
            self._pages = pages
        return self._pages

