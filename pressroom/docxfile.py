"""Word files (.docx): written with the same bytes for the same sources, and read back.

A .docx is a zip of XML parts. Pandoc's docx writer dates the zip entries and
``docProps/core.xml``; :func:`normalised` rewrites the archive so that nothing in
it depends on the clock, the time zone or the machine: every entry dated
with the build's source date, stored in pandoc's order with the same
compression and no extra fields, ``docProps/core.xml`` written from the
build's metadata (the PDF's: title, authors, subject, keywords, language)
``docProps/custom.xml`` empty (pandoc puts header fields there that no
one asked it to publish, which in an anonymous copy could name the author),
and ``docProps/app.xml`` without the word and page counts of the file pandoc's
template was made from.

The readers (:func:`footnotes`, :func:`core_properties`, :func:`text`) are
what the check stage and the tests use: the zip and its XML, no Word.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CORE = "docProps/core.xml"
CUSTOM = "docProps/custom.xml"
APP = "docProps/app.xml"
_NS = {"w": W, "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
       "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
#: zip's earliest date: a source date before it is written as this
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class CoreProperties:
    """What ``docProps/core.xml`` says: Word's File > Properties."""

    title: str = ""
    authors: tuple[str, ...] = ()
    subject: str = ""
    keywords: tuple[str, ...] = ()
    language: str = ""


def core_xml(props: CoreProperties, date: datetime) -> bytes:
    """``docProps/core.xml`` for ``props``, dated ``date``; an empty field is left out (an anonymous
    copy has no ``dc:creator`` at all)."""
    stamp = date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = [("dc:title", props.title), ("dc:subject", props.subject),
              ("dc:creator", "; ".join(props.authors)), ("cp:keywords", ", ".join(props.keywords)),
              ("dc:language", props.language)]
    body = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in fields if value)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'{body}<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            '</cp:coreProperties>').encode()


EMPTY_CUSTOM = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<Properties '
                b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>')


#: ``docProps/app.xml`` without the counts pandoc's template carries from the file it was made from
#: (83 words, 1 page, "Microsoft Word 12.0.0", 6 minutes of editing): Word counts afresh on opening
EXTENDED = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<Properties '
            b'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            b'<Application>pressroom</Application><DocSecurity>0</DocSecurity></Properties>')


def deterministic_zip(parts: list[tuple[str, bytes]], date: datetime) -> bytes:
    """The parts as a zip archive whose bytes depend on nothing but the parts and ``date``."""
    stamp = max(date.astimezone(UTC).timetuple()[:6], _ZIP_EPOCH)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0          # the same "made on" whatever the machine
            info.external_attr = 0
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()


def normalised(docx: bytes, props: CoreProperties, date: datetime) -> bytes:
    """Pandoc's .docx with the build's core properties, no custom ones, and no clock in it."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    replaced = {CORE: core_xml(props, date), CUSTOM: EMPTY_CUSTOM, APP: EXTENDED}
    parts = [(name, replaced.get(name, data)) for name, data in parts]
    return deterministic_zip(parts, date)


# ---- reading ------------------------------------------------------------------------------------

def _part(path: Path, name: str) -> ElementTree.Element | None:
    with zipfile.ZipFile(path) as archive:
        try:
            return ElementTree.fromstring(archive.read(name))
        except KeyError:
            return None


def _runs_as_markdown(paragraph: ElementTree.Element) -> str:
    """A paragraph's text, its italic runs as ``*...*`` (adjacent ones joined), the footnote mark
    left out."""
    pieces: list[tuple[str, bool]] = []
    for run in paragraph.iter(f"{{{W}}}r"):
        props = run.find(f"{{{W}}}rPr")
        if props is not None and props.find(f"{{{W}}}rStyle[@{{{W}}}val='FootnoteReference']") is not None:
            continue
        italic = props is not None and any(
            el is not None and el.get(f"{{{W}}}val", "true") not in ("0", "false")
            for el in (props.find(f"{{{W}}}i"),))
        text = "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
        if run.find(f"{{{W}}}tab") is not None:
            text = " " + text
        if text:
            pieces.append((text, italic))
    out, current, emphasis = [], [], False
    for text, italic in [*pieces, ("", False)]:
        if italic != emphasis and current:
            joined = "".join(current)
            out.append(f"*{joined}*" if emphasis else joined)
            current = []
        emphasis = italic
        current.append(text)
    out.append("".join(current))
    return "".join(out).strip()


def footnotes(path: Path) -> list[str]:
    """Every footnote of the .docx in the order the text calls them, as text with italics as
    ``*...*`` (paragraphs of one note joined by a blank line)."""
    notes = _part(path, "word/footnotes.xml")
    document = _part(path, "word/document.xml")
    if notes is None or document is None:
        return []
    by_id = {note.get(f"{{{W}}}id"): note for note in notes.findall(f"{{{W}}}footnote")}
    order = [ref.get(f"{{{W}}}id") for ref in document.iter(f"{{{W}}}footnoteReference")]
    return ["\n\n".join(_runs_as_markdown(p) for p in by_id[i].iter(f"{{{W}}}p"))
            for i in order if i in by_id]


def text(path: Path, *parts: str) -> str:
    """The text of ``parts`` (default: the body and the notes), paragraph by paragraph."""
    lines = []
    for part in parts or ("word/document.xml", "word/footnotes.xml"):
        root = _part(path, part)
        if root is not None:
            lines += ["".join(t.text or "" for t in p.iter(f"{{{W}}}t")) for p in root.iter(f"{{{W}}}p")]
    return "\n".join(lines)


def core_properties(path: Path) -> CoreProperties:
    """What ``docProps/core.xml`` of the .docx says."""
    root = _part(path, CORE)
    if root is None:
        return CoreProperties()

    def field(tag: str) -> str:
        el = root.find(tag, _NS)
        return (el.text or "").strip() if el is not None else ""

    authors = tuple(a.strip() for a in field("dc:creator").split(";") if a.strip())
    keywords = tuple(k.strip() for k in re.split(r"[,;]", field("cp:keywords")) if k.strip())
    return CoreProperties(title=field("dc:title"), authors=authors, subject=field("dc:subject"),
                          keywords=keywords, language=field("dc:language"))


def all_text(path: Path) -> dict[str, str | bytes]:
    """Every part of the archive as text, the figures (``word/media/``) as their bytes: to look
    for a name."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) if info.filename.startswith("word/media/")
                else archive.read(info).decode("utf-8", "replace") for info in archive.infolist()}
