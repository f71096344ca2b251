"""Preflight checks of a finished Word file → findings, as check.py's for a PDF.

``check_docx`` runs four checks, in this order:

``metadata``
    ``docProps/core.xml`` says the title, authors, subject, keywords and
    language the PDF's metadata says. In an anonymous copy: no author, and
    no author's name, email or affiliation in any part of the archive.
``notes``
    as many footnotes as the submission PDF has (hyperref's footnote links
    in it, one per note).
``references``
    no citation left raw (``[@key]``, a cited ``@key``), no ``???`` (what
    citeproc prints for a reference it cannot find), in the body or the notes.
``structure``
    the archive reads (every entry's CRC), and its main parts are there and
    are well-formed XML.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import fields
from pathlib import Path
from xml.etree import ElementTree

import pikepdf

from .check import Finding, References, _check_references, _finding, _values
from .docxfile import CoreProperties, all_text, core_properties, footnotes, text

DOCX_CHECKS = ("metadata", "notes", "references", "structure")
_PARTS = ("[Content_Types].xml", "word/document.xml", "word/styles.xml", "docProps/core.xml")


def pdf_note_count(pdf: Path) -> int:
    """The footnotes of a PDF LaTeX made: hyperref links each note's mark to ``Hfootnote.N``."""
    found = set()
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                target = annot.get("/Dest") or (action.get("/D") if action is not None else None)
                if target is not None and str(target).startswith("Hfootnote."):
                    found.add(str(target))
    return len(found)


def _check_structure(path: Path) -> Finding:
    problems = []
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                problems.append(f"{bad}: damaged (CRC)")
            names = set(archive.namelist())
            for part in _PARTS:
                if part not in names:
                    problems.append(f"no {part}")
                    continue
                try:
                    ElementTree.fromstring(archive.read(part))
                except ElementTree.ParseError as exc:
                    problems.append(f"{part}: not well-formed XML ({exc})")
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"not a zip archive ({exc})")
    return _finding("structure", problems, "zip and XML read")


def _check_metadata(path: Path, expected: CoreProperties, hidden: tuple[str, ...]) -> Finding:
    have = core_properties(path)
    problems = []
    for field in fields(CoreProperties):
        got, want = getattr(have, field.name), getattr(expected, field.name)
        if got != want:
            shown_got, shown_want = _values(got, want)
            problems.append(f"core.xml {field.name} {shown_got}, expected {shown_want}")
    if hidden:
        from .figures import named_in_metadata
        for part, content in all_text(path).items():
            if part.startswith("word/media/"):   # a figure: its metadata, not its pixels
                named = named_in_metadata(content, Path(part).suffix, hidden)
            else:
                # a whole word: an affiliation "MIT" is not in "submitted"
                named = next((h for h in hidden
                              if re.search(rf"(?<!\w){re.escape(h)}(?!\w)", content, re.IGNORECASE)), None)
            if named:
                problems.append(f"{part} names {named!r} (anonymous template)")
    ok = "core.xml matches the manuscript" + ("; no author anywhere" if hidden else "")
    return _finding("metadata", problems, ok)


def _check_notes(path: Path, pdf_notes: int | None) -> Finding:
    count = len(footnotes(path))
    if pdf_notes is None:
        return Finding("notes", True, f"{count} footnotes (no PDF to compare with)")
    if count != pdf_notes:
        return Finding("notes", False, f"{count} footnotes, the PDF has {pdf_notes}")
    return Finding("notes", True, f"{count} footnotes, as in the PDF")


def _check_unresolved(path: Path, references: References | None) -> Finding:
    body, notes = text(path, "word/document.xml"), text(path, "word/footnotes.xml")
    finding = _check_references([body, notes], references, places=["text", "notes"])
    problems = [] if finding.ok else [finding.reason]
    for place, content in (("text", body), ("notes", notes)):
        if "???" in content:
            at = content.index("???")
            problems.append(f"{place}: a citation citeproc could not resolve (???) in "
                            f"\u201c{' '.join(content[max(0, at - 25):at + 28].split())}\u201d")
    return _finding("references", problems, "no raw citation")


def check_docx(path: Path, *, expected: CoreProperties | None, hidden: tuple[str, ...] = (),
               pdf_notes: int | None = None, references: References | None = None) -> list[Finding]:
    """One Finding per check, in DOCX_CHECKS order (no metadata check when ``expected`` is None: no
    manuscript to compare with). ``hidden``: what an anonymous copy must not name anywhere (the
    authors' names, emails, affiliations); ``pdf_notes``: the notes of the PDF."""
    checks = DOCX_CHECKS if expected is not None else DOCX_CHECKS[1:]
    structure = _check_structure(path)
    if not structure.ok:
        return [*(Finding(check, False, "the archive cannot be read") for check in checks[:-1]), structure]
    metadata = [_check_metadata(path, expected, hidden)] if expected is not None else []
    return [*metadata, _check_notes(path, pdf_notes), _check_unresolved(path, references), structure]
