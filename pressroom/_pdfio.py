"""Shared plumbing of the PDF stages (private): atomic saves, pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pikepdf

from .errors import PressroomError, SetupError, ToolError


def open_pdf(path: Path) -> pikepdf.Pdf:
    """Open ``path`` with pikepdf, turning its errors into a PressroomError."""
    try:
        return pikepdf.open(path)
    except FileNotFoundError as exc:
        raise PressroomError("PDF not found", file=path) from exc
    except pikepdf.PdfError as exc:
        raise PressroomError(f"cannot read PDF: {exc}", file=path,
                             hint="rebuild it; the file may be truncated") from exc


def save_atomic(pdf: pikepdf.Pdf, out: Path) -> Path:
    """Save reproducibly to a temp file beside ``out``, then ``os.replace``.

    ``deterministic_id=True`` makes the /ID from the content, so the same
    input gives the same bytes. ``out`` may be the file ``pdf`` was read
    from: the open handle keeps reading the old inode.
    """
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        pdf.save(tmp, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _pdftotext() -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SetupError("pdftotext not found", hint="install the Debian package poppler-utils")
    return exe


class PageText:
    """pdftotext started in the background; ``pages()`` waits for its text.

    Starting it first lets the pikepdf checks run while poppler works.
    """

    def __init__(self, pdf: Path):
        self.pdf = Path(pdf)
        self._proc = subprocess.Popen(
            [_pdftotext(), "-enc", "UTF-8", str(self.pdf), "-"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._pages: list[str] | None = None

    def pages(self) -> list[str]:
        if self._pages is None:
            out, err = self._proc.communicate()
            if self._proc.returncode != 0:
                raise ToolError(f"pdftotext failed: {err.decode(errors='replace').strip()}",
                                file=self.pdf)
            text = out.decode("utf-8", errors="replace")
            pages = text.split("\f")
            if pages and pages[-1].strip() == "":
                pages.pop()
            self._pages = pages
        return self._pages


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, in reading order, as pdftotext extracts it."""
    return PageText(pdf).pages()
